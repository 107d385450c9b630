//! What a knocking hook does with each answered session, whatever it knocks on: serving it with a
//! handler made for it, and keeping the hook's state. [`crate::use_iframe_session`] knocks through
//! a [`messenger::Reconnector`], [`crate::use_window_session`] through a
//! [`messenger::WindowKeeper`]; both share all of this.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use messenger::{Answered, Closer, Error, Received, Reply};
use serde::{de::DeserializeOwned, Serialize};
use yew::UseStateSetter;

use crate::tasks::Tasks;
use crate::SessionState;

/// The sessions of one knocking hook, one after another.
pub(crate) struct KnockerSessions<MakeHandler> {
    set_state: UseStateSetter<SessionState>,
    /// The current session's closer, shared with the hook's handle (for its `close`).
    current: Rc<RefCell<Option<Closer>>>,
    /// The latest handler factory, stored by every render.
    latest: Rc<RefCell<Option<MakeHandler>>>,
    /// Counts the sessions begun: a session that ends after the next one began (a reload
    /// superseded it) must not overwrite the new one's state.
    generation: Cell<u64>,
    tasks: Tasks,
}

impl<MakeHandler: 'static> KnockerSessions<MakeHandler> {
    pub(crate) fn new(
        set_state: UseStateSetter<SessionState>,
        current: Rc<RefCell<Option<Closer>>>,
        latest: Rc<RefCell<Option<MakeHandler>>>,
    ) -> Rc<Self> {
        Rc::new(KnockerSessions {
            set_state,
            current,
            latest,
            generation: Cell::new(0),
            tasks: Tasks::default(),
        })
    }

    /// A new session begins: knocking.
    pub(crate) fn knocking(&self) {
        self.generation.set(self.generation.get() + 1);
        self.set_state.set(SessionState::Knocking);
    }

    /// A knock was answered (or the handshake failed): serves the session with a handler made
    /// for it, until it ends or [`KnockerSessions::end`].
    pub(crate) fn answered<Out, In, Handler, Answer>(self: &Rc<Self>, answered: Result<Answered, Error>)
    where
        Out: Serialize + 'static,
        In: DeserializeOwned + 'static,
        MakeHandler: FnMut(&Closer) -> Handler,
        Handler: FnMut(Received<In>) -> Answer + 'static,
        Answer: Future<Output = Reply<Out>> + 'static,
    {
        let answered = match answered {
            Ok(answered) => answered,
            Err(error) => return self.set_state.set(SessionState::Failed(error)),
        };
        let closer = answered.closer();
        *self.current.borrow_mut() = Some(closer.clone());
        let mut handler = match self.latest.borrow_mut().as_mut() {
            Some(handler_for) => handler_for(&closer),
            // Stored by every render before its effects run: never empty here.
            None => return,
        };
        self.set_state.set(SessionState::Connected);
        let (mine, sessions) = (self.generation.get(), Rc::downgrade(self));
        self.tasks.spawn(async move {
            let serving = answered.serve(move |received: Received<In>| handler(received));
            let ended = match serving.await {
                Err(error) => error,
                // The loop ended with a last reply; the session is closed with it.
                Ok(_handed_back) => Error::Closed,
            };
            if let Some(sessions) = sessions.upgrade() {
                // A superseded session's successor reports the state (it may not have yet).
                if sessions.generation.get() == mine && !matches!(ended, Error::Superseded) {
                    sessions.set_state.set(SessionState::Failed(ended));
                }
            }
        });
    }

    /// A session answered by a knock the hook did not see start (a window's background knock,
    /// answered by the reloaded window): a new session begins, so the state says `Knocking`
    /// for a render, and the session is served from the next task on (Yew's render, queued
    /// first, runs before it).
    pub(crate) fn answered_unannounced<Out, In, Handler, Answer>(self: &Rc<Self>, answered: Answered)
    where
        Out: Serialize + 'static,
        In: DeserializeOwned + 'static,
        MakeHandler: FnMut(&Closer) -> Handler,
        Handler: FnMut(Received<In>) -> Answer + 'static,
        Answer: Future<Output = Reply<Out>> + 'static,
    {
        self.knocking();
        let sessions = Rc::downgrade(self);
        // Aborted with the other tasks: the `Answered` is dropped then, which closes it.
        self.tasks.spawn(async move {
            if let Some(sessions) = sessions.upgrade() {
                sessions.answered(Ok(answered));
            }
        });
    }

    /// Ends the serving tasks (the component unmounts); nothing is served afterwards.
    pub(crate) fn end(&self) {
        self.tasks.abort_all();
        self.current.borrow_mut().take();
    }
}

impl<MakeHandler> fmt::Debug for KnockerSessions<MakeHandler> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnockerSessions")
            .field("generation", &self.generation.get())
            .field("tasks", &self.tasks)
            .finish_non_exhaustive()
    }
}
