//! An in-memory browser for two messenger cores: the model every native test runs against.
//!
//! Like quinn-proto's `Pair`, a [`Pair`] holds a knocker and a listener [`Connection`] and a
//! virtual clock, and plays the web layer and the browser for both: it performs their
//! [`Action`]s, hands what arrives back in through the `handle_*` inputs, and fires their timers.
//!
//! The browser it models:
//!
//! - A `MessageChannel` is two [`End`]s, each entangled with the other. Whoever holds an end may
//!   post on it; the message goes to whoever holds the other end at delivery time.
//! - An end is held by a core (under the [`PortId`] that core gave it), travels in a message
//!   ([`Holder::InTransit`]), belongs to script outside both messengers ([`Holder::Outsider`]), or
//!   is closed. A message for a closed end vanishes silently, and so does every port it carried,
//!   exactly as in a browser; so does a knock that reaches a listener whose page has not loaded
//!   yet ([`Pair::listener_up`]) or whose window listeners are gone ([`Action::StopListening`]).
//! - Ports that arrive in a message are named by the receiving core through
//!   [`Connection::register_port`] before the message is handed in, as the web layer does.
//! - Messages for the same destination arrive in the order they were posted; otherwise the
//!   browser may deliver in any order ([`Pair::deliver`]), though [`Pair::step`] takes the oldest.
//!
//! The model also checks the core's port hygiene as it goes, and panics (failing the test) when a
//! core posts on a port it does not hold, posts a reply on anything but a `$responsePort`, reuses a
//! port id, or closes a port that is not open (so every port is closed at most once); after every
//! input it checks that the core's count of open ports equals the model's.
#![allow(dead_code, unused_imports)] // every test file uses a different part of the model

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub use messenger::protocol::{
    gate, Action, Body, Connection, Event, HandshakeState, HandshakeStep, HeldInterrupt, IgnoreReason, Instant,
    KnockCheck, PortField, PortId, Role, Scalar, SendId, TargetId, Timer, Timers, Timing, Waiter, WireObject,
    ACKNOWLEDGE, CLOSE, KNOCK, LATE_FRACTION, LISTEN, VERSION, VERSION_NUMBER, VERSION_REASON,
};
pub use messenger::{
    CloseReason, Direction, Error, InterruptKind, Limits, MessageKind, Observation, SendError, Stage, Step, Violation,
};

/// The origin a listener in these tests is configured for.
pub fn listener_origin() -> messenger::Origin {
    messenger::Origin::parse("http://localhost:8080").expect("a valid origin")
}

/// A trusted window message from the expected window and origin: what the harness's knocker
/// sends (every window message of the model).
pub const EXPECTED_SENDER: gate::Sender<'static> = gate::Sender {
    trusted: true,
    expected_source: true,
    origin: Some("http://localhost:8080"),
};

/// The payload type of every test: distinct numbers make every message recognisable.
pub type Payload = u32;

/// One of the two sides of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The side that knocks (the host page in the demo).
    Knocker,
    /// The side that listens (the iframe in the demo).
    Listener,
}

impl Side {
    /// Both sides, knocker first.
    pub const BOTH: [Side; 2] = [Side::Knocker, Side::Listener];

    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::Knocker => Side::Listener,
            Side::Listener => Side::Knocker,
        }
    }
}

/// One end of a `MessageChannel`, named by the browser rather than by either core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct End(pub usize);

impl End {
    /// This end written into a [`WireObject`] in flight (see [`Data::Wire`]).
    pub fn wire(self) -> PortId {
        PortId::from_raw(self.0 as u64)
    }

    fn from_wire(id: PortId) -> End {
        End(id.raw() as usize)
    }
}

/// Who holds an [`End`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A core, under the id it gave the port.
    Side(Side, PortId),
    /// Transferred in a message that has not arrived yet.
    InTransit,
    /// Script outside both messengers: another window, or a forger in a test.
    Outsider,
    /// Closed, or lost with a dropped message: messages for it vanish.
    Closed,
}

/// What the web layer does with an end a core holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The kept end of a channel the core created (knock or reply channel): its messages go to
    /// [`Connection::handle_message`].
    Messages,
    /// The kept end of an interrupt channel: its messages go to [`Connection::handle_interrupt`].
    Interrupts,
    /// Arrived as `$responsePort`: the core posts its one reply on it.
    Reply,
    /// A [`Use::Reply`] port the core also listens on (`Action::WatchPort`), for a close notice
    /// from the peer: its messages go to [`Connection::handle_message`].
    WatchedReply,
    /// A [`Use::WatchedReply`] port the core posted its one message (or 👂) on and keeps open
    /// and watched, for a peer that takes close notices, until the peer's next message: a
    /// notice the peer posted before that message reached it comes here. Its messages go to
    /// [`Connection::handle_message`]; nothing may be posted on it again.
    Spent,
    /// Arrived as `$interruptPort`: the core emits interrupts on it.
    Emit,
    /// Arrived without a field referring to it.
    Stray,
}

#[derive(Debug)]
struct EndState {
    peer: End,
    holder: Holder,
    usage: Use,
}

/// What a message carries, as the structured clone algorithm would deliver it.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// An object. While in flight its port fields name browser [`End`]s (via [`End::wire`]); the
    /// receiving core names them anew when they arrive.
    Wire(WireObject<Payload>),
    /// A bare value: an interrupt's payload, or anything that is not an object.
    Value(Payload),
    /// A message that cannot be deserialised on arrival: `messageerror` fires instead.
    Undeserializable,
}

impl From<WireObject<Payload>> for Data {
    fn from(wire: WireObject<Payload>) -> Self {
        Data::Wire(wire)
    }
}

impl Data {
    fn carried(&self) -> Vec<End> {
        match self {
            Data::Wire(wire) => wire.ports().map(End::from_wire).collect(),
            Data::Value(_) | Data::Undeserializable => Vec::new(),
        }
    }
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// A knock target's window: target 0 is the listener's, any other is a stranger's.
    Window(TargetId),
    /// Whoever holds this end at delivery.
    End(End),
}

/// A message the browser has accepted and not yet delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// Where it goes.
    pub to: Dest,
    /// What it says.
    pub data: Data,
}

/// A knock on target 0 reaches the listener; other targets are windows of strangers.
pub const LISTENER_WINDOW: TargetId = TargetId(0);

/// One side: its core, what it said to its application and observer, and the ports it holds.
#[derive(Debug)]
pub struct Peer {
    /// Which side this is.
    pub side: Side,
    /// The protocol core.
    pub core: Connection<Payload>,
    /// Every event the core emitted, in order.
    pub events: Vec<Event<Payload>>,
    /// Every observation the core emitted, in order.
    pub observations: Vec<Observation>,
    /// Every action the model performed for the core, in order.
    pub performed: Vec<Action<Payload>>,
    /// The temporary window listeners are installed (only ever true for the listener).
    pub window_listening: bool,
    /// The interrupt channel each send opened, learnt from its `Action::Post`.
    pub interrupt_channels: BTreeMap<SendId, PortId>,
    /// Every port id the core ever used, and the end it named.
    ports: BTreeMap<PortId, End>,
    /// The ports it holds open now.
    open: BTreeSet<PortId>,
}

impl Peer {
    fn new(side: Side, core: Connection<Payload>) -> Self {
        Peer {
            side,
            core,
            events: Vec::new(),
            observations: Vec::new(),
            performed: Vec::new(),
            window_listening: side == Side::Listener,
            interrupt_channels: BTreeMap::new(),
            ports: BTreeMap::new(),
            open: BTreeSet::new(),
        }
    }

    /// Drains the recorded events.
    pub fn take_events(&mut self) -> Vec<Event<Payload>> {
        std::mem::take(&mut self.events)
    }

    /// Clears every log (events, observations, actions), e.g. after the handshake.
    pub fn clear_logs(&mut self) {
        self.events.clear();
        self.observations.clear();
        self.performed.clear();
    }

    /// The payloads of every `Event::Received`, in order.
    pub fn received(&self) -> Vec<Payload> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Received { message, .. } => Some(*message),
                _ => None,
            })
            .collect()
    }

    /// The payloads this side received as replies, with the wait they answered.
    pub fn replies(&self) -> Vec<(Waiter, Payload)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Received { waiter, message, .. } => Some((*waiter, *message)),
                _ => None,
            })
            .collect()
    }

    /// Every `Event::Failed`, as (waiter, error, unsent).
    pub fn failures(&self) -> Vec<(Waiter, Error, Option<Payload>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Failed { waiter, error, unsent } => Some((*waiter, error.clone(), *unsent)),
                _ => None,
            })
            .collect()
    }

    /// Every interrupt port that rode along with a received message.
    pub fn held_interrupts(&self) -> Vec<HeldInterrupt> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Received { interrupt, .. } => *interrupt,
                _ => None,
            })
            .collect()
    }

    /// The payloads that arrived on interrupt channel `channel`, in order.
    pub fn interrupts_on(&self, channel: PortId) -> Vec<Payload> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Interrupt {
                    channel: c, payload, ..
                } if *c == channel => Some(*payload),
                _ => None,
            })
            .collect()
    }

    /// The `Event::InterruptEnded` errors for `channel`.
    pub fn interrupt_endings(&self, channel: PortId) -> Vec<Option<Error>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::InterruptEnded { channel: c, error } if *c == channel => Some(error.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every `Step::Message` observed, as (direction, kind, generation).
    pub fn messages_observed(&self) -> Vec<(Direction, MessageKind, u64)> {
        self.observations
            .iter()
            .filter_map(|o| match o.step {
                Step::Message {
                    direction,
                    kind,
                    generation,
                    ..
                } => Some((direction, kind, generation)),
                _ => None,
            })
            .collect()
    }

    /// Every `Step::Handshake` state observed, in order.
    pub fn handshake_states(&self) -> Vec<HandshakeState> {
        self.observations
            .iter()
            .filter_map(|o| match o.step {
                Step::Handshake(state) => Some(state),
                _ => None,
            })
            .collect()
    }

    /// The ports it holds open now, as the model sees them.
    pub fn open_ports(&self) -> Vec<PortId> {
        self.open.iter().copied().collect()
    }

    /// The ports it closed, in order.
    pub fn closed_ports(&self) -> Vec<PortId> {
        self.performed
            .iter()
            .filter_map(|a| match a {
                Action::ClosePort(id) => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// The close notices it posted, as (port, `$reason`), in order.
    pub fn notices_posted(&self) -> Vec<(PortId, &'static str)> {
        self.performed
            .iter()
            .filter_map(|a| match a {
                Action::PostCloseNotice { via, reason } => Some((*via, *reason)),
                _ => None,
            })
            .collect()
    }

    /// The ports it watched for a close notice (`Action::WatchPort`), in order.
    pub fn watched_ports(&self) -> Vec<PortId> {
        self.performed
            .iter()
            .filter_map(|a| match a {
                Action::WatchPort(id) => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// How many `StopListening` actions it performed.
    pub fn stop_listening_count(&self) -> usize {
        self.performed
            .iter()
            .filter(|a| matches!(a, Action::StopListening))
            .count()
    }

    /// The channel ids of the knocks it sent, in order.
    pub fn knock_channels(&self) -> Vec<(TargetId, PortId)> {
        self.performed
            .iter()
            .filter_map(|a| match a {
                Action::Knock { target, channel } => Some((*target, *channel)),
                _ => None,
            })
            .collect()
    }
}

/// Two cores, a virtual clock and the browser between them.
#[derive(Debug)]
pub struct Pair {
    /// The virtual clock.
    pub now: Instant,
    /// The knocking side.
    pub knocker: Peer,
    /// The listening side.
    pub listener: Peer,
    /// The listener's page has loaded and installed its window listeners; while false, knocks
    /// reaching its window are lost without a trace.
    pub listener_up: bool,
    /// Acknowledge as soon as the knocker hears `Event::Answered`, as the web layer's connect does.
    pub auto_acknowledge: bool,
    /// Messages the browser dropped: for a closed end, or for a window nobody listens on.
    pub dropped: Vec<Packet>,
    /// Messages that reached a port no listener was started on (a core bug if it ever happens).
    pub unheard: Vec<Packet>,
    /// Messages that reached script outside both messengers (strangers' windows, forged ends).
    pub outsider_inbox: Vec<Packet>,
    /// How the listener classified every window message it was handed.
    pub knock_checks: Vec<KnockCheck>,
    /// The side that is a version-1 peer without the close-notice and binary extensions, if any:
    /// its web layer neither writes `$closeNotice` and `$binary` on its knocks and answers nor
    /// reads them on the peer's (its core never learns that the peer takes notices or bytes as
    /// buffers), and it never posts a close notice
    /// or watches a reply port (the model panics if its core asks to).
    pub v1_peer: Option<Side>,
    /// The side whose page cannot run (its main thread is blocked, or the page is frozen): the
    /// browser delivers nothing to it and its timers do not fire, while the clock goes on.
    /// Set with [`Pair::block`]; ended with [`Pair::resume_timers_first`] or
    /// [`Pair::resume_messages_first`], the two orders in which a page that runs again may take
    /// its late timer and its queued messages.
    pub blocked: Option<Side>,
    ends: Vec<EndState>,
    in_flight: Vec<Packet>,
}

impl Pair {
    /// A knocker with one target and a listener, both created now (at time zero).
    pub fn new(timing: Timing) -> Self {
        Pair::with_targets(timing, 1)
    }

    /// A knocker that knocks on `targets` targets; only target 0 is the listener.
    pub fn with_targets(timing: Timing, targets: usize) -> Self {
        Pair::build(timing, timing, targets, None)
    }

    /// A knocker and a listener with timings of their own (e.g. handshake timeouts that differ).
    pub fn with_timings(knocker: Timing, listener: Timing) -> Self {
        Pair::build(knocker, listener, 1, None)
    }

    /// A knocker with one target and a listener, `v1_peer` a version-1 peer that does not
    /// announce (or understand) close notices: see [`Pair::v1_peer`].
    pub fn with_v1_peer(timing: Timing, v1_peer: Side) -> Self {
        Pair::build(timing, timing, 1, Some(v1_peer))
    }

    /// [`Pair::connected`] with `v1_peer` a version-1 peer: see [`Pair::v1_peer`].
    pub fn connected_with_v1_peer(timing: Timing, v1_peer: Side) -> Self {
        Pair::handshake_done(Pair::with_v1_peer(timing, v1_peer))
    }

    fn build(timing: Timing, listener_timing: Timing, targets: usize, v1_peer: Option<Side>) -> Self {
        let now = Instant::default();
        let mut pair = Pair {
            now,
            knocker: Peer::new(
                Side::Knocker,
                Connection::knocker(timing, Limits::DEFAULT, targets, now),
            ),
            listener: Peer::new(
                Side::Listener,
                Connection::listener(listener_timing, Limits::DEFAULT, now),
            ),
            listener_up: true,
            auto_acknowledge: false,
            dropped: Vec::new(),
            unheard: Vec::new(),
            outsider_inbox: Vec::new(),
            knock_checks: Vec::new(),
            v1_peer,
            blocked: None,
            ends: Vec::new(),
            in_flight: Vec::new(),
        };
        pair.pump();
        pair
    }

    /// A pair that completed the handshake, with every log cleared.
    pub fn connected(timing: Timing) -> Self {
        Pair::handshake_done(Pair::new(timing))
    }

    fn handshake_done(mut pair: Pair) -> Self {
        pair.auto_acknowledge = true;
        pair.drive();
        for side in Side::BOTH {
            assert_eq!(
                pair.peer(side).core.handshake_state(),
                HandshakeState::Connected,
                "{side:?}"
            );
            pair.peer_mut(side).clear_logs();
        }
        pair
    }

    /// One side.
    pub fn peer(&self, side: Side) -> &Peer {
        match side {
            Side::Knocker => &self.knocker,
            Side::Listener => &self.listener,
        }
    }

    /// One side, mutably.
    pub fn peer_mut(&mut self, side: Side) -> &mut Peer {
        match side {
            Side::Knocker => &mut self.knocker,
            Side::Listener => &mut self.listener,
        }
    }

    // --- application commands -------------------------------------------------------------

    /// Sends `payload` from `side`; panics if the core refuses.
    pub fn send(&mut self, side: Side, payload: Payload) -> SendId {
        self.try_send(side, payload, None).expect("the session is open")
    }

    /// Sends `payload` from `side` with an interrupt channel riding along.
    pub fn send_with_interrupt(&mut self, side: Side, payload: Payload, kind: InterruptKind) -> SendId {
        self.try_send(side, payload, Some(kind)).expect("the session is open")
    }

    /// Sends `payload` from `side`, returning the core's answer.
    pub fn try_send(
        &mut self,
        side: Side,
        payload: Payload,
        interrupt: Option<InterruptKind>,
    ) -> Result<SendId, SendError<Payload>> {
        let now = self.now;
        let result = self.peer_mut(side).core.send(payload, interrupt, now);
        self.pump();
        result
    }

    /// Emits an interrupt from `side` on its held interrupt port `via`.
    pub fn emit(&mut self, side: Side, via: PortId, payload: Payload) -> Result<(), Error> {
        let now = self.now;
        let result = self.peer_mut(side).core.emit_interrupt(via, payload, now);
        self.pump();
        result
    }

    /// The knocker acknowledges the listener's answer.
    pub fn acknowledge(&mut self) -> Result<(), Error> {
        let result = self.knocker.core.acknowledge(self.now);
        self.pump();
        result
    }

    /// Closes `side`.
    pub fn close(&mut self, side: Side) {
        let now = self.now;
        self.peer_mut(side).core.close(now);
        self.pump();
    }

    /// `side` stops listening on interrupt channel `channel`.
    pub fn close_interrupt(&mut self, side: Side, channel: PortId) {
        let now = self.now;
        self.peer_mut(side).core.close_interrupt(channel, now);
        self.pump();
    }

    /// `side` gives up its held interrupt port `via`.
    pub fn release_interrupt(&mut self, side: Side, via: PortId) {
        let now = self.now;
        self.peer_mut(side).core.release_interrupt(via, now);
        self.pump();
    }

    // --- the browser ----------------------------------------------------------------------

    /// Performs every pending action of both cores and records their events and observations.
    /// Delivers nothing.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            let mut answered = false;
            for side in Side::BOTH {
                while let Some(action) = self.peer_mut(side).core.poll_action() {
                    self.perform(side, action);
                    progressed = true;
                }
                let peer = self.peer_mut(side);
                while let Some(event) = peer.core.poll_event() {
                    answered |= event == Event::Answered;
                    peer.events.push(event);
                    progressed = true;
                }
                while let Some(observation) = peer.core.poll_observation() {
                    peer.observations.push(observation);
                }
            }
            if answered && self.auto_acknowledge {
                self.knocker
                    .core
                    .acknowledge(self.now)
                    .expect("answered, so the acknowledgement is due");
            }
            if !progressed {
                break;
            }
        }
        for side in Side::BOTH {
            let peer = self.peer(side);
            assert_eq!(
                peer.open.len(),
                peer.core.open_port_count(),
                "{side:?}: the model holds {:?} open",
                peer.open
            );
        }
    }

    /// The messages in flight, oldest first.
    pub fn in_flight(&self) -> &[Packet] {
        &self.in_flight
    }

    /// Indices (into [`Pair::in_flight`]) of the messages the browser may deliver next: the
    /// oldest one for each destination whose end has landed somewhere.
    pub fn deliverable(&self) -> Vec<usize> {
        let mut seen = Vec::new();
        let mut ready = Vec::new();
        for (index, packet) in self.in_flight.iter().enumerate() {
            if seen.contains(&packet.to) {
                continue;
            }
            seen.push(packet.to);
            let landed = match packet.to {
                Dest::Window(_) => true,
                Dest::End(end) => self.ends[end.0].holder != Holder::InTransit,
            };
            if landed && !self.is_for_blocked(packet.to) {
                ready.push(index);
            }
        }
        ready
    }

    /// Delivers the oldest deliverable message; false when there is none.
    pub fn step(&mut self) -> bool {
        self.pump();
        match self.deliverable().first() {
            Some(&index) => {
                self.deliver(index);
                true
            }
            None => false,
        }
    }

    /// Steps until nothing is left to deliver.
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the pair never went quiet");
    }

    /// Delivers message `index` of [`Pair::in_flight`] (which must be deliverable) and performs
    /// what follows.
    pub fn deliver(&mut self, index: usize) {
        assert!(
            self.deliverable().contains(&index),
            "message {index} cannot be delivered yet"
        );
        let packet = self.in_flight.remove(index);
        let now = self.now;
        match packet.to {
            Dest::Window(LISTENER_WINDOW) => {
                if !(self.listener_up && self.listener.window_listening) {
                    return self.drop_packet(packet);
                }
                match packet.data {
                    // Through the gate, as the web layer's knock listener does; the harness's
                    // window messages come from the expected window and origin.
                    Data::Wire(wire) => {
                        let wire = self.land_ports(Side::Listener, wire);
                        let admission = gate::admit(&EXPECTED_SENDER, &listener_origin(), || wire);
                        let check = self.listener.core.handle_knock(admission, now);
                        self.knock_checks.push(check);
                    }
                    // The web layer reads a non-object as an object-less wire object.
                    Data::Value(_) => {
                        let admission = gate::admit(&EXPECTED_SENDER, &listener_origin(), WireObject::default);
                        let check = self.listener.core.handle_knock(admission, now);
                        self.knock_checks.push(check);
                    }
                    Data::Undeserializable => self.listener.core.ignore(IgnoreReason::Undeserializable, now),
                }
            }
            Dest::Window(_) => self.deliver_to_outsider(packet),
            Dest::End(end) => match self.ends[end.0].holder {
                Holder::Closed => self.drop_packet(packet),
                Holder::InTransit => unreachable!("deliverable() skips ends in transit"),
                Holder::Outsider => self.deliver_to_outsider(packet),
                Holder::Side(side, id) => match (self.ends[end.0].usage, packet.data.clone()) {
                    (Use::Messages | Use::WatchedReply | Use::Spent, Data::Wire(wire)) => {
                        let wire = self.land_ports(side, wire);
                        self.peer_mut(side).core.handle_message(id, wire, now);
                    }
                    (Use::Messages | Use::WatchedReply | Use::Spent, Data::Value(_)) => {
                        self.peer_mut(side).core.handle_message(id, WireObject::default(), now);
                    }
                    (Use::Messages | Use::WatchedReply | Use::Spent | Use::Interrupts, Data::Undeserializable) => {
                        self.peer_mut(side).core.handle_message_error(id, now);
                    }
                    (Use::Interrupts, Data::Value(payload)) => {
                        self.peer_mut(side).core.handle_interrupt(id, payload, 0, now);
                    }
                    // An object on an interrupt port, or anything on a port that was never
                    // started: nobody hears it, and the ports it carried are lost.
                    _ => {
                        self.lose_ports(&packet.data);
                        self.unheard.push(packet);
                    }
                },
            },
        }
        self.pump();
    }

    /// Message `index` of [`Pair::in_flight`] never arrives (the receiving page navigated away);
    /// the ports it carried are lost with it.
    pub fn lose(&mut self, index: usize) -> Packet {
        let packet = self.in_flight.remove(index);
        self.drop_packet(packet.clone());
        packet
    }

    /// Lets `duration` pass, firing every timer when it is due; the browser delivers everything
    /// as soon as it is posted.
    pub fn advance(&mut self, duration: Duration) {
        self.advance_with(duration, true);
    }

    /// Lets `duration` pass, firing every timer when it is due, while the browser delivers
    /// nothing (the receiving pages are busy): messages pile up in flight.
    pub fn advance_undelivered(&mut self, duration: Duration) {
        self.advance_with(duration, false);
    }

    fn advance_with(&mut self, duration: Duration, deliver: bool) {
        let end = self.now + duration;
        self.settle(deliver);
        loop {
            let next = Side::BOTH
                .iter()
                .filter(|s| self.blocked != Some(**s))
                .filter_map(|s| self.peer(*s).core.poll_timeout())
                .min();
            let Some(deadline) = next.filter(|d| *d <= end) else {
                break;
            };
            assert!(
                deadline >= self.now,
                "a deadline in the past: {deadline:?} < {:?}",
                self.now
            );
            self.now = deadline;
            let running: Vec<Side> = Side::BOTH.into_iter().filter(|s| self.blocked != Some(*s)).collect();
            for side in running {
                let now = self.now;
                let core = &mut self.peer_mut(side).core;
                if core.poll_timeout().is_some_and(|d| d <= now) {
                    core.handle_timeout(now);
                    assert!(
                        core.poll_timeout().is_none_or(|d| d > now),
                        "{side:?} still has a timer due after handle_timeout"
                    );
                }
            }
            self.settle(deliver);
        }
        self.now = end;
    }

    /// From now on `side`'s page cannot run (see [`Pair::blocked`]).
    pub fn block(&mut self, side: Side) {
        assert_eq!(self.blocked, None, "one side at a time");
        self.blocked = Some(side);
    }

    /// `side`'s page runs again and its late timers are handled first (`handle_timeout` at the
    /// late instant), then the messages queued for it, in order.
    pub fn resume_timers_first(&mut self, side: Side) {
        assert_eq!(self.blocked, Some(side), "{side:?} was not blocked");
        self.blocked = None;
        self.fire_due(side);
        self.drive();
    }

    /// `side`'s page runs again and the messages queued for it are handled first, then its late
    /// timers.
    pub fn resume_messages_first(&mut self, side: Side) {
        assert_eq!(self.blocked, Some(side), "{side:?} was not blocked");
        self.blocked = None;
        self.drive();
        self.fire_due(side);
        self.drive();
    }

    /// Fires `side`'s timers that are due now.
    fn fire_due(&mut self, side: Side) {
        let now = self.now;
        let core = &mut self.peer_mut(side).core;
        if core.poll_timeout().is_some_and(|d| d <= now) {
            core.handle_timeout(now);
            assert!(
                core.poll_timeout().is_none_or(|d| d > now),
                "{side:?} still has a timer due after handle_timeout"
            );
        }
        self.pump();
    }

    /// Whether a message for `to` would reach the blocked side.
    fn is_for_blocked(&self, to: Dest) -> bool {
        let Some(blocked) = self.blocked else { return false };
        match to {
            Dest::Window(target) => target == LISTENER_WINDOW && blocked == Side::Listener,
            Dest::End(end) => matches!(self.ends[end.0].holder, Holder::Side(side, _) if side == blocked),
        }
    }

    fn settle(&mut self, deliver: bool) {
        if deliver {
            self.drive();
        } else {
            self.pump();
        }
    }

    // --- misbehaviour and strangers -------------------------------------------------------

    /// A channel whose two ends are held by script outside both messengers: (kept, given).
    pub fn outsider_channel(&mut self) -> (End, End) {
        let (a, b) = self.channel();
        self.ends[a.0].holder = Holder::Outsider;
        self.ends[b.0].holder = Holder::Outsider;
        (a, b)
    }

    /// `side`'s page posts `data` on port `via` behind its core's back (a buggy or hostile peer).
    /// Posting on a port that is closed does nothing, as in a browser. Ports in `data` must be
    /// outsider ends.
    pub fn forge(&mut self, side: Side, via: PortId, data: Data) {
        let Some(&end) = self.peer(side).ports.get(&via) else {
            panic!("{side:?} never held {via:?}")
        };
        if self.peer(side).open.contains(&via) {
            self.post(end, data);
        }
    }

    /// Script outside both messengers posts `data` on the outsider end `via`.
    pub fn post_from_outsider(&mut self, via: End, data: Data) {
        assert_eq!(
            self.ends[via.0].holder,
            Holder::Outsider,
            "{via:?} is not the outsider's"
        );
        self.post(via, data);
    }

    /// A same-origin window message reaches the listener's window (it passed the web layer's
    /// origin, source and trust checks).
    pub fn post_window(&mut self, data: Data) {
        self.transmit(Dest::Window(LISTENER_WINDOW), data);
    }

    /// Hands `wire` straight to `side`'s core as if it arrived on `on`, past the browser: what a
    /// web layer would do with an event that was queued before the port was closed. Ports in
    /// `wire` must be outsider ends.
    pub fn hand_in(&mut self, side: Side, on: PortId, wire: WireObject<Payload>) {
        for end in Data::Wire(wire.clone()).carried() {
            assert_eq!(
                self.ends[end.0].holder,
                Holder::Outsider,
                "{end:?} is not the outsider's"
            );
            self.ends[end.0].holder = Holder::InTransit;
        }
        let wire = self.land_ports(side, wire);
        let now = self.now;
        self.peer_mut(side).core.handle_message(on, wire, now);
        self.pump();
    }

    /// The port `side` holds as its current `$responsePort`: where its next message goes.
    pub fn reply_port(&self, side: Side) -> Option<PortId> {
        let peer = self.peer(side);
        let mut ports = peer
            .open
            .iter()
            .filter(|id| matches!(self.ends[peer.ports[id].0].usage, Use::Reply | Use::WatchedReply));
        let port = ports.next().copied();
        assert!(ports.next().is_none(), "{side:?} holds more than one response port");
        port
    }

    /// Where the port `side` calls `id` leads: the side and id holding the other end, if a core
    /// ever held it.
    pub fn counterpart(&self, side: Side, id: PortId) -> Option<(Side, PortId)> {
        let end = *self.peer(side).ports.get(&id)?;
        let other = self.ends[end.0].peer;
        Side::BOTH.into_iter().find_map(|s| {
            self.peer(s)
                .ports
                .iter()
                .find(|(_, e)| **e == other)
                .map(|(id, _)| (s, *id))
        })
    }

    /// Whether `side` listens on `id`, a port it holds to reply on, for a close notice
    /// (`Action::WatchPort`).
    pub fn is_watched(&self, side: Side, id: PortId) -> bool {
        let end = self.peer(side).ports[&id];
        self.ends[end.0].usage == Use::WatchedReply
    }

    /// Whether `side` keeps `id`, a port it already posted on, open and watched for a close
    /// notice that crossed its message ([`Use::Spent`]).
    pub fn is_spent(&self, side: Side, id: PortId) -> bool {
        let end = self.peer(side).ports[&id];
        self.peer(side).open.contains(&id) && self.ends[end.0].usage == Use::Spent
    }

    /// The ports `side` holds open as [`Use::Spent`].
    pub fn spent_ports(&self, side: Side) -> Vec<PortId> {
        let peer = self.peer(side);
        peer.open
            .iter()
            .filter(|id| self.ends[peer.ports[id].0].usage == Use::Spent)
            .copied()
            .collect()
    }

    /// Whether the end `side` calls `id` is open.
    pub fn is_open(&self, side: Side, id: PortId) -> bool {
        self.peer(side).open.contains(&id)
    }

    // --- the model's inner workings -------------------------------------------------------

    fn channel(&mut self) -> (End, End) {
        let (a, b) = (End(self.ends.len()), End(self.ends.len() + 1));
        self.ends.push(EndState {
            peer: b,
            holder: Holder::InTransit,
            usage: Use::Stray,
        });
        self.ends.push(EndState {
            peer: a,
            holder: Holder::InTransit,
            usage: Use::Stray,
        });
        (a, b)
    }

    /// `side`'s core takes `end` under the fresh id `id`.
    fn hold(&mut self, side: Side, id: PortId, end: End, usage: Use) {
        let peer = self.peer_mut(side);
        assert!(peer.ports.insert(id, end).is_none(), "{side:?} reused port id {id:?}");
        peer.open.insert(id);
        self.ends[end.0].holder = Holder::Side(side, id);
        self.ends[end.0].usage = usage;
    }

    /// The end `side` holds as `id`, which must be open and of the given use.
    fn expect_open(&self, side: Side, id: PortId, usage: Use) -> End {
        let peer = self.peer(side);
        assert!(peer.open.contains(&id), "{side:?} posts on {id:?}, which is not open");
        let end = peer.ports[&id];
        let found = self.ends[end.0].usage;
        assert!(
            found == usage || (usage == Use::Reply && found == Use::WatchedReply),
            "{side:?} posts on {id:?}, a {found:?} port, where a {usage:?} port is due"
        );
        end
    }

    /// Names every port of an arriving object on the receiving side, as the web layer does.
    fn land_ports(&mut self, side: Side, mut wire: WireObject<Payload>) -> WireObject<Payload> {
        if self.v1_peer == Some(side) {
            // A version-1 web layer does not read the extensions.
            wire.close_notice = false;
            wire.binary = false;
        }
        if let PortField::Port(id) = wire.response_port {
            wire.response_port = PortField::Port(self.land(side, End::from_wire(id), Use::Reply));
        }
        if let PortField::Port(id) = wire.interrupt_port {
            wire.interrupt_port = PortField::Port(self.land(side, End::from_wire(id), Use::Emit));
        }
        let strays = std::mem::take(&mut wire.stray_ports);
        wire.stray_ports = strays
            .into_iter()
            .map(|id| self.land(side, End::from_wire(id), Use::Stray))
            .collect();
        wire
    }

    fn land(&mut self, side: Side, end: End, usage: Use) -> PortId {
        assert_eq!(self.ends[end.0].holder, Holder::InTransit, "{end:?} arrives twice");
        let id = self.peer_mut(side).core.register_port();
        self.hold(side, id, end, usage);
        id
    }

    /// Posts `data` on `from`: it goes to whoever holds the other end at delivery.
    fn post(&mut self, from: End, data: Data) {
        let to = self.ends[from.0].peer;
        self.transmit(Dest::End(to), data);
    }

    fn transmit(&mut self, to: Dest, data: Data) {
        for end in data.carried() {
            let holder = self.ends[end.0].holder;
            assert!(
                matches!(holder, Holder::InTransit | Holder::Outsider),
                "a port held as {holder:?} is transferred"
            );
            self.ends[end.0].holder = Holder::InTransit;
        }
        self.in_flight.push(Packet { to, data });
    }

    fn drop_packet(&mut self, packet: Packet) {
        self.lose_ports(&packet.data);
        self.dropped.push(packet);
    }

    /// The ports a vanished message carried are gone with it.
    fn lose_ports(&mut self, data: &Data) {
        for end in data.carried() {
            self.ends[end.0].holder = Holder::Closed;
        }
    }

    fn deliver_to_outsider(&mut self, packet: Packet) {
        for end in packet.data.carried() {
            self.ends[end.0].holder = Holder::Outsider;
        }
        self.outsider_inbox.push(packet);
    }

    fn perform(&mut self, side: Side, action: Action<Payload>) {
        self.peer_mut(side).performed.push(action.clone());
        match action {
            Action::Knock { target, channel } => {
                assert_eq!(side, Side::Knocker, "only the knocker knocks");
                let (kept, given) = self.channel();
                self.hold(side, channel, kept, Use::Messages);
                let knock = WireObject {
                    close_notice: self.v1_peer != Some(side),
                    binary: self.v1_peer != Some(side),
                    ..WireObject::handshake(KNOCK, Some(VERSION), given.wire())
                };
                self.transmit(Dest::Window(target), Data::Wire(knock));
            }
            Action::Post {
                via,
                reply_channel,
                body,
                interrupt,
                send,
            } => {
                let via = self.expect_open(side, via, Use::Reply);
                let (kept, given) = self.channel();
                self.hold(side, reply_channel, kept, Use::Messages);
                let interrupt = interrupt.map(|(channel, kind)| {
                    let (kept, given) = self.channel();
                    self.hold(side, channel, kept, Use::Interrupts);
                    let send = send.expect("an interrupt channel rides along with a send");
                    self.peer_mut(side).interrupt_channels.insert(send, channel);
                    HeldInterrupt {
                        port: given.wire(),
                        kind,
                    }
                });
                let wire = match body {
                    Body::Listen => WireObject {
                        close_notice: self.v1_peer != Some(side),
                        binary: self.v1_peer != Some(side),
                        ..WireObject::handshake(LISTEN, Some(VERSION), given.wire())
                    },
                    // `$raw: true` is not modelled: receivers ignore it.
                    Body::Acknowledge => WireObject::handshake(ACKNOWLEDGE, None, given.wire()),
                    Body::Message(payload) => WireObject::message(payload, given.wire(), interrupt),
                };
                assert!(
                    interrupt.is_none() || wire.message.is_some(),
                    "an interrupt port rides only on application messages"
                );
                self.post(via, Data::Wire(wire));
                // One message per port: if the core keeps `via` open (it closes it at once for a
                // version-1 peer), it only listens there, for a crossing close notice.
                self.ends[via.0].usage = Use::Spent;
            }
            Action::PostInterrupt { via, payload } => {
                let via = self.expect_open(side, via, Use::Emit);
                self.post(via, Data::Value(payload));
            }
            Action::ClosePort(id) => {
                let peer = self.peer_mut(side);
                assert!(peer.open.remove(&id), "{side:?} closes {id:?}, which is not open");
                let end = peer.ports[&id];
                self.ends[end.0].holder = Holder::Closed;
            }
            Action::StopListening => self.peer_mut(side).window_listening = false,
            Action::PostCloseNotice { via, reason } => {
                assert_ne!(
                    self.v1_peer,
                    Some(side),
                    "a version-1 peer posts no close notice ({reason:?} on {via:?})"
                );
                let peer = self.peer(side);
                assert!(
                    peer.open.contains(&via),
                    "{side:?} posts a notice on {via:?}, which is not open"
                );
                let end = peer.ports[&via];
                assert!(
                    matches!(self.ends[end.0].usage, Use::Messages | Use::Reply | Use::WatchedReply),
                    "a close notice goes on a channel of the conversation"
                );
                self.post(end, Data::Wire(WireObject::close_notice(reason)));
            }
            Action::WatchPort(id) => {
                assert_ne!(self.v1_peer, Some(side), "a version-1 peer watches no reply port");
                let end = self.expect_open(side, id, Use::Reply);
                self.ends[end.0].usage = Use::WatchedReply;
            }
        }
    }
}

// --- wire objects a test can forge (ports are outsider ends) ---------------------------------

/// `{ $type: "👋", $version: 1, $responsePort }`.
pub fn knock(port: End) -> WireObject<Payload> {
    WireObject::handshake(KNOCK, Some(VERSION), port.wire())
}

/// `{ $type: "🤝", $version: 1, $responsePort }`.
pub fn listen(port: End) -> WireObject<Payload> {
    WireObject::handshake(LISTEN, Some(VERSION), port.wire())
}

/// `{ $type: "👂", $raw: true, $responsePort }`.
pub fn acknowledgement(port: End) -> WireObject<Payload> {
    WireObject::handshake(ACKNOWLEDGE, None, port.wire())
}

/// `{ message, $responsePort }`.
pub fn message(payload: Payload, port: End) -> WireObject<Payload> {
    WireObject::message(payload, port.wire(), None)
}

/// Milliseconds.
pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// The core's default timing with every knock interval the steady one (no fast first knocks):
/// the timing these tests were written for, whose knock rounds fall on multiples of
/// `knock_interval`.
pub fn steady() -> Timing {
    Timing {
        first_knock_interval: None,
        ..Timing::default()
    }
}

/// Timing for tests: [`steady`] with a reply timeout.
pub fn timing() -> Timing {
    Timing {
        reply_timeout: Some(ms(1_000)),
        ..steady()
    }
}

/// Asserts that `side` is closed with `error`, reported it once as the last event, holds no port
/// and has no timer.
pub fn assert_closed_cleanly(pair: &Pair, side: Side, error: &Error) {
    let peer = pair.peer(side);
    assert_eq!(peer.core.closed_with(), Some(error), "{side:?} closed with");
    assert_eq!(peer.core.handshake_state(), HandshakeState::Closed);
    let closes = peer.events.iter().filter(|e| matches!(e, Event::Closed(_))).count();
    assert_eq!(closes, 1, "{side:?} reports its end once: {:?}", peer.events);
    assert_eq!(
        peer.events.last(),
        Some(&Event::Closed(error.clone())),
        "{side:?}: Closed is the last event"
    );
    assert_eq!(peer.open_ports(), Vec::<PortId>::new(), "{side:?} left ports open");
    assert_eq!(peer.core.open_port_count(), 0);
    assert_eq!(peer.core.poll_timeout(), None, "{side:?} left a timer armed");
    assert!(!peer.window_listening, "{side:?} still listens on its window");
}

/// A connected pair in which the knocker (the host) sent a message with an interrupt channel of
/// `kind` and the listener (the remote) received it: returns the pair, the knocker's channel and
/// the listener's port to emit on.
pub fn host_asks_for_interrupts(kind: InterruptKind) -> (Pair, PortId, PortId) {
    host_asks_for_interrupts_with(kind, timing())
}

/// [`host_asks_for_interrupts`] with other timing.
pub fn host_asks_for_interrupts_with(kind: InterruptKind, timing: Timing) -> (Pair, PortId, PortId) {
    host_asks_for_interrupts_v1(kind, timing, None)
}

/// [`host_asks_for_interrupts_with`], `v1` a version-1 peer (see [`Pair::v1_peer`]).
pub fn host_asks_for_interrupts_v1(kind: InterruptKind, timing: Timing, v1: Option<Side>) -> (Pair, PortId, PortId) {
    let mut pair = match v1 {
        None => Pair::connected(timing),
        Some(side) => Pair::connected_with_v1_peer(timing, side),
    };
    pair.send(Side::Listener, 1);
    pair.drive();
    let send = pair.send_with_interrupt(Side::Knocker, 2, kind);
    pair.drive();
    let channel = pair.knocker.interrupt_channels[&send];
    let [held] = pair.listener.held_interrupts()[..] else {
        panic!("one interrupt port arrived")
    };
    assert_eq!(held.kind, kind);
    assert_eq!(
        pair.counterpart(Side::Listener, held.port),
        Some((Side::Knocker, channel))
    );
    (pair, channel, held.port)
}
