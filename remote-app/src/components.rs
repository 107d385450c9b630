//! Eos's components, one per file.

mod answer_panel;
mod app;
mod editor;
mod inspector;
mod note_detail;
mod note_list;

pub use answer_panel::AnswerPanel;
pub use app::App;
pub use editor::NoteEditor;
pub use inspector::EosInspector;
pub use note_detail::NoteDetail;
pub use note_list::NoteList;
