//! [`use_iframe_session`]: the host's side, knocking on its iframe and serving it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use gloo_events::EventListener;
use messenger::{Closer, Config, Error, Received, Reconnector, Reply};
use serde::{de::DeserializeOwned, Serialize};
use web_sys::{Document, Event, HtmlIFrameElement};
use yew::prelude::*;
use yew::UseStateSetter;

use crate::knocker::KnockerSessions;
use crate::SessionState;

/// What [`use_iframe_session`] gives the component: the session's state and a way to close it.
#[derive(Clone)]
pub struct IframeSession {
    /// Where the current session is.
    pub state: SessionState,
    current: Rc<RefCell<Option<Closer>>>,
}

impl IframeSession {
    /// Closes the current session (its pending work fails with [`Error::Closed`]); the next load
    /// of the iframe knocks again.
    pub fn close(&self) {
        let current = self.current.borrow().clone();
        if let Some(closer) = current {
            closer.close();
        }
    }
}

impl PartialEq for IframeSession {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state && Rc::ptr_eq(&self.current, &other.current)
    }
}

impl fmt::Debug for IframeSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IframeSession")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Knocks on the iframe in `iframe` every time it loads (a [`Reconnector`]) and serves each
/// session with a handler that `handler_for` makes for it; for the component's life.
///
/// - `config` is read once, when the effect starts (every session is a clone of it, sharing its
///   observer); an `Err` fails at once (`Failed` with its error), so `Config::new(origin)` can be
///   passed as it is.
/// - `handler_for` is called once per answered session with the session's [`Closer`] and returns
///   that session's handler: every message the iframe sends goes to the handler, whose reply is
///   the answer (the listener speaks first; the host answers). The latest `handler_for` given is
///   the one used.
/// - The state goes `Idle` → `Knocking` on each load → `Connected` once the iframe answered →
///   `Failed` when the session ends (a reload supersedes it and knocks again: `Knocking`). The
///   iframe removed from the page: `Failed(FrameRemoved)` at once; moved: `Knocking` again on
///   its load. This page back from the back/forward cache: `Failed(PageHidden)` (its
///   `pagehide`) → `Knocking` → `Connected` once the restored iframe answers again.
/// - Unmounting (or a new `iframe` ref) drops the reconnector, which closes the session and
///   removes its listeners, and aborts the serving task.
///
/// Render the iframe in the same component (or a child), so that the ref is set when the effect
/// runs; while the ref holds no iframe the state stays `Idle`. The effect runs before a
/// cross-origin page can arrive from the network; a same-origin page that loaded before it (a
/// `srcdoc`, say) is seen and knocked on at once.
#[hook]
pub fn use_iframe_session<Out, In, MakeHandler, Handler, Answer>(
    iframe: NodeRef,
    config: Result<Config, Error>,
    handler_for: MakeHandler,
) -> IframeSession
where
    Out: Serialize + 'static,
    In: DeserializeOwned + 'static,
    MakeHandler: FnMut(&Closer) -> Handler + 'static,
    Handler: FnMut(Received<In>) -> Answer + 'static,
    Answer: Future<Output = Reply<Out>> + 'static,
{
    let state = use_state_eq(|| SessionState::Idle);
    let current: Rc<RefCell<Option<Closer>>> = use_memo((), |_| RefCell::new(None));
    let latest = use_mut_ref(|| None::<MakeHandler>);
    *latest.borrow_mut() = Some(handler_for);
    {
        let (set_state, current, latest) = (state.setter(), Rc::clone(&current), latest.clone());
        use_effect_with(iframe, move |iframe| {
            let keeper = match (config, iframe.cast::<HtmlIFrameElement>()) {
                (Err(error), _) => {
                    set_state.set(SessionState::Failed(error));
                    None
                }
                (Ok(_), None) => None,
                (Ok(config), Some(element)) => Some(IframeKeeper::start(
                    &element,
                    config,
                    set_state,
                    Rc::clone(&current),
                    latest,
                )),
            };
            move || {
                drop(keeper);
                current.borrow_mut().take();
            }
        });
    }
    IframeSession {
        state: (*state).clone(),
        current,
    }
}

/// What one run of the effect holds; dropping it ends the sessions: it ends the serving tasks
/// (the reconnector's callback holds the sessions too, so they are ended here rather than by the
/// last `Rc`), then drops the reconnector (closes the session, stops knocking, removes its load
/// listener) and the hook's own load listener.
struct IframeKeeper<MakeHandler: 'static> {
    sessions: Rc<KnockerSessions<MakeHandler>>,
    _reconnector: Reconnector,
    _load: EventListener,
    _restored: Option<messenger::PageRestored>,
}

impl<MakeHandler: 'static> Drop for IframeKeeper<MakeHandler> {
    fn drop(&mut self) {
        self.sessions.end();
    }
}

impl<MakeHandler: 'static> IframeKeeper<MakeHandler> {
    fn start<Out, In, Handler, Answer>(
        element: &HtmlIFrameElement,
        config: Config,
        set_state: UseStateSetter<SessionState>,
        current: Rc<RefCell<Option<Closer>>>,
        latest: Rc<RefCell<Option<MakeHandler>>>,
    ) -> Self
    where
        Out: Serialize + 'static,
        In: DeserializeOwned + 'static,
        MakeHandler: FnMut(&Closer) -> Handler,
        Handler: FnMut(Received<In>) -> Answer + 'static,
        Answer: Future<Output = Reply<Out>> + 'static,
    {
        let sessions = KnockerSessions::new(set_state, current, latest);
        // The document a `load` was replayed for (see below), until the next `load`.
        let replayed: Rc<RefCell<Option<Document>>> = Rc::default();
        // Added before the reconnector's, so it runs first on each load: the state says
        // `Knocking` before the reconnector reports anything about the new session, and it can
        // keep a replayed load from being seen twice.
        let load = {
            let (sessions, replayed, frame) = (Rc::clone(&sessions), Rc::clone(&replayed), element.clone());
            EventListener::new(element, "load", move |event| {
                let replayed_for = replayed.borrow_mut().take();
                if replayed_for.is_some() && replayed_for == frame.content_document() {
                    // The real `load` of the document already knocked on: one session each.
                    event.stop_immediate_propagation();
                    return;
                }
                sessions.knocking();
            })
        };
        // Also before the reconnector's: back from the back/forward cache, the reconnector
        // knocks again (the session ended on `pagehide`), and the state says so first.
        let restored = {
            let sessions = Rc::clone(&sessions);
            messenger::PageRestored::new(move || sessions.knocking())
        };
        let on_answered = {
            let sessions = Rc::clone(&sessions);
            move |answered| sessions.answered(answered)
        };
        let reconnector = Reconnector::new(element, config, on_answered);
        if let Some(document) = loaded_already(element) {
            // Its `load` came (or is about to come) before the listeners existed: a small
            // same-origin page can load between the render that inserted it and this effect.
            // Replayed, so that the hook and the reconnector start on it now; should the real
            // `load` still follow, the hook's listener stops it before the reconnector sees it.
            if let Ok(load) = Event::new("load") {
                let _ = element.dispatch_event(&load);
                *replayed.borrow_mut() = Some(document);
            }
        }
        IframeKeeper {
            sessions,
            _reconnector: reconnector,
            _load: load,
            _restored: restored,
        }
    }
}

impl<MakeHandler> fmt::Debug for IframeKeeper<MakeHandler> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IframeKeeper").finish_non_exhaustive()
    }
}

/// The document of `iframe` when it finished loading, as far as this page can see: a
/// cross-origin document cannot be inspected (`contentDocument` is `null`), and the initial
/// `about:blank` of an iframe whose page is still coming does not count.
fn loaded_already(iframe: &HtmlIFrameElement) -> Option<Document> {
    iframe.content_document().filter(|document| {
        document.ready_state() == "complete" && document.url().ok().as_deref() != Some("about:blank")
    })
}
