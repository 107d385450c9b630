//! What the host page shows, and the reducer that changes it. Plain Rust: tested natively.
//!
//! The page must stay responsive when Eos floods it: every list the reducer keeps is bounded
//! ([`Recent`] keeps the latest entries and counts all of them; the inspector's [`Timeline`]
//! folds runs and keeps the handshake in view), applying an action costs O(1) apart from those
//! bounded lists, and the messenger's actions reach the reducer in one [`HostAction::Batch`] per
//! animation frame (see [`crate::outbox`]), so the state is copied once per frame, not once per
//! event.

use std::collections::VecDeque;
use std::rc::Rc;

use messenger::{Direction, Error, HandshakeState, InterruptKind, MessageKind, Observation, Stage, Step};
use shared_proto::{plain_words, ItemSummary, Side};
use yew::Reducible;

use crate::timeline::{Timeline, WireRow};

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
}

/// Interrupts received from Eos, in words.
pub type Interrupts = Recent<String, INTERRUPTS_KEPT>;
/// Errors in plain words.
pub type Errors = Recent<String, ERRORS_KEPT>;

/// The link to Eos as the page shows it (named apart from the messenger's own `Connection`, the
/// protocol's state machine).
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// Knocking on the iframe, waiting for Eos to answer.
    Knocking,
    /// Eos answered; the acknowledgement is due.
    Answered,
    /// The handshake is complete.
    Connected,
    /// The session ended, with the reason in plain words.
    Closed(String),
}

impl Link {
    /// The one word shown in `#connection-state`.
    pub fn word(&self) -> &'static str {
        match self {
            Link::Knocking => "knocking",
            Link::Answered => "answered",
            Link::Connected => "connected",
            Link::Closed(_) => "closed",
        }
    }
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
    /// The current session's link.
    pub link: Link,
    /// How many sessions there have been (reconnections add one).
    pub session: u32,
    /// The greeting of Eos's introduction, once received.
    pub greeting: Option<String>,
    /// A protocol version problem, shown prominently.
    pub version_problem: Option<String>,
    /// The inspector's timeline, oldest first.
    pub timeline: Timeline,
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
            link: Link::Knocking,
            session: 0,
            greeting: None,
            version_problem: None,
            timeline: Timeline::default(),
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

/// An error that ended a session with Eos, in plain words for a person watching the page.
///
/// A failed handshake (a knock not answered, an answer not acknowledged, an invalid answer) ends
/// with [`RELOAD_HINT`]: the host knocks again only when the iframe loads anew.
pub fn session_words(error: &Error) -> String {
    let words = plain_words(error, Side::Host);
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
        Error::Overloaded(_) => plain_words(error, Side::Host),
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
            HostAction::Request(label) => self.timeline.label_request(self.session, label),
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
                self.timeline.begin(self.session);
                self.link = Link::Knocking;
                self.greeting = None;
                self.version_problem = None;
                self.interrupt_error = None;
            }
            Step::Handshake(HandshakeState::Answered) => self.link = Link::Answered,
            Step::Handshake(HandshakeState::Connected) => self.link = Link::Connected,
            // `Failed` comes first with the reason; this only covers an end without one.
            Step::Handshake(HandshakeState::Closed) if !matches!(self.link, Link::Closed(_)) => {
                self.link = Link::Closed("The session ended.".into());
            }
            Step::Handshake(_) => {}
            Step::Failed(error) => {
                let words = session_words(&error);
                self.errors.push(words.clone());
                self.link = Link::Closed(words);
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
                self.timeline.push(WireRow {
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
                    channel: channel.raw(),
                    kind,
                    open: true,
                    received: 0,
                });
            }
            Step::Interrupt { channel, .. } => self.apply(HostAction::InterruptsReceived {
                channel: channel.raw(),
                count: 1,
            }),
            Step::InterruptClosed { channel } => {
                if let Some(row) = self.channel(channel.raw()) {
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
    use messenger::{Overload, Violation};

    use super::*;
    use crate::timeline::{Row, ROWS_KEPT};

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
        assert_eq!((state.link.word(), state.session), ("knocking", 1));
        state.apply(observed(5, Step::Handshake(HandshakeState::Answered)));
        state.apply(observed(6, Step::Handshake(HandshakeState::Connected)));
        assert_eq!(state.link.word(), "connected");
        state.apply(observed(9, Step::Failed(Error::Superseded)));
        state.apply(observed(9, Step::Handshake(HandshakeState::Closed)));
        assert_eq!(state.link, Link::Closed(session_words(&Error::Superseded)));
        state.apply(observed(10, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!((state.link.word(), state.session), ("knocking", 2));
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
            .timeline
            .iter()
            .map(|row| match row {
                Row::Message(r) => (r.generation, r.label.as_deref(), r.reply_after_ms),
                other => panic!("expected single messages, got {other:?}"),
            })
            .collect();
        assert_eq!(rows, [(3, Some("list_items"), Some(4.0)), (4, Some("items"), None)]);
    }

    #[test]
    fn tracks_interrupt_channels() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        let channel = PortId::from_raw(7);
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
                channel: PortId::from_raw(1),
                kind: InterruptKind::OneTime,
                direction: Direction::Incoming,
            },
        ));
        state.apply(observed(2, Step::Failed(Error::TimedOut(Stage::Handshake))));
        assert_eq!(state.link.word(), "closed");
        let knock = "Eos did not answer the knock in time. Press “Reload Eos” to try again.";
        assert_eq!(state.errors.iter().collect::<Vec<_>>(), [knock]);
        assert_eq!(state.link, Link::Closed(knock.into()));
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
                session_words(&error).ends_with(RELOAD_HINT),
                "{error:?}: {}",
                session_words(&error)
            );
        }
        for error in [
            Error::Closed,
            Error::Superseded,
            Error::TimedOut(Stage::Reply),
            Error::ProtocolViolation(Violation::OutOfTurn),
        ] {
            assert!(!session_words(&error).contains("Reload Eos"), "{error:?}");
        }
    }

    #[test]
    fn session_errors_read_as_the_shared_plain_words() {
        // The words themselves are tested with `shared_proto::plain_words`; the page adds only
        // the hint.
        for error in [
            Error::Overloaded(Overload::InterruptRate { limit: 1000 }),
            Error::ProtocolViolation(Violation::ArrivedNull),
        ] {
            assert_eq!(session_words(&error), plain_words(&error, Side::Host));
        }
        assert_eq!(
            session_words(&Error::TimedOut(Stage::Acknowledgement)),
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
                channel: PortId::from_raw(4),
                kind: InterruptKind::MultiUse,
                direction: Direction::Incoming,
            },
        ));
        state.apply(HostAction::Batch(vec![
            HostAction::InterruptsReceived { channel: 4, count: 500 },
            observed(
                2,
                Step::Interrupt {
                    channel: PortId::from_raw(4),
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
                    channel: PortId::from_raw(channel),
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
    fn keeps_a_bounded_timeline_with_the_handshake_in_it() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        for _ in 0..12 {
            state.apply(observed(0, message(Direction::Outgoing, MessageKind::Knock, 0)));
        }
        state.apply(observed(1, message(Direction::Incoming, MessageKind::Listen, 1)));
        state.apply(observed(2, message(Direction::Outgoing, MessageKind::Acknowledge, 2)));
        let requests = ROWS_KEPT as u64 + 10;
        for generation in 3..3 + requests {
            let direction = if generation % 2 == 1 {
                Direction::Incoming
            } else {
                Direction::Outgoing
            };
            state.apply(observed(
                generation,
                message(direction, MessageKind::Message, generation),
            ));
        }
        assert_eq!(state.timeline.len(), ROWS_KEPT);
        assert_eq!(state.timeline.total(), 12 + 2 + requests);
        let kinds: Vec<_> = state
            .timeline
            .iter()
            .take(4)
            .map(|row| match row {
                Row::Knocks(run) => format!("knock ×{}", run.count),
                Row::Message(r) => format!("{:?} {}", r.kind, r.generation),
                Row::Polls(_) => "polls".into(),
            })
            .collect();
        // The oldest messages went, the handshake stayed.
        assert_eq!(kinds, ["knock ×12", "Listen 1", "Acknowledge 2", "Message 16"]);
    }
}
