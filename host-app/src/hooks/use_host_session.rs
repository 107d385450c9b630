//! The host's session with Eos: reconnects on every iframe load, serves Eos's requests in the
//! handler loop, follows interrupts, and carries the user's question on Eos's next turn.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use gloo_storage::{LocalStorage, Storage};
use messenger::{Answered, Config, InterruptRequest, Received, Reconnector, Reply};
use shared_proto::{
    Capability, Draft, EosAnswer, EosInterrupt, EosRequest, Failure, ItemId, PhosphorescenceReply, Question,
    PROTOCOL_VERSION,
};
use web_sys::HtmlIFrameElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::config::{REMOTE_ORIGIN, STORE_KEY};
use crate::state::{HostAction, HostState};
use crate::store::Store;

/// What the page can do with the session.
#[derive(Clone, PartialEq)]
pub struct HostSession {
    /// Closes the current session (Eos notices when its next request goes unanswered).
    pub close: Callback<()>,
    /// Reloads the iframe; the host reconnects when it has loaded.
    pub reload: Callback<()>,
    /// Queues a question for the user inside Eos; it goes out on Eos's next turn.
    pub ask: Callback<()>,
    /// Marks a note as reviewed on the host's side (a new revision Eos has not seen yet).
    pub review: Callback<ItemId>,
}

/// Everything a session's handler needs, shared by all sessions of the page.
struct Shared {
    store: RefCell<Store>,
    question: RefCell<Option<Question>>,
    next_question: Cell<u64>,
    dispatch: UseReducerDispatcher<HostState>,
}

impl Shared {
    fn persist(&self) {
        if let Err(error) = LocalStorage::set(STORE_KEY, &*self.store.borrow()) {
            self.dispatch
                .dispatch(HostAction::Problem(format!("Could not save the notes: {error}")));
        }
        self.dispatch
            .dispatch(HostAction::Notes(self.store.borrow().summaries()));
    }
}

/// One session's handler state.
struct Session {
    shared: Rc<Shared>,
    introduced: Cell<bool>,
}

fn request_kind(request: &EosRequest) -> &'static str {
    match request {
        EosRequest::Introduce { .. } => "introduce",
        EosRequest::ListItems {} => "list_items",
        EosRequest::GetItem { .. } => "get_item",
        EosRequest::CreateItem { .. } => "create_item",
        EosRequest::UpdateItem { .. } => "update_item",
        EosRequest::DeleteItem { .. } => "delete_item",
        EosRequest::Poll {} => "poll",
    }
}

fn reply_kind(reply: &PhosphorescenceReply) -> &'static str {
    match reply {
        PhosphorescenceReply::Welcome { .. } => "welcome",
        PhosphorescenceReply::Items { .. } => "items",
        PhosphorescenceReply::Item { .. } => "item",
        PhosphorescenceReply::Deleted { .. } => "deleted",
        PhosphorescenceReply::Polled { question: Some(_) } => "polled + question",
        PhosphorescenceReply::Polled { question: None } => "polled",
        PhosphorescenceReply::Failed { .. } => "failed",
    }
}

impl Session {
    fn handle(&self, request: EosRequest) -> Reply<PhosphorescenceReply> {
        let dispatch = &self.shared.dispatch;
        dispatch.dispatch(HostAction::Request(request_kind(&request).into()));
        let failed = |failure| PhosphorescenceReply::Failed { failure };
        let mut interrupt = None;
        let reply = match request {
            EosRequest::Introduce {
                app,
                protocol_version,
                greeting,
            } => {
                if protocol_version != PROTOCOL_VERSION {
                    dispatch.dispatch(HostAction::VersionMismatch(format!(
                        "{app} speaks protocol v{protocol_version}; this host speaks v{PROTOCOL_VERSION}."
                    )));
                    failed(Failure::VersionMismatch {
                        host: PROTOCOL_VERSION,
                        eos: protocol_version,
                    })
                } else {
                    self.introduced.set(true);
                    dispatch.dispatch(HostAction::Greeted(greeting));
                    interrupt = Some(self.follow_actions());
                    PhosphorescenceReply::Welcome {
                        host: "Phosphorescence".into(),
                        protocol_version: PROTOCOL_VERSION,
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
            _ if !self.introduced.get() => failed(Failure::NotIntroduced {}),
            EosRequest::ListItems {} => self.shared.store.borrow().list(),
            EosRequest::GetItem { id } => match self.shared.store.borrow().read(id) {
                Ok(item) => PhosphorescenceReply::Item { item },
                Err(failure) => failed(failure),
            },
            EosRequest::CreateItem { draft } => {
                self.write(|store| store.create(draft).map(|item| PhosphorescenceReply::Item { item }))
            }
            EosRequest::UpdateItem { id, revision, draft } => self.write(|store| {
                store
                    .update(id, revision, draft)
                    .map(|item| PhosphorescenceReply::Item { item })
            }),
            EosRequest::DeleteItem { id, revision } => self.write(|store| {
                store
                    .delete(id, revision)
                    .map(|id| PhosphorescenceReply::Deleted { id })
            }),
            EosRequest::Poll {} => {
                let question = self.shared.question.borrow_mut().take();
                if let Some(question) = &question {
                    interrupt = Some(self.await_answer(question.id));
                }
                PhosphorescenceReply::Polled { question }
            }
        };
        dispatch.dispatch(HostAction::Reply(reply_kind(&reply).into()));
        let reply_with = Reply::new(reply);
        match interrupt {
            Some(request) => reply_with.with_interrupt(request),
            None => reply_with,
        }
    }

    fn write(&self, change: impl FnOnce(&mut Store) -> Result<PhosphorescenceReply, Failure>) -> PhosphorescenceReply {
        let result = change(&mut self.shared.store.borrow_mut());
        match result {
            Ok(reply) => {
                self.shared.persist();
                reply
            }
            Err(failure) => PhosphorescenceReply::Failed { failure },
        }
    }

    /// A multi-use channel for Eos's action buttons, followed for as long as it is open.
    fn follow_actions(&self) -> InterruptRequest {
        let (request, mut actions) = InterruptRequest::multi_use::<EosInterrupt>();
        let dispatch = self.shared.dispatch.clone();
        spawn_local(async move {
            while let Some(Ok(action)) = actions.next().await {
                dispatch.dispatch(HostAction::Interrupt(action.to_string()));
            }
        });
        request
    }

    /// A one-time channel for the answer to question `id`.
    fn await_answer(&self, id: u64) -> InterruptRequest {
        let (request, answer) = InterruptRequest::one_time::<EosAnswer>();
        let dispatch = self.shared.dispatch.clone();
        let store = self.shared.clone();
        dispatch.dispatch(HostAction::QuestionAsked(id));
        spawn_local(async move {
            let action = match answer.await {
                Ok(EosAnswer::Chose { question, id: item }) => {
                    let title = store
                        .store
                        .borrow()
                        .get(item)
                        .map(|i| i.title.clone())
                        .unwrap_or_default();
                    HostAction::QuestionAnswered {
                        id: question,
                        answer: format!("chose {item} “{title}”"),
                    }
                }
                Ok(EosAnswer::Declined { question }) => HostAction::QuestionAnswered {
                    id: question,
                    answer: "declined".into(),
                },
                Err(error) => HostAction::QuestionFailed {
                    id,
                    why: crate::state::plain_words(&error),
                },
            };
            dispatch.dispatch(action);
        });
        request
    }
}

/// Serves one answered session until it ends.
async fn serve(answered: Answered, shared: Rc<Shared>) {
    let session = Rc::new(Session {
        shared,
        introduced: Cell::new(false),
    });
    let serving = answered.serve(
        move |received: Received<EosRequest>| {
            let reply = session.handle(received.into_message());
            async move { Ok::<_, Infallible>(reply) }
        },
        |never: Infallible| match never {},
    );
    // How the session ended reaches the page through the observer; nothing more to do here.
    let _ = serving.await;
}

/// Connects to Eos in `frame` and keeps the connection across reloads for the component's life.
#[hook]
pub fn use_host_session(frame: NodeRef, dispatch: UseReducerDispatcher<HostState>) -> HostSession {
    let shared: Rc<Shared> = use_memo((), |_| {
        // A missing or unreadable entry starts a fresh store with sample notes.
        let store = LocalStorage::get::<Store>(STORE_KEY).unwrap_or_default();
        Shared {
            store: RefCell::new(store),
            question: RefCell::new(None),
            next_question: Cell::new(1),
            dispatch: dispatch.clone(),
        }
    });
    let reconnector = use_mut_ref(|| None::<Reconnector>);

    {
        let (shared, reconnector, frame) = (Rc::clone(&shared), reconnector.clone(), frame.clone());
        use_effect_with((), move |_| {
            shared
                .dispatch
                .dispatch(HostAction::Notes(shared.store.borrow().summaries()));
            if let Some(iframe) = frame.cast::<HtmlIFrameElement>() {
                let observed = shared.dispatch.clone();
                let config = move || {
                    let observed = observed.clone();
                    Ok(Config::new(REMOTE_ORIGIN)?
                        // Eos asks at least every second while visible; hidden pages may have
                        // their timers throttled to once a minute, so only a longer silence means
                        // Eos is gone (a reload is noticed at once through the iframe's `load`).
                        .reply_timeout(Duration::from_secs(70))
                        .observer(move |step| observed.dispatch(HostAction::Observed(step.clone()))))
                };
                let session_shared = Rc::clone(&shared);
                *reconnector.borrow_mut() = Some(Reconnector::new(&iframe, config, move |answered| {
                    // A failed handshake is already on the page through the observer.
                    if let Ok(answered) = answered {
                        spawn_local(serve(answered, Rc::clone(&session_shared)));
                    }
                }));
            } else {
                shared
                    .dispatch
                    .dispatch(HostAction::Problem("The iframe for Eos is missing.".into()));
            }
            move || drop(reconnector.borrow_mut().take())
        });
    }

    let close = {
        let reconnector = reconnector.clone();
        Callback::from(move |()| {
            if let Some(reconnector) = reconnector.borrow().as_ref() {
                reconnector.close_current();
            }
        })
    };
    let reload = Callback::from(move |()| {
        if let Some(iframe) = frame.cast::<HtmlIFrameElement>() {
            // Setting `src` again navigates the iframe anew: a real reload of a cross-origin frame.
            iframe.set_src(&iframe.src());
        }
    });
    let review = {
        let shared = Rc::clone(&shared);
        Callback::from(move |id: ItemId| {
            let reviewed = {
                let mut store = shared.store.borrow_mut();
                let Some(item) = store.get(id).cloned() else { return };
                let draft = Draft {
                    title: item.title,
                    body: format!("{}\n(reviewed on the host)", item.body),
                };
                store.update(id, item.revision, draft)
            };
            match reviewed {
                Ok(_) => shared.persist(),
                Err(failure) => shared.dispatch.dispatch(HostAction::Problem(failure.to_string())),
            }
        })
    };
    let ask = Callback::from(move |()| {
        let id = shared.next_question.get();
        shared.next_question.set(id + 1);
        *shared.question.borrow_mut() = Some(Question {
            id,
            prompt: "Which note should Phosphorescence share?".into(),
        });
        shared.dispatch.dispatch(HostAction::QuestionQueued(id));
    });
    HostSession {
        close,
        reload,
        ask,
        review,
    }
}
