//! [`use_window_session`]: the host's side with a window it opened, knocking on it and serving it
//! across its reloads and until it is closed.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use messenger::{Closer, Config, Error, Received, Reply, WindowKeeper, WindowKeeperTiming};
use serde::{de::DeserializeOwned, Serialize};
use yew::prelude::*;
use yew::UseStateSetter;

use crate::knocker::KnockerSessions;
use crate::SessionState;

/// What [`use_window_session`] gives the component: the session's state, and the window to keep.
///
/// Cheap to clone and comparable; every clone controls the same window.
#[derive(Clone)]
pub struct WindowSession {
    /// Where the current session is.
    pub state: SessionState,
    slot: Rc<WindowSlot>,
}

impl WindowSession {
    /// Starts keeping `window` (one this page opened, from a click handler: browsers block
    /// `window.open` without one): knocks on it, knocks again to find it reloaded, and ends the
    /// session with [`Error::WindowClosed`] once it is closed. A window kept before is let go
    /// (its session closed; the window itself stays open). Does nothing once the component is
    /// unmounted.
    pub fn keep(&self, window: web_sys::Window) {
        self.slot.keep(window);
    }

    /// Opens a window with `window.open(url, name, features)` and keeps it (see
    /// [`WindowSession::keep`]); call it from a click handler. Fails with [`Error::Browser`] when
    /// the browser refused to open one (a blocked popup), keeping nothing new.
    pub fn open(&self, url: &str, name: &str, features: &str) -> Result<(), Error> {
        let page = web_sys::window().ok_or(Error::Unsupported("no window to open another from"))?;
        let opened = page
            .open_with_url_and_target_and_features(url, name, features)
            .map_err(|thrown| Error::Browser(format!("window.open threw: {thrown:?}")))?
            .ok_or_else(|| Error::Browser("window.open opened no window (a blocked popup?)".into()))?;
        self.keep(opened);
        Ok(())
    }

    /// Closes the current session (its pending work fails with [`Error::Closed`]); the window
    /// stays kept, so its next reload connects again.
    pub fn close(&self) {
        let current = self.slot.current.borrow().clone();
        if let Some(closer) = current {
            closer.close();
        }
    }

    /// Whether a window is kept and still open.
    pub fn is_open(&self) -> bool {
        self.slot
            .kept
            .borrow()
            .as_ref()
            .is_some_and(|kept| kept.keeper.is_open())
    }
}

impl PartialEq for WindowSession {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state && Rc::ptr_eq(&self.slot, &other.slot)
    }
}

impl fmt::Debug for WindowSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowSession")
            .field("state", &self.state)
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

/// Keeps a session with a window this page opened, for the component's life, serving each
/// session with a handler that `handler_for` makes for it; the window is given later, through
/// [`WindowSession::keep`] or [`WindowSession::open`]. With the default [`WindowKeeperTiming`];
/// see [`use_window_session_with_timing`].
///
/// - `config` is read when a window is kept (the latest given; every session is a clone of it,
///   sharing its observer); an `Err` fails the keeping at once (`Failed` with its error), so
///   `Config::new(origin)` can be passed as it is.
/// - `handler_for` is called once per answered session with the session's [`Closer`] and returns
///   that session's handler: every message the window's page sends goes to the handler, whose
///   reply is the answer (the listener speaks first; the host answers). The latest
///   `handler_for` given is the one used.
/// - The state is `Idle` until a window is kept, then `Knocking` → `Connected` once the window's
///   page answered; each reload of the window goes `Knocking` → `Connected` again (the reloaded
///   page answers one of the keeper's background knocks, which supersedes the old session).
///   `Failed(Error::WindowClosed)` once the window is closed; `Failed` with the error when a
///   session ends otherwise (a reload still connects again), or when the first knock was never
///   answered ([`Error::TimedOut`]).
/// - One window at a time: keeping another lets the previous one go. Unmounting drops the
///   [`WindowKeeper`] (which stops knocking and checking, closes the session and removes its
///   listeners) and aborts the serving tasks; the window itself stays open.
#[hook]
pub fn use_window_session<Out, In, MakeHandler, Handler, Answer>(
    config: Result<Config, Error>,
    handler_for: MakeHandler,
) -> WindowSession
where
    Out: Serialize + 'static,
    In: DeserializeOwned + 'static,
    MakeHandler: FnMut(&Closer) -> Handler + 'static,
    Handler: FnMut(Received<In>) -> Answer + 'static,
    Answer: Future<Output = Reply<Out>> + 'static,
{
    use_window_session_with_timing(config, WindowKeeperTiming::default(), handler_for)
}

/// [`use_window_session`] with the [`WindowKeeperTiming`] of its keeper (how often it reads
/// `window.closed` and knocks to find a reload, how long the first knock may wait): the latest
/// given is used when a window is kept.
#[hook]
pub fn use_window_session_with_timing<Out, In, MakeHandler, Handler, Answer>(
    config: Result<Config, Error>,
    timing: WindowKeeperTiming,
    handler_for: MakeHandler,
) -> WindowSession
where
    Out: Serialize + 'static,
    In: DeserializeOwned + 'static,
    MakeHandler: FnMut(&Closer) -> Handler + 'static,
    Handler: FnMut(Received<In>) -> Answer + 'static,
    Answer: Future<Output = Reply<Out>> + 'static,
{
    let state = use_state_eq(|| SessionState::Idle);
    let latest = use_mut_ref(|| None::<MakeHandler>);
    *latest.borrow_mut() = Some(handler_for);
    let slot = {
        let (set_state, latest) = (state.setter(), latest.clone());
        use_memo((), move |_| {
            let current: Rc<RefCell<Option<Closer>>> = Rc::default();
            let start = {
                let (set_state, current) = (set_state.clone(), Rc::clone(&current));
                move |window: &web_sys::Window, config, timing| {
                    KeptWindow::start::<Out, In, MakeHandler, Handler, Answer>(
                        window,
                        config,
                        timing,
                        set_state.clone(),
                        Rc::clone(&current),
                        latest.clone(),
                    )
                }
            };
            WindowSlot {
                // Replaced below, in this same render, before anything can read it.
                config: RefCell::new(Err(Error::Closed)),
                timing: Cell::new(WindowKeeperTiming::default()),
                set_state,
                current,
                kept: RefCell::new(None),
                start: Box::new(start),
                unmounted: Cell::new(false),
            }
        })
    };
    // Stored by every render, read when a window is kept.
    *slot.config.borrow_mut() = config;
    slot.timing.set(timing);
    {
        let slot = Rc::clone(&slot);
        // Runs once; its cleanup, on unmount, lets the window go.
        use_effect_with((), move |_| move || slot.unmount());
    }
    WindowSession {
        state: (*state).clone(),
        slot,
    }
}

/// Starts keeping a window with a configuration and a timing (the handler types erased here,
/// so that [`WindowSession`] needs none).
type Start = dyn Fn(&web_sys::Window, Config, WindowKeeperTiming) -> KeptWindow;

/// The hook's state outside Yew's: the latest configuration and timing, and the window kept.
struct WindowSlot {
    config: RefCell<Result<Config, Error>>,
    timing: Cell<WindowKeeperTiming>,
    set_state: UseStateSetter<SessionState>,
    /// The current session's closer, for [`WindowSession::close`].
    current: Rc<RefCell<Option<Closer>>>,
    kept: RefCell<Option<KeptWindow>>,
    start: Box<Start>,
    /// Set by the effect's cleanup: a `keep` from a stale handle starts nothing.
    unmounted: Cell<bool>,
}

impl WindowSlot {
    fn keep(&self, window: web_sys::Window) {
        if self.unmounted.get() {
            return;
        }
        // The previous keeper goes first (out of the borrow: dropping it closes its session,
        // whose observer may call back into the application).
        let previous = self.kept.borrow_mut().take();
        drop(previous);
        self.current.borrow_mut().take();
        let config = self.config.borrow().clone();
        match config {
            Err(error) => self.set_state.set(SessionState::Failed(error)),
            Ok(config) => {
                let kept = (self.start)(&window, config, self.timing.get());
                *self.kept.borrow_mut() = Some(kept);
            }
        }
    }

    fn unmount(&self) {
        self.unmounted.set(true);
        let kept = self.kept.borrow_mut().take();
        drop(kept);
        self.current.borrow_mut().take();
    }
}

/// One kept window; dropping it ends its sessions: it ends the serving tasks (the keeper's
/// callback holds the sessions too, so they are ended here rather than by the last `Rc`), then
/// drops the keeper (stops knocking and checking, closes the session).
struct KeptWindow {
    end_sessions: Box<dyn Fn()>,
    keeper: WindowKeeper,
}

impl Drop for KeptWindow {
    fn drop(&mut self) {
        (self.end_sessions)();
    }
}

impl KeptWindow {
    fn start<Out, In, MakeHandler, Handler, Answer>(
        window: &web_sys::Window,
        config: Config,
        timing: WindowKeeperTiming,
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
        let sessions = KnockerSessions::new(set_state, current, latest);
        sessions.knocking();
        let on_answered = {
            let sessions = Rc::clone(&sessions);
            move |answered| match answered {
                // The keeper knocks on its own: each answer, the first or a reloaded window's,
                // is announced as a new session.
                Ok(answered) => sessions.answered_unannounced::<Out, In, Handler, Answer>(answered),
                Err(error) => sessions.answered::<Out, In, Handler, Answer>(Err(error)),
            }
        };
        let keeper = WindowKeeper::with_timing(window, config, timing, on_answered);
        KeptWindow {
            end_sessions: Box::new(move || sessions.end()),
            keeper,
        }
    }
}

impl fmt::Debug for WindowSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowSlot")
            .field("kept", &self.kept.borrow().as_ref().map(|kept| &kept.keeper))
            .field("unmounted", &self.unmounted.get())
            .finish_non_exhaustive()
    }
}
