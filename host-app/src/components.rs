//! The page's components, one per file.

mod app;
mod connection_bar;
mod files_panel;
mod inspector;
mod interrupt_panel;
mod listener_count;
mod notes_panel;
mod question_panel;
mod window_panel;

pub use app::App;
pub use connection_bar::ConnectionBar;
pub use files_panel::FilesPanel;
pub use inspector::Inspector;
pub use interrupt_panel::InterruptPanel;
pub use listener_count::ListenerCount;
pub use notes_panel::NotesPanel;
pub use question_panel::QuestionPanel;
pub use window_panel::WindowPanel;
