//! Hooks that own Eos's side effects.

mod use_eos_session;

pub use use_eos_session::use_eos_session;
