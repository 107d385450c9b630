//! The host's session with Eos: reconnects on every iframe load, serves Eos's requests in the
//! handler loop, follows interrupts, and carries the user's question on Eos's next turn.
//!
//! What the messenger reports reaches the page through a [`FrameDispatcher`] (one batched
//! dispatch per animation frame); what the user does on this page is shown at once.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use gloo_storage::{LocalStorage, Storage};
use messenger::{Answered, Closer, Config, InterruptRequest, Received, Reconnector, Reply};
use shared_proto::{plain_words, EosAnswer, EosInterrupt, EosRequest, ItemId, PhosphorescenceReply, Question, Side};
use web_sys::HtmlIFrameElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::config::{REMOTE_ORIGIN, STORE_KEY};
use crate::frame::FrameDispatcher;
use crate::handler::{self, Attach, Handler};
use crate::state::{action_channel_failure, HostAction, HostState};
use crate::store::Store;

/// What the page can do with the session.
#[derive(Clone, PartialEq)]
pub struct HostControls {
    /// Closes the current session (Eos notices when its next request goes unanswered).
    pub close: Callback<()>,
    /// Reloads the iframe; the host reconnects when it has loaded.
    pub reload: Callback<()>,
    /// Queues a question for the user inside Eos; it goes out on Eos's next turn.
    pub ask: Callback<()>,
    /// Marks a note as reviewed on the host's side (a new revision Eos has not seen yet).
    pub review: Callback<ItemId>,
}

/// What every session of the page has in common: the notes, the question waiting for Eos, and
/// the way to the page. (Named apart from the messenger's own `Shared`, a session's state.)
struct Common {
    store: RefCell<Store>,
    question: RefCell<Option<Question>>,
    next_question: Cell<u64>,
    page: FrameDispatcher,
}

/// Writes the notes to `localStorage`; the handler keeps a change only when this succeeded.
fn save(store: &Store) -> Result<(), String> {
    LocalStorage::set(STORE_KEY, store).map_err(|error| error.to_string())
}

/// One session's handler state.
struct Session {
    common: Rc<Common>,
    handler: Rc<RefCell<Handler>>,
    /// Tells whether the session still runs when an action channel ends.
    closer: Closer,
}

impl Session {
    fn handle(&self, request: EosRequest) -> Reply<PhosphorescenceReply> {
        let outcome = {
            let mut store = self.common.store.borrow_mut();
            let mut question = self.common.question.borrow_mut();
            self.handler
                .borrow_mut()
                .handle(request, &mut store, &mut question, save)
        };
        self.common.page.push(HostAction::Batch(outcome.page));
        let reply = Reply::new(outcome.reply);
        match outcome.attach {
            Attach::Nothing => reply,
            Attach::Actions(channel) => reply.with_interrupt(self.follow_actions(channel)),
            Attach::Answer(question) => reply.with_interrupt(self.await_answer(question)),
        }
    }

    /// A multi-use channel for Eos's action buttons, followed for as long as it is open.
    ///
    /// When it ends while the session goes on (a flood, an interrupt that does not decode), the
    /// interrupt panel says why and the handler offers a new channel with its next reply (see
    /// [`Handler::actions_ended`]).
    fn follow_actions(&self, channel: u64) -> InterruptRequest {
        let (request, mut actions) = InterruptRequest::multi_use::<EosInterrupt>();
        let page = self.common.page.clone();
        let handler = Rc::clone(&self.handler);
        let closer = self.closer.clone();
        spawn_local(async move {
            let ended = loop {
                match actions.next().await {
                    Some(Ok(action)) => page.push(HostAction::Interrupt(action.to_string())),
                    Some(Err(error)) => break Some(error),
                    None => break None,
                }
            };
            handler.borrow_mut().actions_ended(channel);
            if let Some(why) = action_channel_failure(ended.as_ref(), closer.is_open()) {
                page.push(HostAction::ActionsFailed(why));
            }
        });
        request
    }

    /// A one-time channel for the answer to question `id`.
    fn await_answer(&self, id: u64) -> InterruptRequest {
        let (request, answer) = InterruptRequest::one_time::<EosAnswer>();
        let common = Rc::clone(&self.common);
        common.page.push(HostAction::QuestionAsked(id));
        spawn_local(async move {
            let action = match answer.await {
                Ok(EosAnswer::Chose { question, id: item }) => {
                    let title = common
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
                    why: plain_words(&error, Side::Host),
                },
            };
            common.page.push(action);
        });
        request
    }
}

/// Serves one answered session until it ends.
async fn serve(answered: Answered, common: Rc<Common>) {
    let session = Rc::new(Session {
        common,
        handler: Rc::default(),
        closer: answered.closer(),
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
pub fn use_host_session(frame: NodeRef, dispatch: UseReducerDispatcher<HostState>) -> HostControls {
    let common: Rc<Common> = use_memo((), |_| {
        // A missing or unreadable entry starts a fresh store with sample notes.
        let store = LocalStorage::get::<Store>(STORE_KEY).unwrap_or_default();
        Common {
            store: RefCell::new(store),
            question: RefCell::new(None),
            next_question: Cell::new(1),
            page: FrameDispatcher::new(dispatch.clone()),
        }
    });
    let reconnector = use_mut_ref(|| None::<Reconnector>);

    {
        let (common, reconnector, frame) = (Rc::clone(&common), reconnector.clone(), frame.clone());
        use_effect_with((), move |_| {
            common
                .page
                .dispatch_now(HostAction::Notes(common.store.borrow().summaries()));
            if let Some(iframe) = frame.cast::<HtmlIFrameElement>() {
                let observed = common.page.clone();
                let config = move || {
                    let observed = observed.clone();
                    Ok(Config::new(REMOTE_ORIGIN)?
                        // Eos asks at least every second while visible; hidden pages may have
                        // their timers throttled to once a minute, so only a longer silence means
                        // Eos is gone (a reload is noticed at once through the iframe's `load`).
                        .reply_timeout(Duration::from_secs(70))
                        .observer(move |step| observed.push(HostAction::Observed(step.clone()))))
                };
                let session_common = Rc::clone(&common);
                *reconnector.borrow_mut() = Some(Reconnector::new(&iframe, config, move |answered| {
                    // A failed handshake is already on the page through the observer.
                    if let Ok(answered) = answered {
                        spawn_local(serve(answered, Rc::clone(&session_common)));
                    }
                }));
            } else {
                common
                    .page
                    .dispatch_now(HostAction::Problem("The iframe for Eos is missing.".into()));
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
        let common = Rc::clone(&common);
        Callback::from(move |id: ItemId| {
            // Kept only if `localStorage` took it, like Eos's edits.
            let page = handler::review(&mut common.store.borrow_mut(), id, save);
            common.page.dispatch_now(HostAction::Batch(page));
        })
    };
    let ask = Callback::from(move |()| {
        let id = common.next_question.get();
        common.next_question.set(id + 1);
        *common.question.borrow_mut() = Some(Question {
            id,
            prompt: "Which note should Phosphorescence share?".into(),
        });
        common.page.dispatch_now(HostAction::QuestionQueued(id));
    });
    HostControls {
        close,
        reload,
        ask,
        review,
    }
}
