//! The connection state machine, one file per phase: this file holds the state, the getters,
//! the port and observation bookkeeping and the `poll_*` outputs; [`outputs`] what they yield;
//! [`handshake`] knocks, listens and acknowledges; [`conversation`] carries the turns and the
//! send queue; [`interrupts`] the side channels and their bounds; [`close`] timeouts and failure.
//!
//! Methods follow quinn-proto's order: here the constructors, the getters, the two mutators that
//! belong to no phase and the `poll_*` outputs, then the private helpers every phase shares; in
//! each phase's file the `handle_*` inputs come first, then the mutators, then its helpers.

mod close;
mod conversation;
mod handshake;
mod interrupts;
mod outputs;

use std::collections::VecDeque;
use std::time::Duration;

use litemap::LiteMap;

use super::trace::{Direction, HandshakeState, MessageKind, Observation, Step};
use super::wire::WireObject;
use super::{Instant, InterruptKind, Limits, PortId, SendId, Timer, Timers};
use crate::{Error, Violation};
pub use handshake::{PATIENT_AFTER, PATIENT_FACTOR};
use interrupts::Inbound;
pub use outputs::{Action, Body, Event};

/// Which side of the handshake this connection plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Knocks on one or more targets; acknowledges; usually runs the handler loop.
    Knocker,
    /// Waits for a knock; speaks first once connected.
    Listener,
}

/// The core's timing options. Its [`Default`] is the one set of defaults, the web layer's
/// [`Config::new`](crate::Config::new) included: a 10 s handshake, no reply timeout, knocks every
/// 10, 20, 40, ... ms up to every 200 ms (54 knocks in the 10 s of a handshake; after
/// [`PATIENT_AFTER`] unanswered, in a longer handshake, one a second), the last 4 knock channels
/// per target kept open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long the whole handshake may take.
    pub handshake_timeout: Duration,
    /// How long the peer may take to reply to one message; `None` waits for ever.
    pub reply_timeout: Option<Duration>,
    /// How often the knocker knocks again while unanswered (the longest interval, when
    /// [`Timing::first_knock_interval`] starts shorter).
    pub knock_interval: Duration,
    /// The interval after the first knock, doubling after each knock up to
    /// [`Timing::knock_interval`]; `None`: every interval is `knock_interval`.
    ///
    /// When set, a knocker unanswered for [`PATIENT_AFTER`] backs off further, up to
    /// [`PATIENT_FACTOR`] times `knock_interval`; with `None` it keeps its steady pace.
    ///
    /// A knock is lost without a trace when it reaches a remote whose listener is not installed
    /// yet (a wasm app starts a little after its page's `load`), so the first reply comes with
    /// the first knock after that moment. Knocking often while the remote is young (10, 20, 40,
    /// ... ms) finds that moment early, and backing off keeps a remote that never answers cheap.
    pub first_knock_interval: Option<Duration>,
    /// How many of the most recent knock channels per target stay open. An answer to a knock
    /// that is slightly older than the newest must not be lost (the remote may have been busy
    /// when it picked it up), so closing is delayed by this many intervals.
    pub knocks_kept_open: usize,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            handshake_timeout: Duration::from_secs(10),
            reply_timeout: None,
            knock_interval: Duration::from_millis(200),
            first_knock_interval: Some(Duration::from_millis(10)),
            knocks_kept_open: 4,
        }
    }
}

/// Who waits for an incoming application message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Waiter {
    /// The knocker's acknowledgement: the listener's first message answers it.
    FirstMessage,
    /// A send: the peer's next message is its reply.
    Send(SendId),
}

/// An interrupt port that arrived with a message: the application may emit on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldInterrupt {
    /// The port to emit on.
    pub port: PortId,
    /// Whether it takes one interrupt or many.
    pub kind: InterruptKind,
}

/// Where the session is.
///
/// ```text
/// knocker   Knocking ──🤝 on a knock port──▶ Answered ──acknowledge(): 👂──▶ Connected(Theirs)
/// listener  Listening ──valid 👋: 🤝──▶ AwaitingAcknowledgement ──👂──▶ Connected(Ours)
/// both      Connected(Ours) ──a send posted──▶ Connected(Theirs) ──the peer's message──▶ Connected(Ours)
/// any state ──a violation, a timeout, close()──▶ Closed (final)
/// ```
///
/// Before `Connected` a broken rule fails the handshake ([`Error::HandshakeFailed`]), after it
/// the conversation ([`Error::ProtocolViolation`]): [`Connection::violation_error`] decides.
#[derive(Debug)]
enum State {
    /// The knocker knocks; `open` are its knock channels still listened on, oldest first.
    Knocking { open: VecDeque<PortId> },
    /// The listener waits for a knock on its window (or worker) listeners.
    Listening,
    /// The knocker has the listener's answer; the application acknowledges on `reply_via`.
    Answered { reply_via: PortId },
    /// The listener answered; the acknowledgement is due on `on`.
    AwaitingAcknowledgement { on: PortId },
    /// The handshake is done; the turn says who may post.
    Connected(Turn),
    /// The session ended with this error; nothing more is accepted.
    Closed(Error),
}

#[derive(Debug, Clone, Copy)]
enum Turn {
    /// This side may post once, on the peer's reply port.
    Ours { reply_via: PortId },
    /// The peer's message is due on `on`.
    Theirs {
        on: PortId,
        waiter: Waiter,
        since: Instant,
        /// The peer's port this side last posted on, kept open and watched until the peer's
        /// message arrives, when the peer takes close notices: a notice the peer posted before
        /// this side's message reached it comes on that port, and must not be lost.
        spent: Option<PortId>,
    },
}

#[derive(Debug)]
struct Queued<P> {
    id: SendId,
    payload: P,
    interrupt: Option<InterruptKind>,
}

/// One messenger session as a pure state machine. See the [module docs](super) for the
/// input/output contract.
#[derive(Debug)]
pub struct Connection<P> {
    role: Role,
    timing: Timing,
    state: State,
    targets: usize,
    /// When the connection was made: how long a knocker has gone unanswered.
    started: Instant,
    knock_attempt: u32,
    /// The peer announced `$closeNotice` in its handshake step: it is told when this side ends.
    peer_takes_notices: bool,
    /// The peer announced `$binary`: bytes go to it as transferred `Uint8Array`s.
    peer_takes_binary: bool,
    next_port: u64,
    next_send: u64,
    generation: u64,
    queue: VecDeque<Queued<P>>,
    open_ports: LiteMap<PortId, ()>,
    listening_on_interrupts: LiteMap<PortId, Inbound>,
    limits: Limits,
    held_interrupts: LiteMap<PortId, InterruptKind>,
    timers: Timers,
    actions: VecDeque<Action<P>>,
    events: VecDeque<Event<P>>,
    observations: VecDeque<Observation>,
}

impl<P> Connection<P> {
    fn new(role: Role, timing: Timing, limits: Limits, state: State, now: Instant) -> Self {
        let mut timers = Timers::default();
        timers.set(Timer::Handshake, now, timing.handshake_timeout);
        Connection {
            role,
            timing,
            state,
            targets: 0,
            started: now,
            knock_attempt: 0,
            peer_takes_notices: false,
            peer_takes_binary: false,
            next_port: 0,
            next_send: 0,
            generation: 0,
            queue: VecDeque::new(),
            open_ports: LiteMap::new(),
            listening_on_interrupts: LiteMap::new(),
            limits,
            held_interrupts: LiteMap::new(),
            timers,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            observations: VecDeque::new(),
        }
    }

    /// A knocker for `targets` targets (at least one), complete with its timing and bounds; the
    /// first knocks are queued at once.
    pub fn knocker(timing: Timing, limits: Limits, targets: usize, now: Instant) -> Self {
        let knocking = State::Knocking { open: VecDeque::new() };
        let mut connection = Self::new(Role::Knocker, timing, limits, knocking, now);
        connection.targets = targets.max(1);
        connection.observe(now, Step::Handshake(HandshakeState::Knocking));
        connection.knock_all(now);
        connection
    }

    /// A listener, complete with its timing and bounds; the web layer installs its temporary
    /// listeners alongside.
    pub fn listener(timing: Timing, limits: Limits, now: Instant) -> Self {
        let mut connection = Self::new(Role::Listener, timing, limits, State::Listening, now);
        connection.observe(now, Step::Handshake(HandshakeState::Listening));
        connection
    }

    /// This connection's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the peer announced `$binary` in its handshake step: bytes go to it as transferred
    /// `Uint8Array`s, else as arrays of numbers.
    pub fn peer_takes_binary(&self) -> bool {
        self.peer_takes_binary
    }

    /// The bounds in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The handshake state, for display.
    pub fn handshake_state(&self) -> HandshakeState {
        match self.state {
            State::Knocking { .. } => HandshakeState::Knocking,
            State::Listening => HandshakeState::Listening,
            State::Answered { .. } => HandshakeState::Answered,
            State::AwaitingAcknowledgement { .. } => HandshakeState::AwaitingAcknowledgement,
            State::Connected(_) => HandshakeState::Connected,
            State::Closed(_) => HandshakeState::Closed,
        }
    }

    /// Whether the session has ended, and why.
    pub fn closed_with(&self) -> Option<&Error> {
        match &self.state {
            State::Closed(error) => Some(error),
            _ => None,
        }
    }

    /// Whether it is this side's turn to post.
    pub fn is_our_turn(&self) -> bool {
        matches!(self.state, State::Connected(Turn::Ours { .. }))
    }

    /// The generation of the last message sent or received.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many ports this side holds open right now.
    pub fn open_port_count(&self) -> usize {
        self.open_ports.len()
    }

    /// How many sends wait for their turn.
    pub fn queued_sends(&self) -> usize {
        self.queue.len()
    }

    /// Changes the bounds of a running connection (it is built with its own, see
    /// [`Connection::knocker`]): the interrupt and queue bounds are the core's; payload size and
    /// depth are judged by the web layer before decoding. Bounds already passed are judged anew
    /// from the next input on. The web layer never changes them; the tests and the fuzz target
    /// do, to prove that re-judging.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Registers a port that arrived in a message, before the message is handed in.
    pub fn register_port(&mut self) -> PortId {
        let id = self.allocate_port();
        if self.closed_with().is_some() {
            // Nothing is accepted any more: the port is closed as soon as it is named.
            self.close_port(id);
        }
        id
    }

    /// The next piece of work for the web layer.
    pub fn poll_action(&mut self) -> Option<Action<P>> {
        self.actions.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event<P>> {
        self.events.pop_front()
    }

    /// The next protocol step for the observer.
    pub fn poll_observation(&mut self) -> Option<Observation> {
        self.observations.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    fn allocate_port(&mut self) -> PortId {
        self.next_port += 1;
        let id = PortId(self.next_port);
        self.open_ports.insert(id, ());
        id
    }

    fn close_port(&mut self, id: PortId) {
        if self.open_ports.remove(&id).is_some() {
            self.actions.push_back(Action::ClosePort(id));
        }
    }

    /// Posts `body` on the peer's one-time port `via` and closes `via`, which is spent, unless
    /// `keep_via` (then the caller keeps it, see `Turn::Theirs::spent`). Opens the port the reply
    /// will come on and, for an interrupt channel riding along, the port its interrupts will come
    /// on (listened on from now). Returns the reply port and the channel.
    fn post_on_peer_port(
        &mut self,
        via: PortId,
        body: Body<P>,
        interrupt: Option<InterruptKind>,
        send: Option<SendId>,
        keep_via: bool,
    ) -> (PortId, Option<(PortId, InterruptKind)>) {
        let reply_channel = self.allocate_port();
        let interrupt = interrupt.map(|kind| {
            let channel = self.allocate_port();
            self.listening_on_interrupts.insert(channel, Inbound::new(kind));
            (channel, kind)
        });
        self.actions.push_back(Action::Post {
            via,
            reply_channel,
            body,
            interrupt,
            send,
        });
        if !keep_via {
            self.close_port(via);
        }
        (reply_channel, interrupt)
    }

    /// Refuses a message: closes every port it carried (none of them will be used) and, when it
    /// broke a rule, ends the session with the error [`Connection::violation_error`] gives.
    fn reject(&mut self, message: &WireObject<P>, violation: Option<Violation>, now: Instant) {
        for port in message.ports() {
            self.close_port(port);
        }
        if let Some(violation) = violation {
            let error = self.violation_error(violation);
            self.fail(error, now);
        }
    }

    /// The one place that decides what a broken rule costs: before the session is connected it
    /// fails the handshake, after it the conversation.
    fn violation_error(&self, violation: Violation) -> Error {
        match self.state {
            State::Knocking { .. }
            | State::Listening
            | State::Answered { .. }
            | State::AwaitingAcknowledgement { .. } => Error::HandshakeFailed(violation),
            State::Connected(_) | State::Closed(_) => Error::ProtocolViolation(violation),
        }
    }

    /// The port of the current channel to the peer, whichever end this side holds: where a
    /// close notice goes, and where one from the peer is taken.
    fn current_channel(&self) -> Option<PortId> {
        match self.state {
            State::Answered { reply_via } | State::Connected(Turn::Ours { reply_via }) => Some(reply_via),
            State::AwaitingAcknowledgement { on } | State::Connected(Turn::Theirs { on, .. }) => Some(on),
            State::Knocking { .. } | State::Listening | State::Closed(_) => None,
        }
    }

    /// Whether `port` is where a close notice from the peer may come: the current channel, or
    /// the spent port kept watched while this side's message is on its way.
    fn takes_notice_on(&self, port: PortId) -> bool {
        match &self.state {
            State::Knocking { open } => open.contains(&port),
            State::Connected(Turn::Theirs { spent, .. }) if *spent == Some(port) => true,
            _ => self.current_channel() == Some(port),
        }
    }

    /// This side now holds `reply_via` to post on: a peer that understands close notices may
    /// post one on its end, so this side listens there too.
    fn watch_reply_port(&mut self, reply_via: PortId) {
        if self.peer_takes_notices {
            self.actions.push_back(Action::WatchPort(reply_via));
        }
    }

    fn observe(&mut self, at: Instant, step: Step) {
        self.observations.push_back(Observation { at, step });
    }

    fn observe_message(&mut self, at: Instant, direction: Direction, kind: MessageKind) {
        self.observe_message_with(at, direction, kind, None, None);
    }

    fn observe_message_with(
        &mut self,
        at: Instant,
        direction: Direction,
        kind: MessageKind,
        reply_after: Option<Duration>,
        interrupt: Option<InterruptKind>,
    ) {
        if kind != MessageKind::Knock {
            self.generation += 1;
        }
        let generation = if kind == MessageKind::Knock { 0 } else { self.generation };
        self.observe(
            at,
            Step::Message {
                direction,
                kind,
                generation,
                reply_after,
                interrupt,
            },
        );
    }
}
