//! Keeping a session with an iframe across its reloads and navigations.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures::future::AbortHandle;
use gloo_events::EventListener;
use web_sys::HtmlIFrameElement;

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
        let (frame, on_load_kept, on_load_knocking) = (iframe.clone(), kept.clone(), knocking.clone());
        let load = EventListener::new(iframe, "load", move |_| {
            if let Some(previous) = on_load_knocking.borrow_mut().take() {
                previous.abort();
            }
            let _ = on_load_kept.end_current(Error::Superseded);
            let target = match Target::iframe(&frame) {
                Ok(target) => target,
                Err(error) => return on_load_kept.hand_over(Err(error)),
            };
            let knocked = knock(config.clone(), vec![target]);
            let kept = on_load_kept.clone();
            let task = spawn_owned(async move { kept.hand_over(knocked.await) });
            *on_load_knocking.borrow_mut() = Some(task);
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
