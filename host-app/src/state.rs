//! What the host page shows, and the reducer that changes it. Plain Rust: tested natively.
//!
//! The page must stay responsive when Eos floods it: every list the reducer keeps is bounded
//! ([`Recent`] keeps the latest entries and counts all of them), applying an action costs O(1)
//! apart from those bounded lists, and the messenger's actions reach the reducer in one
//! [`HostAction::Batch`] per animation frame (see [`crate::outbox`]), so the state is copied once
//! per frame, not once per event.

use std::collections::VecDeque;
use std::rc::Rc;

use messenger::{
    Direction, Error, HandshakeState, InterruptKind, MessageKind, Observation, Overload, Stage, Step, Violation,
};
use shared_proto::ItemSummary;
use yew::Reducible;

/// How many wire rows the inspector keeps (the oldest go first).
pub const WIRE_ROWS_KEPT: usize = 300;
/// How many interrupts the interrupt panel keeps (the oldest go first).
pub const INTERRUPTS_KEPT: usize = 300;
/// How many interrupt channels the page remembers (the oldest go first; eight are shown).
pub const CHANNELS_KEPT: usize = 100;
/// How many errors the inspector keeps (the oldest go first).
pub const ERRORS_KEPT: usize = 50;

/// What the page adds to a failed handshake: the host does not knock again on its own until
/// the iframe loads anew.
pub const RELOAD_HINT: &str = " Press “Reload Eos” to try again.";

/// The latest `KEEP` entries of a list that may grow without end, and how many there were.
#[derive(Debug, Clone, PartialEq)]
pub struct Recent<T, const KEEP: usize> {
    latest: VecDeque<T>,
    total: u64,
}

impl<T, const KEEP: usize> Default for Recent<T, KEEP> {
    fn default() -> Self {
        Recent {
            latest: VecDeque::new(),
            total: 0,
        }
    }
}

impl<T, const KEEP: usize> Recent<T, KEEP> {
    /// Adds an entry, forgetting the oldest beyond `KEEP`.
    pub fn push(&mut self, entry: T) {
        self.total += 1;
        self.keep(entry);
    }

    fn keep(&mut self, entry: T) {
        if self.latest.len() == KEEP {
            self.latest.pop_front();
        }
        self.latest.push_back(entry);
    }

    /// Adds everything `later` holds and counts everything it counted.
    pub fn append(&mut self, later: Recent<T, KEEP>) {
        self.total += later.total;
        later.latest.into_iter().for_each(|entry| self.keep(entry));
    }

    /// The kept entries, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.latest.iter()
    }

    /// How many entries are kept (at most `KEEP`).
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// How many entries were ever added.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn latest_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.latest.iter_mut()
    }
}

/// The inspector's timeline.
pub type Wire = Recent<WireRow, WIRE_ROWS_KEPT>;
/// Interrupts received from Eos, in words.
pub type Interrupts = Recent<String, INTERRUPTS_KEPT>;
/// Errors in plain words.
pub type Errors = Recent<String, ERRORS_KEPT>;

/// The connection as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// Knocking on the iframe, waiting for Eos to answer.
    Knocking,
    /// Eos answered; the acknowledgement is due.
    Answered,
    /// The handshake is complete.
    Connected,
    /// The session ended, with the reason in plain words.
    Closed(String),
}

impl Connection {
    /// The one word shown in `#connection-state`.
    pub fn word(&self) -> &'static str {
        match self {
            Connection::Knocking => "knocking",
            Connection::Answered => "answered",
            Connection::Connected => "connected",
            Connection::Closed(_) => "closed",
        }
    }
}

/// One message in the inspector's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct WireRow {
    /// Which session (1 for the first, one more per reconnection).
    pub session: u32,
    /// Milliseconds since the page started.
    pub at_ms: f64,
    /// Which way it went.
    pub direction: Direction,
    /// Which wire message.
    pub kind: MessageKind,
    /// The port generation it travelled on.
    pub generation: u64,
    /// For a reply: how long after this side's own message it came.
    pub reply_after_ms: Option<f64>,
    /// An interrupt channel that rode along.
    pub interrupt: Option<InterruptKind>,
    /// What the application said, when known (`list_items`, `items`, ...).
    pub label: Option<String>,
}

/// An interrupt channel as the inspector lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    /// Which session.
    pub session: u32,
    /// The channel's port id on this side.
    pub channel: u64,
    /// One-time or multi-use.
    pub kind: InterruptKind,
    /// Still open.
    pub open: bool,
    /// Interrupts received on it.
    pub received: usize,
}

/// The host's one-time question to the user inside Eos.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionState {
    /// No question asked.
    Idle,
    /// Waiting for Eos's next turn to carry the question.
    Queued {
        /// The question's id.
        id: u64,
    },
    /// The question went out; its one-time channel is open.
    Asked {
        /// The question's id.
        id: u64,
    },
    /// The user answered inside Eos.
    Answered {
        /// The question's id.
        id: u64,
        /// The answer in words.
        answer: String,
    },
    /// The channel ended without an answer.
    Failed(String),
}

/// The host page's state.
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    /// The current session's connection.
    pub connection: Connection,
    /// How many sessions there have been (reconnections add one).
    pub session: u32,
    /// The greeting of Eos's introduction, once received.
    pub greeting: Option<String>,
    /// A protocol version problem, shown prominently.
    pub version_problem: Option<String>,
    /// The inspector's timeline, oldest first.
    pub wire: Wire,
    /// Interrupt channels, oldest first (at most [`CHANNELS_KEPT`]).
    pub channels: VecDeque<ChannelRow>,
    /// Interrupts received from Eos, in order, in words.
    pub interrupts: Interrupts,
    /// Why the last action channel ended early, in plain words (until the next session).
    pub interrupt_error: Option<String>,
    /// The one-time question.
    pub question: QuestionState,
    /// The notes as the host stores them.
    pub notes: Vec<ItemSummary>,
    /// Errors in plain words, newest last.
    pub errors: Errors,
    /// A label for the next outgoing message (the handler's reply is labelled before it is posted).
    pending_reply_label: Option<String>,
}

impl Default for HostState {
    fn default() -> Self {
        HostState {
            connection: Connection::Knocking,
            session: 0,
            greeting: None,
            version_problem: None,
            wire: Wire::default(),
            channels: VecDeque::new(),
            interrupts: Interrupts::default(),
            interrupt_error: None,
            question: QuestionState::Idle,
            notes: Vec::new(),
            errors: Errors::default(),
            pending_reply_label: None,
        }
    }
}

/// Everything that changes the host page.
#[derive(Debug, Clone, PartialEq)]
pub enum HostAction {
    /// A protocol step reported by the messenger's observer.
    Observed(Observation),
    /// The handler saw a request of this kind (labels the latest incoming message).
    Request(String),
    /// The handler answers with a reply of this kind (labels the next outgoing message).
    Reply(String),
    /// Eos introduced itself with this greeting.
    Greeted(String),
    /// Eos speaks another protocol version.
    VersionMismatch(String),
    /// The stored notes changed.
    Notes(Vec<ItemSummary>),
    /// Eos reported a user action.
    Interrupt(String),
    /// Eos reported these user actions (many [`HostAction::Interrupt`]s, coalesced).
    Interrupts(Interrupts),
    /// `count` interrupts arrived on channel `channel` of the current session (many
    /// `Observed(Step::Interrupt)`, coalesced).
    InterruptsReceived {
        /// The channel's port id.
        channel: u64,
        /// How many arrived.
        count: usize,
    },
    /// The action channel ended on its own, the session going on; why, in plain words.
    ActionsFailed(String),
    /// The user asked a question; it waits for Eos's next turn.
    QuestionQueued(u64),
    /// The question went out to Eos.
    QuestionAsked(u64),
    /// The user answered inside Eos.
    QuestionAnswered {
        /// The question.
        id: u64,
        /// The answer in words.
        answer: String,
    },
    /// The channel of question `id` ended without an answer.
    QuestionFailed {
        /// The question.
        id: u64,
        /// Why, in plain words.
        why: String,
    },
    /// Something went wrong outside the protocol trace.
    Problem(String),
    /// Several actions, applied in order with one copy of the state and one render.
    Batch(Vec<HostAction>),
}

/// An error in plain words for a person watching the page.
///
/// A failed handshake (a knock not answered, an answer not acknowledged, an invalid answer) ends
/// with [`RELOAD_HINT`]: the host knocks again only when the iframe loads anew.
pub fn plain_words(error: &Error) -> String {
    let words = match error {
        Error::Closed => "The session was closed on this page.".into(),
        Error::Superseded => "Eos reloaded; the old session was replaced by a new one.".into(),
        Error::TimedOut(Stage::Handshake) => "Eos did not answer the knock in time.".into(),
        Error::TimedOut(Stage::Acknowledgement) => "The handshake with Eos did not complete in time.".into(),
        Error::TimedOut(Stage::Reply) => "Eos stopped replying (it may have been closed or reloaded).".into(),
        Error::TimedOut(stage) => format!("Eos did not complete {stage} in time."),
        Error::ProtocolViolation(Violation::ArrivedNull) => "A message from Eos arrived empty (null): the browser \
            could not read it (nested too deeply?) or Eos posted null; the session was closed."
            .into(),
        Error::ProtocolViolation(violation) => format!("Eos broke the protocol ({violation}); the session was closed."),
        Error::HandshakeFailed(Violation::ArrivedNull) => "The handshake failed: Eos's answer arrived empty (null), \
            so the browser could not read it (nested too deeply?) or Eos posted null."
            .into(),
        Error::HandshakeFailed(violation) => format!("The handshake failed ({violation})."),
        Error::DecodeFailed(why) => format!("A message from Eos could not be read ({why}); the session was closed."),
        Error::Overloaded(Overload::InterruptRate { limit }) => {
            format!("Eos sent too many actions (more than {limit} within a second); the action channel was closed.")
        }
        Error::Overloaded(Overload::PendingInterrupts { limit }) => format!(
            "Eos sent actions faster than this page could take them (more than {limit} waiting); the action channel was closed."
        ),
        Error::Overloaded(Overload::QueuedSends { limit }) => {
            format!("More than {limit} messages waited to go to Eos; the latest was refused.")
        }
        Error::Overloaded(overload) => format!("Eos sent more than this page holds ({overload})."),
        other => format!("Error: {other}."),
    };
    match error {
        Error::HandshakeFailed(_) | Error::TimedOut(Stage::Handshake | Stage::Acknowledgement) => words + RELOAD_HINT,
        _ => words,
    }
}

/// Why Eos's action channel ended, in plain words for the interrupt panel; `None` when it ended
/// with the session (`session_open` false, or no error), whose reason the page shows already.
///
/// The messenger ends a multi-use channel on its own on a flood ([`Error::Overloaded`]) or on an
/// interrupt that does not decode, and the session goes on: the host then offers Eos a new action
/// channel with its next reply (see [`crate::handler::Handler::actions_ended`]).
pub fn action_channel_failure(error: Option<&Error>, session_open: bool) -> Option<String> {
    let error = error.filter(|_| session_open)?;
    Some(match error {
        Error::Overloaded(_) => plain_words(error),
        Error::DecodeFailed(why) => {
            format!("An action from Eos could not be read ({why}); the action channel was closed.")
        }
        other => format!("The action channel from Eos failed ({other}); it was closed."),
    })
}

impl HostState {
    /// Applies one action.
    pub fn apply(&mut self, action: HostAction) {
        match action {
            HostAction::Observed(observation) => self.observe(observation),
            HostAction::Request(label) => {
                if let Some(row) = self
                    .wire
                    .latest_mut()
                    .rev()
                    .find(|r| r.direction == Direction::Incoming && r.kind == MessageKind::Message)
                {
                    row.label.get_or_insert(label);
                }
            }
            HostAction::Reply(label) => self.pending_reply_label = Some(label),
            HostAction::Greeted(greeting) => self.greeting = Some(greeting),
            HostAction::VersionMismatch(problem) => self.version_problem = Some(problem),
            HostAction::Notes(notes) => self.notes = notes,
            HostAction::Interrupt(text) => self.interrupts.push(text),
            HostAction::Interrupts(interrupts) => self.interrupts.append(interrupts),
            HostAction::InterruptsReceived { channel, count } => {
                if let Some(row) = self.channel(channel) {
                    row.received += count;
                }
            }
            HostAction::ActionsFailed(why) => self.interrupt_error = Some(why),
            HostAction::QuestionQueued(id) => self.question = QuestionState::Queued { id },
            HostAction::QuestionAsked(id) => self.question = QuestionState::Asked { id },
            HostAction::QuestionAnswered { id, answer } => self.question = QuestionState::Answered { id, answer },
            // Only the question on show: a question asked again replaces the first in Eos, whose
            // channel then ends only with the session, long after a later answer.
            HostAction::QuestionFailed { id, why } => {
                if self.question == (QuestionState::Asked { id }) {
                    self.question = QuestionState::Failed(why);
                }
            }
            HostAction::Problem(problem) => self.errors.push(problem),
            HostAction::Batch(actions) => actions.into_iter().for_each(|action| self.apply(action)),
        }
    }

    fn observe(&mut self, Observation { at, step }: Observation) {
        match step {
            Step::Handshake(HandshakeState::Knocking) => {
                self.session += 1;
                self.connection = Connection::Knocking;
                self.greeting = None;
                self.version_problem = None;
                self.interrupt_error = None;
            }
            Step::Handshake(HandshakeState::Answered) => self.connection = Connection::Answered,
            Step::Handshake(HandshakeState::Connected) => self.connection = Connection::Connected,
            // `Failed` comes first with the reason; this only covers an end without one.
            Step::Handshake(HandshakeState::Closed) if !matches!(self.connection, Connection::Closed(_)) => {
                self.connection = Connection::Closed("The session ended.".into());
            }
            Step::Handshake(_) => {}
            Step::Failed(error) => {
                let words = plain_words(&error);
                self.errors.push(words.clone());
                self.connection = Connection::Closed(words);
                for channel in self.channels.iter_mut().filter(|c| c.session == self.session) {
                    channel.open = false;
                }
            }
            Step::Message {
                direction,
                kind,
                generation,
                reply_after,
                interrupt,
            } => {
                let label = match direction {
                    Direction::Outgoing if kind == MessageKind::Message => self.pending_reply_label.take(),
                    _ => None,
                };
                self.wire.push(WireRow {
                    session: self.session,
                    at_ms: at.as_millis_f64(),
                    direction,
                    kind,
                    generation,
                    reply_after_ms: reply_after.map(|d| d.as_secs_f64() * 1000.0),
                    interrupt,
                    label,
                });
            }
            Step::InterruptOpened { channel, kind, .. } => {
                if self.channels.len() == CHANNELS_KEPT {
                    self.channels.pop_front();
                }
                self.channels.push_back(ChannelRow {
                    session: self.session,
                    channel: channel.0,
                    kind,
                    open: true,
                    received: 0,
                });
            }
            Step::Interrupt { channel, .. } => self.apply(HostAction::InterruptsReceived {
                channel: channel.0,
                count: 1,
            }),
            Step::InterruptClosed { channel } => {
                if let Some(row) = self.channel(channel.0) {
                    row.open = false;
                }
            }
            // Knock attempts show as knock rows; ignored window messages do not concern the host.
            _ => {}
        }
    }

    /// Whether the reducer does anything with `step` (the others need not wait for a frame).
    pub fn concerns(step: &Step) -> bool {
        !matches!(step, Step::KnockSent { .. } | Step::Ignored { .. })
    }

    fn channel(&mut self, channel: u64) -> Option<&mut ChannelRow> {
        let session = self.session;
        self.channels
            .iter_mut()
            .rev()
            .find(|c| c.session == session && c.channel == channel)
    }
}

impl Reducible for HostState {
    type Action = HostAction;

    fn reduce(self: Rc<Self>, action: HostAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use messenger::core::{Instant, PortId};

    use super::*;

    fn observed(ms: u64, step: Step) -> HostAction {
        HostAction::Observed(Observation {
            at: Instant::from_millis_f64(ms as f64),
            step,
        })
    }

    fn message(direction: Direction, kind: MessageKind, generation: u64) -> Step {
        Step::Message {
            direction,
            kind,
            generation,
            reply_after: None,
            interrupt: None,
        }
    }

    #[test]
    fn follows_the_handshake_and_counts_sessions() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!((state.connection.word(), state.session), ("knocking", 1));
        state.apply(observed(5, Step::Handshake(HandshakeState::Answered)));
        state.apply(observed(6, Step::Handshake(HandshakeState::Connected)));
        assert_eq!(state.connection.word(), "connected");
        state.apply(observed(9, Step::Failed(Error::Superseded)));
        state.apply(observed(9, Step::Handshake(HandshakeState::Closed)));
        assert_eq!(state.connection, Connection::Closed(plain_words(&Error::Superseded)));
        state.apply(observed(10, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!((state.connection.word(), state.session), ("knocking", 2));
    }

    #[test]
    fn labels_requests_and_replies_in_the_timeline() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        state.apply(observed(
            1,
            Step::Message {
                direction: Direction::Incoming,
                kind: MessageKind::Message,
                generation: 3,
                reply_after: Some(Duration::from_millis(4)),
                interrupt: None,
            },
        ));
        state.apply(HostAction::Request("list_items".into()));
        state.apply(HostAction::Reply("items".into()));
        state.apply(observed(2, message(Direction::Outgoing, MessageKind::Message, 4)));
        let rows: Vec<_> = state
            .wire
            .iter()
            .map(|r| (r.generation, r.label.as_deref(), r.reply_after_ms))
            .collect();
        assert_eq!(rows, [(3, Some("list_items"), Some(4.0)), (4, Some("items"), None)]);
    }

    #[test]
    fn tracks_interrupt_channels() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        let channel = PortId(7);
        state.apply(observed(
            1,
            Step::InterruptOpened {
                channel,
                kind: InterruptKind::MultiUse,
                direction: Direction::Incoming,
            },
        ));
        state.apply(observed(
            2,
            Step::Interrupt {
                channel,
                direction: Direction::Incoming,
            },
        ));
        state.apply(observed(
            3,
            Step::Interrupt {
                channel,
                direction: Direction::Incoming,
            },
        ));
        assert_eq!((state.channels[0].received, state.channels[0].open), (2, true));
        state.apply(observed(4, Step::InterruptClosed { channel }));
        assert!(!state.channels[0].open);
    }

    #[test]
    fn failure_closes_the_session_in_plain_words() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        state.apply(observed(
            1,
            Step::InterruptOpened {
                channel: PortId(1),
                kind: InterruptKind::OneTime,
                direction: Direction::Incoming,
            },
        ));
        state.apply(observed(2, Step::Failed(Error::TimedOut(Stage::Handshake))));
        assert_eq!(state.connection.word(), "closed");
        let knock = "Eos did not answer the knock in time. Press “Reload Eos” to try again.";
        assert_eq!(state.errors.iter().collect::<Vec<_>>(), [knock]);
        assert_eq!(state.connection, Connection::Closed(knock.into()));
        assert!(!state.channels[0].open);
    }

    #[test]
    fn a_failed_handshake_says_how_to_try_again() {
        for error in [
            Error::TimedOut(Stage::Handshake),
            Error::TimedOut(Stage::Acknowledgement),
            Error::HandshakeFailed(Violation::WrongVersion),
            Error::HandshakeFailed(Violation::ArrivedNull),
        ] {
            assert!(
                plain_words(&error).ends_with(RELOAD_HINT),
                "{error:?}: {}",
                plain_words(&error)
            );
        }
        for error in [
            Error::Closed,
            Error::Superseded,
            Error::TimedOut(Stage::Reply),
            Error::ProtocolViolation(Violation::OutOfTurn),
        ] {
            assert!(!plain_words(&error).contains("Reload Eos"), "{error:?}");
        }
    }

    #[test]
    fn new_errors_read_as_plain_words() {
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::InterruptRate { limit: 1000 })),
            "Eos sent too many actions (more than 1000 within a second); the action channel was closed."
        );
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::PendingInterrupts { limit: 1000 })),
            "Eos sent actions faster than this page could take them (more than 1000 waiting); the action channel was closed."
        );
        assert!(plain_words(&Error::ProtocolViolation(Violation::ArrivedNull))
            .starts_with("A message from Eos arrived empty (null)"));
        assert_eq!(
            plain_words(&Error::TimedOut(Stage::Acknowledgement)),
            "The handshake with Eos did not complete in time. Press “Reload Eos” to try again."
        );
    }

    #[test]
    fn an_action_channel_that_ends_alone_is_explained() {
        let flood = Error::Overloaded(Overload::InterruptRate { limit: 1000 });
        assert_eq!(
            action_channel_failure(Some(&flood), true).as_deref(),
            Some("Eos sent too many actions (more than 1000 within a second); the action channel was closed.")
        );
        assert_eq!(
            action_channel_failure(Some(&Error::DecodeFailed("unknown variant `explode`".into())), true).as_deref(),
            Some("An action from Eos could not be read (unknown variant `explode`); the action channel was closed.")
        );
        // The session ended: its own reason is on the page already.
        assert_eq!(action_channel_failure(Some(&Error::Superseded), false), None);
        assert_eq!(action_channel_failure(Some(&flood), false), None);
        assert_eq!(action_channel_failure(None, true), None);

        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        state.apply(HostAction::ActionsFailed("too many".into()));
        assert_eq!(state.interrupt_error.as_deref(), Some("too many"));
        state.apply(observed(1, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!(state.interrupt_error, None, "a new session starts clean");
    }

    #[test]
    fn keeps_the_latest_interrupts_and_counts_them_all() {
        let mut state = HostState::default();
        for n in 0..1_234 {
            state.apply(HostAction::Interrupt(format!("pin #{n}")));
        }
        let mut batch = Interrupts::default();
        batch.push("share #1".into());
        state.apply(HostAction::Interrupts(batch));
        assert_eq!(state.interrupts.total(), 1_235);
        assert_eq!(state.interrupts.len(), INTERRUPTS_KEPT);
        assert_eq!(state.interrupts.iter().next().map(String::as_str), Some("pin #935"));
        assert_eq!(state.interrupts.iter().last().map(String::as_str), Some("share #1"));
    }

    #[test]
    fn coalesced_receipts_count_like_single_ones() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        state.apply(observed(
            1,
            Step::InterruptOpened {
                channel: PortId(4),
                kind: InterruptKind::MultiUse,
                direction: Direction::Incoming,
            },
        ));
        state.apply(HostAction::Batch(vec![
            HostAction::InterruptsReceived { channel: 4, count: 500 },
            observed(
                2,
                Step::Interrupt {
                    channel: PortId(4),
                    direction: Direction::Incoming,
                },
            ),
            HostAction::InterruptsReceived { channel: 9, count: 3 },
        ]));
        assert_eq!(state.channels[0].received, 501);
    }

    #[test]
    fn keeps_a_bounded_list_of_channels() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        for channel in 0..(CHANNELS_KEPT as u64 + 5) {
            state.apply(observed(
                1,
                Step::InterruptOpened {
                    channel: PortId(channel),
                    kind: InterruptKind::OneTime,
                    direction: Direction::Incoming,
                },
            ));
        }
        assert_eq!(state.channels.len(), CHANNELS_KEPT);
        assert_eq!(state.channels[0].channel, 5);
    }

    #[test]
    fn only_the_question_on_show_can_fail() {
        let mut state = HostState::default();
        state.apply(HostAction::QuestionAsked(1));
        state.apply(HostAction::QuestionAsked(2));
        let answer = HostAction::QuestionAnswered {
            id: 2,
            answer: "chose #1".into(),
        };
        state.apply(answer);
        // The session ends: question 1's channel, never answered, fails only now.
        state.apply(HostAction::QuestionFailed {
            id: 1,
            why: "closed".into(),
        });
        assert_eq!(
            state.question,
            QuestionState::Answered {
                id: 2,
                answer: "chose #1".into()
            }
        );
        state.apply(HostAction::QuestionAsked(3));
        state.apply(HostAction::QuestionFailed {
            id: 3,
            why: "closed".into(),
        });
        assert_eq!(state.question, QuestionState::Failed("closed".into()));
    }

    #[test]
    fn keeps_a_bounded_timeline() {
        let mut state = HostState::default();
        for generation in 0..(WIRE_ROWS_KEPT as u64 + 10) {
            state.apply(observed(
                generation,
                message(Direction::Outgoing, MessageKind::Knock, generation),
            ));
        }
        assert_eq!(state.wire.len(), WIRE_ROWS_KEPT);
        assert_eq!(state.wire.iter().next().unwrap().generation, 10);
        assert_eq!(state.wire.total(), WIRE_ROWS_KEPT as u64 + 10);
    }
}
