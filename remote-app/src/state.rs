//! What Eos shows, and the reducer that changes it. Plain Rust: tested natively.

use std::rc::Rc;

use shared_proto::{
    size_words, too_large_words, version_words, Draft, EosRequest, Failure, FileInfo, Item, ItemId, ItemSummary,
    PhosphorescenceReply, Question, RequestKind, Sha256, Side, PROTOCOL_VERSION,
};
use yew::Reducible;

/// The link to the host as Eos shows it (named apart from the messenger's own `Connection`, the
/// protocol's state machine).
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// Opened on its own, neither in an iframe nor in a window the host opened: there is no host
    /// to talk to.
    NotEmbedded,
    /// Waiting for the host's knock.
    Listening,
    /// The handshake is complete.
    Connected,
    /// The session ended, with the reason in plain words.
    Closed(String),
    /// The host's welcome named another protocol version, or the host refused Eos's: Eos closed
    /// the session and stays silent. The explanation in plain words, naming both versions.
    VersionMismatch(String),
}

impl Link {
    /// The word shown in `#connection-state`.
    pub fn word(&self) -> &'static str {
        match self {
            Link::NotEmbedded => "not embedded",
            Link::Listening => "listening",
            Link::Connected => "connected",
            Link::Closed(_) => "closed",
            Link::VersionMismatch(_) => "version mismatch",
        }
    }
}

/// Whether Eos must stop after `reply`, as Eos of application protocol version `ours`: a welcome
/// from a host that speaks another version, or the host's refusal of Eos's version
/// ([`Failure::VersionMismatch`]), explained in plain words naming both versions. Eos then closes
/// its messenger and sends nothing more.
pub fn version_problem(reply: &PhosphorescenceReply, ours: u32) -> Option<String> {
    match reply {
        PhosphorescenceReply::Welcome { protocol_version, .. } if *protocol_version != ours => {
            Some(version_words(*protocol_version, ours, Side::Eos))
        }
        PhosphorescenceReply::Failed {
            failure: Failure::VersionMismatch { host, eos },
        } => Some(version_words(*host, *eos, Side::Eos)),
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

/// The file the user picked to send, and what became of the last one sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileView {
    /// The picked file, not sent yet.
    pub picked: Option<FileInfo>,
    /// Why the picked file is not sent: it passes [`shared_proto::MAX_FILE_BYTES`].
    pub refused: Option<String>,
    /// Whether a file is on its way (one at a time: its buffer moves to the host).
    pub sending: bool,
    /// What became of the last file sent, in words.
    pub status: Option<String>,
    /// The SHA-256 of the last file sent, computed before it went (the send empties its
    /// buffer here), for a person to compare with the host's; `None` when the browser could not.
    pub sha256: Option<Sha256>,
}

impl FileView {
    /// Whether the Send button sends the picked file: there is one, it is within the limit (or
    /// `unchecked`: an e2e build told to skip Eos's own check) and no other is on its way.
    pub fn can_send(&self, unchecked: bool) -> bool {
        self.picked.is_some() && (self.refused.is_none() || unchecked) && !self.sending
    }
}

/// Eos's state.
#[derive(Debug, Clone, PartialEq)]
pub struct EosState {
    /// The application protocol version this Eos speaks ([`PROTOCOL_VERSION`] but in the e2e
    /// tests of version skew).
    pub version: u32,
    /// The link to the host.
    pub link: Link,
    /// Where Eos runs, once known.
    pub place: Option<Place>,
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
    /// The file to send.
    pub file: FileView,
}

impl Default for EosState {
    fn default() -> Self {
        EosState::speaking(PROTOCOL_VERSION)
    }
}

impl EosState {
    /// A fresh Eos that speaks application protocol `version`.
    pub fn speaking(version: u32) -> Self {
        EosState {
            version,
            link: Link::Listening,
            place: None,
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
            file: FileView::default(),
        }
    }
}

/// Where Eos runs, and so which window it listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the host page's iframe: it listens to its parent.
    Frame,
    /// In a top-level window the host opened: it listens to its opener.
    Window,
}

impl Place {
    /// The word on the page (`data-place`).
    pub fn word(self) -> &'static str {
        match self {
            Place::Frame => "frame",
            Place::Window => "window",
        }
    }
}

/// Which kind of button a click concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    /// An answer to the host's question (on its one-time channel).
    Answer,
    /// An action button (on the multi-use action channel).
    Action,
}

/// Everything that changes Eos.
#[derive(Debug, Clone, PartialEq)]
pub enum EosAction {
    /// Opened on its own: neither framed nor opened by another window.
    NotEmbedded,
    /// Runs at `Place`, listening for its host there.
    Placed(Place),
    /// The handshake completed.
    Connected,
    /// The session ended.
    Closed(String),
    /// A request the user waits for went out (polls do not count).
    Sent,
    /// The host replied to `request`.
    Replied {
        /// What Eos asked.
        request: EosRequest,
        /// What the host answered.
        reply: PhosphorescenceReply,
    },
    /// A reply carried a (new) interrupt channel for the action buttons.
    ActionsReady,
    /// The host asked a question.
    Asked(Question),
    /// A click on an answer or action button had this outcome.
    Clicked {
        /// Which kind of button.
        button: Button,
        /// What happened, in words.
        outcome: String,
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
    /// The user picked a file (`None`: the picker was cleared).
    FilePicked(Option<FileInfo>),
    /// The picked file went out, its bytes read into a transferable buffer, with their SHA-256
    /// (`None`: the browser could not compute it).
    FileSending(FileInfo, Option<Sha256>),
    /// The browser could not read the picked file; why, in words.
    FileUnreadable(String),
}

impl EosState {
    /// Applies one action.
    pub fn apply(&mut self, action: EosAction) {
        match action {
            EosAction::NotEmbedded => self.link = Link::NotEmbedded,
            EosAction::Placed(place) => self.place = Some(place),
            EosAction::Connected => self.link = Link::Connected,
            EosAction::Closed(reason) => {
                // A version mismatch stays on show: it is why the session ended.
                if !matches!(self.link, Link::VersionMismatch(_)) {
                    self.link = Link::Closed(reason);
                }
                self.actions_ready = false;
                self.in_flight = 0;
                if self.file.sending {
                    self.file.sending = false;
                    self.file.status = Some("The file was not kept: the session ended.".into());
                }
            }
            EosAction::Sent => self.in_flight += 1,
            EosAction::Replied { request, reply } => {
                // A poll is not something the user waits for (see `Sent`).
                if !matches!(request, EosRequest::Poll {}) {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                self.replied(&request, reply);
            }
            EosAction::ActionsReady => self.actions_ready = self.link == Link::Connected,
            EosAction::Asked(question) => self.question = Some(QuestionView { question, status: None }),
            EosAction::Clicked {
                button: Button::Answer,
                outcome,
            } => {
                if let Some(view) = &mut self.question {
                    view.status = Some(outcome);
                }
            }
            EosAction::Clicked {
                button: Button::Action,
                outcome,
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
            EosAction::FilePicked(picked) => {
                self.file.refused = picked.as_ref().filter(|info| info.too_large()).map(too_large_words);
                self.file.picked = picked;
                self.file.status = None;
            }
            EosAction::FileSending(info, sha256) => {
                self.file.sha256 = sha256;
                self.file.picked = None;
                self.file.refused = None;
                self.file.sending = true;
                self.file.status = Some(format!("Sending {info}…"));
            }
            EosAction::FileUnreadable(why) => {
                self.file.picked = None;
                self.file.refused = None;
                self.file.status = Some(format!("The file could not be read: {why}."));
            }
        }
    }

    /// Applies the host's `reply` to `request`: the request says what the reply means (a note
    /// that answers a save closes the editor; the same note answering a read does not).
    fn replied(&mut self, request: &EosRequest, reply: PhosphorescenceReply) {
        if let Some(problem) = version_problem(&reply, self.version) {
            self.version_problem = Some(problem.clone());
            self.link = Link::VersionMismatch(problem);
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
                // A save answers with the stored note: the editor that made it is done.
                let editing = self.editor.as_ref().map(|editor| &editor.editing);
                let saved = match (request, editing) {
                    (EosRequest::CreateItem { .. }, Some(Editing::New)) => true,
                    (EosRequest::UpdateItem { id, .. }, Some(Editing::Existing { id: edited, .. })) => {
                        id == edited && item.id == *id
                    }
                    _ => false,
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
                if matches!(self.editor, Some(Editor { editing: Editing::Existing { id: edited, .. }, .. }) if edited == id)
                {
                    self.editor = None;
                }
                self.notice = Some(format!("Deleted {id}."));
                self.error = None;
            }
            PhosphorescenceReply::Polled { .. } => {}
            PhosphorescenceReply::FileKept { name, size } => {
                self.file.sending = false;
                self.file.status = Some(format!("The host kept “{name}” ({}).", size_words(size)));
            }
            PhosphorescenceReply::Failed { failure } => {
                if request.kind() == RequestKind::SendFile {
                    self.file.sending = false;
                    self.file.status = Some(format!("The host refused the file: {failure}."));
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

    fn draft(title: &str) -> Draft {
        Draft {
            title: title.into(),
            body: String::new(),
        }
    }

    fn welcome(version: u32) -> PhosphorescenceReply {
        PhosphorescenceReply::Welcome {
            host: "Phosphorescence".into(),
            protocol_version: version,
            greeting: "hello".into(),
            offers: vec![],
        }
    }

    fn introduce() -> EosRequest {
        EosRequest::Introduce {
            app: "Eos".into(),
            protocol_version: PROTOCOL_VERSION,
            greeting: "hi".into(),
        }
    }

    fn get(id: u64) -> EosRequest {
        EosRequest::GetItem { id: ItemId(id) }
    }

    fn update(id: u64, revision: u32, title: &str) -> EosRequest {
        EosRequest::UpdateItem {
            id: ItemId(id),
            revision,
            draft: draft(title),
        }
    }

    fn failed(failure: Failure) -> PhosphorescenceReply {
        PhosphorescenceReply::Failed { failure }
    }

    /// Sends `request` as the user would (a poll does not count as busy) and applies `reply`.
    fn ask(state: &mut EosState, request: EosRequest, reply: PhosphorescenceReply) {
        if !matches!(request, EosRequest::Poll {}) {
            state.apply(EosAction::Sent);
        }
        state.apply(EosAction::Replied { request, reply });
    }

    /// Connected, welcomed, with notes #1 "a" and #2 "b" listed and #2 open.
    fn showing_note_2() -> EosState {
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        ask(&mut state, introduce(), welcome(PROTOCOL_VERSION));
        let items = vec![ItemSummary::from(&item(1, "a", 1)), ItemSummary::from(&item(2, "b", 1))];
        ask(
            &mut state,
            EosRequest::ListItems {},
            PhosphorescenceReply::Items { items },
        );
        ask(&mut state, get(2), PhosphorescenceReply::Item { item: item(2, "b", 1) });
        state
    }

    #[test]
    fn introduce_and_list_items_fill_the_page() {
        let state = showing_note_2();
        assert_eq!(state.link.word(), "connected");
        assert_eq!(state.greeting.as_deref(), Some("hello"));
        assert_eq!(state.notes.len(), 2);
        assert_eq!(state.in_flight, 0);
    }

    #[test]
    fn a_listing_without_the_open_note_closes_it() {
        let mut state = showing_note_2();
        let items = vec![ItemSummary::from(&item(1, "a", 1))];
        ask(
            &mut state,
            EosRequest::ListItems {},
            PhosphorescenceReply::Items { items },
        );
        assert_eq!(state.selected, None);
    }

    #[test]
    fn get_item_shows_the_note_and_leaves_an_open_editor_alone() {
        let mut state = showing_note_2();
        assert_eq!(state.selected.as_ref().map(|s| s.id), Some(ItemId(2)));
        state.apply(EosAction::EditSelected);
        state.apply(EosAction::EditTitle("b, edited".into()));
        // The same note read again (another request in between) is no save: the edit stays open.
        ask(&mut state, get(2), PhosphorescenceReply::Item { item: item(2, "b", 1) });
        let editor = state.editor.as_ref().expect("the editor stays open");
        assert_eq!(editor.draft.title, "b, edited");
        assert_eq!(state.notice, None);
    }

    #[test]
    fn a_read_of_a_note_titled_like_the_new_draft_is_no_save() {
        // Once the reducer guessed a create by the title; now only a create's reply is a save.
        let mut state = showing_note_2();
        state.apply(EosAction::EditNew);
        state.apply(EosAction::EditTitle("a".into()));
        ask(&mut state, get(1), PhosphorescenceReply::Item { item: item(1, "a", 1) });
        assert_eq!(state.editor.as_ref().map(|e| &e.editing), Some(&Editing::New));
    }

    #[test]
    fn create_item_closes_the_new_note_editor_whatever_title_the_host_stored() {
        let mut state = showing_note_2();
        state.apply(EosAction::EditNew);
        state.apply(EosAction::EditTitle("  Plans  ".into()));
        let request = EosRequest::CreateItem {
            draft: draft("  Plans  "),
        };
        // A host may store the title tidied: the reply still answers this create.
        ask(
            &mut state,
            request,
            PhosphorescenceReply::Item {
                item: item(3, "Plans", 1),
            },
        );
        assert_eq!(state.editor, None);
        assert_eq!(state.notice.as_deref(), Some("Saved #3 (revision 1)."));
        assert_eq!(state.selected.as_ref().map(|s| s.id), Some(ItemId(3)));
        assert_eq!(state.in_flight, 0);
    }

    #[test]
    fn update_item_closes_the_editor_and_shows_the_stored_note() {
        let mut state = showing_note_2();
        state.apply(EosAction::EditSelected);
        state.apply(EosAction::EditTitle("c".into()));
        assert_eq!(
            state.editor.as_ref().unwrap().editing,
            Editing::Existing {
                id: ItemId(2),
                revision: 1
            }
        );
        ask(
            &mut state,
            update(2, 1, "c"),
            PhosphorescenceReply::Item { item: item(2, "c", 2) },
        );
        assert_eq!(state.editor, None);
        assert_eq!(state.selected.as_ref().unwrap().revision, 2);
        assert_eq!(state.notice.as_deref(), Some("Saved #2 (revision 2)."));
    }

    #[test]
    fn typed_failures_are_shown_and_stale_refreshes_the_note() {
        let mut state = showing_note_2();
        state.apply(EosAction::EditSelected);
        let errors = vec![FieldError {
            field: Field::Title,
            problem: Problem::Empty,
        }];
        ask(&mut state, update(2, 1, ""), failed(Failure::Invalid { errors }));
        assert_eq!(state.error.as_deref(), Some("invalid note: the title is empty"));
        assert!(state.editor.is_some(), "the user's text stays");
        let stale = Failure::Stale {
            current: item(2, "b2", 3),
        };
        ask(&mut state, update(2, 1, "b"), failed(stale));
        assert_eq!(state.selected.as_ref().unwrap().revision, 3);
        assert!(state.error.as_deref().unwrap().contains("changed meanwhile"));
        assert!(state.editor.is_some(), "the user's text stays");
        assert_eq!(state.in_flight, 0);
    }

    #[test]
    fn delete_item_forgets_the_note() {
        let mut state = showing_note_2();
        let request = EosRequest::DeleteItem {
            id: ItemId(2),
            revision: 1,
        };
        ask(&mut state, request, PhosphorescenceReply::Deleted { id: ItemId(2) });
        assert_eq!(state.notes.iter().map(|n| n.id).collect::<Vec<_>>(), [ItemId(1)]);
        assert_eq!(state.selected, None);
        assert_eq!(state.notice.as_deref(), Some("Deleted #2."));
    }

    #[test]
    fn a_failed_get_item_is_shown() {
        let mut state = showing_note_2();
        ask(&mut state, get(9), failed(Failure::NotFound { id: ItemId(9) }));
        assert_eq!(state.error.as_deref(), Some("note #9 does not exist"));
        assert_eq!(
            state.selected.as_ref().map(|s| s.id),
            Some(ItemId(2)),
            "the open note stays"
        );
    }

    #[test]
    fn polls_do_not_show_as_busy() {
        let mut state = EosState::default();
        state.apply(EosAction::Sent);
        ask(
            &mut state,
            EosRequest::Poll {},
            PhosphorescenceReply::Polled { question: None },
        );
        assert_eq!(state.in_flight, 1, "a poll's reply does not end the user's request");
        // Even a poll answered with a failure (say, before the introduction) leaves it.
        ask(&mut state, EosRequest::Poll {}, failed(Failure::NotIntroduced {}));
        assert_eq!(state.in_flight, 1);
        state.apply(EosAction::Replied {
            request: EosRequest::ListItems {},
            reply: PhosphorescenceReply::Items { items: vec![] },
        });
        assert_eq!(state.in_flight, 0);
    }

    #[test]
    fn version_mismatch_is_shown() {
        let mut state = EosState::default();
        ask(
            &mut state,
            introduce(),
            failed(Failure::VersionMismatch { host: 1, eos: 2 }),
        );
        assert!(state.version_problem.as_deref().unwrap().contains("v1"));
    }

    #[test]
    fn lifecycle_a_refused_version_stops_eos_naming_both_versions() {
        // Eos v2 introduced itself to a host of v1, which refused it.
        let mut state = EosState::speaking(2);
        state.apply(EosAction::Connected);
        ask(
            &mut state,
            introduce(),
            failed(Failure::VersionMismatch { host: 1, eos: 2 }),
        );
        let words =
            "The host speaks protocol v1; Eos speaks v2. Eos stopped: the two need to be updated to the same version.";
        assert_eq!(state.link, Link::VersionMismatch(words.into()));
        assert_eq!(state.version_problem.as_deref(), Some(words));
        // An Eos of v2 takes a welcome of v2 and stops at one of v1.
        assert_eq!(version_problem(&welcome(2), 2), None);
        assert!(version_problem(&welcome(1), 2)
            .is_some_and(|w| w.starts_with("The host speaks protocol v1; Eos speaks v2.")));
        // An older Eos (v0) at a v1 host, and the other way round.
        assert!(version_problem(&welcome(1), 0).is_some_and(|w| w.contains("v1") && w.contains("v0")));
        assert!(version_problem(&welcome(0), 1).is_some_and(|w| w.contains("v0") && w.contains("v1")));
    }

    #[test]
    fn eos_knows_where_it_runs() {
        let mut state = EosState::default();
        assert_eq!(state.place, None);
        state.apply(EosAction::Placed(Place::Window));
        assert_eq!(
            (state.place.map(Place::word), state.link.word()),
            (Some("window"), "listening")
        );
        let mut alone = EosState::default();
        alone.apply(EosAction::NotEmbedded);
        assert_eq!((alone.place, alone.link.word()), (None, "not embedded"));
    }

    #[test]
    fn closing_disables_actions() {
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        state.apply(EosAction::ActionsReady);
        assert!(state.actions_ready);
        state.apply(EosAction::Closed("gone".into()));
        assert_eq!((state.link.word(), state.actions_ready), ("closed", false));
        state.apply(EosAction::ActionsReady);
        assert!(!state.actions_ready, "a closed session has no actions");
    }

    #[test]
    fn a_welcome_in_another_version_stops_eos() {
        assert_eq!(version_problem(&welcome(PROTOCOL_VERSION), PROTOCOL_VERSION), None);
        let mut state = EosState::default();
        state.apply(EosAction::Connected);
        ask(&mut state, introduce(), welcome(PROTOCOL_VERSION + 1));
        assert_eq!(state.link.word(), "version mismatch");
        let Link::VersionMismatch(detail) = &state.link else {
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
        assert_eq!((state.link.word(), state.actions_ready), ("version mismatch", false));
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
            Carried::by(&failed(Failure::NotFound { id: ItemId(1) })),
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
        ask(
            &mut state,
            EosRequest::Poll {},
            PhosphorescenceReply::Polled { question: None },
        );
        state.apply(EosAction::ActionsReady);
        assert!(state.actions_ready);
    }

    #[test]
    fn clicks_report_where_their_button_is() {
        let mut state = EosState::default();
        state.apply(EosAction::Asked(Question {
            id: 1,
            prompt: "Which?".into(),
        }));
        state.apply(EosAction::Clicked {
            button: Button::Answer,
            outcome: "Answer sent to the host.".into(),
        });
        state.apply(EosAction::Clicked {
            button: Button::Action,
            outcome: "Sent to the host: pin #2.".into(),
        });
        let status = state.question.as_ref().and_then(|q| q.status.as_deref());
        assert_eq!(status, Some("Answer sent to the host."));
        assert_eq!(state.notice.as_deref(), Some("Sent to the host: pin #2."));
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
            ask(
                &mut state,
                EosRequest::CreateItem { draft: draft("Plans") },
                failed(failure),
            );
            assert_eq!(state.error.as_deref(), Some(words));
            assert!(state.editor.is_some(), "the user's text stays");
        }
    }

    fn file(name: &str, size: usize) -> FileInfo {
        FileInfo {
            name: name.into(),
            mime: "image/png".into(),
            size,
        }
    }

    #[test]
    fn binary_a_file_over_the_limit_is_refused_before_sending() {
        let mut state = EosState::default();
        let big = file("big.png", shared_proto::MAX_FILE_BYTES + 1);
        state.apply(EosAction::FilePicked(Some(big.clone())));
        assert_eq!(state.file.refused, Some(shared_proto::too_large_words(&big)));
        assert!(!state.file.can_send(false));
        // Only an e2e build told to skip the check sends it (to prove the host refuses it).
        assert!(state.file.can_send(true));
        // A file within the limit replaces it and may be sent.
        state.apply(EosAction::FilePicked(Some(file(
            "sky.png",
            shared_proto::MAX_FILE_BYTES,
        ))));
        assert_eq!(state.file.refused, None);
        assert!(state.file.can_send(false));
        state.apply(EosAction::FilePicked(None));
        assert!(!state.file.can_send(false));
    }

    #[test]
    fn binary_a_sent_file_waits_for_the_host_to_keep_it() {
        let mut state = EosState::default();
        state.apply(EosAction::FilePicked(Some(file("sky.png", 2048))));
        let sha256 = Sha256::from_digest(&[0x5c; 32]);
        state.apply(EosAction::FileSending(file("sky.png", 2048), Some(sha256.clone())));
        assert!(state.file.sending);
        assert_eq!(state.file.sha256, Some(sha256.clone()));
        assert_eq!(state.file.picked, None);
        assert_eq!(
            state.file.status.as_deref(),
            Some("Sending “sky.png” (image/png, 2 KiB)…")
        );
        // One at a time: the next file waits until the host kept this one.
        state.apply(EosAction::FilePicked(Some(file("sea.png", 10))));
        assert!(!state.file.can_send(false));
        state.apply(EosAction::Replied {
            request: EosRequest::Poll {},
            reply: PhosphorescenceReply::FileKept {
                name: "sky.png".into(),
                size: 2048,
            },
        });
        assert!(!state.file.sending);
        assert_eq!(state.file.status.as_deref(), Some("The host kept “sky.png” (2 KiB)."));
        assert!(state.file.can_send(false));
        // The digest of the file sent stays in view beside the host's answer.
        assert_eq!(state.file.sha256, Some(sha256));
        state.apply(EosAction::FileSending(file("sea.png", 10), None));
        assert_eq!(state.file.sha256, None);
    }

    #[test]
    fn binary_a_file_on_its_way_when_the_session_ends_is_not_kept() {
        let mut state = EosState::default();
        state.apply(EosAction::FileSending(file("big.png", 9 << 20), None));
        state.apply(EosAction::Closed(
            "The host refused a message from this page and closed the session.".into(),
        ));
        assert!(!state.file.sending);
        assert_eq!(
            state.file.status.as_deref(),
            Some("The file was not kept: the session ended.")
        );
        state.apply(EosAction::FileUnreadable("NotReadableError".into()));
        assert_eq!(
            state.file.status.as_deref(),
            Some("The file could not be read: NotReadableError.")
        );
    }
}
