//! [`use_iframe_session`]: the host's side, knocking on its iframe and serving it.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use gloo_events::EventListener;
use messenger::{Closer, Config, Error, Received, Reconnector, Reply};
use serde::{de::DeserializeOwned, Serialize};
use web_sys::HtmlIFrameElement;
use yew::prelude::*;
use yew::UseStateSetter;

use crate::tasks::Tasks;
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
///   `Failed` when the session ends (a reload supersedes it and knocks again: `Knocking`).
/// - Unmounting (or a new `iframe` ref) drops the reconnector, which closes the session and
///   removes its listeners, and aborts the serving task.
///
/// Render the iframe in the same component (or a child), so that the ref is set when the effect
/// runs and the reconnector exists before the iframe's first load; while the ref holds no iframe
/// the state stays `Idle`.
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

/// What one run of the effect holds; dropping it ends the sessions: it aborts the serving tasks
/// (the reconnector's callback holds them too, so they are ended here rather than by the last
/// `Rc`), then drops the reconnector (closes the session, stops knocking, removes its load
/// listener) and the hook's own load listener.
struct IframeKeeper {
    tasks: Rc<Tasks>,
    _reconnector: Reconnector,
    _load: EventListener,
}

impl Drop for IframeKeeper {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

impl IframeKeeper {
    fn start<Out, In, MakeHandler, Handler, Answer>(
        element: &HtmlIFrameElement,
        config: Config,
        set_state: UseStateSetter<SessionState>,
        current: Rc<RefCell<Option<Closer>>>,
        latest: Rc<RefCell<Option<MakeHandler>>>,
    ) -> Self
    where
        Out: Serialize + 'static,
        In: DeserializeOwned + 'static,
        MakeHandler: FnMut(&Closer) -> Handler + 'static,
        Handler: FnMut(Received<In>) -> Answer + 'static,
        Answer: Future<Output = Reply<Out>> + 'static,
    {
        let tasks = Rc::new(Tasks::default());
        // Each load starts a new session; a session that ends after the next load began (the
        // reload superseded it) must not overwrite the new one's state.
        let generation = Rc::new(Cell::new(0_u64));
        // Added before the reconnector's, so it runs first on each load: the state says
        // `Knocking` before the reconnector reports anything about the new session.
        let load = {
            let (generation, set_state) = (Rc::clone(&generation), set_state.clone());
            EventListener::new(element, "load", move |_| {
                generation.set(generation.get() + 1);
                set_state.set(SessionState::Knocking);
            })
        };
        let on_answered = {
            let tasks = Rc::clone(&tasks);
            move |answered: Result<messenger::Answered, Error>| {
                let answered = match answered {
                    Ok(answered) => answered,
                    Err(error) => return set_state.set(SessionState::Failed(error)),
                };
                let closer = answered.closer();
                *current.borrow_mut() = Some(closer.clone());
                let mut handler = match latest.borrow_mut().as_mut() {
                    Some(handler_for) => handler_for(&closer),
                    // Set on every render before the effect runs: never empty here.
                    None => return,
                };
                set_state.set(SessionState::Connected);
                let (mine, generation, set_state) = (generation.get(), Rc::clone(&generation), set_state.clone());
                tasks.spawn(async move {
                    // TODO(integrator): with the infallible `Answered::serve(handler)` this is
                    // `answered.serve(handler)`.
                    let serving = answered.serve(
                        move |received: Received<In>| {
                            let answer = handler(received);
                            async move { Ok::<_, Infallible>(answer.await) }
                        },
                        |never: Infallible| match never {},
                    );
                    let ended = match serving.await {
                        Err(error) => error,
                        // The loop ended by a last reply; the session is closed with it.
                        Ok(_handed_back) => Error::Closed,
                    };
                    if generation.get() == mine {
                        set_state.set(SessionState::Failed(ended));
                    }
                });
            }
        };
        // TODO(integrator): `Reconnector::new(element, config, on_answered)` once it takes a
        // `Config`.
        let reconnector = Reconnector::new(element, move || Ok(config.clone()), on_answered);
        IframeKeeper {
            tasks,
            _reconnector: reconnector,
            _load: load,
        }
    }
}

impl fmt::Debug for IframeKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IframeKeeper").finish_non_exhaustive()
    }
}
