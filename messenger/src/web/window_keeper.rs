//! Keeping a session with a window this page opened (a popup), across its reloads and until it
//! is closed.
//!
//! A window gives its opener far fewer signals than an iframe gives its host. A
//! [`Reconnector`](crate::Reconnector) watches the iframe element's `load` event, an element of
//! the host's own page; a window of another origin fires its `load` only inside itself, and a
//! `MessagePort` reports nothing when the page at its other end goes away. What is left:
//!
//! * **Reload.** The keeper knocks on the window for as long as it is open, every
//!   [`WindowKeeperTiming::knock_interval`]. A running remote listens only until its first knock,
//!   so it never hears those knocks; a reloaded remote listens afresh and answers the next one.
//!   The answer starts a new session, which supersedes the old one ([`Error::Superseded`]). The
//!   observer sees a background knock's steps only once it is answered, as a short handshake
//!   (its start, the latest few knocks, the answer); a knock nobody answers shows nothing.
//! * **Close.** `window.closed` is the one signal a closed window gives its opener. The keeper
//!   reads it every [`WindowKeeperTiming::closed_check`] and ends the session at once with
//!   [`Error::WindowClosed`], instead of leaving it to a reply timeout.
//! * **This page in the back/forward cache.** Its `pagehide` ends the session with
//!   [`Error::PageHidden`] (telling the window's page). Shown again from the cache (`pageshow`
//!   with `persisted`), the keeper starts over at once: a first knock, shown as it goes, whose
//!   answer is a new session handed to `on_answered`.
//! * **Anything else** (the window navigated to another site, or its page hangs): the remote's
//!   silence passes [`Config::reply_timeout`], as with an iframe.
//!
//! Everything runs in one task the [`WindowKeeper`] owns; dropping it stops the knocks and the
//! checks and closes the session (the window itself stays open).

use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use futures::future::{select, AbortHandle, Either};
use gloo_timers::future::sleep;

use super::held::Held;
use super::keeping::{spawn_owned, KeptSession};
use super::page::PageRestored;
use super::session::{knock_closable, Answered, Closer};
use super::{Config, Target};
use crate::protocol::{HandshakeState, Observation, Step};
use crate::Error;

/// How a [`WindowKeeper`] paces its knocks and checks. Every default suits a window that loads
/// a whole app; tests and fast local pages may shorten them.
///
/// ```
/// use std::time::Duration;
/// let timing = messenger::WindowKeeperTiming::default()
///     .closed_check(Duration::from_millis(100))
///     .first_knock_timeout(Duration::from_secs(60));
/// # drop(timing);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowKeeperTiming {
    closed_check: Duration,
    knock_interval: Duration,
    first_knock_timeout: Duration,
    knock_renewal: Duration,
    pause_after_failure: Duration,
}

impl Default for WindowKeeperTiming {
    fn default() -> Self {
        WindowKeeperTiming {
            closed_check: Duration::from_millis(250),
            knock_interval: Duration::from_millis(500),
            first_knock_timeout: Duration::from_secs(30),
            knock_renewal: Duration::from_secs(600),
            pause_after_failure: Duration::from_secs(1),
        }
    }
}

impl WindowKeeperTiming {
    /// How often `window.closed` is read (default 250 ms): a closed window's session ends within
    /// this long.
    pub fn closed_check(mut self, interval: Duration) -> Self {
        self.closed_check = interval;
        self
    }

    /// How often the keeper knocks while a session runs, to find a reloaded remote (default
    /// 500 ms): a reload is answered within about this long after the remote listens again.
    pub fn knock_interval(mut self, interval: Duration) -> Self {
        self.knock_interval = interval;
        self
    }

    /// How long the first knock on the window may go unanswered (default 30 s: the window has
    /// to load the remote app first). It replaces the [`Config`]'s handshake timeout for that
    /// knock; the knocks after it keep going until the window is closed.
    pub fn first_knock_timeout(mut self, timeout: Duration) -> Self {
        self.first_knock_timeout = timeout;
        self
    }

    /// How long one background knock goes on unanswered before a fresh one replaces it, with
    /// fresh channels (default 10 minutes). Nothing is shown of it either way.
    pub fn knock_renewal(mut self, timeout: Duration) -> Self {
        self.knock_renewal = timeout;
        self
    }

    /// The pause after a knock that failed before knocking again (default 1 s), so that a knock
    /// failing at once cannot spin.
    pub fn pause_after_failure(mut self, pause: Duration) -> Self {
        self.pause_after_failure = pause;
        self
    }
}

/// Keeps a session with a window this page opened: knocks on it, knocks again to find it
/// reloaded, and ends the session when it is closed.
///
/// The window counterpart of [`Reconnector`](crate::Reconnector). A window needs its own: a
/// window of another origin fires its `load` only inside itself and ports report nothing, so
/// the keeper knocks on it again every [`WindowKeeperTiming::knock_interval`] (a running remote
/// listens only until its first knock and never hears them; a reloaded one answers), and reads
/// `window.closed`, the one signal a closed window gives its opener, every
/// [`WindowKeeperTiming::closed_check`]. `on_answered` receives each answered session,
/// each superseding the one before with [`Error::Superseded`]. It also receives the first knock's
/// failure (say [`Error::TimedOut`] when the window never loaded the remote; the keeper then
/// goes on knocking, so a reload of the window still connects), and [`Error::WindowClosed`] when
/// the window is closed while no session is open; an open session ends with that error itself.
/// Background knocks that go unanswered are renewed silently.
///
/// The [`Config`]'s observer sees the first knock as it goes, a background knock only once it is
/// answered, and every session's steps; an old session's end comes before its successor's start.
///
/// Dropping the keeper stops knocking and checking and closes the session with
/// [`Error::Closed`]; nothing outlives it.
///
/// ```no_run
/// use messenger::{Config, WindowKeeper};
///
/// # fn opener() -> Result<(), Box<dyn std::error::Error>> {
/// // From a click handler (browsers block `window.open` without one):
/// let popup = web_sys::window()
///     .ok_or("no window")?
///     .open_with_url_and_target_and_features("https://remote.example/", "remote", "popup")
///     .ok()
///     .flatten()
///     .ok_or("the browser blocked the window")?;
/// let keeper = WindowKeeper::new(&popup, Config::new("https://remote.example")?, |answered| {
///     let Ok(answered) = answered else { return };
///     wasm_bindgen_futures::spawn_local(async move {
///         // Serve it (`Answered::serve`) or finish the handshake and talk.
///         if let Ok((messenger, first)) = answered.finish_handshake::<String, String>().await {
///             let _reply = messenger.send(format!("got {}", first.message)).await;
///         }
///     });
/// });
/// // Keep `keeper` (in the app's state) for as long as the page talks to the window.
/// # drop(keeper);
/// # Ok(())
/// # }
/// ```
#[must_use = "dropping a WindowKeeper stops knocking on the window and closes the session"]
pub struct WindowKeeper {
    state: Rc<KeeperState>,
    /// Starts over when this page comes back from the back/forward cache (none in a worker).
    _restored: Option<PageRestored>,
}

/// What the keeper and its `pageshow` listener share: what each run of the task needs, and the
/// run going on.
struct KeeperState {
    window: web_sys::Window,
    config: Config,
    timing: WindowKeeperTiming,
    task: RefCell<Option<AbortHandle>>,
    kept: Rc<KeptSession>,
    /// The knock in flight, to end it at once when the keeper is dropped (an aborted task is
    /// only dropped when the executor next polls it).
    knocking: Rc<RefCell<Option<Closer>>>,
}

impl KeeperState {
    /// Starts (or starts over) the task: a first knock, shown as it goes, then the background
    /// knocks and the checks of `window.closed`.
    fn start(&self) {
        self.stop();
        let keeping = Keeping {
            window: self.window.clone(),
            config: self.config.clone(),
            timing: self.timing,
            kept: self.kept.clone(),
            knocking: self.knocking.clone(),
        };
        let task = spawn_owned(keeping.run());
        *self.task.borrow_mut() = Some(task);
    }

    /// Stops the task and ends its knock.
    fn stop(&self) {
        if let Some(task) = self.task.borrow_mut().take() {
            task.abort();
        }
        let knocking = self.knocking.borrow_mut().take();
        if let Some(knock) = knocking {
            knock.close();
        }
    }
}

impl WindowKeeper {
    /// Starts keeping a session with `window`, with the default [`WindowKeeperTiming`].
    pub fn new(
        window: &web_sys::Window,
        config: Config,
        on_answered: impl FnMut(Result<Answered, Error>) + 'static,
    ) -> Self {
        WindowKeeper::with_timing(window, config, WindowKeeperTiming::default(), on_answered)
    }

    /// Starts keeping a session with `window`, knocking and checking as `timing` says.
    pub fn with_timing(
        window: &web_sys::Window,
        config: Config,
        timing: WindowKeeperTiming,
        on_answered: impl FnMut(Result<Answered, Error>) + 'static,
    ) -> Self {
        let state = Rc::new(KeeperState {
            window: window.clone(),
            config,
            timing,
            task: RefCell::new(None),
            kept: Rc::new(KeptSession::new(on_answered)),
            knocking: Rc::new(RefCell::new(None)),
        });
        state.start();
        let weak = Rc::downgrade(&state);
        let restored = PageRestored::new(move || {
            if let Some(state) = weak.upgrade() {
                // The session and the knock ended on `pagehide`; the task, frozen in the cache,
                // would knock again only after its pause. It starts over at once.
                let _ = state.kept.end_current(Error::Superseded);
                state.start();
            }
        });
        WindowKeeper {
            state,
            _restored: restored,
        }
    }

    /// Whether the window is still open.
    pub fn is_open(&self) -> bool {
        is_open(&self.state.window)
    }

    /// The window kept.
    pub fn window(&self) -> &web_sys::Window {
        &self.state.window
    }
}

impl Drop for WindowKeeper {
    fn drop(&mut self) {
        self.state.stop();
        let _ = self.state.kept.end_current(Error::Closed);
    }
}

impl fmt::Debug for WindowKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowKeeper")
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

/// A window that cannot even say whether it is closed counts as closed.
fn is_open(window: &web_sys::Window) -> bool {
    !window.closed().unwrap_or(true)
}

/// The keeper's task.
struct Keeping {
    window: web_sys::Window,
    config: Config,
    timing: WindowKeeperTiming,
    kept: Rc<KeptSession>,
    knocking: Rc<RefCell<Option<Closer>>>,
}

impl Keeping {
    /// Knocks until the window is closed, then ends what runs with [`Error::WindowClosed`].
    async fn run(self) {
        let (window, closed_check) = (self.window.clone(), self.timing.closed_check);
        let closed = Box::pin(async move {
            while is_open(&window) {
                sleep(closed_check).await;
            }
        });
        let (kept, knocking) = (self.kept.clone(), self.knocking.clone());
        // `knock_until_closed` never ends: this goes on when the window was closed.
        if let Either::Right(((), knocking_task)) = select(Box::pin(self.knock_until_closed()), closed).await {
            // Ended before its future goes, so that its observer hears why.
            let knock = knocking.borrow_mut().take();
            if let Some(knock) = knock {
                knock.close_with(Error::WindowClosed);
            }
            drop(knocking_task);
            if !kept.end_current(Error::WindowClosed) {
                kept.hand_over(Err(Error::WindowClosed));
            }
        }
    }

    /// Knocks on the window again and again: the first knock shown as it goes, every later one
    /// held until a (reloaded) remote answers it.
    async fn knock_until_closed(self) {
        let mut first = true;
        loop {
            let config = self.knock_config(first);
            let (closer, knocked) = knock_closable(config, vec![Target::Window(self.window.clone())]);
            *self.knocking.borrow_mut() = closer;
            let result = knocked.await;
            self.knocking.borrow_mut().take();
            match result {
                Ok(answered) => self.kept.hand_over(Ok(answered)),
                Err(error) => {
                    // The application awaits the first knock; later ones are renewed silently.
                    if first {
                        self.kept.hand_over(Err(error));
                    }
                    sleep(self.timing.pause_after_failure).await;
                }
            }
            first = false;
        }
    }

    /// The configuration of one knock: the first with its own timeout, a background one at the
    /// steady interval, each with the application's observer behind a gate of its own.
    fn knock_config(&self, first: bool) -> Config {
        let mut config = self.config.clone();
        let gate = if first {
            config = config.handshake_timeout(self.timing.first_knock_timeout);
            Held::live()
        } else {
            config = config
                .handshake_timeout(self.timing.knock_renewal)
                .first_knock_interval(None)
                .knock_interval(self.timing.knock_interval);
            Held::until_answered()
        };
        match config.observer.take() {
            Some(observer) => config.observer(gated(gate, observer, Rc::downgrade(&self.kept))),
            None => config,
        }
    }
}

/// The observer of one knock: passes what `gate` lets through to the application's `observer`,
/// and ends the kept session when the knock is answered, so that the old session's end reaches
/// the observer before the new session's handshake.
fn gated(mut gate: Held, observer: super::Observer, kept: Weak<KeptSession>) -> impl FnMut(&Observation) {
    move |observation| {
        // The answer always passes the gate (a held knock's steps are shown with it).
        if observation.step == Step::Handshake(HandshakeState::Answered) {
            if let Some(kept) = kept.upgrade() {
                let _ = kept.end_current(Error::Superseded);
            }
        }
        // Busy only when the application's observer caused this step itself (it closed a
        // session, say): the driver skips it then too. The gate still takes the step.
        match observer.try_borrow_mut() {
            Ok(mut observer) => gate.pass(observation, &mut *observer),
            Err(_) => gate.pass(observation, |_| {}),
        }
    }
}
