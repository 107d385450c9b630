//! What [`Reconnector`](crate::Reconnector) and [`WindowKeeper`](crate::WindowKeeper) share: the
//! one session they keep, handed to the application as it is answered, and the tasks they own.
//!
//! Both keep at most one session with their remote; a newer answered session supersedes the
//! older ([`Error::Superseded`]), and the keeper's end closes the current one. Written once here
//! so the two cannot drift apart in how a session is replaced or handed over.

use std::cell::RefCell;
use std::future::Future;

use futures::future::{AbortHandle, Abortable};

use super::session::{Answered, Closer};
use crate::Error;

/// The application's callback for each answered session, or the reason a handshake failed.
type OnAnswered = Box<dyn FnMut(Result<Answered, Error>)>;

/// The session a keeper keeps, and where each newly answered one goes.
pub(super) struct KeptSession {
    current: RefCell<Option<Closer>>,
    on_answered: RefCell<OnAnswered>,
}

impl KeptSession {
    /// Hands every answered session (or failed handshake) to `on_answered`.
    pub(super) fn new(on_answered: impl FnMut(Result<Answered, Error>) + 'static) -> Self {
        KeptSession {
            current: RefCell::new(None),
            on_answered: RefCell::new(Box::new(on_answered)),
        }
    }

    /// Ends the current session, if any, with `error` (failing its pending work); whether one
    /// was still open.
    pub(super) fn end_current(&self, error: Error) -> bool {
        // Taken out first: closing runs the observer, which may call back into the keeper.
        let current = self.current.borrow_mut().take();
        let open = current.as_ref().is_some_and(Closer::is_open);
        if let Some(session) = current {
            session.close_with(error);
        }
        open
    }

    /// Makes an answered session the current one (superseding the previous one) and hands it to
    /// the application; a failed handshake is handed over as it is.
    pub(super) fn hand_over(&self, result: Result<Answered, Error>) {
        if let Ok(answered) = &result {
            let _ = self.end_current(Error::Superseded);
            *self.current.borrow_mut() = Some(answered.closer());
        }
        // No borrow of the state is held here: the callback may drop the keeper, or close the
        // session it was given. The callback is busy only if it led here itself, which cannot
        // happen: both keepers hand over from their own tasks and event handlers, never from
        // within a call the application made.
        if let Ok(mut on_answered) = self.on_answered.try_borrow_mut() {
            on_answered(result);
        }
    }
}

/// Runs `task` in the background until it ends or the returned handle aborts it (dropping the
/// handle does not: the owner aborts it in its `Drop`).
pub(super) fn spawn_owned(task: impl Future<Output = ()> + 'static) -> AbortHandle {
    let (handle, registration) = AbortHandle::new_pair();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = Abortable::new(task, registration).await;
    });
    handle
}
