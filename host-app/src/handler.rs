//! The host's answer to each of Eos's requests: what it changes in the store, what it replies,
//! which interrupt channel rides along, and what the page shows. Plain Rust: tested natively.
//!
//! Storage is reached only through the `save` function the web layer passes in (it writes to
//! `localStorage`), so tests can make it fail.
//!
//! **No acknowledged write is lost.** A change is made to a copy of the store, the copy is
//! saved, and only when the save succeeded does the copy replace the store and the host reply
//! that the note was created, updated or deleted. When the browser refuses the write (its storage
//! is full), the store stays as it was, Eos gets [`Failure::StorageFull`] and the page says
//! [`STORAGE_FULL`]. The host's own edit ([`review`]) follows the same rule.

use shared_proto::{
    version_words, Capability, Draft, EosRequest, Failure, FileInfo, FileUpload, ItemId, PhosphorescenceReply,
    Question, Side,
};

use crate::peer::{Peer, SessionId};
use crate::state::{HostAction, SessionAction};
use crate::store::Store;

/// What the page says when the browser refused to store a change.
pub const STORAGE_FULL: &str = "The browser's storage for Phosphorescence is full: the note was not saved.";

/// The interrupt channel that rides along with a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// No channel.
    Nothing,
    /// A new multi-use channel for Eos's action buttons; report its end with
    /// [`Handler::actions_ended`] and this number.
    Actions(u64),
    /// The one-time channel for the answer to the question with this id.
    Answer(u64),
}

/// Eos's action channel as the handler knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionChannel {
    /// Not offered yet (Eos has not introduced itself).
    NotOffered,
    /// The channel with this number is open.
    Open(u64),
    /// The channel ended while the session goes on: the next reply offers a new one.
    Ended,
}

/// What one request did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The reply to send.
    pub reply: PhosphorescenceReply,
    /// The interrupt channel to attach to it.
    pub attach: Attach,
    /// What the page shows about it, in order.
    pub page: Vec<HostAction>,
    /// A file Eos sent that the host keeps: the web layer makes it a `blob:` URL and shows it.
    pub file: Option<FileUpload>,
}

/// The user's question, waiting for the next turn of the Eos it was put to.
///
/// The host may serve two Eoses at once (its iframe's and a window's), both asking in turn; the
/// question goes only to the one the user chose, whichever polls first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitingQuestion(Option<(Peer, Question)>);

impl WaitingQuestion {
    /// Puts `question` to `peer`'s Eos, replacing one still waiting (which never went out).
    pub fn put(&mut self, to: Peer, question: Question) {
        self.0 = Some((to, question));
    }

    /// Runs `serve` with the question waiting for `peer`'s Eos (`None` when there is none or it
    /// waits for the other Eos); what `serve` leaves in it is put back for `peer`.
    pub fn offer<R>(&mut self, peer: Peer, serve: impl FnOnce(&mut Option<Question>) -> R) -> R {
        let mut mine = match self.0.take() {
            Some((to, question)) if to == peer => Some(question),
            other => {
                self.0 = other;
                None
            }
        };
        let result = serve(&mut mine);
        if let Some(question) = mine {
            self.0 = Some((peer, question));
        }
        result
    }
}

/// One session's request handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// The session it serves: what the page shows about a request is about this session.
    session: SessionId,
    /// The application protocol version the host speaks.
    version: u32,
    introduced: bool,
    actions: ActionChannel,
    /// How many action channels were offered.
    offered: u64,
}

/// The request's kind, as the inspector labels it (its tag on the wire).
pub fn request_kind(request: &EosRequest) -> &'static str {
    request.kind().name()
}

/// The reply's kind, as the inspector labels it.
pub fn reply_kind(reply: &PhosphorescenceReply) -> &'static str {
    match reply {
        PhosphorescenceReply::Welcome { .. } => "welcome",
        PhosphorescenceReply::Items { .. } => "items",
        PhosphorescenceReply::Item { .. } => "item",
        PhosphorescenceReply::Deleted { .. } => "deleted",
        PhosphorescenceReply::Polled { question: Some(_) } => "polled + question",
        PhosphorescenceReply::Polled { question: None } => "polled",
        PhosphorescenceReply::FileKept { .. } => "file_kept",
        PhosphorescenceReply::Failed { .. } => "failed",
    }
}

/// The host's answer to a file described by `info`: kept, or refused for its name or type. Its
/// size was judged by the messenger already (`Limits::max_binary_bytes`).
pub fn file_reply(info: &FileInfo) -> PhosphorescenceReply {
    match info.validate() {
        Ok(()) => PhosphorescenceReply::FileKept {
            name: info.name.clone(),
            size: info.size,
        },
        Err(fault) => PhosphorescenceReply::Failed {
            failure: Failure::InvalidFile { fault },
        },
    }
}

/// Makes `change` on a copy of `store` and keeps the copy only once `save` stored it.
fn commit<T>(
    store: &mut Store,
    save: &mut impl FnMut(&Store) -> Result<(), String>,
    change: impl FnOnce(&mut Store) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut next = store.clone();
    let done = change(&mut next)?;
    // The browser's message differs by engine (`QuotaExceededError`, ...); what matters to both
    // people is that nothing was stored.
    save(&next).map_err(|_| Failure::StorageFull {})?;
    *store = next;
    Ok(done)
}

/// What the page shows after a write: the new notes, or the storage problem.
fn shown<T>(result: &Result<T, Failure>, store: &Store, page: &mut Vec<HostAction>) {
    match result {
        Ok(_) => page.push(HostAction::Notes(store.summaries())),
        Err(Failure::StorageFull {}) => page.push(HostAction::Problem(STORAGE_FULL.into())),
        Err(_) => {}
    }
}

impl Handler {
    /// The handler of `session`, before Eos introduced itself.
    #[cfg(test)]
    pub fn new(session: SessionId) -> Handler {
        Handler::speaking(session, shared_proto::PROTOCOL_VERSION)
    }

    /// The handler of `session` for a host of application protocol `version` (another than
    /// [`shared_proto::PROTOCOL_VERSION`] only in the e2e tests of version skew).
    pub fn speaking(session: SessionId, version: u32) -> Handler {
        Handler {
            session,
            version,
            introduced: false,
            actions: ActionChannel::NotOffered,
            offered: 0,
        }
    }

    /// Answers `request`. Writes go through `save` (see the module docs); `question` is the
    /// user's question waiting for Eos's next turn, taken by a poll.
    pub fn handle(
        &mut self,
        request: EosRequest,
        store: &mut Store,
        question: &mut Option<Question>,
        mut save: impl FnMut(&Store) -> Result<(), String>,
    ) -> Outcome {
        let session = self.session;
        let about = |action| HostAction::Session(session, action);
        let mut page = vec![about(SessionAction::Request(request_kind(&request).into()))];
        let mut attach = Attach::Nothing;
        let mut kept = None;
        let failed = |failure| PhosphorescenceReply::Failed { failure };
        let item = |item| PhosphorescenceReply::Item { item };
        let reply = match request {
            EosRequest::Introduce {
                app: _,
                protocol_version,
                greeting,
            } => {
                if protocol_version != self.version {
                    // Eos (of any version that knows `failed`) shows this and closes the session,
                    // and the host hears its close notice at once: nothing else is served.
                    page.push(about(SessionAction::VersionMismatch(version_words(
                        self.version,
                        protocol_version,
                        Side::Host,
                    ))));
                    failed(Failure::VersionMismatch {
                        host: self.version,
                        eos: protocol_version,
                    })
                } else {
                    self.introduced = true;
                    page.push(about(SessionAction::Greeted(greeting)));
                    attach = self.offer_actions();
                    PhosphorescenceReply::Welcome {
                        host: "Phosphorescence".into(),
                        protocol_version: self.version,
                        greeting: "hello from Phosphorescence".into(),
                        offers: vec![
                            Capability::Read,
                            Capability::Write,
                            Capability::Actions,
                            Capability::Questions,
                        ],
                    }
                }
            }
            _ if !self.introduced => failed(Failure::NotIntroduced {}),
            EosRequest::ListItems {} => store.list(),
            EosRequest::GetItem { id } => store.read(id).map_or_else(failed, item),
            EosRequest::CreateItem { draft } => {
                let result = commit(store, &mut save, |store| store.create(draft));
                shown(&result, store, &mut page);
                result.map_or_else(failed, item)
            }
            EosRequest::UpdateItem { id, revision, draft } => {
                let result = commit(store, &mut save, |store| store.update(id, revision, draft));
                shown(&result, store, &mut page);
                result.map_or_else(failed, item)
            }
            EosRequest::DeleteItem { id, revision } => {
                let result = commit(store, &mut save, |store| store.delete(id, revision));
                shown(&result, store, &mut page);
                result.map_or_else(failed, |id| PhosphorescenceReply::Deleted { id })
            }
            EosRequest::Poll {} => {
                let question = question.take();
                if let Some(question) = &question {
                    attach = Attach::Answer(question.id);
                }
                PhosphorescenceReply::Polled { question }
            }
            EosRequest::SendFile { file } => {
                let reply = file_reply(&file.info());
                if matches!(reply, PhosphorescenceReply::FileKept { .. }) {
                    kept = Some(file);
                }
                reply
            }
        };
        // A reply carries one channel: a question's answer channel goes first, and the new
        // action channel follows with the next reply.
        if attach == Attach::Nothing && self.actions == ActionChannel::Ended {
            attach = self.offer_actions();
        }
        page.push(about(SessionAction::Reply(reply_kind(&reply).into())));
        Outcome {
            reply,
            attach,
            page,
            file: kept,
        }
    }

    fn offer_actions(&mut self) -> Attach {
        self.offered += 1;
        self.actions = ActionChannel::Open(self.offered);
        Attach::Actions(self.offered)
    }

    /// Action channel `channel` ended (its stream returned an error or ended).
    ///
    /// The messenger ends a multi-use channel on its own when Eos floods it
    /// ([`messenger::Error::Overloaded`]) or sends an interrupt that does not decode; the session
    /// goes on. So that later valid clicks in Eos reach the host again, the host then offers a
    /// new multi-use channel with its next reply of this session (Eos polls every second, so
    /// that is soon), and Eos replaces its old sender with it. A flood therefore costs the host
    /// at most one channel's bounds per turn. A channel that is not the current one (it was
    /// replaced already) changes nothing.
    pub fn actions_ended(&mut self, channel: u64) {
        if self.actions == ActionChannel::Open(channel) {
            self.actions = ActionChannel::Ended;
        }
    }
}

/// The host's own edit: marks note `id` reviewed (a new revision Eos has not seen), kept only if
/// `save` stored it. Returns what the page shows.
pub fn review(store: &mut Store, id: ItemId, mut save: impl FnMut(&Store) -> Result<(), String>) -> Vec<HostAction> {
    let Some(item) = store.get(id).cloned() else {
        return Vec::new();
    };
    let draft = Draft {
        title: item.title,
        body: format!("{}\n(reviewed on the host)", item.body),
    };
    let result = commit(store, &mut save, |store| store.update(id, item.revision, draft));
    let mut page = Vec::new();
    shown(&result, store, &mut page);
    match result {
        Ok(_) | Err(Failure::StorageFull {}) => {}
        Err(failure) => page.push(HostAction::Problem(failure.to_string())),
    }
    page
}

#[cfg(test)]
mod tests {
    use shared_proto::{Item, ItemSummary, PROTOCOL_VERSION};

    use super::*;
    use crate::peer::Peer;
    use crate::store::MAX_NOTES;

    const SESSION: SessionId = SessionId {
        peer: Peer::Frame,
        number: 1,
    };

    /// What the page shows about the handler's session.
    fn about(action: SessionAction) -> HostAction {
        HostAction::Session(SESSION, action)
    }

    fn saved(_: &Store) -> Result<(), String> {
        Ok(())
    }

    fn quota_exceeded(_: &Store) -> Result<(), String> {
        Err("QuotaExceededError".into())
    }

    fn draft(title: &str) -> Draft {
        Draft {
            title: title.into(),
            body: "b".into(),
        }
    }

    fn introduce(version: u32) -> EosRequest {
        EosRequest::Introduce {
            app: "Eos".into(),
            protocol_version: version,
            greeting: "hi".into(),
        }
    }

    /// A handler that Eos introduced itself to, with a first-run store.
    fn introduced() -> (Handler, Store) {
        let mut handler = Handler::new(SESSION);
        let mut store = Store::default();
        let welcome = handler.handle(introduce(PROTOCOL_VERSION), &mut store, &mut None, saved);
        assert!(matches!(welcome.reply, PhosphorescenceReply::Welcome { .. }));
        assert_eq!(welcome.attach, Attach::Actions(1));
        (handler, store)
    }

    fn handle(handler: &mut Handler, store: &mut Store, request: EosRequest) -> Outcome {
        let outcome = handler.handle(request.clone(), store, &mut None, saved);
        answers(&request, &outcome);
        outcome
    }

    /// The host's reply passes the very check Eos makes ([`shared_proto::check_reply`]): the two
    /// apps agree on which reply answers which request.
    fn answers(request: &EosRequest, outcome: &Outcome) {
        let channel = outcome.attach != Attach::Nothing;
        assert_eq!(
            shared_proto::check_reply(request, &outcome.reply, channel),
            Ok(()),
            "the host answered {request:?} with {:?}",
            outcome.reply
        );
    }

    fn failure(outcome: &Outcome) -> Option<&Failure> {
        match &outcome.reply {
            PhosphorescenceReply::Failed { failure } => Some(failure),
            _ => None,
        }
    }

    #[test]
    fn introduction_welcomes_and_offers_the_action_channel() {
        let mut handler = Handler::new(SESSION);
        let mut store = Store::default();
        let outcome = handler.handle(introduce(PROTOCOL_VERSION), &mut store, &mut None, saved);
        assert_eq!(
            outcome.page,
            [
                about(SessionAction::Request("introduce".into())),
                about(SessionAction::Greeted("hi".into())),
                about(SessionAction::Reply("welcome".into())),
            ]
        );
        assert_eq!(outcome.attach, Attach::Actions(1));
    }

    #[test]
    fn another_version_is_refused_and_nothing_else_is_served() {
        let mut handler = Handler::new(SESSION);
        let mut store = Store::default();
        let outcome = handler.handle(introduce(2), &mut store, &mut None, saved);
        assert_eq!(failure(&outcome), Some(&Failure::VersionMismatch { host: 1, eos: 2 }));
        assert_eq!(outcome.attach, Attach::Nothing);
        assert!(outcome.page.contains(&about(SessionAction::VersionMismatch(
            "Eos speaks protocol v2; this host speaks v1. The session was closed: update both to the same version."
                .into()
        ))));
        let listing = handle(&mut handler, &mut store, EosRequest::ListItems {});
        assert_eq!(failure(&listing), Some(&Failure::NotIntroduced {}));
    }

    #[test]
    fn requests_before_the_introduction_are_refused() {
        let mut handler = Handler::new(SESSION);
        let mut store = Store::default();
        let before = store.clone();
        for request in [
            EosRequest::ListItems {},
            EosRequest::GetItem { id: ItemId(1) },
            EosRequest::CreateItem { draft: draft("x") },
            EosRequest::DeleteItem {
                id: ItemId(1),
                revision: 1,
            },
            EosRequest::Poll {},
        ] {
            let outcome = handle(&mut handler, &mut store, request);
            assert_eq!(failure(&outcome), Some(&Failure::NotIntroduced {}));
            assert_eq!(outcome.attach, Attach::Nothing);
        }
        assert_eq!(store, before);
    }

    #[test]
    fn reads_list_and_get_notes() {
        let (mut handler, mut store) = introduced();
        let listing = handle(&mut handler, &mut store, EosRequest::ListItems {});
        assert_eq!(listing.reply, store.list());
        assert_eq!(
            listing.page,
            [
                about(SessionAction::Request("list_items".into())),
                about(SessionAction::Reply("items".into()))
            ]
        );
        let one = handle(&mut handler, &mut store, EosRequest::GetItem { id: ItemId(2) });
        assert_eq!(
            one.reply,
            PhosphorescenceReply::Item {
                item: store.read(ItemId(2)).unwrap()
            }
        );
        let missing = handle(&mut handler, &mut store, EosRequest::GetItem { id: ItemId(9) });
        assert_eq!(failure(&missing), Some(&Failure::NotFound { id: ItemId(9) }));
    }

    #[test]
    fn writes_are_saved_then_kept_and_shown() {
        let (mut handler, mut store) = introduced();
        let mut saves = Vec::new();
        let mut save = |store: &Store| {
            saves.push(store.summaries().len());
            Ok::<(), String>(())
        };
        let created = handler.handle(
            EosRequest::CreateItem { draft: draft("Plans") },
            &mut store,
            &mut None,
            &mut save,
        );
        let item = Item {
            id: ItemId(3),
            title: "Plans".into(),
            body: "b".into(),
            revision: 1,
        };
        assert_eq!(created.reply, PhosphorescenceReply::Item { item: item.clone() });
        assert_eq!(
            created.page,
            [
                about(SessionAction::Request("create_item".into())),
                HostAction::Notes(store.summaries()),
                about(SessionAction::Reply("item".into())),
            ]
        );
        let updated = handler.handle(
            EosRequest::UpdateItem {
                id: ItemId(3),
                revision: 1,
                draft: draft("Plans, v2"),
            },
            &mut store,
            &mut None,
            &mut save,
        );
        assert!(matches!(&updated.reply, PhosphorescenceReply::Item { item } if item.revision == 2));
        let deleted = handler.handle(
            EosRequest::DeleteItem {
                id: ItemId(3),
                revision: 2,
            },
            &mut store,
            &mut None,
            &mut save,
        );
        assert_eq!(deleted.reply, PhosphorescenceReply::Deleted { id: ItemId(3) });
        assert_eq!(saves, [3, 3, 2], "every write was saved, with the change in it");
        assert_eq!(store.summaries().len(), 2);
    }

    #[test]
    fn a_write_the_browser_refuses_changes_nothing_and_says_so() {
        let (mut handler, mut store) = introduced();
        let before = store.clone();
        for request in [
            EosRequest::CreateItem { draft: draft("Plans") },
            EosRequest::UpdateItem {
                id: ItemId(2),
                revision: 1,
                draft: draft("Shopping"),
            },
            EosRequest::DeleteItem {
                id: ItemId(1),
                revision: 1,
            },
        ] {
            let kind = request_kind(&request);
            let outcome = handler.handle(request, &mut store, &mut None, quota_exceeded);
            assert_eq!(failure(&outcome), Some(&Failure::StorageFull {}), "{kind}");
            assert_eq!(store, before, "{kind} changed the store in memory only");
            assert_eq!(
                outcome.page,
                [
                    about(SessionAction::Request(kind.into())),
                    HostAction::Problem(STORAGE_FULL.into()),
                    about(SessionAction::Reply("failed".into())),
                ]
            );
        }
        // The next id was not used up either: once storage has room, the note gets #3.
        let created = handle(
            &mut handler,
            &mut store,
            EosRequest::CreateItem { draft: draft("Plans") },
        );
        assert!(matches!(&created.reply, PhosphorescenceReply::Item { item } if item.id == ItemId(3)));
    }

    #[test]
    fn refused_writes_are_not_saved() {
        let (mut handler, mut store) = introduced();
        let mut saves = 0;
        let mut save = |_: &Store| {
            saves += 1;
            Ok::<(), String>(())
        };
        for request in [
            EosRequest::CreateItem { draft: draft("  ") },
            EosRequest::UpdateItem {
                id: ItemId(2),
                revision: 7,
                draft: draft("late"),
            },
            EosRequest::DeleteItem {
                id: ItemId(9),
                revision: 1,
            },
        ] {
            let outcome = handler.handle(request, &mut store, &mut None, &mut save);
            assert!(failure(&outcome).is_some());
            assert_eq!(outcome.page.len(), 2, "only the labels: {:?}", outcome.page);
        }
        assert_eq!(saves, 0);
    }

    #[test]
    fn one_remote_cannot_fill_the_host() {
        let (mut handler, mut store) = introduced();
        while store.summaries().len() < MAX_NOTES {
            let outcome = handle(&mut handler, &mut store, EosRequest::CreateItem { draft: draft("n") });
            assert!(failure(&outcome).is_none());
        }
        let outcome = handle(&mut handler, &mut store, EosRequest::CreateItem { draft: draft("n") });
        assert_eq!(failure(&outcome), Some(&Failure::TooManyNotes { limit: MAX_NOTES }));
        assert_eq!(store.summaries().len(), MAX_NOTES);
    }

    #[test]
    fn a_poll_carries_the_waiting_question_once() {
        let (mut handler, mut store) = introduced();
        let mut question = Some(Question {
            id: 4,
            prompt: "Which?".into(),
        });
        let outcome = handler.handle(EosRequest::Poll {}, &mut store, &mut question, saved);
        assert_eq!(outcome.attach, Attach::Answer(4));
        assert!(matches!(
            outcome.reply,
            PhosphorescenceReply::Polled {
                question: Some(Question { id: 4, .. })
            }
        ));
        assert_eq!(question, None);
        let next = handler.handle(EosRequest::Poll {}, &mut store, &mut question, saved);
        assert_eq!(
            (next.reply, next.attach),
            (PhosphorescenceReply::Polled { question: None }, Attach::Nothing)
        );
    }

    #[test]
    fn lifecycle_every_reply_of_the_host_answers_its_request() {
        // Before the introduction, in another version, and after it: every request kind.
        let requests = || {
            [
                introduce(PROTOCOL_VERSION),
                EosRequest::ListItems {},
                EosRequest::GetItem { id: ItemId(1) },
                EosRequest::GetItem { id: ItemId(9) },
                EosRequest::CreateItem { draft: draft("x") },
                EosRequest::UpdateItem {
                    id: ItemId(1),
                    revision: 1,
                    draft: draft("y"),
                },
                EosRequest::DeleteItem {
                    id: ItemId(2),
                    revision: 1,
                },
                EosRequest::Poll {},
            ]
        };
        let mut fresh = Handler::new(SESSION);
        handle(&mut fresh, &mut Store::default(), introduce(7));
        let mut store = Store::default();
        for request in requests().into_iter().skip(1) {
            handle(&mut Handler::new(SESSION), &mut store, request);
        }
        let mut handler = Handler::new(SESSION);
        for request in requests() {
            handle(&mut handler, &mut store, request);
        }
        // A poll that carries the question carries its answer channel.
        let mut question = Some(Question {
            id: 1,
            prompt: "Which?".into(),
        });
        let poll = EosRequest::Poll {};
        let asked = handler.handle(poll.clone(), &mut store, &mut question, saved);
        answers(&poll, &asked);
    }

    #[test]
    fn lifecycle_a_host_of_another_version_names_both() {
        let mut handler = Handler::speaking(SESSION, 2);
        let mut store = Store::default();
        let outcome = handler.handle(introduce(1), &mut store, &mut None, saved);
        assert_eq!(failure(&outcome), Some(&Failure::VersionMismatch { host: 2, eos: 1 }));
        assert!(outcome.page.contains(&about(SessionAction::VersionMismatch(
            "Eos speaks protocol v1; this host speaks v2. The session was closed: update both to the same version."
                .into()
        ))));
        // An Eos of the host's version is welcomed with that version.
        let welcome = handler.handle(introduce(2), &mut store, &mut None, saved);
        assert!(matches!(
            welcome.reply,
            PhosphorescenceReply::Welcome {
                protocol_version: 2,
                ..
            }
        ));
    }

    #[test]
    fn lifecycle_the_question_goes_only_to_the_chosen_eos() {
        let (mut frame, mut store) = introduced();
        let mut window = Handler::new(crate::peer::test_ids::window(2));
        window.handle(introduce(PROTOCOL_VERSION), &mut store, &mut None, saved);
        let mut waiting = WaitingQuestion::default();
        waiting.put(
            Peer::Window,
            Question {
                id: 7,
                prompt: "Which?".into(),
            },
        );
        let mut poll = |handler: &mut Handler, peer, waiting: &mut WaitingQuestion| {
            waiting.offer(peer, |question| {
                handler.handle(EosRequest::Poll {}, &mut store, question, saved)
            })
        };
        // The iframe's Eos polls first, many times: the question is not its.
        for _ in 0..3 {
            let polled = poll(&mut frame, Peer::Frame, &mut waiting);
            assert_eq!(
                (polled.reply, polled.attach),
                (PhosphorescenceReply::Polled { question: None }, Attach::Nothing)
            );
        }
        let polled = poll(&mut window, Peer::Window, &mut waiting);
        assert_eq!(polled.attach, Attach::Answer(7));
        assert_eq!(waiting, WaitingQuestion::default(), "taken once");
        // Put to the iframe, it goes there.
        waiting.put(
            Peer::Frame,
            Question {
                id: 8,
                prompt: "Which?".into(),
            },
        );
        assert_eq!(poll(&mut window, Peer::Window, &mut waiting).attach, Attach::Nothing);
        assert_eq!(poll(&mut frame, Peer::Frame, &mut waiting).attach, Attach::Answer(8));
        // Put again while still waiting (its window was closed, say): the new one replaces it.
        let question = |id| Question {
            id,
            prompt: "Which?".into(),
        };
        waiting.put(Peer::Window, question(9));
        waiting.put(Peer::Frame, question(10));
        assert_eq!(poll(&mut window, Peer::Window, &mut waiting).attach, Attach::Nothing);
        assert_eq!(poll(&mut frame, Peer::Frame, &mut waiting).attach, Attach::Answer(10));
        assert_eq!(waiting, WaitingQuestion::default());
    }

    #[test]
    fn an_ended_action_channel_is_offered_anew_with_the_next_reply() {
        let (mut handler, mut store) = introduced();
        // While channel 1 is open, replies carry nothing.
        assert_eq!(
            handle(&mut handler, &mut store, EosRequest::Poll {}).attach,
            Attach::Nothing
        );
        handler.actions_ended(1);
        // The next reply of any kind carries a new one, once.
        let listing = handle(&mut handler, &mut store, EosRequest::ListItems {});
        assert_eq!(listing.attach, Attach::Actions(2));
        assert_eq!(
            handle(&mut handler, &mut store, EosRequest::Poll {}).attach,
            Attach::Nothing
        );
        // The end of a channel that was replaced already changes nothing.
        handler.actions_ended(1);
        assert_eq!(
            handle(&mut handler, &mut store, EosRequest::Poll {}).attach,
            Attach::Nothing
        );
        // A failed request's reply carries it too.
        handler.actions_ended(2);
        let missing = handle(&mut handler, &mut store, EosRequest::GetItem { id: ItemId(9) });
        assert_eq!(
            (failure(&missing).is_some(), missing.attach),
            (true, Attach::Actions(3))
        );
    }

    #[test]
    fn a_question_goes_first_and_the_action_channel_follows() {
        let (mut handler, mut store) = introduced();
        handler.actions_ended(1);
        let mut question = Some(Question {
            id: 1,
            prompt: "Which?".into(),
        });
        let polled = handler.handle(EosRequest::Poll {}, &mut store, &mut question, saved);
        assert_eq!(polled.attach, Attach::Answer(1));
        let next = handler.handle(EosRequest::Poll {}, &mut store, &mut question, saved);
        assert_eq!(next.attach, Attach::Actions(2));
    }

    #[test]
    fn no_action_channel_before_the_introduction() {
        let mut handler = Handler::new(SESSION);
        handler.actions_ended(0);
        handler.actions_ended(1);
        let outcome = handler.handle(EosRequest::Poll {}, &mut Store::default(), &mut None, saved);
        assert_eq!(outcome.attach, Attach::Nothing);
    }

    #[test]
    fn the_hosts_own_edit_is_kept_only_when_saved() {
        let mut store = Store::default();
        let before = store.clone();
        assert_eq!(
            review(&mut store, ItemId(1), quota_exceeded),
            [HostAction::Problem(STORAGE_FULL.into())]
        );
        assert_eq!(store, before);

        let page = review(&mut store, ItemId(1), saved);
        let reviewed = store.get(ItemId(1)).unwrap();
        assert_eq!(reviewed.revision, 2);
        assert!(reviewed.body.ends_with("\n(reviewed on the host)"));
        assert_eq!(page, [HostAction::Notes(store.summaries())]);
        assert!(store.summaries().contains(&ItemSummary::from(reviewed)));

        assert_eq!(review(&mut store, ItemId(9), saved), []);
    }

    #[test]
    fn the_hosts_own_edit_reports_other_refusals() {
        let mut store = Store::default();
        // Reviewing over and over makes the body pass its limit at last.
        let mut page = Vec::new();
        for _ in 0..200 {
            page = review(&mut store, ItemId(2), saved);
            if page.iter().any(|a| matches!(a, HostAction::Problem(_))) {
                break;
            }
        }
        assert_eq!(
            page,
            [HostAction::Problem(
                "invalid note: the body is longer than 2000 characters".into()
            )]
        );
    }

    #[test]
    fn binary_a_file_is_kept_or_refused_for_its_name() {
        let info = |name: &str| FileInfo {
            name: name.into(),
            mime: "image/png".into(),
            size: 1234,
        };
        assert_eq!(
            file_reply(&info("sky.png")),
            PhosphorescenceReply::FileKept {
                name: "sky.png".into(),
                size: 1234
            }
        );
        assert_eq!(
            file_reply(&info(" ")),
            PhosphorescenceReply::Failed {
                failure: Failure::InvalidFile {
                    fault: shared_proto::FileFault::EmptyName {}
                }
            }
        );
        assert_eq!(reply_kind(&file_reply(&info("a"))), "file_kept");
    }
}
