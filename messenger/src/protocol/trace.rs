//! What the observer sees: one [`Observation`] per protocol step.

use std::time::Duration;

use super::{Instant, InterruptKind, PortId, TargetId};
use crate::Error;

/// One protocol step, stamped with the time it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// When it happened.
    pub at: Instant,
    /// What happened.
    pub step: Step,
}

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeState {
    /// The knocker is knocking and waiting for an answer.
    Knocking,
    /// The listener is waiting for a knock.
    Listening,
    /// The knocker received the listener's answer; its acknowledgement is due.
    Answered,
    /// The listener answered and waits for the acknowledgement.
    AwaitingAcknowledgement,
    /// The handshake is complete.
    Connected,
    /// The session ended.
    Closed,
}

/// Which wire message a step concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// `👋`.
    Knock,
    /// `🤝`.
    Listen,
    /// `👂`.
    Acknowledge,
    /// An application message.
    Message,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From this side to the peer.
    Outgoing,
    /// From the peer to this side.
    Incoming,
}

/// A protocol step.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Step {
    /// The handshake moved to a new state.
    Handshake(HandshakeState),
    /// A knock went out to a target (`attempt` counts from 1; every attempt has a fresh channel).
    KnockSent {
        /// The target knocked on.
        target: TargetId,
        /// Which attempt this was.
        attempt: u32,
    },
    /// A window message was ignored by rule (wrong origin, source, not a knock, untrusted, ...).
    Ignored {
        /// Why.
        reason: super::IgnoreReason,
    },
    /// A message went out or came in.
    Message {
        /// Which way.
        direction: Direction,
        /// Which wire message.
        kind: MessageKind,
        /// The port generation it travelled on: the knock is 0 and every later message one more,
        /// so both sides number the same message alike.
        generation: u64,
        /// For a reply: how long after this side's own message it arrived.
        reply_after: Option<Duration>,
        /// Whether an interrupt port rode along.
        interrupt: Option<InterruptKind>,
    },
    /// An interrupt channel is open (on the side that listens on it or the side that emits).
    InterruptOpened {
        /// The channel, by its port.
        channel: PortId,
        /// One-time or multi-use.
        kind: InterruptKind,
        /// Which way interrupts flow from here.
        direction: Direction,
    },
    /// An interrupt was emitted or received.
    Interrupt {
        /// The channel.
        channel: PortId,
        /// Which way.
        direction: Direction,
    },
    /// An interrupt channel was closed.
    InterruptClosed {
        /// The channel.
        channel: PortId,
    },
    /// The session failed or was closed, with this error.
    Failed(Error),
}
