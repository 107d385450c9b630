//! Keeping a session with an iframe across its reloads and navigations.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use futures::future::{AbortHandle, Abortable};
use gloo_events::EventListener;
use web_sys::HtmlIFrameElement;

use super::session::{knock, Answered, Closer};
use super::{Config, Target};
use crate::Error;

type OnAnswered = Rc<RefCell<Box<dyn FnMut(Result<Answered, Error>)>>>;

#[derive(Default)]
struct Current {
    session: Option<Closer>,
    knocking: Option<AbortHandle>,
}

/// Knocks on an iframe every time it loads, for as long as it lives.
///
/// A reloaded or navigated iframe loses its end of every port, and no browser reports that, so
/// the host watches the iframe's `load` event instead: each load ends the previous session with
/// [`Error::Superseded`] (failing its pending work) and knocks anew. Create it before the iframe's
/// first load (for instance right after inserting the iframe). Dropping it removes the listener,
/// stops knocking and closes the current session.
#[must_use = "dropping a Reconnector stops watching the iframe and closes the session"]
pub struct Reconnector {
    _load: EventListener,
    current: Rc<RefCell<Current>>,
}

impl Reconnector {
    /// Watches `iframe`; every session is made with (a clone of) `config`, and `on_answered`
    /// receives each answered session (or the reason a handshake failed).
    pub fn new(
        iframe: &HtmlIFrameElement,
        config: Config,
        on_answered: impl FnMut(Result<Answered, Error>) + 'static,
    ) -> Self {
        let current = Rc::new(RefCell::new(Current::default()));
        let on_answered: OnAnswered = Rc::new(RefCell::new(Box::new(on_answered)));
        let state = current.clone();
        let frame = iframe.clone();
        let load = EventListener::new(iframe, "load", move |_| {
            let previous = std::mem::take(&mut *state.borrow_mut());
            if let Some(knocking) = previous.knocking {
                knocking.abort();
            }
            if let Some(session) = previous.session {
                session.close_with(Error::Superseded);
            }
            let target = match Target::iframe(&frame) {
                Ok(target) => target,
                Err(error) => return (on_answered.borrow_mut())(Err(error)),
            };
            let (abort, registration) = AbortHandle::new_pair();
            let knocking = knock(config.clone(), vec![target]);
            let (task_state, on_answered) = (state.clone(), on_answered.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(result) = Abortable::new(knocking, registration).await {
                    let mut current = task_state.borrow_mut();
                    current.knocking = None;
                    current.session = result.as_ref().ok().map(Answered::closer);
                    drop(current);
                    (on_answered.borrow_mut())(result);
                }
            });
            state.borrow_mut().knocking = Some(abort);
        });
        Reconnector { _load: load, current }
    }
}

impl Drop for Reconnector {
    fn drop(&mut self) {
        let current = std::mem::take(&mut *self.current.borrow_mut());
        if let Some(knocking) = current.knocking {
            knocking.abort();
        }
        if let Some(session) = current.session {
            session.close();
        }
    }
}

impl fmt::Debug for Reconnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reconnector").finish_non_exhaustive()
    }
}
