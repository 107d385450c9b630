//! Secure cross-origin messenger (crate docs are written below).
#![deny(missing_docs, missing_debug_implementations)]

pub mod core;
mod error;
mod origin;
mod web;

pub use crate::core::{
    Direction, HandshakeState, InterruptKind, Limits, MessageKind, Observation, Step,
};
pub use error::{Error, SendError, Stage, Violation};
pub use origin::{Origin, OriginError};
pub use web::*;
