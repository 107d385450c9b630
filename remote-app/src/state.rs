//! What Eos shows, and the reducer that changes it. Plain Rust: tested natively.

use std::rc::Rc;

use messenger::{Error, Overload, Stage, Violation};
use shared_proto::{Draft, Failure, Item, ItemId, ItemSummary, PhosphorescenceReply, Question, PROTOCOL_VERSION};
use yew::Reducible;

use crate::config::HOST_ORIGIN;

/// The connection as Eos shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// Opened outside an iframe: there is no host to talk to.
    NotEmbedded,
    /// Waiting for the host's knock.
    Listening,
    /// The handshake is complete.
    Connected,
    /// The session ended, with the reason in plain words.
    Closed(String),
    /// The host's welcome named another protocol version: Eos closed the session and stays
    /// silent. The explanation in plain words.
    VersionMismatch(String),
}

impl Connection {
    /// The word shown in `#connection-state`.
    pub fn word(&self) -> &'static str {
        match self {
            Connection::NotEmbedded => "not embedded",
            Connection::Listening => "listening",
            Connection::Connected => "connected",
            Connection::Closed(_) => "closed",
            Connection::VersionMismatch(_) => "version mismatch",
        }
    }
}

/// An error that ended the session, in plain words for the person using Eos.
pub fn plain_words(error: &Error) -> String {
    match error {
        Error::TimedOut(Stage::Handshake) => {
            format!("No knock from {HOST_ORIGIN} arrived. Eos talks only to that host, from inside its page.")
        }
        Error::TimedOut(Stage::Acknowledgement) => format!(
            "A knock from {HOST_ORIGIN} arrived and Eos answered it, but the host never acknowledged the answer (it went away mid-handshake). Reload the host page to try again."
        ),
        Error::TimedOut(Stage::Reply) => "The host stopped answering: the session was closed.".into(),
        Error::Closed => "The session was closed.".into(),
        Error::ProtocolViolation(Violation::ArrivedNull) | Error::HandshakeFailed(Violation::ArrivedNull) => {
            "A message from the host arrived empty (null): the browser could not read it (nested too deeply?) or the host posted null. The session was closed.".into()
        }
        Error::Overloaded(Overload::QueuedSends { limit }) => {
            format!("More than {limit} requests waited for the host; the session could not keep up.")
        }
        Error::Overloaded(overload) => format!("The host sent more than Eos holds ({overload})."),
        other => format!("The session ended: {other}."),
    }
}

/// Whether Eos must stop after `reply`: a welcome from a host that speaks another protocol
/// version, explained in plain words. Eos then closes its messenger and sends nothing more.
pub fn version_problem(reply: &PhosphorescenceReply) -> Option<String> {
    match reply {
        PhosphorescenceReply::Welcome { protocol_version, .. } if *protocol_version != PROTOCOL_VERSION => Some(format!(
            "The host speaks protocol v{protocol_version}; Eos speaks v{PROTOCOL_VERSION}. Eos stopped: the two need to be updated to the same version."
        )),
        _ => None,
    }
}

/// What an interrupt channel that came with a reply is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    /// The one-time channel for the answer to the question the reply carries.
    Answer,
    /// A new multi-use channel for the action buttons, replacing the previous one (the host
    /// sends one with its welcome, and again after the previous one ended).
    Actions,
}

impl Carried {
    /// What the channel that came with `reply` is for.
    pub fn by(reply: &PhosphorescenceReply) -> Carried {
        match reply {
            PhosphorescenceReply::Polled { question: Some(_) } => Carried::Answer,
            _ => Carried::Actions,
        }
    }
}

/// What the editor edits.
#[derive(Debug, Clone, PartialEq)]
pub enum Editing {
    /// A new note.
    New,
    /// An existing note, as of `revision`.
    Existing {
        /// Which note.
        id: ItemId,
        /// The revision the edit is based on.
        revision: u32,
    },
}

/// The open editor.
#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    /// What is edited.
    pub editing: Editing,
    /// The text so far.
    pub draft: Draft,
}

/// A question from the host, answered on its one-time interrupt channel.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionView {
    /// The question.
    pub question: Question,
    /// What happened to the user's clicks, in words.
    pub status: Option<String>,
}

/// Eos's state.
#[derive(Debug, Clone, PartialEq)]
pub struct EosState {
    /// The connection.
    pub connection: Connection,
    /// The host's greeting, from its welcome.
    pub greeting: Option<String>,
    /// A protocol version problem.
    pub version_problem: Option<String>,
    /// The notes' summaries.
    pub notes: Vec<ItemSummary>,
    /// The note being viewed.
    pub selected: Option<Item>,
    /// The open editor.
    pub editor: Option<Editor>,
    /// Requests on their way.
    pub in_flight: usize,
    /// The last failure, in words.
    pub error: Option<String>,
    /// The last success, in words.
    pub notice: Option<String>,
    /// The host's question, if one is open.
    pub question: Option<QuestionView>,
    /// Whether the action buttons have a channel to the host.
    pub actions_ready: bool,
}

impl Default for EosState {
    fn default() -> Self {
        EosState {
            connection: Connection::Listening,
            greeting: None,
            version_problem: None,
            notes: Vec::new(),
            selected: None,
            editor: None,
            in_flight: 0,
            error: None,
            notice: None,
            question: None,
            actions_ready: false,
        }
    }
}

/// Everything that changes Eos.
#[derive(Debug, Clone, PartialEq)]
pub enum EosAction {
    /// Opened outside an iframe.
    NotEmbedded,
    /// The handshake completed.
    Connected,
    /// The session ended.
    Closed(String),
    /// A request the user waits for went out (polls do not count).
    Sent,
    /// The host replied.
    Replied(PhosphorescenceReply),
    /// A reply carried a (new) interrupt channel for the action buttons.
    ActionsReady,
    /// The host asked a question.
    Asked(Question),
    /// A click on an answer or action button had this outcome.
    Clicked {
        /// What happened, in words.
        outcome: String,
        /// Whether it concerned the question.
        question: bool,
    },
    /// Start a new note.
    EditNew,
    /// Edit the selected note.
    EditSelected,
    /// The editor's title changed.
    EditTitle(String),
    /// The editor's body changed.
    EditBody(String),
    /// Close the editor.
    CancelEdit,
}

impl EosState {
    /// Applies one action.
    pub fn apply(&mut self, action: EosAction) {
        match action {
            EosAction::NotEmbedded => self.connection = Connection::NotEmbedded,
            EosAction::Connected => self.connection = Connection::Connected,
            EosAction::Closed(reason) => {
                // A version mismatch stays on show: it is why the session ended.
                if !matches!(self.connection, Connection::VersionMismatch(_)) {
                    self.connection = Connection::Closed(reason);
                }
                self.actions_ready = false;
                self.in_flight = 0;
            }
            EosAction::Sent => self.in_flight += 1,
            EosAction::Replied(reply) => {
                if !matches!(reply, PhosphorescenceReply::Polled { .. }) {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                self.replied(reply);
            }
            EosAction::ActionsReady => self.actions_ready = self.connection == Connection::Connected,
            EosAction::Asked(question) => self.question = Some(QuestionView { question, status: None }),
            EosAction::Clicked {
                outcome,
                question: true,
            } => {
                if let Some(view) = &mut self.question {
                    view.status = Some(outcome);
                }
            }
            EosAction::Clicked {
                outcome,
                question: false,
            } => self.notice = Some(outcome),
            EosAction::EditNew => {
                self.editor = Some(Editor {
                    editing: Editing::New,
                    draft: Draft::default(),
                })
            }
            EosAction::EditSelected => {
                if let Some(item) = &self.selected {
                    self.editor = Some(Editor {
                        editing: Editing::Existing {
                            id: item.id,
                            revision: item.revision,
                        },
                        draft: Draft {
                            title: item.title.clone(),
                            body: item.body.clone(),
                        },
                    });
                }
            }
            EosAction::EditTitle(title) => {
                if let Some(editor) = &mut self.editor {
                    editor.draft.title = title;
                }
            }
            EosAction::EditBody(body) => {
                if let Some(editor) = &mut self.editor {
                    editor.draft.body = body;
                }
            }
            EosAction::CancelEdit => self.editor = None,
        }
    }

    fn replied(&mut self, reply: PhosphorescenceReply) {
        if let Some(problem) = version_problem(&reply) {
            self.connection = Connection::VersionMismatch(problem);
            self.actions_ready = false;
            self.in_flight = 0;
            return;
        }
        match reply {
            PhosphorescenceReply::Welcome { greeting, .. } => self.greeting = Some(greeting),
            PhosphorescenceReply::Items { items } => {
                if let Some(selected) = &self.selected {
                    if !items.iter().any(|i| i.id == selected.id) {
                        self.selected = None;
                    }
                }
                self.notes = items;
            }
            PhosphorescenceReply::Item { item } => {
                // A save answers with the stored note: the editor is done with it.
                let saved = match &self.editor {
                    Some(Editor {
                        editing: Editing::Existing { id, .. },
                        ..
                    }) => *id == item.id,
                    Some(Editor {
                        editing: Editing::New,
                        draft,
                    }) => draft.title == item.title,
                    None => false,
                };
                if saved {
                    self.editor = None;
                    self.notice = Some(format!("Saved {} (revision {}).", item.id, item.revision));
                }
                self.error = None;
                self.selected = Some(item);
            }
            PhosphorescenceReply::Deleted { id } => {
                self.notes.retain(|n| n.id != id);
                if self.selected.as_ref().is_some_and(|s| s.id == id) {
                    self.selected = None;
                }
                self.editor = None;
                self.notice = Some(format!("Deleted {id}."));
                self.error = None;
            }
            PhosphorescenceReply::Polled { .. } => {}
            PhosphorescenceReply::Failed { failure } => {
                if let Failure::VersionMismatch { .. } = failure {
                    self.version_problem = Some(failure.to_string());
                }
                if let Failure::Stale { current } = &failure {
                    // Show the note as it is now; the editor keeps the user's text.
                    self.selected = Some(current.clone());
                }
                self.error = Some(failure.to_string());
                self.notice = None;
            }
        }
    }
}

impl Reducible for EosState {
    type Action = EosAction;

    fn reduce(self: Rc<Self>, action: EosAction) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use shared_proto::{Field, FieldError, Problem};

    use super::*;

    fn item(id: u64, title: &str, revision: u32) -> Item {
        Item {
            id: ItemId(id),
            title: title.into(),
            body: String::new(),
            revision,
        }
    }

    #[test]
    fn welcome_and_listing_fill_the_page() {
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        state.apply(EosAction::Sent);
        state.apply(EosAction::Replied(PhosphorescenceReply::Welcome {
            host: "P".into(),
            protocol_version: 1,
            greeting: "hello".into(),
            offers: vec![],
        }));
        state.apply(EosAction::Replied(PhosphorescenceReply::Items {
            items: vec![ItemSummary::from(&item(1, "a", 1))],
        }));
        assert_eq!(state.connection.word(), "connected");
        assert_eq!(state.greeting.as_deref(), Some("hello"));
        assert_eq!(state.notes.len(), 1);
        assert_eq!(state.in_flight, 0);
    }

    #[test]
    fn saving_closes_the_editor_and_shows_the_stored_note() {
        let mut state = EosState::default();
        state.apply(EosAction::Replied(PhosphorescenceReply::Item { item: item(2, "b", 1) }));
        state.apply(EosAction::EditSelected);
        state.apply(EosAction::EditTitle("c".into()));
        assert_eq!(
            state.editor.as_ref().unwrap().editing,
            Editing::Existing {
                id: ItemId(2),
                revision: 1
            }
        );
        state.apply(EosAction::Replied(PhosphorescenceReply::Item { item: item(2, "c", 2) }));
        assert_eq!(state.editor, None);
        assert_eq!(state.selected.as_ref().unwrap().revision, 2);
    }

    #[test]
    fn typed_failures_are_shown_and_stale_refreshes_the_note() {
        let mut state = EosState::default();
        state.apply(EosAction::Replied(PhosphorescenceReply::Item { item: item(2, "b", 1) }));
        state.apply(EosAction::EditSelected);
        let errors = vec![FieldError {
            field: Field::Title,
            problem: Problem::Empty,
        }];
        state.apply(EosAction::Replied(PhosphorescenceReply::Failed {
            failure: Failure::Invalid { errors },
        }));
        assert_eq!(state.error.as_deref(), Some("invalid note: the title is empty"));
        assert!(state.editor.is_some(), "the user's text stays");
        state.apply(EosAction::Replied(PhosphorescenceReply::Failed {
            failure: Failure::Stale {
                current: item(2, "b2", 3),
            },
        }));
        assert_eq!(state.selected.as_ref().unwrap().revision, 3);
        assert!(state.error.as_deref().unwrap().contains("changed meanwhile"));
    }

    #[test]
    fn polls_do_not_show_as_busy() {
        let mut state = EosState::default();
        state.apply(EosAction::Sent);
        state.apply(EosAction::Replied(PhosphorescenceReply::Polled { question: None }));
        assert_eq!(state.in_flight, 1, "a poll's reply does not end the user's request");
        state.apply(EosAction::Replied(PhosphorescenceReply::Items { items: vec![] }));
        assert_eq!(state.in_flight, 0);
    }

    #[test]
    fn deleting_forgets_the_note() {
        let mut state = EosState::default();
        state.apply(EosAction::Replied(PhosphorescenceReply::Items {
            items: vec![ItemSummary::from(&item(1, "a", 1))],
        }));
        state.apply(EosAction::Replied(PhosphorescenceReply::Item { item: item(1, "a", 1) }));
        state.apply(EosAction::Replied(PhosphorescenceReply::Deleted { id: ItemId(1) }));
        assert!(state.notes.is_empty() && state.selected.is_none());
    }

    #[test]
    fn version_mismatch_is_shown() {
        let mut state = EosState::default();
        state.apply(EosAction::Replied(PhosphorescenceReply::Failed {
            failure: Failure::VersionMismatch { host: 1, eos: 2 },
        }));
        assert!(state.version_problem.as_deref().unwrap().contains("v1"));
    }

    #[test]
    fn closing_disables_actions() {
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        state.apply(EosAction::ActionsReady);
        assert!(state.actions_ready);
        state.apply(EosAction::Closed("gone".into()));
        assert_eq!((state.connection.word(), state.actions_ready), ("closed", false));
        state.apply(EosAction::ActionsReady);
        assert!(!state.actions_ready, "a closed session has no actions");
    }

    fn welcome(version: u32) -> PhosphorescenceReply {
        PhosphorescenceReply::Welcome {
            host: "Phosphorescence".into(),
            protocol_version: version,
            greeting: "hello".into(),
            offers: vec![],
        }
    }

    #[test]
    fn a_welcome_in_another_version_stops_eos() {
        assert_eq!(version_problem(&welcome(PROTOCOL_VERSION)), None);
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        state.apply(EosAction::Sent);
        state.apply(EosAction::Replied(welcome(PROTOCOL_VERSION + 1)));
        assert_eq!(state.connection.word(), "version mismatch");
        let Connection::VersionMismatch(detail) = &state.connection else {
            unreachable!()
        };
        assert!(
            detail.starts_with("The host speaks protocol v2; Eos speaks v1."),
            "{detail}"
        );
        assert_eq!((state.greeting.as_deref(), state.in_flight), (None, 0));
        // Nothing afterwards brings it back: no action channel, and its close keeps the reason.
        state.apply(EosAction::ActionsReady);
        state.apply(EosAction::Closed("The session was closed.".into()));
        assert_eq!(
            (state.connection.word(), state.actions_ready),
            ("version mismatch", false)
        );
    }

    #[test]
    fn any_reply_but_a_question_may_carry_new_actions() {
        assert_eq!(Carried::by(&welcome(1)), Carried::Actions);
        assert_eq!(
            Carried::by(&PhosphorescenceReply::Polled { question: None }),
            Carried::Actions
        );
        assert_eq!(
            Carried::by(&PhosphorescenceReply::Items { items: vec![] }),
            Carried::Actions
        );
        assert_eq!(
            Carried::by(&PhosphorescenceReply::Failed {
                failure: Failure::NotFound { id: ItemId(1) }
            }),
            Carried::Actions
        );
        let question = Question {
            id: 1,
            prompt: "Which?".into(),
        };
        assert_eq!(
            Carried::by(&PhosphorescenceReply::Polled {
                question: Some(question)
            }),
            Carried::Answer
        );
        // A new channel makes the buttons live again.
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        state.apply(EosAction::ActionsReady);
        state.apply(EosAction::Replied(PhosphorescenceReply::Polled { question: None }));
        state.apply(EosAction::ActionsReady);
        assert!(state.actions_ready);
    }

    #[test]
    fn errors_read_as_plain_words() {
        assert!(plain_words(&Error::TimedOut(Stage::Acknowledgement)).contains("never acknowledged the answer"));
        assert_eq!(
            plain_words(&Error::TimedOut(Stage::Reply)),
            "The host stopped answering: the session was closed."
        );
        for null in [
            Error::ProtocolViolation(Violation::ArrivedNull),
            Error::HandshakeFailed(Violation::ArrivedNull),
        ] {
            assert!(plain_words(&null).starts_with("A message from the host arrived empty (null)"));
        }
        assert_eq!(
            plain_words(&Error::Overloaded(Overload::QueuedSends { limit: 1000 })),
            "More than 1000 requests waited for the host; the session could not keep up."
        );
    }

    #[test]
    fn storage_failures_are_shown_in_plain_words() {
        let mut state = EosState::default();
        state.apply(EosAction::EditNew);
        state.apply(EosAction::EditTitle("Plans".into()));
        for (failure, words) in [
            (
                Failure::StorageFull {},
                "the host's storage is full: the note was not saved",
            ),
            (
                Failure::TooManyNotes { limit: 200 },
                "the host keeps at most 200 notes: delete one to make room",
            ),
            (
                Failure::TooMuchText { limit: 524_288 },
                "the host keeps at most 524288 bytes of note text: shorten or delete a note to make room",
            ),
        ] {
            state.apply(EosAction::Replied(PhosphorescenceReply::Failed { failure }));
            assert_eq!(state.error.as_deref(), Some(words));
            assert!(state.editor.is_some(), "the user's text stays");
        }
    }
}
