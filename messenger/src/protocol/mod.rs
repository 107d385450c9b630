//! The pure protocol core: the whole messenger protocol as a state machine without `web-sys`,
//! `js-sys` or `wasm-bindgen`.
//!
//! Modelled on quinn-proto and str0m: the core never touches a port, a listener or the clock.
//! The web layer (the rest of this crate) feeds it inputs and performs its outputs:
//!
//! 1. **Inputs** arrive through the `handle_*` methods — a window message as the gate judged
//!    it ([`gate::admit`], then [`Connection::handle_knock`]), a message on a port
//!    ([`Connection::handle_message`]), a `messageerror` ([`Connection::handle_message_error`]),
//!    an interrupt ([`Connection::handle_interrupt`]) or a timeout ([`Connection::handle_timeout`]).
//!    Application commands are ordinary mutators: [`Connection::send`],
//!    [`Connection::acknowledge`], [`Connection::emit_interrupt`], [`Connection::close`].
//! 2. **Outputs** are drained after every input, in this order: [`Connection::poll_action`]
//!    (ports to create, messages to post, ports to close), [`Connection::poll_event`] (what the
//!    application must hear), [`Connection::poll_observation`] (the observer's protocol trace) and
//!    [`Connection::poll_timeout`] (the next deadline).
//!
//! Time is always an argument ([`Instant`]), so tests drive two connections against each other
//! faster than real time, and the core runs unchanged on `wasm32-unknown-unknown`, where
//! `std::time::Instant::now()` panics.
//!
//! Ports are named by [`PortId`]s that the core allocates: for a channel it asks the web layer to
//! create, the id names the end this side keeps; for a port that arrived in a message, the web
//! layer asks for an id with [`Connection::register_port`] before handing the message in. The core
//! tracks every open id and closes each exactly once.

mod budget;
mod connection;
pub mod gate;
mod limits;
mod timer;
mod trace;
mod wire;

pub use budget::{json_integer_len, json_string_len, Budget};
pub use connection::{
    Action, Body, Connection, Event, HeldInterrupt, Role, Timing, Waiter, PATIENT_AFTER, PATIENT_FACTOR,
};
pub use gate::{Admission, IgnoreReason};
pub use limits::{Limits, MAX_BINARY_BYTES, MAX_DEPTH, MAX_SAFE_INTEGER};
pub use timer::{Instant, Timer, Timers, LATE_FRACTION};
pub use trace::{Direction, HandshakeState, MessageKind, Observation, Step};
pub use wire::{
    field, CheckedMessage, HandshakeStep, KnockCheck, PortField, Scalar, WireObject, ACKNOWLEDGE, CLOSE, KNOCK, LISTEN,
    VERSION, VERSION_NUMBER, VERSION_REASON,
};

/// Names one port end a session holds: how an [`Observation`] tells interrupt channels apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortId(u64);

/// Names one call to [`Connection::send`]; its reply or failure carries the same id. Only the
/// core makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SendId(u64);

/// Index of a knock target in the list the knocker was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId(pub usize);

impl PortId {
    /// The port's number, 1, 2, 3 ... per connection: how an observer tells channels apart.
    pub const fn raw(self) -> u64 {
        self.0
    }
}

// An id made from a number names nothing the application could act on: the public API never
// takes a `PortId` back, it only shows them in observations. Observers' tests (the host app's
// inspector) build observations with them, and the core's tests name ports the core never gave
// out, to prove they are refused.
impl PortId {
    /// The id numbered `raw`: the core numbers the ports it names 1, 2, 3 ... per connection.
    pub const fn from_raw(raw: u64) -> Self {
        PortId(raw)
    }
}

impl SendId {
    /// The id numbered `raw`: the core numbers sends 1, 2, 3 ... per connection.
    pub const fn from_raw(raw: u64) -> Self {
        SendId(raw)
    }
}

/// The two kinds of interrupt channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterruptKind {
    /// Delivers exactly one interrupt; the port is closed after it.
    OneTime,
    /// Delivers interrupts until the receiving side closes it.
    MultiUse,
}
