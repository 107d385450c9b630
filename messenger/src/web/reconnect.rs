//! Keeping a session with an iframe across its reloads and navigations.

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
use super::session::{knock, Answered};
use super::{Config, Target};
use crate::Error;

/// Knocks on an iframe every time it loads, for as long as it lives.
///
/// A reloaded or navigated iframe loses its end of every port, and no browser reports that, so
/// the host watches the iframe's `load` event instead: each load ends the previous session with
/// [`Error::Superseded`] (failing its pending work) and knocks anew. Create it before the iframe's
/// first load (for instance right after inserting the iframe). Dropping it removes the listener,
/// stops knocking and closes the current session.
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
#[must_use = "dropping a Reconnector stops watching the iframe and closes the session"]
pub struct Reconnector {
    _load: EventListener,
    kept: Rc<KeptSession>,
    /// The knock of the latest load while it is unanswered.
    knocking: Rc<RefCell<Option<AbortHandle>>>,
}

impl Reconnector {
    /// Watches `iframe`; every session is made with (a clone of) `config`, and `on_answered`
    /// receives each answered session (or the reason a handshake failed).
    pub fn new(
        iframe: &HtmlIFrameElement,
        config: Config,
        on_answered: impl FnMut(Result<Answered, Error>) + 'static,
    ) -> Self {
        let kept = Rc::new(KeptSession::new(on_answered));
        let knocking = Rc::new(RefCell::new(None::<AbortHandle>));
        if shows_a_page(iframe) {
            knock_now(iframe, &held_back(&config), &kept, &knocking);
        }
        let (frame, on_load_kept, on_load_knocking) = (iframe.clone(), kept.clone(), knocking.clone());
        let load = EventListener::new(iframe, "load", move |_| {
            knock_now(&frame, &config, &on_load_kept, &on_load_knocking);
        });
        Reconnector {
            _load: load,
            kept,
            knocking,
        }
    }
}

impl Drop for Reconnector {
    fn drop(&mut self) {
        if let Some(knocking) = self.knocking.borrow_mut().take() {
            knocking.abort();
        }
        let _ = self.kept.end_current(Error::Closed);
    }
}

impl fmt::Debug for Reconnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reconnector").finish_non_exhaustive()
    }
}

/// Ends the current session (superseded) and any knock in flight, and knocks on `frame` anew.
fn knock_now(
    frame: &HtmlIFrameElement,
    config: &Config,
    kept: &Rc<KeptSession>,
    knocking: &Rc<RefCell<Option<AbortHandle>>>,
) {
    if let Some(previous) = knocking.borrow_mut().take() {
        previous.abort();
    }
    let _ = kept.end_current(Error::Superseded);
    let target = match Target::iframe(frame) {
        Ok(target) => target,
        Err(error) => return kept.hand_over(Err(error)),
    };
    let knocked = knock(config.clone(), vec![target]);
    let kept = kept.clone();
    let task = spawn_owned(async move { kept.hand_over(knocked.await) });
    *knocking.borrow_mut() = Some(task);
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
