//! Eos's components, one per file.

mod app;
mod editor;
mod note_detail;
mod note_list;
mod question_panel;

pub use app::App;
pub use editor::NoteEditor;
pub use note_detail::NoteDetail;
pub use note_list::NoteList;
pub use question_panel::QuestionPanel;
