//! Eos's session with its host: listen for the knock from the host's window (the parent when
//! Eos is framed, the opener when the host opened Eos in a window of its own) through
//! `messenger_yew::use_listen`, then introduce itself and ask one request per turn; when idle,
//! poll so the host gets a turn to ask its question.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::future::{select, AbortHandle, Abortable, Either};
use futures::StreamExt;
use gloo_timers::future::sleep;
use messenger::{Config, InterruptSender, Source, Step};
use messenger_yew::{use_listen, ListenHandle, SessionState};
use shared_proto::{
    check_reply, plain_words, wrong_reply_words, EosAnswer, EosInterrupt, EosRequest, PhosphorescenceReply, Side,
};
use wasm_bindgen::{JsCast, JsValue};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::config::{protocol_version, HOST_ORIGIN};
use crate::ignored::SharedIgnoredLog;
use crate::state::{version_problem, Button, Carried, EosAction, EosState, Place};

/// How long Eos waits for its host's knock.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a quiet Eos waits before handing the host a turn.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// What Eos's components can do with the session.
#[derive(Clone, PartialEq)]
pub struct EosControls {
    /// Sends a request; requests go out one per turn, in order.
    pub request: Callback<EosRequest>,
    /// Reports a user action to the host on the multi-use interrupt channel.
    pub act: Callback<EosInterrupt>,
    /// Answers the host's question on its one-time interrupt channel.
    pub answer: Callback<EosAnswer>,
}

/// The interrupt channels the host handed over.
///
/// `actions` is replaced whenever a reply brings a new action channel: the host sends one with
/// its welcome and again after the previous one ended (its messenger closes a channel that is
/// flooded or carries an interrupt that does not decode), so later clicks reach it again.
#[derive(Default)]
struct Channels {
    actions: Option<InterruptSender<EosInterrupt>>,
    answer: Option<InterruptSender<EosAnswer>>,
}

type EosSession = ListenHandle<EosRequest, PhosphorescenceReply>;

/// The window Eos's host is in, and where Eos runs: the parent when this page is framed, else
/// the opener when another window opened it; `None` when Eos was opened on its own.
///
/// Either way the messenger also checks the knock's origin, exactly: a page of another origin
/// that frames or opens Eos gets no answer.
fn host_window() -> Option<(web_sys::Window, Place)> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    // A top-level window is its own parent.
    if JsValue::from(&parent) != JsValue::from(&window) {
        return Some((parent, Place::Frame));
    }
    let opener = window
        .opener()
        .ok()
        .filter(|opener| !opener.is_null() && !opener.is_undefined())?;
    // The opener of another origin is a cross-origin WindowProxy: an `instanceof Window` check
    // (`dyn_into`) cannot inspect it, so it is taken as the Window that `opener` is.
    Some((opener.unchecked_into(), Place::Window))
}

/// Sends one request and reports it with its reply; breaks once the session is over.
async fn ask(
    messenger: &EosSession,
    request: EosRequest,
    channels: &RefCell<Channels>,
    dispatch: &UseReducerDispatcher<EosState>,
) -> ControlFlow<()> {
    let refresh = matches!(
        request,
        EosRequest::CreateItem { .. } | EosRequest::UpdateItem { .. } | EosRequest::DeleteItem { .. }
    );
    // A poll only hands the host its turn; it is not something the user waits for.
    if !matches!(request, EosRequest::Poll {}) {
        dispatch.dispatch(EosAction::Sent);
    }
    // Kept to go with its reply: the reducer reads the reply in the light of the request.
    let sent = request.clone();
    let mut received = match messenger.send(request).await {
        Ok(received) => received,
        Err(failed) => {
            dispatch.dispatch(EosAction::Closed(plain_words(&failed.error, Side::Eos)));
            return ControlFlow::Break(());
        }
    };
    if let Err(wrong) = check_reply(&sent, &received.message, received.has_interrupt()) {
        // A reply that does not answer the request (an `items` reply to `introduce`): refused at
        // once, not taken for something it is not. The host hears a close notice (`refused`);
        // the interrupt channel that came along is dropped unused, which closes its port.
        dispatch.dispatch(EosAction::Closed(wrong_reply_words(&wrong)));
        if let Some(closer) = messenger.closer() {
            closer.refuse(wrong.to_string());
        }
        return ControlFlow::Break(());
    }
    if version_problem(&received.message, protocol_version()).is_some() {
        // A host of another protocol version, or one that refused Eos's: show it, close, and
        // send nothing more (the interrupt channel that came along is dropped unused, which
        // closes its port). The host hears a close notice (`closed`) at once.
        dispatch.dispatch(EosAction::Replied {
            request: sent,
            reply: received.into_message(),
        });
        messenger.close();
        return ControlFlow::Break(());
    }
    match Carried::by(&received.message) {
        Carried::Answer => channels.borrow_mut().answer = received.take_interrupt(),
        Carried::Actions => {
            if let Some(actions) = received.take_interrupt() {
                // Replaces (and so closes) the previous channel, if any.
                channels.borrow_mut().actions = Some(actions);
                dispatch.dispatch(EosAction::ActionsReady);
            }
        }
    }
    if let PhosphorescenceReply::Polled {
        question: Some(question),
    } = &received.message
    {
        dispatch.dispatch(EosAction::Asked(question.clone()));
    }
    let failed = matches!(received.message, PhosphorescenceReply::Failed { .. });
    dispatch.dispatch(EosAction::Replied {
        request: sent,
        reply: received.into_message(),
    });
    if refresh && !failed {
        return Box::pin(ask(messenger, EosRequest::ListItems {}, channels, dispatch)).await;
    }
    ControlFlow::Continue(())
}

/// The whole conversation, once connected: introduction, then requests (or polls) until it ends.
async fn run(
    messenger: EosSession,
    mut requests: mpsc::UnboundedReceiver<EosRequest>,
    channels: Rc<RefCell<Channels>>,
    dispatch: UseReducerDispatcher<EosState>,
) {
    dispatch.dispatch(EosAction::Connected);
    let introduction = EosRequest::Introduce {
        app: "Eos".into(),
        protocol_version: protocol_version(),
        greeting: "hello from Eos".into(),
    };
    if ask(&messenger, introduction, &channels, &dispatch).await.is_break() {
        return;
    }
    if channels.borrow().actions.is_none() {
        // The host refused the introduction (other than for its version, shown already) or
        // offered no action channel with its welcome: stop here.
        messenger.close();
        return dispatch.dispatch(EosAction::Closed("The host refused Eos's introduction.".into()));
    }
    if ask(&messenger, EosRequest::ListItems {}, &channels, &dispatch)
        .await
        .is_break()
    {
        return;
    }
    loop {
        let request = match select(requests.next(), Box::pin(sleep(POLL_EVERY))).await {
            Either::Left((Some(request), _)) => request,
            Either::Left((None, _)) => return,
            Either::Right(_) => EosRequest::Poll {},
        };
        if ask(&messenger, request, &channels, &dispatch).await.is_break() {
            return;
        }
    }
}

/// Runs Eos's session for the component's life: the hook listens and holds the session, this
/// one runs the conversation once it is connected; unmounting ends both (the session's ports
/// close, the conversation's task is aborted).
#[hook]
pub fn use_eos_session(dispatch: UseReducerDispatcher<EosState>, ignored: SharedIgnoredLog) -> EosControls {
    let host = use_memo((), |_| host_window());
    let listening = Config::new(HOST_ORIGIN).map(|config| {
        config
            .handshake_timeout(HANDSHAKE_TIMEOUT)
            .reply_timeout(Duration::from_secs(5))
            // What reached the window and was ignored, for the inspector (only written here).
            .observer(move |observation| {
                if let Step::Ignored { reason } = observation.step {
                    ignored.borrow_mut().record(reason);
                }
            })
    });
    let session = use_listen::<EosRequest, PhosphorescenceReply>(
        listening,
        host.as_ref().as_ref().map(|(window, _)| Source::Window(window.clone())),
    );
    let channels: Rc<RefCell<Channels>> = use_memo((), |_| RefCell::new(Channels::default()));
    let outbox = use_mut_ref(|| None::<mpsc::UnboundedSender<EosRequest>>);
    let inbox = use_mut_ref(|| None::<mpsc::UnboundedReceiver<EosRequest>>);
    // The conversation's task, once connected; ended when the component unmounts (not when the
    // session fails: the request that met the failure still shows it).
    let conversation = use_mut_ref(|| None::<AbortHandle>);
    {
        let (outbox, inbox, conversation, dispatch) =
            (outbox.clone(), inbox.clone(), conversation.clone(), dispatch.clone());
        use_effect_with((), move |_| {
            match host.as_ref() {
                None => dispatch.dispatch(EosAction::NotEmbedded),
                Some((_, place)) => {
                    dispatch.dispatch(EosAction::Placed(*place));
                    // Requests made before the session is connected wait here, in order.
                    let (sender, requests) = mpsc::unbounded();
                    *outbox.borrow_mut() = Some(sender);
                    *inbox.borrow_mut() = Some(requests);
                }
            }
            move || {
                drop(outbox.borrow_mut().take());
                if let Some(abort) = conversation.borrow_mut().take() {
                    abort.abort();
                }
            }
        });
    }
    {
        let (channels, dispatch, session) = (Rc::clone(&channels), dispatch.clone(), session.clone());
        let outbox = outbox.clone();
        use_effect_with(session.state.clone(), move |state| match state {
            SessionState::Connected => {
                // The first session takes the requests made before it; a later one (the page came
                // back from the back/forward cache and `use_listen` listened again) gets a queue
                // of its own and a conversation of its own, which introduces Eos to the host
                // again. The old conversation's session has ended; its task goes.
                let requests = inbox.borrow_mut().take().or_else(|| {
                    let old = conversation.borrow_mut().take()?;
                    old.abort();
                    let (sender, requests) = mpsc::unbounded();
                    *outbox.borrow_mut() = Some(sender);
                    Some(requests)
                });
                if let Some(requests) = requests {
                    let (abort, registration) = AbortHandle::new_pair();
                    let talk = Abortable::new(run(session, requests, channels, dispatch), registration);
                    spawn_local(async move {
                        let _ = talk.await;
                    });
                    *conversation.borrow_mut() = Some(abort);
                }
            }
            // A failure before the session connected (no knock in time, a refused origin) is
            // shown here; one after it, by the request that met it.
            SessionState::Failed(error) if conversation.borrow().is_none() => {
                dispatch.dispatch(EosAction::Closed(plain_words(error, Side::Eos)));
            }
            _ => {}
        });
    }

    let request = Callback::from(move |request: EosRequest| {
        if let Some(outbox) = outbox.borrow().as_ref() {
            let _ = outbox.unbounded_send(request);
        }
    });
    let act = {
        let (channels, dispatch) = (Rc::clone(&channels), dispatch.clone());
        Callback::from(move |action: EosInterrupt| {
            let outcome = match channels.borrow().actions.as_ref().map(|sender| sender.emit(&action)) {
                Some(Ok(())) => format!("Sent to the host: {action}."),
                Some(Err(error)) => format!("Not delivered: {error}."),
                None => "Not delivered: no channel to the host.".into(),
            };
            dispatch.dispatch(EosAction::Clicked {
                button: Button::Action,
                outcome,
            });
        })
    };
    let answer = Callback::from(move |answer: EosAnswer| {
        let outcome = match channels.borrow().answer.as_ref().map(|sender| sender.emit(&answer)) {
            Some(Ok(())) => "Answer sent to the host.".to_string(),
            Some(Err(error)) => format!("Not delivered: {error}."),
            None => "Not delivered: no question channel.".into(),
        };
        dispatch.dispatch(EosAction::Clicked {
            button: Button::Answer,
            outcome,
        });
    });
    EosControls { request, act, answer }
}
