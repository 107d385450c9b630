//! The thin web layer: configuration, knock targets and listen sources, and the public handles.
//!
//! Layout: [`driver`] is the engine room (one session's state, private to it); [`ports`] and
//! [`knock_listener`] are browser guards that take callbacks and know no session; [`codec`],
//! `encode` and `decode` move values between the browser and the core; [`session`],
//! [`interrupt`], [`serve`] and [`reconnect`] are the public handles over the driver.

mod buffers;
mod bytes;
mod codec;
mod decode;
mod driver;
mod encode;
mod held;
mod interrupt;
mod keeping;
mod knock_listener;
mod page;
mod ports;
mod reconnect;
mod serve;
mod session;
mod window_keeper;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

pub use bytes::JsBytes;
pub use codec::{decode, encode};
pub use interrupt::{InterruptRequest, InterruptSender, InterruptStream, OneTimeInterrupt};
pub use knock_listener::live_window_listeners;
pub use page::PageRestored;
pub use reconnect::Reconnector;
pub use serve::{LoopEnd, LoopStopper, NextMessage, Reply, Serving};
pub use session::{knock, listen, Answered, Closer, Messenger, Received, Status};
pub use window_keeper::{WindowKeeper, WindowKeeperTiming};

use crate::protocol::{Limits, Observation, Timing};
use crate::{Error, Origin};

/// The observer callback, shared by every clone of a [`Config`] (and so by every session made
/// from one: a [`Reconnector`]'s or a [`WindowKeeper`]'s sessions report to the same observer).
pub(crate) type Observer = Rc<RefCell<dyn FnMut(&Observation)>>;

/// How a messenger is set up: the one remote origin, timeouts, limits, and an observer.
///
/// Cheap to clone: clones share the observer, so one configuration can start session after
/// session (as [`Reconnector`] does).
///
/// ```
/// use std::time::Duration;
/// let config = messenger::Config::new("http://localhost:8081")
///     .unwrap()
///     .handshake_timeout(Duration::from_secs(5))
///     .reply_timeout(Duration::from_secs(30));
/// assert_eq!(config.origin().as_str(), "http://localhost:8081");
/// assert!(messenger::Config::new("*").is_err());
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) origin: Origin,
    pub(crate) timing: Timing,
    pub(crate) limits: Limits,
    pub(crate) observer: Option<Observer>,
}

impl Config {
    /// A configuration for talking to exactly `remote_origin`; `"*"`, `"null"` and anything that
    /// is not a serialised origin are refused with [`Error::OriginRefused`].
    pub fn new(remote_origin: &str) -> Result<Self, Error> {
        Ok(Config {
            origin: Origin::parse(remote_origin)?,
            // The core's defaults are the only ones: the docs below name them.
            timing: Timing::default(),
            limits: Limits::default(),
            observer: None,
        })
    }

    /// The remote origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// How long the whole handshake may take (default 10 s).
    ///
    /// Any duration is accepted, also beyond what one browser timer can wait (`i32::MAX`
    /// milliseconds, about 24.8 days; a longer delay would wrap and fire at once): such a
    /// deadline is reached through shorter timers, re-armed as each fires. The same holds for
    /// every timeout below.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.timing.handshake_timeout = timeout;
        self
    }

    /// How long the peer may take to reply to one message (default: no limit). When it passes,
    /// the session fails with [`Error::TimedOut`]: in a half-duplex conversation a missing reply
    /// means the peer is gone.
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.timing.reply_timeout = Some(timeout);
        self
    }

    /// How often the knocker knocks again while unanswered, at most (default 200 ms). The first
    /// intervals are shorter: see [`Config::first_knock_interval`].
    pub fn knock_interval(mut self, interval: Duration) -> Self {
        self.timing.knock_interval = interval;
        self
    }

    /// The interval after the first knock (default 10 ms), doubling after each knock up to
    /// [`Config::knock_interval`]; `None` knocks at the steady interval from the start. A remote
    /// app's listener starts a little after its page has loaded, and a knock that arrives
    /// earlier is lost: knocking often while the remote is young makes the first reply come
    /// soon after the listener starts. A knocker that has gone unanswered for 10 s backs off
    /// further, to one knock every 5 × [`Config::knock_interval`] (one a second by default), so
    /// a long handshake with a remote that never starts stays cheap.
    pub fn first_knock_interval(mut self, interval: Option<Duration>) -> Self {
        self.timing.first_knock_interval = interval;
        self
    }

    /// Size and depth limits for incoming payloads (default 1 MiB, 32 levels).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Calls `observer` for every protocol step: knocks, handshake states, each message with its
    /// direction and port generation, interrupts, errors. It runs synchronously; keep it short.
    pub fn observer(mut self, observer: impl FnMut(&Observation) + 'static) -> Self {
        self.observer = Some(Rc::new(RefCell::new(observer)));
        self
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("origin", &self.origin)
            .field("timing", &self.timing)
            .field("limits", &self.limits)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// Where a knocker knocks.
#[derive(Debug, Clone)]
pub enum Target {
    /// A window, usually an iframe's `contentWindow` or a window this page opened; knocks are
    /// posted with the configured origin as `targetOrigin`, so the browser drops them unless
    /// that window shows that origin (a just-opened window shows `about:blank` at first: those
    /// knocks are dropped, and a later one lands).
    ///
    /// A popup: the opener knocks on the window it opened, and the page in that window listens
    /// to its opener only ([`Source::Window`]), from the opener's origin only. A single knock
    /// (below) connects once; [`WindowKeeper`] keeps the session across the window's reloads and
    /// ends it when the window is closed.
    ///
    /// ```no_run
    /// use messenger::{knock, listen, Config, Messenger, Source, Target};
    /// use wasm_bindgen::JsCast;
    ///
    /// # async fn opener() -> Result<(), Box<dyn std::error::Error>> {
    /// // In the opener, from a click handler (browsers block `window.open` without one):
    /// let popup = web_sys::window()
    ///     .expect("a page")
    ///     .open_with_url_and_target_and_features("https://remote.example/", "remote", "popup")
    ///     .ok()
    ///     .flatten()
    ///     .ok_or("the browser blocked the window")?;
    /// let answered = knock(Config::new("https://remote.example")?, vec![Target::Window(popup)]).await?;
    /// # drop(answered);
    /// # Ok(())
    /// # }
    ///
    /// # async fn popup() -> Result<(), Box<dyn std::error::Error>> {
    /// // In the window it opened: its opener is a cross-origin `WindowProxy`, which `dyn_into`
    /// // (an `instanceof Window` check) cannot inspect, so it is taken as the window it is.
    /// let opener: web_sys::Window = web_sys::window()
    ///     .expect("a page")
    ///     .opener()
    ///     .map_err(|_| "no opener")?
    ///     .unchecked_into();
    /// let messenger: Messenger<u32, u32> = listen(Config::new("https://host.example")?, Source::Window(opener)).await?;
    /// # drop(messenger);
    /// # Ok(())
    /// # }
    /// ```
    Window(web_sys::Window),
    /// A dedicated worker this page owns; knocks are posted with `worker.postMessage` (a worker
    /// has no origin to name as `targetOrigin`).
    Worker(web_sys::Worker),
    /// The page (or worker) that owns this dedicated worker, when the knocker runs inside the
    /// worker: knocks are posted with the worker's global `postMessage`. Anywhere else (a
    /// window, a shared or service worker) knocking fails with [`Error::Unsupported`].
    ///
    /// A worker has no `window`: the messenger takes its clock (`performance`) and its timers
    /// (`setTimeout`) from the global scope, so repeated knocks and every timeout work inside a
    /// worker as in a page. See [`Source::WorkerScope`] for what else differs.
    WorkerScope,
}

impl Target {
    /// The window of `iframe`, or [`Error::Unsupported`] when it is not attached to a document.
    pub fn iframe(iframe: &web_sys::HtmlIFrameElement) -> Result<Self, Error> {
        iframe
            .content_window()
            .map(Target::Window)
            .ok_or(Error::Unsupported("iframe has no window"))
    }
}

/// Where a listener waits for its knock.
#[derive(Debug, Clone)]
pub enum Source {
    /// Any window of the configured origin (`event.origin` checked exactly).
    AnyWindow,
    /// Only this window (`event.source` checked too), for instance `window.parent` in an iframe.
    Window(web_sys::Window),
    /// A dedicated worker this page owns: the listener waits on the `Worker` object. A
    /// worker's messages carry no origin and no source (`event.origin` is `""`, `event.source`
    /// is `null`, in every engine) and can come from that worker only, so the gate checks trust
    /// and shape only: the configured origin is not compared.
    Worker(web_sys::Worker),
    /// The page (or worker) that owns this dedicated worker, when the listener runs inside the
    /// worker: it waits on the worker's global scope. Anywhere else listening fails with
    /// [`Error::Unsupported`].
    ///
    /// As with [`Source::Worker`], the owner's messages carry no origin and no source, and only
    /// the owner can post to a dedicated worker: trust and shape are checked, the configured
    /// origin (give the page's own) is not compared. The application's other messages on the
    /// worker's global channel are ignored as long as they are not knocks (no `$type: "👋"`); a
    /// `MessageChannel` of the application's own keeps them apart altogether. Timers and the
    /// clock come from the worker's global scope (see [`Target::WorkerScope`]). A worker that
    /// is terminated or crashes cannot be noticed (ports have no close event): set
    /// [`Config::reply_timeout`], or watch the `Worker`'s `error` event in the page.
    WorkerScope,
}
