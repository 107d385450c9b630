//! Eos's components, one per file.

mod answer_panel;
mod app;
mod editor;
mod file_sender;
mod inspector;
mod note_detail;
mod note_list;
mod sketch;

pub use answer_panel::AnswerPanel;
pub use app::App;
pub use editor::NoteEditor;
pub use file_sender::FileSender;
pub use inspector::EosInspector;
pub use note_detail::NoteDetail;
pub use note_list::NoteList;
pub use sketch::Sketch;
