//! Drives one `messenger::protocol::Connection<u32>` (knocker or listener) with an arbitrary
//! sequence of inputs, playing its web layer, the browser and the peer at once, and checks the
//! core's outputs after every single step.
//!
//! Inputs: window messages (`gate::admit`, then `handle_knock`), port messages (`handle_message`), `messageerror`s,
//! interrupts, timer firings at monotonic instants (on time, late, or early), and application
//! commands (send, acknowledge, emit, release, close, ...). Wire objects are built from arbitrary
//! fields; their ports are either registered fresh with `register_port` (what the web layer
//! does), or ids the core named earlier, or bogus ids. Messages are mostly delivered on ports the
//! core listens on, sometimes on others. Well-formed peer steps are offered as ops of their own so
//! that the fuzzer reaches deep states quickly.
//!
//! Checked after every step (see `Harness::after_step`), in the spirit of the in-memory browser
//! of `messenger/tests/core/support.rs`:
//! - no panic, and every `handle_timeout` leaves no timer due;
//! - every `ClosePort` closes a port the core named (allocated or registered) and that is open,
//!   so each port closes at most once; `open_port_count()` equals the harness's own count;
//! - ids the core allocates are fresh; the core posts (`Post`, `PostInterrupt`) only on a port it
//!   holds open, that arrived as a `$responsePort` (resp. `$interruptPort`) and that it never
//!   posted on before; the used reply port is closed in the same step, unless the peer takes close
//!   notices and it carried 👂 or a message: then it is kept open (spent, watched for a notice
//!   that crossed it) until the peer's next message arrives, and closed in that step. Ids the harness itself
//!   misused in a field (a known or bogus id instead of a fresh registration, which the web layer
//!   never does) are exempt from the port-usage checks, but never from the close checks;
//! - turn-taking: messages (not knocks) alternate direction, generations count up by one per
//!   message and never decrease, each `Post` is one outgoing message;
//! - sends go out FIFO with their own payload; every `SendId` gets at most one terminal event,
//!   answering the message that is actually in flight; `unsent` is handed back exactly for sends
//!   that were never posted; once closed, every send and interrupt channel has ended;
//! - `Event::Closed` comes once, last: after it no event and no action but `ClosePort`, no open
//!   port, no timer;
//! - `poll_timeout` is never before `now` unless time passed without `handle_timeout` (a late
//!   browser timer), and never at or before `now` right after `handle_timeout`;
//! - with a well-behaved web layer, the core holds exactly the ports its state needs (no leak);
//! - close notices (issue 23): a notice is posted only as the session ends, on the current
//!   channel (a held `$responsePort` or a kept reply channel), once, to a peer that announced
//!   `$closeNotice`, with the code `CloseReason::telling` gives for the error, and whenever those
//!   hold one is posted; the "version" notice answers exactly a knock or 🤝 of another whole
//!   version (ending with `VersionMismatch`) on its port; `WatchPort` names a held, unused
//!   `$responsePort` once, for a peer that announced `$closeNotice`; a 🚪 on the current channel
//!   (a knock channel while knocking, or the spent port while the reply is due) ends the session
//!   with the reason it names, and no notice ever goes on the spent port; anywhere else it
//!   changes nothing.
#![no_main]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use messenger::protocol::{
    gate, Action, Body, Connection, IgnoreReason, Direction, Event, HandshakeState, HeldInterrupt, Instant, InterruptKind, KnockCheck, Limits,
    MessageKind, Observation, PortField, PortId, Role, Scalar, SendId, Step, Timing, Waiter, WireObject, ACKNOWLEDGE,
    CLOSE, KNOCK, LISTEN, VERSION, VERSION_REASON,
};
use messenger::{CloseReason, Error, Overload, Stage, Violation};

/// A window message whose sender the gate passes (the gate's own sender checks are a pure
/// function, tested in `messenger/src/protocol/gate.rs`): every window message here goes through
/// `gate::admit`, as the web layer's do.
const PASSED: gate::Sender<'static> = gate::Sender {
    trusted: true,
    expected_source: true,
    origin: Some("http://localhost:8080"),
};

fn origin() -> messenger::Origin {
    messenger::Origin::parse("http://localhost:8080").expect("a valid origin")
}

// --- the fuzzer's input -------------------------------------------------------------------------

#[derive(Debug, Arbitrary)]
struct Input {
    role: RoleChoice,
    timing: TimingChoice,
    bounds: Bounds,
    start_ms: u32,
    ops: Vec<Op>,
}

#[derive(Debug, Arbitrary)]
enum RoleChoice {
    Listener,
    /// Knocks on `targets % 4 + 1` targets (0 is also tried: the core treats it as 1).
    Knocker {
        targets: u8,
    },
}

#[derive(Debug, Arbitrary)]
struct TimingChoice {
    handshake: Span,
    reply: Option<Span>,
    knock_interval_ms: u16,
    first_knock_interval_ms: Option<u16>,
    knocks_kept_open: KeepOpen,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Span {
    Millis(u16),
    Seconds(u16),
    Forever,
}

impl Span {
    fn duration(self) -> Duration {
        match self {
            Span::Millis(ms) => Duration::from_millis(ms.into()),
            Span::Seconds(s) => Duration::from_secs(s.into()),
            Span::Forever => Duration::MAX,
        }
    }
}

/// The core's own bounds (given to `Connection::knocker`/`listener`, changed later with
/// `Connection::set_limits`); the payload limits are the web layer's.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Bounds {
    Default,
    Small {
        pending_interrupts: u8,
        interrupts_per_second: u8,
        queued_sends: u8,
    },
}

impl Bounds {
    fn limits(self) -> Limits {
        match self {
            Bounds::Default => Limits::DEFAULT,
            Bounds::Small {
                pending_interrupts,
                interrupts_per_second,
                queued_sends,
            } => Limits {
                max_pending_interrupts: usize::from(pending_interrupts % 8),
                max_interrupts_per_second: u32::from(interrupts_per_second % 8),
                max_queued_sends: usize::from(queued_sends % 8),
                ..Limits::DEFAULT
            },
        }
    }
}

#[derive(Debug, Arbitrary)]
enum KeepOpen {
    Few(u8),
    /// "Keep them all": `usize::MAX`. `knocks_kept_open * targets` once overflowed here (see
    /// `messenger/tests/core/fuzz_regressions.rs`).
    All,
}

/// A port to deliver on, or to act on.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum On {
    /// The newest port the core listens on for messages (knock or reply channel).
    Newest,
    /// One of the ports the core listens on for messages.
    Listened(u8),
    /// One of the interrupt channels the core opened.
    InterruptChannel(u8),
    /// One of the interrupt ports the core received (to emit on).
    Held(u8),
    /// Any id the core ever named, open or closed.
    Known(u8),
    /// An id the core may never have named.
    Bogus(u16),
}

/// Where a port field's port comes from.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum PortSource {
    /// A port transferred with this message, registered with `register_port` (the web layer's way).
    Fresh,
    /// Misuse: an id the core already named.
    Known(u8),
    /// Misuse: an arbitrary id.
    Bogus(u16),
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum FieldChoice {
    Absent,
    NotAPort,
    Port(PortSource),
}

#[derive(Debug, Clone, Arbitrary)]
enum KindChoice {
    Absent,
    Knock,
    Listen,
    Acknowledge,
    Close,
    Str(String),
    Num(f64),
    Bool(bool),
    Other,
}

#[derive(Debug, Clone, Arbitrary)]
enum VersionChoice {
    Absent,
    One,
    /// A whole number: another version unless it is 1.
    Whole(u8),
    Num(f64),
    Str(String),
    Bool(bool),
    Other,
}

#[derive(Debug, Clone, Arbitrary)]
struct WireChoice {
    is_object: bool,
    is_null: bool,
    kind: KindChoice,
    version: VersionChoice,
    message: Option<u32>,
    response_port: FieldChoice,
    interrupt_port: FieldChoice,
    interrupt_once: bool,
    stray_ports: Vec<PortSource>,
    /// `$closeNotice: true`.
    close_notice: bool,
    reason: ReasonChoice,
    /// `$binary: true`.
    binary: bool,
}

/// A close notice's `$reason`.
#[derive(Debug, Clone, Arbitrary)]
enum ReasonChoice {
    Absent,
    /// One of the codes this version knows (`closed`, `timeout`, `refused`, `pagehide`,
    /// `version`), by index.
    Known(u8),
    Str(String),
    Num(f64),
}

const CODES: [&str; 5] = ["closed", "timeout", "refused", "pagehide", VERSION_REASON];

impl ReasonChoice {
    fn scalar(self) -> Scalar {
        match self {
            ReasonChoice::Absent => Scalar::Absent,
            ReasonChoice::Known(i) => Scalar::Str(CODES[usize::from(i) % CODES.len()].to_owned()),
            ReasonChoice::Str(s) => Scalar::Str(s),
            ReasonChoice::Num(n) => Scalar::Num(n),
        }
    }
}

/// What a 🚪 with this `$reason` and `$version` means, by the design (issue 23).
fn notice_error(reason: &Scalar, version: &Scalar) -> Error {
    let code = match reason {
        Scalar::Str(code) => code.as_str(),
        _ => "",
    };
    if code == VERSION_REASON {
        if let Some(theirs) = whole_other_version(version) {
            return Error::VersionMismatch { ours: 1, theirs };
        }
    }
    Error::PeerClosed(CloseReason::from_code(code))
}

/// A `$version` that is a whole number other than 1, in `u32` range.
fn whole_other_version(version: &Scalar) -> Option<u32> {
    match *version {
        Scalar::Num(n) if n != VERSION && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => Some(n as u32),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Advance {
    /// Fires every timer at its deadline on the way (as a punctual browser does).
    OnTime,
    /// Jumps to the end and fires what is due once (a throttled tab).
    Jump,
    /// Time passes but no timer callback has run yet: the next input may see overdue timers.
    Late,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum FailWith {
    Closed,
    Superseded,
    Browser,
    TimedOutReply,
    PageHidden,
    Refused,
    PeerClosed,
    FrameRemoved,
    WindowClosed,
    VersionMismatch,
}

#[derive(Debug, Clone, Arbitrary)]
enum Op {
    // Well-formed peer steps.
    /// A knock reaches the listener's window: valid, or of another whole version.
    PeerKnock {
        announces: bool,
        version: Option<u8>,
    },
    /// A `🤝` on one of the open knock channels (the newest when there is none): valid, or of
    /// another whole version.
    PeerListen {
        channel: u8,
        announces: bool,
        version: Option<u8>,
    },
    /// A close notice on a port the core listens on (or any other).
    PeerCloseNotice {
        on: On,
        reason: ReasonChoice,
        version: Option<u8>,
    },
    /// A valid `👂` on the newest listened port.
    PeerAcknowledge,
    /// A valid application message on the newest listened port.
    PeerMessage {
        payload: u32,
        interrupt: Option<bool>,
    },
    // Raw inputs.
    WindowMessage(WireChoice),
    PortMessage {
        on: On,
        wire: WireChoice,
    },
    MessageError {
        on: On,
    },
    Interrupt {
        on: On,
        payload: u32,
    },
    /// The application took one interrupt from a channel's stream.
    InterruptTaken {
        channel: On,
    },
    /// New core bounds, judged from the next input on.
    SetLimits(Bounds),
    Time {
        ms: u32,
        how: Advance,
    },
    Timeout,
    // Application commands.
    Send {
        payload: u32,
        interrupt: Option<bool>,
    },
    Acknowledge,
    Emit {
        via: On,
        payload: u32,
    },
    Release {
        via: On,
    },
    CloseInterrupt {
        channel: On,
    },
    Close,
    Fail(FailWith),
    Ignore,
}

// --- the harness --------------------------------------------------------------------------------

/// What the harness knows about a port id the core named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Kept end of a knock channel.
    KnockChannel,
    /// Kept end of a reply channel (`Post::reply_channel`).
    ReplyChannel,
    /// Kept end of an interrupt channel (`Post::interrupt`).
    InterruptChannel,
    /// A port that arrived in a message.
    Registered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendState {
    Queued(u32),
    Posted(u32),
    Ended,
}

/// What the step that is being checked did, for the checks that depend on it.
#[derive(Debug, Default)]
struct StepContext {
    /// The payload and interrupt port (with once) of the wire object handed in.
    message: Option<(Option<u32>, PortField, bool)>,
    /// An interrupt delivered on a channel, with its payload.
    interrupt: Option<(PortId, u32)>,
    /// Whether the channel the interrupt was delivered on was live (opened, not ended).
    interrupt_live: bool,
    /// The bound that interrupt passes, by the harness's model.
    overload: Option<Overload>,
    /// `emit_interrupt` returned `Ok` for this port and payload.
    emitted: Option<(PortId, u32)>,
    /// This step called `handle_timeout`.
    fired_timers: bool,
    /// `close_interrupt` on this channel, and whether it was live.
    closing_channel: Option<(PortId, bool)>,
    /// `release_interrupt` on a held interrupt port.
    released: Option<PortId>,
    /// The handshake step handed in announced `$closeNotice`.
    announced: bool,
    /// The handshake step handed in announced `$binary`.
    announced_binary: bool,
    /// A knock or 🤝 of another whole version was handed in where it is judged: the version and
    /// its `$responsePort`, if it has one.
    other_version: Option<(u32, Option<PortId>)>,
    /// A 🚪 was handed in (without misuse): on the current channel (with what it must end the
    /// session with), or anywhere else.
    notice: Option<Option<Error>>,
    /// The handshake state before the step.
    state_before: Option<HandshakeState>,
    /// The application ended the session (`close`, or `fail` as the web layer does).
    ended_by_application: bool,
}

/// The harness's model of one interrupt channel's bounds.
#[derive(Debug, Default, Clone, Copy)]
struct Inbound {
    pending: usize,
    window: Option<(Instant, u32)>,
}

struct Harness {
    core: Connection<u32>,
    limits: Limits,
    inbound: BTreeMap<PortId, Inbound>,
    role: Role,
    targets: usize,
    keep_open: usize,
    now: Instant,
    /// Time passed without `handle_timeout`: timers may be overdue until the next firing.
    timers_late: bool,

    /// Every id the core named, and how.
    named: BTreeMap<PortId, Origin>,
    open: BTreeSet<PortId>,
    /// The open kept ends of knock channels, and of reply channels (kept incrementally: the
    /// checks after every step must not walk every port, which would slow the fuzzer down).
    open_knock_channels: BTreeSet<PortId>,
    open_reply_channels: BTreeSet<PortId>,
    open_interrupt_channels: usize,
    /// Ids the harness put into a field against the web layer's contract.
    misused: BTreeSet<PortId>,
    any_misuse: bool,
    /// Fresh ports that arrived as `$responsePort`, and those the core posted on.
    response_ports: BTreeSet<PortId>,
    posted_on: BTreeSet<PortId>,
    /// Interrupt ports the core told the application about (`Event::Received`).
    held: BTreeSet<PortId>,
    /// Interrupt channels the core opened, with their kind, and those that ended.
    interrupt_channels: BTreeMap<PortId, InterruptKind>,
    ended_channels: BTreeSet<PortId>,

    sends: BTreeMap<SendId, SendState>,
    /// Sends without their terminal event yet.
    unended_sends: usize,
    queue: VecDeque<SendId>,
    requested_interrupt: BTreeMap<SendId, Option<InterruptKind>>,
    /// Waits posted and not yet answered (at most one between steps).
    awaiting: VecDeque<Waiter>,
    first_message_ended: bool,
    acknowledged: bool,

    knocks: usize,
    posts: usize,
    emitted: usize,
    outgoing_messages: usize,
    stop_listening: usize,
    answered: bool,
    connected: bool,
    listen_posted: bool,
    closed: Option<Error>,
    generation: u64,
    last_direction: Option<Direction>,
    /// The peer announced `$closeNotice` in the handshake step this side accepted.
    peer_takes_notices: bool,
    /// The peer announced `$binary` in the handshake step this side accepted.
    peer_takes_binary: bool,
    /// Ports the core watches for a notice (`Action::WatchPort`).
    watched: BTreeSet<PortId>,
    /// The port the core last posted 👂 or a message on, kept open and watched for a crossing
    /// notice (peer takes notices) until the peer's next message.
    spent: Option<PortId>,
}

fn main_loop(input: Input) {
    if *PRINT.get_or_init(|| std::env::var_os("FUZZ_PRINT").is_some()) {
        // `FUZZ_PRINT=1 <fuzz binary> <crash file>` shows the input that crashed.
        eprintln!("{input:#?}");
    }
    let (role, targets) = match input.role {
        RoleChoice::Listener => (Role::Listener, 0),
        RoleChoice::Knocker { targets } => (Role::Knocker, usize::from(targets % 5)),
    };
    let effective_targets = targets.max(1);
    let knocks_kept_open = match input.timing.knocks_kept_open {
        KeepOpen::Few(n) => usize::from(n % 8),
        KeepOpen::All => usize::MAX,
    };
    let timing = Timing {
        handshake_timeout: input.timing.handshake.duration(),
        reply_timeout: input.timing.reply.map(Span::duration),
        knock_interval: Duration::from_millis(input.timing.knock_interval_ms.into()),
        first_knock_interval: input
            .timing
            .first_knock_interval_ms
            .map(|ms| Duration::from_millis(ms.into())),
        knocks_kept_open,
    };
    let now = Instant::from_millis_f64(f64::from(input.start_ms));
    let limits = input.bounds.limits();
    let core = match role {
        Role::Knocker => Connection::knocker(timing, limits, targets, now),
        Role::Listener => Connection::listener(timing, limits, now),
    };
    assert_eq!(core.limits(), &limits);
    let mut harness = Harness {
        core,
        limits,
        inbound: BTreeMap::new(),
        role,
        targets: effective_targets,
        keep_open: knocks_kept_open.max(1).saturating_mul(effective_targets),
        now,
        timers_late: false,
        named: BTreeMap::new(),
        open: BTreeSet::new(),
        open_knock_channels: BTreeSet::new(),
        open_reply_channels: BTreeSet::new(),
        open_interrupt_channels: 0,
        misused: BTreeSet::new(),
        any_misuse: false,
        response_ports: BTreeSet::new(),
        posted_on: BTreeSet::new(),
        held: BTreeSet::new(),
        interrupt_channels: BTreeMap::new(),
        ended_channels: BTreeSet::new(),
        sends: BTreeMap::new(),
        unended_sends: 0,
        queue: VecDeque::new(),
        requested_interrupt: BTreeMap::new(),
        awaiting: VecDeque::new(),
        first_message_ended: false,
        acknowledged: false,
        knocks: 0,
        posts: 0,
        emitted: 0,
        outgoing_messages: 0,
        stop_listening: 0,
        answered: false,
        connected: false,
        listen_posted: false,
        closed: None,
        generation: 0,
        last_direction: None,
        peer_takes_notices: false,
        peer_takes_binary: false,
        watched: BTreeSet::new(),
        spent: None,
    };
    assert_eq!(harness.core.role(), role);
    harness.after_step(StepContext::default());
    for op in input.ops {
        harness.step(op);
    }
    // Closing at the end must wind everything down.
    let reached = (
        harness.core.handshake_state(),
        harness.generation,
        harness.posts,
        harness.held.len(),
    );
    let state_before = Some(harness.core.handshake_state());
    harness.core.close(harness.now);
    harness.after_step(StepContext {
        state_before,
        ..StepContext::default()
    });
    assert!(harness.closed.is_some());
    if *VERBOSE.get_or_init(|| std::env::var_os("FUZZ_VERBOSE").is_some()) {
        // `FUZZ_VERBOSE=1 cargo fuzz run core_sequences fuzz/corpus/core_sequences -- -runs=0`
        // shows how deep the corpus gets.
        let (state, generation, posts, held) = reached;
        eprintln!(
            "reached role={role:?} state={state:?} generation={generation} posts={posts} interrupt_channels={} \
             ended={} held={held} emitted={} sends={} misuse={} closed={:?}",
            harness.interrupt_channels.len(),
            harness.ended_channels.len(),
            harness.emitted,
            harness.sends.len(),
            harness.any_misuse,
            harness.closed,
        );
    }
}

static VERBOSE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
static PRINT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

fuzz_target!(|input: Input| main_loop(input));

fn kind_of(once: bool) -> InterruptKind {
    if once {
        InterruptKind::OneTime
    } else {
        InterruptKind::MultiUse
    }
}

fn pick<T: Copy>(mut items: impl ExactSizeIterator<Item = T>, index: u8) -> Option<T> {
    let len = items.len();
    (len > 0).then(|| items.nth(usize::from(index) % len)).flatten()
}

impl Harness {
    // --- choosing ports ---

    /// Counts an interrupt arriving on a live channel against the documented bounds: windows of
    /// one second from the first interrupt of each, and the interrupts not yet taken.
    fn admit(&mut self, channel: PortId) -> Option<Overload> {
        let (now, limits) = (self.now, self.limits);
        let inbound = self.inbound.entry(channel).or_default();
        let (start, count) = match inbound.window {
            Some((start, count)) if now < start + Duration::from_secs(1) => (start, count + 1),
            _ => (now, 1),
        };
        inbound.window = Some((start, count));
        if count > limits.max_interrupts_per_second {
            return Some(Overload::InterruptRate {
                limit: limits.max_interrupts_per_second,
            });
        }
        if inbound.pending >= limits.max_pending_interrupts {
            return Some(Overload::PendingInterrupts {
                limit: limits.max_pending_interrupts,
            });
        }
        inbound.pending += 1;
        None
    }

    /// An interrupt channel the core opened and that has not ended.
    fn is_live_channel(&self, channel: PortId) -> bool {
        self.interrupt_channels.contains_key(&channel) && !self.ended_channels.contains(&channel)
    }

    /// Ports the core listens on for messages: open kept ends of knock and reply channels.
    fn listened(&self) -> impl ExactSizeIterator<Item = PortId> + '_ {
        let listened: Vec<PortId> = match (self.open_knock_channels.len(), self.open_reply_channels.len()) {
            (_, 0) => self.open_knock_channels.iter().copied().collect(),
            (0, _) => self.open_reply_channels.iter().copied().collect(),
            _ => self
                .open_knock_channels
                .union(&self.open_reply_channels)
                .copied()
                .collect(),
        };
        listened.into_iter()
    }

    fn newest_listened(&self) -> Option<PortId> {
        let knock = self.open_knock_channels.last();
        let reply = self.open_reply_channels.last();
        knock.max(reply).copied()
    }

    fn resolve(&self, on: On) -> PortId {
        let bogus = |n: u16| PortId::from_raw(u64::from(n));
        let chosen = match on {
            On::Newest => self.newest_listened(),
            On::Listened(i) => pick(self.listened(), i),
            On::InterruptChannel(i) => pick(self.interrupt_channels.keys().copied(), i),
            On::Held(i) => pick(self.held.iter().copied(), i),
            On::Known(i) => pick(self.named.keys().copied(), i),
            On::Bogus(n) => Some(bogus(n)),
        };
        chosen.unwrap_or_else(|| {
            bogus(match on {
                On::Bogus(n) => n,
                _ => u16::MAX,
            })
        })
    }

    fn register(&mut self) -> PortId {
        let id = self.core.register_port();
        self.name(id, Origin::Registered);
        id
    }

    /// Records an id the core just named: it must be new.
    fn name(&mut self, id: PortId, origin: Origin) {
        assert!(
            self.named.insert(id, origin).is_none(),
            "the core named {id:?} twice ({origin:?})"
        );
        self.open.insert(id);
        match origin {
            Origin::KnockChannel => _ = self.open_knock_channels.insert(id),
            Origin::ReplyChannel => _ = self.open_reply_channels.insert(id),
            Origin::InterruptChannel => self.open_interrupt_channels += 1,
            Origin::Registered => {}
        }
    }

    fn port_from(&mut self, source: PortSource) -> PortId {
        match source {
            PortSource::Fresh => self.register(),
            PortSource::Known(i) => {
                let id = pick(self.named.keys().copied(), i).unwrap_or(PortId::from_raw(u64::from(i)));
                self.misuse(id)
            }
            PortSource::Bogus(n) => self.misuse(PortId::from_raw(u64::from(n))),
        }
    }

    fn misuse(&mut self, id: PortId) -> PortId {
        self.misused.insert(id);
        self.any_misuse = true;
        id
    }

    fn field(&mut self, choice: FieldChoice) -> PortField {
        match choice {
            FieldChoice::Absent => PortField::Absent,
            FieldChoice::NotAPort => PortField::NotAPort,
            FieldChoice::Port(source) => PortField::Port(self.port_from(source)),
        }
    }

    /// Builds the wire object, registering its fresh ports in the web layer's order.
    fn wire(&mut self, choice: WireChoice) -> WireObject<u32> {
        let kind = match choice.kind {
            KindChoice::Absent => Scalar::Absent,
            KindChoice::Knock => Scalar::Str(KNOCK.to_owned()),
            KindChoice::Listen => Scalar::Str(LISTEN.to_owned()),
            KindChoice::Acknowledge => Scalar::Str(ACKNOWLEDGE.to_owned()),
            KindChoice::Close => Scalar::Str(CLOSE.to_owned()),
            KindChoice::Str(s) => Scalar::Str(s),
            KindChoice::Num(n) => Scalar::Num(n),
            KindChoice::Bool(b) => Scalar::Bool(b),
            KindChoice::Other => Scalar::Other,
        };
        let version = match choice.version {
            VersionChoice::Absent => Scalar::Absent,
            VersionChoice::One => Scalar::Num(VERSION),
            VersionChoice::Whole(n) => Scalar::Num(f64::from(n)),
            VersionChoice::Num(n) => Scalar::Num(n),
            VersionChoice::Str(s) => Scalar::Str(s),
            VersionChoice::Bool(b) => Scalar::Bool(b),
            VersionChoice::Other => Scalar::Other,
        };
        let response_port = self.field(choice.response_port);
        let interrupt_port = self.field(choice.interrupt_port);
        let stray_ports: Vec<PortId> = choice
            .stray_ports
            .into_iter()
            .take(3)
            .map(|s| self.port_from(s))
            .collect();
        // The same id in two places is a misuse too (the web layer takes each port once).
        let mut seen = BTreeSet::new();
        let all: Vec<PortId> = [response_port, interrupt_port]
            .into_iter()
            .filter_map(|f| match f {
                PortField::Port(id) => Some(id),
                _ => None,
            })
            .chain(stray_ports.iter().copied())
            .collect();
        for id in all {
            if !seen.insert(id) {
                self.misuse(id);
            }
        }
        let wire = WireObject {
            is_object: choice.is_object,
            is_null: choice.is_null,
            kind,
            version,
            message: choice.message,
            response_port,
            interrupt_port,
            interrupt_once: choice.interrupt_once,
            stray_ports,
            close_notice: choice.close_notice,
            binary: choice.binary,
            reason: choice.reason.scalar(),
        };
        self.note_response_port(&wire);
        wire
    }

    fn note_response_port(&mut self, wire: &WireObject<u32>) {
        if let PortField::Port(id) = wire.response_port {
            self.response_ports.insert(id);
        }
    }

    fn fresh_handshake(&mut self, kind: &str, versioned: bool) -> WireObject<u32> {
        self.fresh_step(kind, versioned.then_some(VERSION), false)
    }

    /// A handshake step with a fresh `$responsePort`, any `$version`, announcing or not.
    fn fresh_step(&mut self, kind: &str, version: Option<f64>, announces: bool) -> WireObject<u32> {
        let port = self.register();
        let wire = WireObject {
            close_notice: announces,
            binary: announces,
            ..WireObject::handshake(kind, version, port)
        };
        self.note_response_port(&wire);
        wire
    }

    /// A handshake step of type `kind` whose `$version` is another whole number: the version
    /// and the port its refusal goes to.
    fn other_version_of(wire: &WireObject<u32>, kind: &str) -> Option<(u32, Option<PortId>)> {
        let typed = wire.is_object && wire.kind == Scalar::Str(kind.to_owned());
        let theirs = whole_other_version(&wire.version).filter(|_| typed)?;
        Some((theirs, wire.response_port.port()))
    }

    /// Whether `on` is the current channel to the peer, by the harness's own bookkeeping (only
    /// meaningful without misuse): a knock channel while knocking; else the kept reply channel
    /// the core waits on, or the `$responsePort` it holds to reply on.
    fn is_current_channel(&self, on: PortId) -> bool {
        match self.core.handshake_state() {
            HandshakeState::Knocking => self.open_knock_channels.contains(&on),
            HandshakeState::Answered | HandshakeState::AwaitingAcknowledgement | HandshakeState::Connected => {
                self.open_reply_channels.contains(&on)
                    || (self.response_ports.contains(&on)
                        && self.open.contains(&on)
                        && !self.posted_on.contains(&on)
                        && !self.held.contains(&on))
                    || (self.spent == Some(on) && self.open.contains(&on))
            }
            HandshakeState::Listening | HandshakeState::Closed => false,
        }
    }

    fn context_for(wire: &WireObject<u32>) -> StepContext {
        StepContext {
            message: Some((wire.message, wire.interrupt_port, wire.interrupt_once)),
            ..StepContext::default()
        }
    }

    // --- one step ---

    fn step(&mut self, op: Op) {
        let now = self.now;
        let state_before = Some(self.core.handshake_state());
        let mut context = StepContext {
            state_before,
            ..StepContext::default()
        };
        match op {
            Op::PeerKnock { announces, version } => {
                let version = version.map_or(VERSION, f64::from);
                let wire = self.fresh_step(KNOCK, Some(version), announces);
                context.announced = announces;
                context.announced_binary = announces;
                if state_before == Some(HandshakeState::Listening) {
                    context.other_version = Self::other_version_of(&wire, KNOCK);
                }
                let check = self.core.handle_knock(gate::admit(&PASSED, &origin(), || wire), now);
                self.check_knock(check);
            }
            Op::PeerListen {
                channel,
                announces,
                version,
            } => {
                let on =
                    pick(self.open_knock_channels.iter().copied(), channel).unwrap_or_else(|| self.resolve(On::Newest));
                let version = version.map_or(VERSION, f64::from);
                let wire = self.fresh_step(LISTEN, Some(version), announces);
                context.announced = announces;
                context.announced_binary = announces;
                let judged = state_before == Some(HandshakeState::Knocking) && self.open_knock_channels.contains(&on);
                if judged {
                    context.other_version = Self::other_version_of(&wire, LISTEN);
                }
                self.core.handle_message(on, wire, now);
            }
            Op::PeerCloseNotice { on, reason, version } => {
                let on = self.resolve(on);
                let wire = WireObject {
                    version: version.map_or(Scalar::Num(VERSION), |v| Scalar::Num(f64::from(v))),
                    reason: reason.scalar(),
                    ..WireObject::close_notice("")
                };
                if !self.any_misuse && self.closed.is_none() {
                    let current = self.is_current_channel(on);
                    context.notice = Some(current.then(|| notice_error(&wire.reason, &wire.version)));
                }
                self.core.handle_message(on, wire, now);
            }
            Op::PeerAcknowledge => {
                let on = self.resolve(On::Newest);
                let wire = self.fresh_handshake(ACKNOWLEDGE, false);
                self.core.handle_message(on, wire, now);
            }
            Op::PeerMessage { payload, interrupt } => {
                let on = self.resolve(On::Newest);
                let response = self.register();
                let interrupt = interrupt.map(|once| HeldInterrupt {
                    port: self.register(),
                    kind: if once { InterruptKind::OneTime } else { InterruptKind::MultiUse },
                });
                let wire = WireObject::message(payload, response, interrupt);
                self.note_response_port(&wire);
                context.message = Self::context_for(&wire).message;
                self.core.handle_message(on, wire, now);
            }
            Op::WindowMessage(choice) => {
                let wire = self.wire(choice);
                context.announced = wire.close_notice;
                context.announced_binary = wire.binary;
                if state_before == Some(HandshakeState::Listening) {
                    context.other_version = Self::other_version_of(&wire, KNOCK);
                }
                let check = self.core.handle_knock(gate::admit(&PASSED, &origin(), || wire), now);
                self.check_knock(check);
            }
            Op::PortMessage { on, wire } => {
                let on = self.resolve(on);
                let wire = self.wire(wire);
                context.announced = wire.close_notice;
                context.announced_binary = wire.binary;
                if state_before == Some(HandshakeState::Knocking) && self.open_knock_channels.contains(&on) {
                    context.other_version = Self::other_version_of(&wire, LISTEN);
                }
                if wire.is_object && wire.kind == Scalar::Str(CLOSE.to_owned()) && !self.any_misuse && self.closed.is_none() {
                    let current = self.is_current_channel(on);
                    context.notice = Some(current.then(|| notice_error(&wire.reason, &wire.version)));
                }
                context.message = Self::context_for(&wire).message;
                self.core.handle_message(on, wire, now);
            }
            Op::MessageError { on } => {
                let on = self.resolve(on);
                self.core.handle_message_error(on, now);
            }
            Op::Interrupt { on, payload } => {
                let on = self.resolve(on);
                context.interrupt = Some((on, payload));
                context.interrupt_live = self.is_live_channel(on);
                if context.interrupt_live {
                    context.overload = self.admit(on);
                }
                self.core.handle_interrupt(on, payload, 0, now);
            }
            Op::InterruptTaken { channel } => {
                let channel = self.resolve(channel);
                if let Some(inbound) = self.inbound.get_mut(&channel) {
                    inbound.pending = inbound.pending.saturating_sub(1);
                }
                self.core.interrupt_taken(channel, 0);
            }
            Op::SetLimits(bounds) => {
                self.limits = bounds.limits();
                self.core.set_limits(self.limits);
            }
            Op::Time { ms, how } => {
                let end = now + Duration::from_millis(ms.into());
                match how {
                    Advance::OnTime => {
                        for _ in 0..64 {
                            let Some(deadline) = self.core.poll_timeout().filter(|d| *d <= end) else {
                                break;
                            };
                            self.now = deadline.max(self.now);
                            let state_before = Some(self.core.handshake_state());
                            self.core.handle_timeout(self.now);
                            self.after_step(StepContext {
                                fired_timers: true,
                                state_before,
                                ..StepContext::default()
                            });
                        }
                        self.now = end;
                        self.core.handle_timeout(end);
                        context.fired_timers = true;
                    }
                    Advance::Jump => {
                        self.now = end;
                        self.core.handle_timeout(end);
                        context.fired_timers = true;
                    }
                    Advance::Late => {
                        self.now = end;
                        self.timers_late = true;
                    }
                }
            }
            Op::Timeout => {
                self.core.handle_timeout(now);
                context.fired_timers = true;
            }
            Op::Send { payload, interrupt } => {
                let interrupt = interrupt.map(kind_of);
                match self.core.send(payload, interrupt, now) {
                    Ok(id) => {
                        assert!(self.closed.is_none(), "a closed core accepted a send");
                        assert!(self.queue.len() < self.limits.max_queued_sends, "queued past the bound");
                        let last = self.sends.keys().next_back().copied();
                        assert!(
                            last.is_none_or(|last| id > last),
                            "send ids go up: {id:?} after {last:?}"
                        );
                        self.sends.insert(id, SendState::Queued(payload));
                        self.unended_sends += 1;
                        self.queue.push_back(id);
                        self.requested_interrupt.insert(id, interrupt);
                    }
                    Err(error) => {
                        match &self.closed {
                            Some(closed) => assert_eq!(&error.error, closed, "send after close"),
                            None => {
                                let limit = self.limits.max_queued_sends;
                                assert_eq!(
                                    error.error,
                                    Error::Overloaded(Overload::QueuedSends { limit }),
                                    "send refused while open"
                                );
                                assert!(self.queue.len() >= limit, "refused with {} queued", self.queue.len());
                            }
                        }
                        assert_eq!(error.unsent, Some(payload), "a refused send hands its value back");
                    }
                }
            }
            Op::Acknowledge => {
                let state = self.core.handshake_state();
                let result = self.core.acknowledge(now);
                assert_eq!(
                    result.is_ok(),
                    state == HandshakeState::Answered,
                    "acknowledge in {state:?}: {result:?}"
                );
                if result.is_ok() {
                    self.acknowledged = true;
                }
            }
            Op::Emit { via, payload } => {
                let via = self.resolve(via);
                let may = self.closed.is_none() && self.held.contains(&via) && self.open.contains(&via);
                let result = self.core.emit_interrupt(via, payload, now);
                if !self.any_misuse {
                    assert_eq!(result.is_ok(), may, "emit on {via:?}: {result:?}");
                }
                if let Some(closed) = &self.closed {
                    assert_eq!(result.as_ref().err(), Some(closed), "emit after close");
                }
                if result.is_ok() {
                    context.emitted = Some((via, payload));
                }
            }
            Op::Release { via } => {
                let via = self.resolve(via);
                context.released = self.held.contains(&via).then_some(via);
                self.core.release_interrupt(via, now);
            }
            Op::CloseInterrupt { channel } => {
                let channel = self.resolve(channel);
                let live = self.is_live_channel(channel);
                context.closing_channel = Some((channel, live));
                self.core.close_interrupt(channel, now);
            }
            Op::Close => {
                context.ended_by_application = true;
                self.core.close(now);
            }
            Op::Fail(with) => {
                context.ended_by_application = true;
                let error = match with {
                    FailWith::Closed => Error::Closed,
                    FailWith::Superseded => Error::Superseded,
                    FailWith::Browser => Error::Browser("fuzz".to_owned()),
                    FailWith::TimedOutReply => Error::TimedOut(Stage::Reply),
                    FailWith::PageHidden => Error::PageHidden,
                    FailWith::Refused => Error::ProtocolViolation(Violation::OutOfTurn),
                    FailWith::PeerClosed => Error::PeerClosed(CloseReason::Closed),
                    FailWith::FrameRemoved => Error::FrameRemoved,
                    FailWith::WindowClosed => Error::WindowClosed,
                    FailWith::VersionMismatch => Error::VersionMismatch { ours: 1, theirs: 2 },
                };
                self.core.fail(error, now);
            }
            Op::Ignore => self.core.ignore(IgnoreReason::NotAKnock, now),
        }
        self.after_step(context);
    }

    fn check_knock(&mut self, check: KnockCheck) {
        if let KnockCheck::Valid(port) = check {
            assert_eq!(self.role, Role::Listener, "a knocker accepted a knock");
            assert!(
                self.response_ports.contains(&port),
                "valid knock names a port it did not carry"
            );
        }
    }

    // --- the checks ---

    fn after_step(&mut self, context: StepContext) {
        let closed_before = self.closed.is_some();
        let mut closed_posts_this_step = BTreeSet::new();
        let mut kept_posts_this_step = BTreeSet::new();
        // Actions are read before events: a reply that arrives may be followed, in the same step,
        // by the next queued send's post, which keeps a new spent port.
        let spent_at_start = self.spent;
        let mut emitted = 0;
        let mut notices: Vec<(PortId, &'static str)> = Vec::new();
        let mut watched_now: Vec<PortId> = Vec::new();
        while let Some(action) = self.core.poll_action() {
            if closed_before {
                assert!(
                    matches!(action, Action::ClosePort(_)),
                    "after Closed the core only closes ports: {action:?}"
                );
            }
            match action {
                Action::Knock { target, channel } => {
                    assert_eq!(self.role, Role::Knocker, "only a knocker knocks");
                    assert_eq!(
                        target.0,
                        self.knocks % self.targets,
                        "knocks go to every target in turn"
                    );
                    self.knocks += 1;
                    self.name(channel, Origin::KnockChannel);
                }
                Action::Post {
                    via,
                    reply_channel,
                    body,
                    interrupt,
                    send,
                } => {
                    self.posts += 1;
                    if !self.misused.contains(&via) {
                        assert!(self.open.contains(&via), "posts on {via:?}, which is not open");
                        assert_eq!(
                            self.named.get(&via),
                            Some(&Origin::Registered),
                            "posts on a kept end {via:?}"
                        );
                        assert!(
                            self.response_ports.contains(&via),
                            "posts on {via:?}, not a $responsePort"
                        );
                        assert!(self.posted_on.insert(via), "posts twice on the one-time port {via:?}");
                        if self.peer_takes_notices && !matches!(body, Body::Listen) {
                            if let Some(before) = self.spent.filter(|p| !self.misused.contains(p)) {
                                assert!(
                                    !self.open.contains(&before),
                                    "the spent port {before:?} is still open at the next post"
                                );
                            }
                            self.spent = Some(via);
                            kept_posts_this_step.insert(via);
                        } else {
                            closed_posts_this_step.insert(via);
                        }
                    }
                    self.name(reply_channel, Origin::ReplyChannel);
                    match body {
                        Body::Listen => {
                            assert_eq!(self.role, Role::Listener, "only the listener answers a knock");
                            assert!(!self.listen_posted, "answered a knock twice");
                            self.peer_takes_notices = context.announced;
                            self.peer_takes_binary = context.announced_binary;
                            assert_eq!(self.posts, 1, "🤝 is the listener's first post");
                            assert!(send.is_none() && interrupt.is_none());
                            self.listen_posted = true;
                        }
                        Body::Acknowledge => {
                            assert_eq!(self.role, Role::Knocker, "only the knocker acknowledges");
                            assert_eq!(self.posts, 1, "👂 is the knocker's first post");
                            assert!(send.is_none() && interrupt.is_none());
                            assert!(self.acknowledged, "👂 without acknowledge()");
                            self.awaiting.push_back(Waiter::FirstMessage);
                        }
                        Body::Message(payload) => {
                            let id = send.expect("an application message belongs to a send");
                            assert_eq!(self.queue.pop_front(), Some(id), "sends go out FIFO");
                            assert_eq!(
                                self.sends.insert(id, SendState::Posted(payload)),
                                Some(SendState::Queued(payload)),
                                "a send goes out with its own payload"
                            );
                            let requested = self.requested_interrupt[&id];
                            assert_eq!(interrupt.map(|(_, kind)| kind), requested, "interrupt kind of {id:?}");
                            if let Some((channel, kind)) = interrupt {
                                assert_ne!(channel, reply_channel);
                                self.name(channel, Origin::InterruptChannel);
                                self.interrupt_channels.insert(channel, kind);
                            }
                            self.awaiting.push_back(Waiter::Send(id));
                        }
                    }
                }
                Action::PostInterrupt { via, payload } => {
                    emitted += 1;
                    self.emitted += 1;
                    assert_eq!(context.emitted, Some((via, payload)), "an interrupt nobody emitted");
                    if !self.misused.contains(&via) {
                        assert!(self.open.contains(&via), "emits on {via:?}, which is not open");
                        assert!(self.held.contains(&via), "emits on {via:?}, not a held $interruptPort");
                    }
                }
                Action::ClosePort(id) => {
                    let Some(origin) = self.named.get(&id).copied() else {
                        panic!("closes {id:?}, which it never named")
                    };
                    assert!(self.open.remove(&id), "closes {id:?}, which is not open");
                    self.held.remove(&id);
                    match origin {
                        Origin::KnockChannel => _ = self.open_knock_channels.remove(&id),
                        Origin::ReplyChannel => _ = self.open_reply_channels.remove(&id),
                        Origin::InterruptChannel => self.open_interrupt_channels -= 1,
                        Origin::Registered => {}
                    }
                }
                Action::PostCloseNotice { via, reason } => {
                    assert!(CODES.contains(&reason), "an unknown code {reason:?}");
                    if !self.misused.contains(&via) {
                        assert!(self.open.contains(&via), "a notice on {via:?}, which is not open");
                        let origin = self.named.get(&via).copied();
                        let held_reply = origin == Some(Origin::Registered)
                            && self.response_ports.contains(&via)
                            && !self.posted_on.contains(&via)
                            && !self.held.contains(&via);
                        assert!(
                            held_reply || origin == Some(Origin::ReplyChannel),
                            "a notice on {via:?} ({origin:?}), not a channel to the peer"
                        );
                    }
                    notices.push((via, reason));
                }
                Action::WatchPort(id) => {
                    if !self.misused.contains(&id) {
                        assert!(self.open.contains(&id), "watches {id:?}, which is not open");
                        assert_eq!(self.named.get(&id), Some(&Origin::Registered), "watches a kept end");
                        assert!(self.response_ports.contains(&id), "watches {id:?}, not a $responsePort");
                        assert!(!self.posted_on.contains(&id), "watches a used port");
                    }
                    let first = self.watched.insert(id);
                    assert!(first || self.misused.contains(&id), "watches {id:?} twice");
                    watched_now.push(id);
                }
                Action::StopListening => {
                    assert_eq!(self.role, Role::Listener, "only a listener stops listening");
                    self.stop_listening += 1;
                    assert_eq!(self.stop_listening, 1, "stops listening twice");
                }
            }
        }
        assert_eq!(
            emitted,
            usize::from(context.emitted.is_some()),
            "one emit, one interrupt posted"
        );
        for via in closed_posts_this_step {
            assert!(!self.open.contains(&via), "the used port {via:?} stays open");
        }
        for via in kept_posts_this_step {
            assert!(
                self.open.contains(&via) || self.core.closed_with().is_some(),
                "the spent port {via:?} (peer takes notices) was closed at once"
            );
        }

        let mut interrupts = 0;
        let mut ended = 0;
        while let Some(event) = self.core.poll_event() {
            assert!(self.closed.is_none(), "an event after Closed: {event:?}");
            match event {
                Event::Answered => {
                    assert_eq!(self.role, Role::Knocker);
                    assert!(!self.answered, "answered twice");
                    self.answered = true;
                    self.peer_takes_notices = context.announced;
                    self.peer_takes_binary = context.announced_binary;
                }
                Event::Connected => {
                    assert!(!self.connected, "connected twice");
                    assert!(
                        self.role == Role::Listener || self.answered,
                        "connected before the answer"
                    );
                    self.connected = true;
                }
                Event::Received {
                    waiter,
                    message,
                    interrupt,
                } => {
                    assert_eq!(
                        self.awaiting.pop_front(),
                        Some(waiter),
                        "a reply for a wait not in flight"
                    );
                    if let Some(spent) = spent_at_start.filter(|p| !self.misused.contains(p)) {
                        assert!(
                            !self.open.contains(&spent),
                            "the spent port {spent:?} outlives the reply"
                        );
                    }
                    if self.spent == spent_at_start {
                        self.spent = None;
                    }
                    self.end_wait(waiter);
                    let (payload, interrupt_port, once) = context.message.expect("a message arrived");
                    assert_eq!(Some(message), payload, "the payload that was handed in");
                    match interrupt {
                        None => assert_eq!(interrupt_port, PortField::Absent),
                        Some(held) => {
                            assert_eq!(PortField::Port(held.port), interrupt_port);
                            assert_eq!(held.kind, kind_of(once));
                            if !self.misused.contains(&held.port) {
                                assert!(self.open.contains(&held.port), "held interrupt port is closed");
                            }
                            self.held.insert(held.port);
                        }
                    }
                }
                Event::Failed { waiter, error, unsent } => {
                    assert!(
                        self.core.closed_with().is_some(),
                        "a wait failed ({error:?}) but the session goes on"
                    );
                    match unsent {
                        None => {
                            assert_eq!(self.awaiting.pop_front(), Some(waiter), "failed a wait not in flight");
                            self.end_wait(waiter);
                        }
                        Some(payload) => {
                            let Waiter::Send(id) = waiter else {
                                panic!("the first-message wait has no payload")
                            };
                            assert_eq!(self.queue.pop_front(), Some(id), "queued sends fail in order");
                            assert_eq!(
                                self.sends.insert(id, SendState::Ended),
                                Some(SendState::Queued(payload))
                            );
                            self.unended_sends -= 1;
                        }
                    }
                }
                Event::Interrupt { channel, payload, .. } => {
                    interrupts += 1;
                    assert_eq!(context.interrupt, Some((channel, payload)), "an interrupt nobody sent");
                    assert!(context.interrupt_live, "an interrupt on a channel that ended");
                }
                Event::InterruptEnded { channel, error } => {
                    ended += 1;
                    if let Some((closing, _)) = context.closing_channel {
                        assert_eq!(channel, closing, "close_interrupt ends another channel");
                        assert_eq!(error, Some(Error::Closed));
                    }
                    assert!(
                        self.interrupt_channels.contains_key(&channel),
                        "ended {channel:?}, never opened"
                    );
                    assert!(self.ended_channels.insert(channel), "{channel:?} ended twice");
                    assert!(!self.open.contains(&channel), "ended {channel:?} stays open");
                    if error.is_none() {
                        assert_eq!(self.interrupt_channels[&channel], InterruptKind::OneTime);
                        assert_eq!(context.interrupt.map(|(c, _)| c), Some(channel));
                    }
                    if let Some(overload) = context.overload {
                        assert_eq!(context.interrupt.map(|(c, _)| c), Some(channel));
                        assert_eq!(error, Some(Error::Overloaded(overload)), "ended by the bound passed");
                    } else if let Some(Error::Overloaded(overload)) = &error {
                        panic!("{channel:?} ended with {overload:?}, within its bounds");
                    }
                }
                Event::Closed(error) => {
                    assert_eq!(self.core.closed_with(), Some(&error), "Closed names the error");
                    self.closed = Some(error);
                }
            }
        }
        self.check_notices(&context, closed_before, &notices, &watched_now);
        let heard = context.interrupt_live && context.overload.is_none();
        assert_eq!(
            interrupts,
            usize::from(heard),
            "an interrupt on a live channel within its bounds is heard once, any other never"
        );
        if let Some(overload) = context.overload {
            assert_eq!(ended, 1, "an interrupt past a bound ({overload:?}) ends its channel");
            assert!(self.closed.is_none(), "an overloaded channel ends the session");
        }
        if let Some((channel, live)) = context.closing_channel {
            assert_eq!(ended, usize::from(live), "close_interrupt ends a live channel once");
            assert!(
                !live || !self.open.contains(&channel) || self.any_misuse,
                "closed channel {channel:?} stays open"
            );
        }
        if let Some(via) = context.released {
            if !self.any_misuse {
                assert!(
                    !self.open.contains(&via) && !self.held.contains(&via),
                    "released {via:?} stays open"
                );
            }
        }

        while let Some(observation) = self.core.poll_observation() {
            self.check_observation(observation);
        }

        // State after the step.
        assert_eq!(
            self.core.closed_with(),
            self.closed.as_ref(),
            "closed_with() and Event::Closed agree"
        );
        assert_eq!(self.core.open_port_count(), self.open.len(), "open port count");
        assert_eq!(
            self.core.peer_takes_binary(),
            self.peer_takes_binary,
            "$binary is what the accepted knock or 🤝 said, and nothing before"
        );
        assert_eq!(
            self.core.generation(),
            self.generation,
            "generation() is the last message's"
        );
        assert_eq!(self.posts, self.outgoing_messages, "every post is one outgoing message");
        assert_eq!(self.core.queued_sends(), self.queue.len(), "queued sends");
        assert!(
            self.awaiting.len() <= 1,
            "more than one message in flight: {:?}",
            self.awaiting
        );
        if self.core.is_our_turn() {
            assert!(self.queue.is_empty(), "our turn with sends queued");
            assert!(self.awaiting.is_empty(), "our turn while a reply is awaited");
        }
        let state = self.core.handshake_state();
        if self.role == Role::Listener {
            let listening = state == HandshakeState::Listening;
            assert_eq!(
                self.stop_listening,
                usize::from(!listening),
                "window listeners in {state:?}"
            );
        }
        match self.closed {
            Some(_) => {
                assert_eq!(state, HandshakeState::Closed);
                assert!(self.open.is_empty(), "ports left open after close: {:?}", self.open);
                assert_eq!(self.core.poll_timeout(), None, "a timer armed after close");
                assert!(
                    self.queue.is_empty() && self.awaiting.is_empty(),
                    "a wait outlived the session"
                );
                assert_eq!(self.unended_sends, 0, "a send without an end: {:?}", self.sends);
                assert!(
                    !self.acknowledged || self.first_message_ended,
                    "the first-message wait never ended"
                );
                assert_eq!(
                    self.ended_channels.len(),
                    self.interrupt_channels.len(),
                    "an interrupt channel outlived the session"
                );
            }
            None => {
                let next = self.core.poll_timeout();
                if context.fired_timers {
                    self.timers_late = false;
                    assert!(
                        next.is_none_or(|d| d > self.now),
                        "a timer still due after handle_timeout: {next:?}"
                    );
                }
                if !self.timers_late {
                    assert!(next.is_none_or(|d| d >= self.now), "a deadline in the past: {next:?}");
                }
                if matches!(
                    state,
                    HandshakeState::Knocking
                        | HandshakeState::Answered
                        | HandshakeState::Listening
                        | HandshakeState::AwaitingAcknowledgement
                ) {
                    assert!(next.is_some(), "a handshake without a deadline in {state:?}");
                }
                if !self.any_misuse {
                    self.check_no_leak(state);
                }
            }
        }
    }

    /// The close-notice rules (see the module docs), after the step's actions and events.
    fn check_notices(
        &self,
        context: &StepContext,
        closed_before: bool,
        notices: &[(PortId, &'static str)],
        watched_now: &[PortId],
    ) {
        assert!(notices.len() <= 1, "more than one notice in a step: {notices:?}");
        let closed_now = if closed_before { None } else { self.closed.as_ref() };
        for id in watched_now {
            assert!(self.peer_takes_notices, "watches {id:?} for a peer that takes no notices");
        }
        // The version notice answers exactly a step of another version, on its port.
        let version_notice = notices.iter().find(|(_, reason)| *reason == VERSION_REASON);
        if let Some((theirs, port)) = context.other_version {
            assert_eq!(
                closed_now,
                Some(&Error::VersionMismatch { ours: 1, theirs }),
                "a step of version {theirs} ends the handshake at once"
            );
            assert_eq!(version_notice.map(|(via, _)| *via), port, "the version notice on its port");
        } else if !self.any_misuse {
            assert_eq!(version_notice, None, "a version notice without a step of another version");
        }
        if let Some((via, _)) = version_notice {
            assert!(
                matches!(closed_now, Some(Error::VersionMismatch { .. })),
                "a version notice, and the session goes on: {closed_now:?}"
            );
            assert!(!self.open.contains(via), "the refused step's port stays open");
        }
        if let Some(Error::VersionMismatch { .. }) = closed_now {
            let by_notice = matches!(&context.notice, Some(Some(Error::VersionMismatch { .. })));
            assert!(
                context.other_version.is_some() || by_notice || context.ended_by_application || self.any_misuse,
                "a version mismatch without a step of another version"
            );
        }
        // Any other notice: exactly when the session ends with an error that tells, on a channel,
        // for a peer that announced it takes notices.
        let other = notices.iter().find(|(_, reason)| *reason != VERSION_REASON);
        let had_channel = matches!(
            context.state_before,
            Some(HandshakeState::Answered | HandshakeState::AwaitingAcknowledgement | HandshakeState::Connected)
        );
        let due = closed_now
            .filter(|_| self.peer_takes_notices && had_channel)
            .and_then(CloseReason::telling);
        match (other, due) {
            (Some((via, reason)), Some(due)) => {
                assert_eq!(*reason, due.code(), "the notice's reason");
                assert!(!self.open.contains(via), "the notice's port stays open");
            }
            (None, None) => {}
            // A misused port may have been the current channel and be closed already.
            (None, Some(_)) if self.any_misuse => {}
            (other, due) => panic!("notice {other:?}, due {due:?}, closed with {closed_now:?}"),
        }
        // A 🚪 handed in: on the current channel it ends the session with its reason, and tells
        // nothing back; elsewhere nothing changes.
        match &context.notice {
            Some(Some(error)) => {
                assert_eq!(closed_now, Some(error), "a notice on the current channel ends the session");
                assert!(notices.is_empty(), "a notice answered with a notice");
            }
            Some(None) => {
                assert_eq!(closed_now, None, "a notice elsewhere ends the session");
                assert_eq!(Some(self.core.handshake_state()), context.state_before);
            }
            None => {}
        }
    }

    fn end_wait(&mut self, waiter: Waiter) {
        match waiter {
            Waiter::FirstMessage => {
                assert!(!self.first_message_ended, "the first message answered twice");
                self.first_message_ended = true;
            }
            Waiter::Send(id) => {
                assert!(
                    matches!(self.sends.insert(id, SendState::Ended), Some(SendState::Posted(_))),
                    "{id:?} ended twice, or before it was posted"
                );
                self.unended_sends -= 1;
            }
        }
    }

    /// With a well-behaved web layer the core holds exactly what its state needs, besides
    /// interrupt channels and held interrupt ports.
    fn check_no_leak(&self, state: HandshakeState) {
        // Under the contract every held port is a registered one, and open.
        let spent = self.spent.filter(|p| self.open.contains(p));
        assert!(
            spent.is_none() || state == HandshakeState::Connected,
            "a spent port in {state:?}"
        );
        let structural =
            self.open.len() - self.open_interrupt_channels - self.held.len() - usize::from(spent.is_some());
        let knock_channels = self.open_knock_channels.len();
        match state {
            HandshakeState::Listening => assert_eq!(structural, 0, "listening holds ports: {:?}", self.open),
            HandshakeState::Knocking => {
                assert!(
                    (1..=self.keep_open).contains(&structural),
                    "knocking holds {structural} ports (keeps {})",
                    self.keep_open
                );
                assert_eq!(structural, knock_channels, "knocking holds more than knock channels");
            }
            HandshakeState::Closed => unreachable!(),
            _ => assert_eq!(structural, 1, "{state:?} holds {structural} ports: {:?}", self.open),
        }
    }

    fn check_observation(&mut self, observation: Observation) {
        assert_eq!(observation.at, self.now, "observed at another time");
        if let Step::Message {
            direction,
            kind,
            generation,
            ..
        } = observation.step
        {
            if kind == MessageKind::Knock {
                assert_eq!(generation, 0, "a knock is generation 0");
                return;
            }
            assert_eq!(generation, self.generation + 1, "generations count up by one");
            self.generation = generation;
            assert_ne!(
                self.last_direction,
                Some(direction),
                "two {direction:?} messages in a row"
            );
            self.last_direction = Some(direction);
            if direction == Direction::Outgoing {
                self.outgoing_messages += 1;
            }
        }
    }
}
