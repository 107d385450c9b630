//! What the host page shows, and the reducer that changes it. Plain Rust: tested natively.

use std::rc::Rc;

use messenger::{Direction, Error, HandshakeState, InterruptKind, MessageKind, Observation, Stage, Step};
use shared_proto::ItemSummary;
use yew::Reducible;

/// How many wire rows the inspector keeps (the oldest go first).
pub const WIRE_ROWS_KEPT: usize = 400;

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
    pub wire: Vec<WireRow>,
    /// Interrupt channels, oldest first.
    pub channels: Vec<ChannelRow>,
    /// Interrupts received from Eos, in order, in words.
    pub interrupts: Vec<String>,
    /// The one-time question.
    pub question: QuestionState,
    /// The notes as the host stores them.
    pub notes: Vec<ItemSummary>,
    /// Errors in plain words, newest last.
    pub errors: Vec<String>,
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
            wire: Vec::new(),
            channels: Vec::new(),
            interrupts: Vec::new(),
            question: QuestionState::Idle,
            notes: Vec::new(),
            errors: Vec::new(),
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
}

/// An error in plain words for a person watching the page.
pub fn plain_words(error: &Error) -> String {
    match error {
        Error::Closed => "The session was closed on this page.".into(),
        Error::Superseded => "Eos reloaded; the old session was replaced by a new one.".into(),
        Error::TimedOut(Stage::Handshake) => "Eos did not answer the knock in time.".into(),
        Error::TimedOut(Stage::Reply) => "Eos stopped replying (it may have been closed or reloaded).".into(),
        Error::TimedOut(stage) => format!("Eos did not complete {stage} in time."),
        Error::ProtocolViolation(violation) => format!("Eos broke the protocol ({violation}); the session was closed."),
        Error::HandshakeFailed(violation) => format!("The handshake failed ({violation})."),
        Error::DecodeFailed(why) => format!("A message from Eos could not be read ({why}); the session was closed."),
        other => format!("Error: {other}."),
    }
}

impl HostState {
    /// Applies one action.
    pub fn apply(&mut self, action: HostAction) {
        match action {
            HostAction::Observed(observation) => self.observe(observation),
            HostAction::Request(label) => {
                if let Some(row) = self
                    .wire
                    .iter_mut()
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
        }
    }

    fn observe(&mut self, Observation { at, step }: Observation) {
        match step {
            Step::Handshake(HandshakeState::Knocking) => {
                self.session += 1;
                self.connection = Connection::Knocking;
                self.greeting = None;
                self.version_problem = None;
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
                if self.wire.len() > WIRE_ROWS_KEPT {
                    self.wire.remove(0);
                }
            }
            Step::InterruptOpened { channel, kind, .. } => self.channels.push(ChannelRow {
                session: self.session,
                channel: channel.0,
                kind,
                open: true,
                received: 0,
            }),
            Step::Interrupt { channel, .. } => {
                if let Some(row) = self.channel(channel.0) {
                    row.received += 1;
                }
            }
            Step::InterruptClosed { channel } => {
                if let Some(row) = self.channel(channel.0) {
                    row.open = false;
                }
            }
            // Knock attempts show as knock rows; ignored window messages do not concern the host.
            _ => {}
        }
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
        assert_eq!(state.errors, ["Eos did not answer the knock in time."]);
        assert!(!state.channels[0].open);
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
        assert_eq!(state.wire[0].generation, 10);
    }
}
