//! Hooks that own the page's side effects.

mod use_host_session;

pub use use_host_session::use_host_session;
