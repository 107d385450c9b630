//! Keeping a session with an iframe across its reloads and navigations, its moves in the DOM, its
//! removal, and this page's trips through the back/forward cache.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures::future::AbortHandle;
use gloo_events::EventListener;
use js_sys::Reflect;
use wasm_bindgen::JsValue;
use web_sys::HtmlIFrameElement;

use super::held::Held;
use super::keeping::{spawn_owned, KeptSession};
use super::page::{FrameChange, FrameWatch, PageRestored};
use super::session::{knock_closable, Answered, Closer};
use super::{Config, Target};
use crate::Error;

/// Knocks on an iframe every time it loads, for as long as it lives.
///
/// A reloaded or navigated iframe loses its end of every port, and no browser reports that, so
/// the host watches the iframe's `load` event instead: each load ends the previous session with
/// [`Error::Superseded`] (failing its pending work) and knocks anew. Create it before the iframe's
/// first load (for instance right after inserting the iframe). Dropping it removes its
/// listeners and its observer, stops knocking and closes the current session.
///
/// What the application sees (through `on_answered`, the sessions' [`closed`] and their pending
/// sends), and how soon:
///
/// - **Reload or navigation of the iframe**: the old session ends with [`Error::Superseded`] at
///   the iframe's `load`, and a new session is handed to `on_answered` once the new page
///   answers. (The old page's close notice "pagehide" may arrive first: then the old session
///   ends with [`Error::PeerClosed`]`(`[`CloseReason::PageHidden`]`)` a little earlier; the new
///   session comes the same way.)
/// - **The iframe moved** to another place in the DOM (removed and inserted again in one task,
///   which reloads it): seen at the end of the task that moved it, before any message of the
///   old page can arrive, so the old session ends with [`Error::Superseded`] in every engine,
///   always; the moved iframe's `load` starts the new session as for a reload.
/// - **The iframe removed** from its document (alone or with an ancestor): seen at the end of
///   the task that removed it, so the session ends with [`Error::FrameRemoved`] at once: a send
///   waiting for its reply fails with it (not after the reply timeout), every port is closed. An
///   unanswered knock ends with it too and `on_answered` receives `Err(FrameRemoved)`. The
///   reconnector stays: inserted again, the iframe loads and a new session starts.
/// - **This page went into the back/forward cache** (`pagehide`): the session ends with
///   [`Error::PageHidden`], telling the iframe's page, and an unanswered knock too
///   (`on_answered` receives `Err(PageHidden)`). When the page is shown again from the cache
///   (`pageshow` with `persisted`) the reconnector knocks again, and the restored iframe's page
///   (which ended its own session on its `pagehide`) answers when it listens again: a new
///   session is handed to `on_answered` without a `load`.
///
/// An iframe that already shows a page of another origin when the reconnector is made (it was in
/// the page's HTML and loaded before the host's code ran) is knocked on at once, since its `load`
/// may have passed; this page cannot see whether it has (it cannot inspect the page), only that
/// the page has replaced the iframe's initial `about:blank`. Should that page still be loading,
/// its `load` knocks again like any other; a remote that answered the first knock before its own
/// `load` then gets a second one it no longer listens for. The observer sees that first knock
/// only once it is answered (a knock replaced by the `load` shows nothing). Made before the
/// iframe's page arrives, the reconnector knocks once per page. (A same-origin page that loaded
/// first is not knocked on here: `messenger-yew`'s `use_iframe_session` replays its `load`.)
///
/// For a window the page opened (whose `load` it cannot see), see
/// [`WindowKeeper`](crate::WindowKeeper).
///
/// [`closed`]: crate::Messenger::closed
/// [`CloseReason::PageHidden`]: crate::CloseReason::PageHidden
#[must_use = "dropping a Reconnector stops watching the iframe and closes the session"]
pub struct Reconnector {
    _load: EventListener,
    _restored: Option<PageRestored>,
    _watch: Option<FrameWatch>,
    keeping: Rc<Keeping>,
}

/// What the reconnector's listeners share: the kept session and the knock in flight.
struct Keeping {
    frame: HtmlIFrameElement,
    config: Config,
    kept: Rc<KeptSession>,
    /// The latest knock while it is unanswered: its task, and a closer to end it with a reason.
    knocking: RefCell<Option<(AbortHandle, Option<Closer>)>>,
}

impl Keeping {
    /// Ends the knock in flight without a word (a newer knock replaces it).
    fn abort_knock(&self) {
        if let Some((task, _)) = self.knocking.borrow_mut().take() {
            task.abort();
        }
    }

    /// Ends the current session with `error` and knocks on the iframe's window anew.
    fn knock_again(self: &Rc<Self>, error: Error) {
        self.knock_with(self.config.clone(), error);
    }

    /// [`Keeping::knock_again`] with `config`.
    fn knock_with(self: &Rc<Self>, config: Config, error: Error) {
        self.abort_knock();
        let _ = self.kept.end_current(error);
        let target = match Target::iframe(&self.frame) {
            Ok(target) => target,
            Err(error) => return self.kept.hand_over(Err(error)),
        };
        let (closer, knocked) = knock_closable(config, vec![target]);
        let kept = self.kept.clone();
        let task = spawn_owned(async move { kept.hand_over(knocked.await) });
        *self.knocking.borrow_mut() = Some((task, closer));
    }

    /// The iframe was moved or removed.
    fn changed(&self, change: FrameChange) {
        match change {
            // It reloads; its `load` knocks again. Ended now, so that the old page's own notice
            // (its `pagehide`), which arrives later, finds nothing open.
            FrameChange::Moved => {
                self.abort_knock();
                let _ = self.kept.end_current(Error::Superseded);
            }
            FrameChange::Removed => {
                // The knock is ended, not aborted: its task hands the error to `on_answered`.
                let knock = self.knocking.borrow_mut().take();
                if let Some((_, Some(closer))) = knock {
                    closer.close_with(Error::FrameRemoved);
                }
                let _ = self.kept.end_current(Error::FrameRemoved);
            }
        }
    }
}

impl Reconnector {
    /// Watches `iframe`; every session is made with (a clone of) `config`, and `on_answered`
    /// receives each answered session (or the reason a handshake failed).
    pub fn new(
        iframe: &HtmlIFrameElement,
        config: Config,
        on_answered: impl FnMut(Result<Answered, Error>) + 'static,
    ) -> Self {
        let keeping = Rc::new(Keeping {
            frame: iframe.clone(),
            config,
            kept: Rc::new(KeptSession::new(on_answered)),
            knocking: RefCell::new(None),
        });
        if shows_a_page(iframe) {
            keeping.knock_with(held_back(&keeping.config), Error::Superseded);
        }
        // The listeners hold the state weakly: it lives exactly as long as the reconnector.
        let weak = Rc::downgrade(&keeping);
        let load = EventListener::new(iframe, "load", move |_| {
            if let Some(keeping) = weak.upgrade() {
                keeping.knock_again(Error::Superseded);
            }
        });
        let weak = Rc::downgrade(&keeping);
        let restored = PageRestored::new(move || {
            if let Some(keeping) = weak.upgrade() {
                // Its session ended on `pagehide` already; nothing else will knock (no `load`).
                keeping.knock_again(Error::Superseded);
            }
        });
        let weak = Rc::downgrade(&keeping);
        let watch = FrameWatch::new(iframe, move |change| {
            if let Some(keeping) = weak.upgrade() {
                keeping.changed(change);
            }
        });
        Reconnector {
            _load: load,
            _restored: restored,
            _watch: watch,
            keeping,
        }
    }
}

impl Drop for Reconnector {
    fn drop(&mut self) {
        self.keeping.abort_knock();
        let _ = self.keeping.kept.end_current(Error::Closed);
    }
}

impl fmt::Debug for Reconnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reconnector").finish_non_exhaustive()
    }
}

/// `config` with its observer behind a gate that holds every step back until the knock is
/// answered ([`Held::until_answered`]): the knock made with the reconnector on a page that may
/// still be loading is replaced by that page's `load` unanswered, and then leaves no trace.
fn held_back(config: &Config) -> Config {
    let mut config = config.clone();
    match config.observer.take() {
        Some(observer) => {
            let mut gate = Held::until_answered();
            // Busy only when the application's observer caused this step itself: skipped then, as
            // the driver does.
            config.observer(move |observation| match observer.try_borrow_mut() {
                Ok(mut observer) => gate.pass(observation, &mut *observer),
                Err(_) => gate.pass(observation, |_| {}),
            })
        }
        None => config,
    }
}

/// Whether `iframe` is in a document and shows a page of another origin: its `contentDocument`
/// is `null` once such a page has replaced the initial `about:blank` (read through `Reflect`, so
/// the library needs no `Document` binding for one check).
fn shows_a_page(iframe: &HtmlIFrameElement) -> bool {
    iframe.content_window().is_some()
        && Reflect::get(iframe, &JsValue::from_str("contentDocument")).is_ok_and(|document| document.is_null())
}
