//! The connection state machine: handshake, turns, queue, interrupts, timers, close.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use super::trace::{Direction, HandshakeState, MessageKind, Observation, Step};
use super::wire::{KnockCheck, WireObject, ACKNOWLEDGE, LISTEN};
use super::{IgnoreReason, Instant, InterruptKind, Limits, PortId, SendId, TargetId, Timer, Timers};
use crate::{Error, Overload, SendError, Stage, Violation};

/// How long an interrupt-rate window lasts.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// An interrupt channel this side listens on, with what its bounds count.
#[derive(Debug, Clone, Copy)]
struct Inbound {
    kind: InterruptKind,
    /// Delivered as [`Event::Interrupt`] and not yet reported taken.
    pending: usize,
    /// Start of the current rate window and the interrupts counted in it.
    window: Option<(Instant, u32)>,
}

impl Inbound {
    fn new(kind: InterruptKind) -> Self {
        Inbound {
            kind,
            pending: 0,
            window: None,
        }
    }

    /// Counts one more arriving interrupt, or names the bound it passes.
    fn admit(&mut self, limits: &Limits, now: Instant) -> Result<(), Overload> {
        let (start, count) = match self.window {
            Some((start, count)) if now < start + RATE_WINDOW => (start, count + 1),
            _ => (now, 1),
        };
        self.window = Some((start, count));
        if count > limits.max_interrupts_per_second {
            return Err(Overload::InterruptRate {
                limit: limits.max_interrupts_per_second,
            });
        }
        if self.pending >= limits.max_pending_interrupts {
            return Err(Overload::PendingInterrupts {
                limit: limits.max_pending_interrupts,
            });
        }
        self.pending += 1;
        Ok(())
    }
}

/// Which side of the handshake this connection plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Knocks on one or more targets; acknowledges; usually runs the handler loop.
    Knocker,
    /// Waits for a knock; speaks first once connected.
    Listener,
}

/// The core's timing options.
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
            first_knock_interval: None,
            knocks_kept_open: 4,
        }
    }
}

/// Who waits for an incoming application message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

#[derive(Debug)]
enum State {
    Knocking { open: VecDeque<PortId> },
    Listening,
    Answered { reply_via: PortId },
    AwaitingAcknowledgement { on: PortId },
    Connected(Turn),
    Closed(Error),
}

#[derive(Debug, Clone, Copy)]
enum Turn {
    /// This side may post once, on the peer's reply port.
    Ours { reply_via: PortId },
    /// The peer's message is due on `on`.
    Theirs { on: PortId, waiter: Waiter, since: Instant },
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
    knock_attempt: u32,
    next_port: u64,
    next_send: u64,
    generation: u64,
    queue: VecDeque<Queued<P>>,
    open_ports: BTreeSet<PortId>,
    listening_on_interrupts: BTreeMap<PortId, Inbound>,
    limits: Limits,
    held_interrupts: BTreeMap<PortId, InterruptKind>,
    timers: Timers,
    actions: VecDeque<Action<P>>,
    events: VecDeque<Event<P>>,
    observations: VecDeque<Observation>,
}

impl<P> Connection<P> {
    fn new(role: Role, timing: Timing, state: State, now: Instant) -> Self {
        let mut timers = Timers::default();
        timers.set(Timer::Handshake, now + timing.handshake_timeout);
        Connection {
            role,
            timing,
            state,
            targets: 0,
            knock_attempt: 0,
            next_port: 0,
            next_send: 0,
            generation: 0,
            queue: VecDeque::new(),
            open_ports: BTreeSet::new(),
            listening_on_interrupts: BTreeMap::new(),
            limits: Limits::DEFAULT,
            held_interrupts: BTreeMap::new(),
            timers,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            observations: VecDeque::new(),
        }
    }

    /// A knocker for `targets` targets (at least one); the first knocks are queued at once.
    pub fn knocker(timing: Timing, targets: usize, now: Instant) -> Self {
        let mut connection = Self::new(Role::Knocker, timing, State::Knocking { open: VecDeque::new() }, now);
        connection.targets = targets.max(1);
        connection.observe(now, Step::Handshake(HandshakeState::Knocking));
        connection.knock_all(now);
        connection
    }

    /// Applies `limits` (default [`Limits::DEFAULT`]): the interrupt and queue bounds are the
    /// core's; payload size and depth are judged by the web layer before decoding.
    /// Bounds already passed are judged anew from the next input on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The bounds in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A listener; the web layer installs its temporary listeners alongside.
    pub fn listener(timing: Timing, now: Instant) -> Self {
        let mut connection = Self::new(Role::Listener, timing, State::Listening, now);
        connection.observe(now, Step::Handshake(HandshakeState::Listening));
        connection
    }

    /// This connection's role.
    pub fn role(&self) -> Role {
        self.role
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

    /// Registers a port that arrived in a message, before the message is handed in.
    pub fn register_port(&mut self) -> PortId {
        let id = self.allocate_port();
        if self.closed_with().is_some() {
            // Nothing is accepted any more: the port is closed as soon as it is named.
            self.close_port(id);
        }
        id
    }

    fn allocate_port(&mut self) -> PortId {
        self.next_port += 1;
        let id = PortId(self.next_port);
        self.open_ports.insert(id);
        id
    }

    fn close_port(&mut self, id: PortId) {
        if self.open_ports.remove(&id) {
            self.actions.push_back(Action::ClosePort(id));
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

    fn knock_all(&mut self, now: Instant) {
        self.knock_attempt += 1;
        for target in 0..self.targets {
            let channel = self.allocate_port();
            if let State::Knocking { open } = &mut self.state {
                open.push_back(channel);
            }
            self.actions.push_back(Action::Knock {
                target: TargetId(target),
                channel,
            });
            self.observe(
                now,
                Step::KnockSent {
                    target: TargetId(target),
                    attempt: self.knock_attempt,
                },
            );
            self.observe_message(now, Direction::Outgoing, MessageKind::Knock);
        }
        let keep = self.timing.knocks_kept_open.max(1).saturating_mul(self.targets);
        let mut stale = Vec::new();
        if let State::Knocking { open } = &mut self.state {
            while open.len() > keep {
                stale.extend(open.pop_front());
            }
        }
        for port in stale {
            self.close_port(port);
        }
        // A zero interval would re-arm the timer for `now` itself, and `handle_timeout` (which
        // fires every timer due at `now`) would knock for ever: knock at most once a millisecond.
        let steady = self.timing.knock_interval;
        let interval = match self.timing.first_knock_interval {
            Some(first) => {
                // 2^(attempt - 1) times the first interval, without overflow, at most `steady`.
                let doublings = (self.knock_attempt - 1).min(31);
                first.saturating_mul(1u32 << doublings).min(steady)
            }
            None => steady,
        };
        self.timers
            .set(Timer::Knock, now + interval.max(Duration::from_millis(1)));
    }

    /// A window (or worker) message that passed the origin, source and trust checks, seen by a
    /// listener. Returns how it was classified; only a valid knock changes the state.
    pub fn handle_knock(&mut self, mut knock: WireObject<P>, now: Instant) -> KnockCheck {
        if !matches!(self.state, State::Listening) {
            // Listening already ended; the web layer removes its listeners at that moment, so
            // this is a message that was queued behind the accepted knock.
            let ports: Vec<_> = knock.ports().collect();
            ports.into_iter().for_each(|p| self.close_port(p));
            self.observe(
                now,
                Step::Ignored {
                    reason: IgnoreReason::AfterListening,
                },
            );
            return KnockCheck::NotAKnock;
        }
        let check = knock.check_knock();
        match check {
            KnockCheck::NotAKnock => {
                let ports: Vec<_> = knock.ports().collect();
                ports.into_iter().for_each(|p| self.close_port(p));
                self.observe(
                    now,
                    Step::Ignored {
                        reason: IgnoreReason::NotAKnock,
                    },
                );
            }
            KnockCheck::Invalid(violation) => {
                knock.message = None;
                let ports: Vec<_> = knock.ports().collect();
                ports.into_iter().for_each(|p| self.close_port(p));
                self.fail(Error::HandshakeFailed(violation), now);
            }
            KnockCheck::Valid(knock_port) => {
                self.observe_message(now, Direction::Incoming, MessageKind::Knock);
                self.actions.push_back(Action::StopListening);
                let on = self.allocate_port();
                self.actions.push_back(Action::Post {
                    via: knock_port,
                    reply_channel: on,
                    body: Body::Listen,
                    interrupt: None,
                    send: None,
                });
                self.close_port(knock_port);
                self.observe_message(now, Direction::Outgoing, MessageKind::Listen);
                self.state = State::AwaitingAcknowledgement { on };
                self.observe(now, Step::Handshake(HandshakeState::AwaitingAcknowledgement));
            }
        }
        check
    }

    /// The knock channels still open (empty unless knocking), leaving none behind.
    fn take_knock_ports(&mut self) -> VecDeque<PortId> {
        match &mut self.state {
            State::Knocking { open } => std::mem::take(open),
            _ => VecDeque::new(),
        }
    }

    /// A message that arrived on port `on`.
    pub fn handle_message(&mut self, on: PortId, mut message: WireObject<P>, now: Instant) {
        let carried: Vec<PortId> = message.ports().collect();
        let reject = |this: &mut Self, error: Option<Error>| {
            carried.iter().for_each(|p| this.close_port(*p));
            if let Some(error) = error {
                this.fail(error, now);
            }
        };
        match self.state {
            State::Closed(_) => reject(self, None),
            State::Knocking { ref open } if open.contains(&on) => {
                match message.check_handshake(LISTEN, true) {
                    Ok(reply_via) => {
                        self.observe_message(now, Direction::Incoming, MessageKind::Listen);
                        let knocks = self.take_knock_ports();
                        self.state = State::Answered { reply_via };
                        // The first valid answer wins: every knock channel, this one included, is done.
                        knocks.into_iter().for_each(|p| self.close_port(p));
                        // The handshake timer keeps running until the acknowledgement: an
                        // application that never finishes the handshake must not wait for ever.
                        self.timers.stop(Timer::Knock);
                        self.observe(now, Step::Handshake(HandshakeState::Answered));
                        self.events.push_back(Event::Answered);
                    }
                    Err(violation) => reject(self, Some(Error::HandshakeFailed(violation))),
                }
            }
            State::AwaitingAcknowledgement { on: expected } if expected == on => {
                match message.check_handshake(ACKNOWLEDGE, false) {
                    Ok(reply_via) => {
                        self.observe_message(now, Direction::Incoming, MessageKind::Acknowledge);
                        self.close_port(on);
                        self.timers.stop(Timer::Handshake);
                        self.state = State::Connected(Turn::Ours { reply_via });
                        self.observe(now, Step::Handshake(HandshakeState::Connected));
                        self.events.push_back(Event::Connected);
                        self.pump(now);
                    }
                    Err(violation) => reject(self, Some(Error::HandshakeFailed(violation))),
                }
            }
            State::Connected(Turn::Theirs {
                on: expected,
                waiter,
                since,
            }) if expected == on => match message.check_message() {
                Ok((payload, reply_via, interrupt)) => {
                    let interrupt = interrupt.map(|(port, once)| HeldInterrupt {
                        port,
                        kind: if once {
                            InterruptKind::OneTime
                        } else {
                            InterruptKind::MultiUse
                        },
                    });
                    self.observe_message_with(
                        now,
                        Direction::Incoming,
                        MessageKind::Message,
                        Some(now - since),
                        interrupt.map(|i| i.kind),
                    );
                    self.close_port(on);
                    self.timers.stop(Timer::Reply);
                    self.state = State::Connected(Turn::Ours { reply_via });
                    if let Some(held) = interrupt {
                        self.held_interrupts.insert(held.port, held.kind);
                        self.observe(
                            now,
                            Step::InterruptOpened {
                                channel: held.port,
                                kind: held.kind,
                                direction: Direction::Outgoing,
                            },
                        );
                    }
                    self.events.push_back(Event::Received {
                        waiter,
                        message: payload,
                        interrupt,
                    });
                    self.pump(now);
                }
                Err(violation) => reject(self, Some(Error::ProtocolViolation(violation))),
            },
            State::Connected(Turn::Ours { .. }) if self.open_ports.contains(&on) => {
                reject(self, Some(Error::ProtocolViolation(Violation::OutOfTurn)))
            }
            State::Knocking { .. } | State::Listening => {
                // A port this side no longer listens on; in a browser it cannot deliver, and
                // before a session exists there is nothing to fail.
                reject(self, None);
                self.observe(
                    now,
                    Step::Ignored {
                        reason: IgnoreReason::ClosedKnockPort,
                    },
                );
            }
            _ => {
                let handshake = matches!(
                    self.state,
                    State::Answered { .. } | State::AwaitingAcknowledgement { .. }
                );
                let violation = Violation::UsedPort;
                reject(
                    self,
                    Some(if handshake {
                        Error::HandshakeFailed(violation)
                    } else {
                        Error::ProtocolViolation(violation)
                    }),
                )
            }
        }
    }

    /// The browser could not deserialise a message on port `on`: the ports it carried are lost,
    /// so the session cannot go on when `on` was the current port.
    pub fn handle_message_error(&mut self, on: PortId, now: Instant) {
        if self.listening_on_interrupts.contains_key(&on) {
            self.end_interrupt(on, Some(Error::ProtocolViolation(Violation::Undeserializable)), now);
            return;
        }
        if self.open_ports.contains(&on) && self.closed_with().is_none() {
            let error = match self.state {
                State::Knocking { .. } | State::AwaitingAcknowledgement { .. } => {
                    Error::HandshakeFailed(Violation::Undeserializable)
                }
                _ => Error::ProtocolViolation(Violation::Undeserializable),
            };
            self.fail(error, now);
        }
    }

    /// An interrupt's payload arrived on interrupt channel `on`.
    ///
    /// The channel's bounds ([`Limits::max_interrupts_per_second`],
    /// [`Limits::max_pending_interrupts`]) are judged first: an interrupt past one ends the
    /// channel with [`Error::Overloaded`] instead of being delivered.
    pub fn handle_interrupt(&mut self, on: PortId, payload: P, now: Instant) {
        let limits = self.limits;
        let Some(inbound) = self.listening_on_interrupts.get_mut(&on) else {
            self.observe(
                now,
                Step::Ignored {
                    reason: IgnoreReason::ClosedInterruptChannel,
                },
            );
            return;
        };
        let kind = inbound.kind;
        if let Err(overload) = inbound.admit(&limits, now) {
            self.end_interrupt(on, Some(Error::Overloaded(overload)), now);
            return;
        }
        self.observe(
            now,
            Step::Interrupt {
                channel: on,
                direction: Direction::Incoming,
            },
        );
        self.events.push_back(Event::Interrupt { channel: on, payload });
        if kind == InterruptKind::OneTime {
            self.end_interrupt(on, None, now);
        }
    }

    /// The application took one interrupt of `channel` (the web layer reports it when the
    /// stream hands one out), making room under [`Limits::max_pending_interrupts`].
    pub fn interrupt_taken(&mut self, channel: PortId) {
        if let Some(inbound) = self.listening_on_interrupts.get_mut(&channel) {
            inbound.pending = inbound.pending.saturating_sub(1);
        }
    }

    /// Records that the web layer ignored a window message by rule (for the observer only).
    pub fn ignore(&mut self, reason: IgnoreReason, now: Instant) {
        self.observe(now, Step::Ignored { reason });
    }

    /// Closes an interrupt channel this side listens on (the application dropped its receiver).
    pub fn close_interrupt(&mut self, channel: PortId, now: Instant) {
        if self.listening_on_interrupts.contains_key(&channel) {
            self.end_interrupt(channel, Some(Error::Closed), now);
        }
    }

    fn end_interrupt(&mut self, channel: PortId, error: Option<Error>, now: Instant) {
        if self.listening_on_interrupts.remove(&channel).is_some() {
            self.close_port(channel);
            self.observe(now, Step::InterruptClosed { channel });
            self.events.push_back(Event::InterruptEnded { channel, error });
        }
    }

    /// Emits an interrupt on a held interrupt port (the side that received it with a message).
    pub fn emit_interrupt(&mut self, via: PortId, payload: P, now: Instant) -> Result<(), Error> {
        if let Some(error) = self.closed_with() {
            return Err(error.clone());
        }
        match self.held_interrupts.get(&via).copied() {
            None if self.open_ports.contains(&via) => Err(Error::Closed),
            None => Err(Error::InterruptSpent),
            Some(kind) => {
                self.actions.push_back(Action::PostInterrupt { via, payload });
                self.observe(
                    now,
                    Step::Interrupt {
                        channel: via,
                        direction: Direction::Outgoing,
                    },
                );
                if kind == InterruptKind::OneTime {
                    self.held_interrupts.remove(&via);
                    self.close_port(via);
                    self.observe(now, Step::InterruptClosed { channel: via });
                }
                Ok(())
            }
        }
    }

    /// Gives up a held interrupt port (the application dropped its sender).
    pub fn release_interrupt(&mut self, via: PortId, now: Instant) {
        if self.held_interrupts.remove(&via).is_some() {
            self.close_port(via);
            self.observe(now, Step::InterruptClosed { channel: via });
        }
    }

    /// The knocker's third part: `👂`, after which the listener's first message is due.
    pub fn acknowledge(&mut self, now: Instant) -> Result<(), Error> {
        match self.state {
            State::Answered { reply_via } => {
                let on = self.allocate_port();
                self.actions.push_back(Action::Post {
                    via: reply_via,
                    reply_channel: on,
                    body: Body::Acknowledge,
                    interrupt: None,
                    send: None,
                });
                self.close_port(reply_via);
                self.timers.stop(Timer::Handshake);
                self.observe_message(now, Direction::Outgoing, MessageKind::Acknowledge);
                self.state = State::Connected(Turn::Theirs {
                    on,
                    waiter: Waiter::FirstMessage,
                    since: now,
                });
                if let Some(timeout) = self.timing.reply_timeout {
                    self.timers.set(Timer::Reply, now + timeout);
                }
                self.observe(now, Step::Handshake(HandshakeState::Connected));
                self.events.push_back(Event::Connected);
                Ok(())
            }
            State::Closed(ref error) => Err(error.clone()),
            _ => Err(Error::ProtocolViolation(Violation::OutOfTurn)),
        }
    }

    /// Queues `payload`; it is posted when it is this side's turn, FIFO. Its reply arrives as
    /// [`Event::Received`] with `Waiter::Send(id)`.
    pub fn send(&mut self, payload: P, interrupt: Option<InterruptKind>, now: Instant) -> Result<SendId, SendError<P>> {
        if let Some(error) = self.closed_with() {
            return Err(SendError {
                error: error.clone(),
                unsent: Some(payload),
            });
        }
        if self.queue.len() >= self.limits.max_queued_sends {
            return Err(SendError {
                error: Error::Overloaded(Overload::QueuedSends {
                    limit: self.limits.max_queued_sends,
                }),
                unsent: Some(payload),
            });
        }
        self.next_send += 1;
        let id = SendId(self.next_send);
        self.queue.push_back(Queued { id, payload, interrupt });
        self.pump(now);
        Ok(id)
    }

    /// Posts the next queued send if it is this side's turn.
    fn pump(&mut self, now: Instant) {
        let State::Connected(Turn::Ours { reply_via }) = self.state else {
            return;
        };
        let Some(next) = self.queue.pop_front() else { return };
        let on = self.allocate_port();
        let interrupt = next.interrupt.map(|kind| {
            let channel = self.allocate_port();
            self.listening_on_interrupts.insert(channel, Inbound::new(kind));
            (channel, kind)
        });
        self.actions.push_back(Action::Post {
            via: reply_via,
            reply_channel: on,
            body: Body::Message(next.payload),
            interrupt,
            send: Some(next.id),
        });
        self.close_port(reply_via);
        self.observe_message_with(now, Direction::Outgoing, MessageKind::Message, None, next.interrupt);
        if let Some((channel, kind)) = interrupt {
            self.observe(
                now,
                Step::InterruptOpened {
                    channel,
                    kind,
                    direction: Direction::Incoming,
                },
            );
        }
        self.state = State::Connected(Turn::Theirs {
            on,
            waiter: Waiter::Send(next.id),
            since: now,
        });
        if let Some(timeout) = self.timing.reply_timeout {
            self.timers.set(Timer::Reply, now + timeout);
        }
    }

    /// Fires every timer whose deadline is `<= now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.take_expired(now) {
            match timer {
                Timer::Handshake => {
                    let stage = match self.state {
                        State::AwaitingAcknowledgement { .. } => Stage::Acknowledgement,
                        _ => Stage::Handshake,
                    };
                    self.fail(Error::TimedOut(stage), now);
                }
                Timer::Reply => self.fail(Error::TimedOut(Stage::Reply), now),
                Timer::Knock => {
                    if matches!(self.state, State::Knocking { .. }) {
                        self.knock_all(now);
                    }
                }
            }
        }
    }

    /// Closes the session from this side ([`Error::Closed`]). Closing twice is harmless.
    pub fn close(&mut self, now: Instant) {
        self.fail(Error::Closed, now);
    }

    /// Ends the session with `error`: every wait fails, every port closes, listening stops.
    /// Does nothing when already closed (the first error is the one reported).
    pub fn fail(&mut self, error: Error, now: Instant) {
        if self.closed_with().is_some() {
            return;
        }
        let previous = std::mem::replace(&mut self.state, State::Closed(error.clone()));
        if matches!(previous, State::Listening) {
            // Only a listener that never accepted a knock still has its window listeners.
            self.actions.push_back(Action::StopListening);
        }
        if let State::Connected(Turn::Theirs { waiter, .. }) = previous {
            self.events.push_back(Event::Failed {
                waiter,
                error: error.clone(),
                unsent: None,
            });
        }
        while let Some(queued) = self.queue.pop_front() {
            self.events.push_back(Event::Failed {
                waiter: Waiter::Send(queued.id),
                error: error.clone(),
                unsent: Some(queued.payload),
            });
        }
        let channels: Vec<PortId> = self.listening_on_interrupts.keys().copied().collect();
        for channel in channels {
            self.end_interrupt(channel, Some(error.clone()), now);
        }
        // Held interrupt ports close below with every other port; the observer must hear it, as
        // it does on a release, or it would show these channels open for ever.
        for channel in std::mem::take(&mut self.held_interrupts).into_keys() {
            self.observe(now, Step::InterruptClosed { channel });
        }
        let ports: Vec<PortId> = self.open_ports.iter().copied().collect();
        ports.into_iter().for_each(|p| self.close_port(p));
        self.timers.stop_all();
        self.observe(now, Step::Failed(error.clone()));
        self.observe(now, Step::Handshake(HandshakeState::Closed));
        self.events.push_back(Event::Closed(error));
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
}
