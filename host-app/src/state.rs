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
use shared_proto::{plain_words, FileInfo, ItemSummary, Sha256, Side};
use yew::Reducible;

use crate::blob_url::BlobUrl;
use crate::files::Shelf;
use crate::peer::{Peer, SessionId};
use crate::timeline::{Timeline, WireRow};

/// How many interrupts the interrupt panel keeps (the oldest go first).
pub const INTERRUPTS_KEPT: usize = 300;
/// How many interrupt channels the page remembers (the oldest go first; eight are shown).
pub const CHANNELS_KEPT: usize = 100;
/// How many errors the inspector keeps (the oldest go first).
pub const ERRORS_KEPT: usize = 50;

/// What the page adds to a failed handshake with the iframe: the host does not knock again on
/// its own until the iframe loads anew.
pub const RELOAD_HINT: &str = " Press “Reload Eos” to try again.";

/// What the page adds to a failed handshake with Eos's window: the host keeps knocking on the
/// window, and a reloaded Eos listens afresh.
pub const WINDOW_RELOAD_HINT: &str = " Reload Eos's window to try again.";

/// What the page says when Eos's window was closed (noticed by [`crate::popup`]'s
/// [`messenger::WindowKeeper`] within its closed check, 250 ms).
pub const WINDOW_CLOSED: &str = "Eos's window was closed; its session ended.";

/// What the page says when Eos's window reloaded or left: the keeper got an answer from a new Eos
/// there (`Superseded`), or the old Eos's `pagehide` sent its close notice first
/// (`PeerClosed(PageHidden)`); either way the old session ended, and the keeper's knocks find a
/// reloaded Eos.
pub const WINDOW_RELOADED: &str = "Eos's window reloaded or left; the old session ended.";

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

/// The link to one Eos as the page shows it (named apart from the messenger's own `Connection`,
/// the protocol's state machine).
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// No Eos there yet: the window was never opened.
    NotOpen,
    /// Knocking, waiting for Eos to answer.
    Knocking,
    /// Eos answered; the acknowledgement is due.
    Answered,
    /// The handshake is complete.
    Connected,
    /// The session ended, with the reason in plain words.
    Closed(String),
}

impl Link {
    /// The one word shown in `#connection-state` (and `#window-state`).
    pub fn word(&self) -> &'static str {
        match self {
            Link::NotOpen => "not open",
            Link::Knocking => "knocking",
            Link::Answered => "answered",
            Link::Connected => "connected",
            Link::Closed(_) => "closed",
        }
    }
}

/// What the page shows about one Eos: its current session.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerState {
    /// The current session's link.
    pub link: Link,
    /// The current session's number (0 before the first).
    pub session: u32,
    /// The greeting of Eos's introduction, once received.
    pub greeting: Option<String>,
    /// A protocol version problem, shown prominently.
    pub version_problem: Option<String>,
    /// Why the last action channel ended early, in plain words (until the next session).
    pub interrupt_error: Option<String>,
    /// A label for the session's next outgoing message (the handler labels its reply before it
    /// is posted).
    pending_reply_label: Option<String>,
    /// A session this page ended itself, with its reason already shown: the messenger's own
    /// report of that end (`Failed(Closed)`) adds nothing.
    ended: Option<u32>,
}

impl PeerState {
    fn new(link: Link) -> PeerState {
        PeerState {
            link,
            session: 0,
            greeting: None,
            version_problem: None,
            interrupt_error: None,
            pending_reply_label: None,
            ended: None,
        }
    }

    /// Whether `session` is this peer's current one.
    fn is_current(&self, session: SessionId) -> bool {
        self.session == session.number
    }
}

/// An interrupt channel as the inspector lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    /// Which session of which Eos.
    pub session: SessionId,
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
    /// Waiting for the next turn of the Eos the user chose to carry the question.
    Queued {
        /// The question's id.
        id: u64,
        /// The Eos it is put to.
        to: Peer,
    },
    /// The question went out; its one-time channel is open.
    Asked {
        /// The question's id.
        id: u64,
        /// The Eos it went to.
        to: Peer,
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
    /// Eos in the iframe.
    pub frame: PeerState,
    /// Eos in a window the page opened.
    pub window: PeerState,
    /// The inspector's timeline, oldest first.
    pub timeline: Timeline,
    /// Interrupt channels, oldest first (at most [`CHANNELS_KEPT`]).
    pub channels: VecDeque<ChannelRow>,
    /// Interrupts received from either Eos, in order, in words.
    pub interrupts: Interrupts,
    /// The one-time question.
    pub question: QuestionState,
    /// The notes as the host stores them.
    pub notes: Vec<ItemSummary>,
    /// Errors in plain words, newest last.
    pub errors: Errors,
    /// The files Eos sent, the last [`crate::files::FILES_KEPT`].
    pub files: Shelf<BlobUrl>,
}

impl Default for HostState {
    fn default() -> Self {
        HostState {
            // The iframe loads with the page, and the host knocks as soon as it has.
            frame: PeerState::new(Link::Knocking),
            window: PeerState::new(Link::NotOpen),
            timeline: Timeline::default(),
            channels: VecDeque::new(),
            interrupts: Interrupts::default(),
            question: QuestionState::Idle,
            notes: Vec::new(),
            errors: Errors::default(),
            files: Shelf::default(),
        }
    }
}

/// Everything that changes the host page.
#[derive(Debug, Clone, PartialEq)]
pub enum HostAction {
    /// Something about one session with one Eos.
    Session(SessionId, SessionAction),
    /// The stored notes changed.
    Notes(Vec<ItemSummary>),
    /// Eos reported a user action.
    Interrupt(String),
    /// Eos reported these user actions (many [`HostAction::Interrupt`]s, coalesced).
    Interrupts(Interrupts),
    /// The user asked a question of the Eos `to`; it waits for that Eos's next turn.
    QuestionQueued {
        /// The question.
        id: u64,
        /// The Eos the user chose.
        to: Peer,
    },
    /// The question went out to the Eos `to`.
    QuestionAsked {
        /// The question.
        id: u64,
        /// The Eos it went to.
        to: Peer,
    },
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
    /// Eos sent a file in `session`, and the host keeps it (at `url`).
    FileReceived {
        /// The session it came in.
        session: SessionId,
        /// Its name, type and size.
        info: FileInfo,
        /// Its bytes' `blob:` URL.
        url: BlobUrl,
    },
    /// The browser computed the SHA-256 of the file at `url`.
    FileDigested {
        /// The file's `blob:` URL, which names it until the shelf lets it go.
        url: BlobUrl,
        /// The digest of the bytes received.
        sha256: Sha256,
    },
    /// The user removed file `id` from the page (its URL is revoked once no state holds it).
    FileRemoved(u64),
    /// Something went wrong outside the protocol trace.
    Problem(String),
    /// Several actions, applied in order with one copy of the state and one render.
    Batch(Vec<HostAction>),
}

/// What happened in one session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionAction {
    /// A protocol step reported by the session's observer.
    Observed(Observation),
    /// The handler saw a request of this kind (labels the latest incoming message).
    Request(String),
    /// The handler answers with a reply of this kind (labels the next outgoing message).
    Reply(String),
    /// Eos introduced itself with this greeting.
    Greeted(String),
    /// Eos speaks another protocol version.
    VersionMismatch(String),
    /// `count` interrupts arrived on channel `channel` (many `Observed(Step::Interrupt)`,
    /// coalesced).
    InterruptsReceived {
        /// The channel's port id.
        channel: u64,
        /// How many arrived.
        count: usize,
    },
    /// The action channel ended on its own, the session going on; why, in plain words.
    ActionsFailed(String),
    /// This page ended the session (or gave up its knock), for this reason in plain words: Eos's
    /// window was closed or reloaded. It is shown at once; the messenger's own report that the
    /// session closed adds nothing.
    Ended(String),
}

/// An error that ended a session with `peer`, in plain words for a person watching the page.
///
/// A failed handshake (a knock not answered, an answer not acknowledged, an invalid answer) ends
/// with how to try again: the host knocks on the iframe again only when it loads anew
/// ([`RELOAD_HINT`]); on Eos's window it keeps knocking, so a reload of the window is enough
/// ([`WINDOW_RELOAD_HINT`]).
pub fn session_words(error: &Error, peer: Peer) -> String {
    let words = plain_words(error, Side::Host);
    match (error, peer) {
        (Error::HandshakeFailed(_) | Error::TimedOut(Stage::Handshake | Stage::Acknowledgement), Peer::Frame) => {
            words + RELOAD_HINT
        }
        (Error::HandshakeFailed(_) | Error::TimedOut(Stage::Handshake | Stage::Acknowledgement), Peer::Window) => {
            words + WINDOW_RELOAD_HINT
        }
        _ => words,
    }
}

/// Why Eos's action channel ended, in plain words for the interrupt panel; `None` when it ended
/// with the session ([`SessionLife::Ended`], or no error), whose reason the page shows already.
///
/// The messenger ends a multi-use channel on its own on a flood ([`Error::Overloaded`]) or on an
/// interrupt that does not decode, and the session goes on: the host then offers Eos a new action
/// channel with its next reply (see [`crate::handler::Handler::actions_ended`]).
pub fn action_channel_failure(error: Option<&Error>, session: SessionLife) -> Option<String> {
    let error = error.filter(|_| session == SessionLife::Running)?;
    Some(match error {
        Error::Overloaded(_) => plain_words(error, Side::Host),
        Error::DecodeFailed(why) => {
            format!("An action from Eos could not be read ({why}); the action channel was closed.")
        }
        other => format!("The action channel from Eos failed ({other}); it was closed."),
    })
}

/// Whether a session still runs when one of its channels ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLife {
    /// The session goes on without the channel.
    Running,
    /// The session ended (and took the channel with it).
    Ended,
}

impl HostState {
    /// Applies one action.
    pub fn apply(&mut self, action: HostAction) {
        match action {
            HostAction::Session(session, action) => self.apply_to(session, action),
            HostAction::Notes(notes) => self.notes = notes,
            HostAction::Interrupt(text) => self.interrupts.push(text),
            HostAction::Interrupts(interrupts) => self.interrupts.append(interrupts),
            HostAction::QuestionQueued { id, to } => self.question = QuestionState::Queued { id, to },
            HostAction::QuestionAsked { id, to } => self.question = QuestionState::Asked { id, to },
            HostAction::QuestionAnswered { id, answer } => self.question = QuestionState::Answered { id, answer },
            // Only the question on show: a question asked again replaces the first in Eos, whose
            // channel then ends only with the session, long after a later answer.
            HostAction::QuestionFailed { id, why } => {
                if matches!(self.question, QuestionState::Asked { id: asked, .. } if asked == id) {
                    self.question = QuestionState::Failed(why);
                }
            }
            HostAction::FileReceived { session, info, url } => {
                self.files.keep(session, info, url);
            }
            HostAction::FileDigested { url, sha256 } => self.files.digested(&url, sha256),
            HostAction::FileRemoved(id) => self.files.remove(id),
            HostAction::Problem(problem) => self.errors.push(problem),
            HostAction::Batch(actions) => actions.into_iter().for_each(|action| self.apply(action)),
        }
    }

    /// What the page shows about `peer`.
    pub fn peer(&self, peer: Peer) -> &PeerState {
        match peer {
            Peer::Frame => &self.frame,
            Peer::Window => &self.window,
        }
    }

    fn peer_mut(&mut self, peer: Peer) -> &mut PeerState {
        match peer {
            Peer::Frame => &mut self.frame,
            Peer::Window => &mut self.window,
        }
    }

    /// Applies `action` of `session`. A session that is no longer its peer's current one (the
    /// iframe or the window reloaded since) still closes its channels and reports its end, but
    /// no longer changes what the page says about the peer.
    fn apply_to(&mut self, session: SessionId, action: SessionAction) {
        let current = self.peer(session.peer).is_current(session);
        match action {
            SessionAction::Observed(observation) => self.observe(session, observation),
            SessionAction::Request(label) => self.timeline.label_request(session, label),
            SessionAction::Reply(label) if current => self.peer_mut(session.peer).pending_reply_label = Some(label),
            SessionAction::Greeted(greeting) if current => self.peer_mut(session.peer).greeting = Some(greeting),
            SessionAction::VersionMismatch(problem) if current => {
                self.peer_mut(session.peer).version_problem = Some(problem)
            }
            SessionAction::InterruptsReceived { channel, count } => {
                if let Some(row) = self.channel(session, channel) {
                    row.received += count;
                }
            }
            SessionAction::ActionsFailed(why) if current => self.peer_mut(session.peer).interrupt_error = Some(why),
            SessionAction::Ended(reason) => {
                self.errors.push(reason.clone());
                self.close_channels(session);
                let peer = self.peer_mut(session.peer);
                peer.ended = Some(session.number);
                if current {
                    peer.link = Link::Closed(reason);
                }
            }
            SessionAction::Reply(_)
            | SessionAction::Greeted(_)
            | SessionAction::VersionMismatch(_)
            | SessionAction::ActionsFailed(_) => {}
        }
    }

    fn observe(&mut self, session: SessionId, Observation { at, step }: Observation) {
        let peer = self.peer_mut(session.peer);
        let current = peer.is_current(session);
        match step {
            // Sessions start in order: a later number is the peer's new current session.
            Step::Handshake(HandshakeState::Knocking) if session.number > peer.session => {
                *peer = PeerState {
                    session: session.number,
                    ..PeerState::new(Link::Knocking)
                };
                self.timeline.begin(session);
            }
            Step::Handshake(HandshakeState::Answered) if current => peer.link = Link::Answered,
            Step::Handshake(HandshakeState::Connected) if current => peer.link = Link::Connected,
            // `Failed` comes first with the reason; this only covers an end without one.
            Step::Handshake(HandshakeState::Closed) if current && !matches!(peer.link, Link::Closed(_)) => {
                peer.link = Link::Closed("The session ended.".into());
            }
            Step::Handshake(_) => {}
            // The page ended this session itself and said why already.
            Step::Failed(Error::Closed) if peer.ended == Some(session.number) => {}
            Step::Failed(error) => {
                // A session that ended over the app's protocol version (Eos closes it after the
                // host's refusal) says so, naming both versions, rather than only that Eos closed.
                let words = match (&peer.version_problem, current) {
                    (Some(problem), true) => problem.clone(),
                    _ => session_words(&error, session.peer),
                };
                if current {
                    peer.link = Link::Closed(words.clone());
                }
                self.errors.push(words);
                self.close_channels(session);
            }
            Step::Message {
                direction,
                kind,
                generation,
                reply_after,
                interrupt,
            } => {
                let label = match direction {
                    Direction::Outgoing if kind == MessageKind::Message && current => peer.pending_reply_label.take(),
                    _ => None,
                };
                self.timeline.push(WireRow {
                    session,
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
                    session,
                    channel: channel.raw(),
                    kind,
                    open: true,
                    received: 0,
                });
            }
            Step::Interrupt { channel, .. } => {
                if let Some(row) = self.channel(session, channel.raw()) {
                    row.received += 1;
                }
            }
            Step::InterruptClosed { channel } => {
                if let Some(row) = self.channel(session, channel.raw()) {
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

    fn channel(&mut self, session: SessionId, channel: u64) -> Option<&mut ChannelRow> {
        self.channels
            .iter_mut()
            .rev()
            .find(|c| c.session == session && c.channel == channel)
    }

    fn close_channels(&mut self, session: SessionId) {
        for channel in self.channels.iter_mut().filter(|c| c.session == session) {
            channel.open = false;
        }
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

    use messenger::protocol::{Instant, PortId};
    use messenger::{Overload, Violation};

    use super::*;
    use crate::timeline::{Row, ROWS_KEPT};

    use crate::peer::test_ids::{frame, window};

    /// `step` of `session`, observed at `ms`.
    fn step(session: SessionId, ms: u64, step: Step) -> HostAction {
        HostAction::Session(
            session,
            SessionAction::Observed(Observation {
                at: Instant::from_millis_f64(ms as f64),
                step,
            }),
        )
    }

    /// `step` of the iframe's first session.
    fn observed(ms: u64, step_: Step) -> HostAction {
        step(frame(1), ms, step_)
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

    fn opened(channel: u64) -> Step {
        Step::InterruptOpened {
            channel: PortId::from_raw(channel),
            kind: InterruptKind::MultiUse,
            direction: Direction::Incoming,
        }
    }

    /// Session `session` knocked, was answered and is connected.
    fn connect(state: &mut HostState, session: SessionId) {
        for handshake in [
            HandshakeState::Knocking,
            HandshakeState::Answered,
            HandshakeState::Connected,
        ] {
            state.apply(step(session, 0, Step::Handshake(handshake)));
        }
    }

    #[test]
    fn follows_the_handshake_and_counts_sessions() {
        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!((state.frame.link.word(), state.frame.session), ("knocking", 1));
        state.apply(observed(5, Step::Handshake(HandshakeState::Answered)));
        state.apply(observed(6, Step::Handshake(HandshakeState::Connected)));
        assert_eq!(state.frame.link.word(), "connected");
        state.apply(observed(9, Step::Failed(Error::Superseded)));
        state.apply(observed(9, Step::Handshake(HandshakeState::Closed)));
        assert_eq!(
            state.frame.link,
            Link::Closed(session_words(&Error::Superseded, Peer::Frame))
        );
        state.apply(step(frame(2), 10, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!((state.frame.link.word(), state.frame.session), ("knocking", 2));
        assert_eq!(state.window.link, Link::NotOpen, "the window was never opened");
    }

    #[test]
    fn lifecycle_a_version_mismatch_ends_in_words_naming_both_versions() {
        let mut state = HostState::default();
        connect(&mut state, frame(1));
        let problem =
            "Eos speaks protocol v2; this host speaks v1. The session was closed: update both to the same version.";
        state.apply(HostAction::Session(
            frame(1),
            SessionAction::VersionMismatch(problem.into()),
        ));
        // Eos closes the session after the host's refusal; its close notice ends it at once.
        state.apply(observed(
            9,
            Step::Failed(Error::PeerClosed(messenger::CloseReason::Closed)),
        ));
        assert_eq!(state.frame.link, Link::Closed(problem.into()));
        assert_eq!(state.frame.version_problem.as_deref(), Some(problem));
        assert_eq!(state.errors.iter().collect::<Vec<_>>(), [problem]);
    }

    #[test]
    fn lifecycle_a_reload_of_eos_reads_the_same_whichever_end_comes_first() {
        for error in [Error::Superseded, Error::PeerClosed(messenger::CloseReason::PageHidden)] {
            let mut state = HostState::default();
            connect(&mut state, frame(1));
            state.apply(observed(9, Step::Failed(error.clone())));
            let Link::Closed(words) = &state.frame.link else {
                panic!("{error:?} left the link {:?}", state.frame.link)
            };
            assert!(words.starts_with("Eos reloaded or left;"), "{error:?}: {words}");
        }
    }

    #[test]
    fn lifecycle_the_question_panel_follows_the_chosen_eos() {
        let mut state = HostState::default();
        state.apply(HostAction::QuestionQueued {
            id: 1,
            to: Peer::Window,
        });
        assert_eq!(
            state.question,
            QuestionState::Queued {
                id: 1,
                to: Peer::Window
            }
        );
        state.apply(HostAction::QuestionAsked {
            id: 1,
            to: Peer::Window,
        });
        state.apply(HostAction::QuestionFailed {
            id: 1,
            why: "refused".into(),
        });
        assert_eq!(state.question, QuestionState::Failed("refused".into()));
    }

    #[test]
    fn the_iframe_and_the_window_have_sessions_of_their_own() {
        let mut state = HostState::default();
        connect(&mut state, frame(1));
        connect(&mut state, window(2));
        state.apply(HostAction::Session(
            window(2),
            SessionAction::Greeted("from the window".into()),
        ));
        assert_eq!((state.frame.link.word(), state.frame.session), ("connected", 1));
        assert_eq!((state.window.link.word(), state.window.session), ("connected", 2));
        assert_eq!(state.window.greeting.as_deref(), Some("from the window"));
        assert_eq!(state.frame.greeting, None);
        // The window's session fails; the iframe's goes on.
        state.apply(step(window(2), 1, Step::Failed(Error::TimedOut(Stage::Reply))));
        assert_eq!(
            state.window.link,
            Link::Closed("Eos stopped answering: the session was closed.".into())
        );
        assert_eq!(state.frame.link.word(), "connected");
    }

    #[test]
    fn an_old_sessions_end_does_not_close_its_peers_new_session() {
        let mut state = HostState::default();
        connect(&mut state, window(2));
        state.apply(step(window(2), 1, opened(4)));
        // The window reloaded: session 3 answered before session 2's end was reported.
        connect(&mut state, window(3));
        state.apply(HostAction::Session(
            window(2),
            SessionAction::Ended(WINDOW_RELOADED.into()),
        ));
        state.apply(step(window(2), 2, Step::Failed(Error::Closed)));
        state.apply(step(window(2), 2, Step::Handshake(HandshakeState::Closed)));
        assert_eq!((state.window.link.word(), state.window.session), ("connected", 3));
        // Its end is reported once, in the page's words, and its channel shows closed.
        assert_eq!(state.errors.iter().collect::<Vec<_>>(), [WINDOW_RELOADED]);
        assert!(!state.channels[0].open);
        // Its late steps label nothing of the new session.
        state.apply(HostAction::Session(window(2), SessionAction::Greeted("old".into())));
        assert_eq!(state.window.greeting, None);
    }

    #[test]
    fn a_session_the_page_ended_shows_the_pages_reason() {
        let mut state = HostState::default();
        connect(&mut state, window(2));
        state.apply(HostAction::Session(
            window(2),
            SessionAction::Ended(WINDOW_CLOSED.into()),
        ));
        state.apply(step(window(2), 1, Step::Failed(Error::Closed)));
        state.apply(step(window(2), 1, Step::Handshake(HandshakeState::Closed)));
        assert_eq!(state.window.link, Link::Closed(WINDOW_CLOSED.into()));
        assert_eq!(state.errors.iter().collect::<Vec<_>>(), [WINDOW_CLOSED]);
        // A knock given up (no session, so no report from the messenger) shows the same.
        let mut knocking = HostState::default();
        knocking.apply(step(window(2), 0, Step::Handshake(HandshakeState::Knocking)));
        knocking.apply(HostAction::Session(
            window(2),
            SessionAction::Ended(WINDOW_CLOSED.into()),
        ));
        assert_eq!(knocking.window.link, Link::Closed(WINDOW_CLOSED.into()));
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
        state.apply(HostAction::Session(
            frame(1),
            SessionAction::Request("list_items".into()),
        ));
        state.apply(HostAction::Session(frame(1), SessionAction::Reply("items".into())));
        state.apply(observed(2, message(Direction::Outgoing, MessageKind::Message, 4)));
        let rows: Vec<_> = state
            .timeline
            .iter()
            .map(|row| match row {
                Row::Message(r) => (r.session, r.generation, r.label.as_deref(), r.reply_after_ms),
                other => panic!("expected single messages, got {other:?}"),
            })
            .collect();
        assert_eq!(
            rows,
            [
                (frame(1), 3, Some("list_items"), Some(4.0)),
                (frame(1), 4, Some("items"), None)
            ]
        );
    }

    #[test]
    fn tracks_interrupt_channels_per_session() {
        let mut state = HostState::default();
        connect(&mut state, frame(1));
        connect(&mut state, window(2));
        // Port ids are per session: both sessions may have a channel 7.
        let channel = PortId::from_raw(7);
        state.apply(observed(1, opened(7)));
        state.apply(step(window(2), 1, opened(7)));
        let interrupt = Step::Interrupt {
            channel,
            direction: Direction::Incoming,
        };
        state.apply(observed(2, interrupt.clone()));
        state.apply(observed(3, interrupt));
        let counts =
            |state: &HostState| -> Vec<_> { state.channels.iter().map(|c| (c.session, c.received, c.open)).collect() };
        assert_eq!(counts(&state), [(frame(1), 2, true), (window(2), 0, true)]);
        state.apply(observed(4, Step::InterruptClosed { channel }));
        assert_eq!(counts(&state), [(frame(1), 2, false), (window(2), 0, true)]);
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
        assert_eq!(state.frame.link.word(), "closed");
        let knock = "Eos did not answer the knock in time. Press “Reload Eos” to try again.";
        assert_eq!(state.errors.iter().collect::<Vec<_>>(), [knock]);
        assert_eq!(state.frame.link, Link::Closed(knock.into()));
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
            let words = session_words(&error, Peer::Frame);
            assert!(words.ends_with(RELOAD_HINT), "{error:?}: {words}");
            let words = session_words(&error, Peer::Window);
            assert!(words.ends_with(WINDOW_RELOAD_HINT), "{error:?}: {words}");
        }
        for error in [
            Error::Closed,
            Error::Superseded,
            Error::TimedOut(Stage::Reply),
            Error::ProtocolViolation(Violation::OutOfTurn),
        ] {
            for peer in [Peer::Frame, Peer::Window] {
                assert!(!session_words(&error, peer).contains("Reload Eos"), "{error:?}");
            }
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
            assert_eq!(session_words(&error, Peer::Frame), plain_words(&error, Side::Host));
        }
        assert_eq!(
            session_words(&Error::TimedOut(Stage::Acknowledgement), Peer::Frame),
            "The handshake with Eos did not complete in time. Press “Reload Eos” to try again."
        );
    }

    #[test]
    fn an_action_channel_that_ends_alone_is_explained() {
        let flood = Error::Overloaded(Overload::InterruptRate { limit: 1000 });
        assert_eq!(
            action_channel_failure(Some(&flood), SessionLife::Running).as_deref(),
            Some("Eos sent too many actions (more than 1000 within a second); the action channel was closed.")
        );
        let undecodable = Error::DecodeFailed("unknown variant `explode`".into());
        assert_eq!(
            action_channel_failure(Some(&undecodable), SessionLife::Running).as_deref(),
            Some("An action from Eos could not be read (unknown variant `explode`); the action channel was closed.")
        );
        // The session ended: its own reason is on the page already.
        assert_eq!(
            action_channel_failure(Some(&Error::Superseded), SessionLife::Ended),
            None
        );
        assert_eq!(action_channel_failure(Some(&flood), SessionLife::Ended), None);
        assert_eq!(action_channel_failure(None, SessionLife::Running), None);

        let mut state = HostState::default();
        state.apply(observed(0, Step::Handshake(HandshakeState::Knocking)));
        state.apply(HostAction::Session(
            frame(1),
            SessionAction::ActionsFailed("too many".into()),
        ));
        assert_eq!(state.frame.interrupt_error.as_deref(), Some("too many"));
        state.apply(step(frame(2), 1, Step::Handshake(HandshakeState::Knocking)));
        assert_eq!(state.frame.interrupt_error, None, "a new session starts clean");
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
        state.apply(observed(1, opened(4)));
        let received =
            |channel, count| HostAction::Session(frame(1), SessionAction::InterruptsReceived { channel, count });
        state.apply(HostAction::Batch(vec![
            received(4, 500),
            observed(
                2,
                Step::Interrupt {
                    channel: PortId::from_raw(4),
                    direction: Direction::Incoming,
                },
            ),
            received(9, 3),
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
        state.apply(HostAction::QuestionAsked { id: 1, to: Peer::Frame });
        state.apply(HostAction::QuestionAsked {
            id: 2,
            to: Peer::Window,
        });
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
        state.apply(HostAction::QuestionAsked { id: 3, to: Peer::Frame });
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
