//! What a connection produces: the work for the web layer ([`Action`]), what the application
//! hears ([`Event`]), and what a posted message says ([`Body`]).

use super::super::{InterruptKind, PortId, SendId, TargetId};
#[cfg(doc)]
use super::Connection;
use super::{HeldInterrupt, Waiter};
use crate::Error;

/// What a posted message says.
#[derive(Debug, Clone, PartialEq)]
pub enum Body<P> {
    /// `🤝`.
    Listen,
    /// `👂`.
    Acknowledge,
    /// An application message.
    Message(P),
}

/// Work for the web layer, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<P> {
    /// Create a `MessageChannel`, keep its first port as `channel` and listen on it, and post a
    /// knock carrying the second port to the target.
    Knock {
        /// Which target.
        target: TargetId,
        /// The id of the kept port.
        channel: PortId,
    },
    /// Create a `MessageChannel` (its first port kept as `reply_channel` and listened on) and post
    /// `body` on `via`, transferring the channel's second port as `$responsePort`; when
    /// `interrupt` is set, create one more channel, keep its first port under that id and listen
    /// on it for interrupts, and transfer its second port as `$interruptPort`.
    Post {
        /// The port to post on (the peer's one-time reply port).
        via: PortId,
        /// The id of the kept reply port.
        reply_channel: PortId,
        /// What to post.
        body: Body<P>,
        /// An interrupt channel riding along.
        interrupt: Option<(PortId, InterruptKind)>,
        /// The send this posts, for an application message.
        send: Option<SendId>,
    },
    /// Post an interrupt's payload, unwrapped, on an interrupt port.
    PostInterrupt {
        /// The interrupt port.
        via: PortId,
        /// The payload.
        payload: P,
    },
    /// Post a close notice (`{ $type: "🚪", $version: 1, $reason }`, no port) on `via`: this
    /// side's session ended, and the peer, which holds the port's other end, is told why. Comes
    /// before the port's [`Action::ClosePort`].
    PostCloseNotice {
        /// The port to post on.
        via: PortId,
        /// The `$reason` code.
        reason: &'static str,
    },
    /// Listen on this port, which this side holds to post on (the peer's reply port, during this
    /// side's turn): a peer that understands close notices may post one on its end.
    WatchPort(PortId),
    /// Close this port and drop its listeners.
    ClosePort(PortId),
    /// Remove the temporary window (or worker) listeners: the knock was accepted, or listening ended.
    StopListening,
}

/// What the application must hear.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<P> {
    /// The knocker's knock was answered; [`Connection::acknowledge`] completes the handshake.
    Answered,
    /// The handshake completed.
    Connected,
    /// The peer's message arrived; it answers `waiter`.
    Received {
        /// Whom it answers.
        waiter: Waiter,
        /// The payload.
        message: P,
        /// An interrupt port that rode along.
        interrupt: Option<HeldInterrupt>,
    },
    /// A send or the first-message wait failed.
    Failed {
        /// Whose wait failed.
        waiter: Waiter,
        /// Why.
        error: Error,
        /// The payload, when it was never posted.
        unsent: Option<P>,
    },
    /// An interrupt arrived on a channel this side listens on.
    Interrupt {
        /// The channel.
        channel: PortId,
        /// The payload.
        payload: P,
        /// Its binary bytes, as [`Connection::handle_interrupt`] was told: handed back with
        /// [`Connection::interrupt_taken`].
        binary_bytes: usize,
    },
    /// An interrupt channel ended (a one-time one after its interrupt, or any on close).
    InterruptEnded {
        /// The channel.
        channel: PortId,
        /// `None` after a one-time interrupt was delivered, else why it ended.
        error: Option<Error>,
    },
    /// The session ended; every wait above has been failed already.
    Closed(Error),
}
