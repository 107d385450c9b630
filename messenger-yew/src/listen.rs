//! [`use_listen`]: the listener's side, waiting for the host's knock and then asking.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use futures::future::{ready, Either};
use messenger::{listen, Closer, Config, Error, InterruptRequest, Messenger, Received, SendError, Source};
use serde::{de::DeserializeOwned, Serialize};
use yew::prelude::*;

use crate::tasks::Tasks;
use crate::SessionState;

/// The messenger of one mounted component; emptied by the effect's cleanup, so a handle kept
/// past unmount (in a task, a callback) cannot keep the session alive.
type Slot<Out, In> = RefCell<Option<Messenger<Out, In>>>;

/// What [`use_listen`] gives the component: the session's state and the way to speak on it.
///
/// Cheap to clone (into callbacks and tasks); every clone speaks on the same session, and none of
/// them keeps it alive: it ends when the component unmounts.
pub struct ListenHandle<Out, In> {
    /// Where the session is (as of this render; a clone kept in a task does not follow it).
    pub state: SessionState,
    slot: Rc<Slot<Out, In>>,
}

impl<Out: Serialize + 'static, In: DeserializeOwned + 'static> ListenHandle<Out, In> {
    /// Queues `message` (see [`Messenger::send`]); resolves with the peer's reply. Before the
    /// session is connected, and after the component unmounted, it fails with [`Error::Closed`]
    /// and hands the message back.
    pub fn send(&self, message: Out) -> impl Future<Output = Result<Received<In>, SendError<Out>>> + 'static {
        match self.slot.borrow().as_ref() {
            Some(messenger) => Either::Left(messenger.send(message)),
            None => Either::Right(ready(Err(not_connected(message)))),
        }
    }

    /// Like [`ListenHandle::send`], with an interrupt channel riding along (see
    /// [`crate::use_interrupts`]).
    pub fn send_with_interrupt(
        &self,
        message: Out,
        interrupt: InterruptRequest,
    ) -> impl Future<Output = Result<Received<In>, SendError<Out>>> + 'static {
        match self.slot.borrow().as_ref() {
            Some(messenger) => Either::Left(messenger.send_with_interrupt(message, interrupt)),
            None => Either::Right(ready(Err(not_connected(message)))),
        }
    }
}

impl<Out, In> ListenHandle<Out, In> {
    /// Closes the session (pending sends fail with [`Error::Closed`]); it is not restarted.
    pub fn close(&self) {
        if let Some(messenger) = self.slot.borrow().as_ref() {
            messenger.close();
        }
    }

    /// A weak closer of the session, once connected.
    pub fn closer(&self) -> Option<Closer> {
        self.slot.borrow().as_ref().map(Messenger::closer)
    }
}

fn not_connected<Out>(message: Out) -> SendError<Out> {
    SendError {
        error: Error::Closed,
        unsent: Some(message),
    }
}

impl<Out, In> Clone for ListenHandle<Out, In> {
    fn clone(&self) -> Self {
        ListenHandle {
            state: self.state.clone(),
            slot: Rc::clone(&self.slot),
        }
    }
}

impl<Out, In> PartialEq for ListenHandle<Out, In> {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state && Rc::ptr_eq(&self.slot, &other.slot)
    }
}

impl<Out, In> fmt::Debug for ListenHandle<Out, In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenHandle")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Listens for a knock from `source` with `config` when the component mounts, and holds the
/// session until it unmounts: `Out` is what this side sends, `In` what it receives.
///
/// - `config` and `source` are read once, when the effect starts. An `Err` configuration fails at
///   once (`Failed` with its error); no `source` (say, a page opened on its own, with no parent
///   or opener to listen to) leaves the state `Idle`.
/// - The state goes `Idle` → `Listening` → `Connected` → `Failed` when the session ends (the
///   peer's reply timed out, a protocol violation, [`ListenHandle::close`]). It is not restarted.
/// - The listener speaks first: once `Connected`, send through [`ListenHandle::send`].
/// - Unmounting drops the pending `listen` (removing its window listeners) or the messenger
///   (closing its ports) and aborts the hook's task.
#[hook]
pub fn use_listen<Out, In>(config: Result<Config, Error>, source: Option<Source>) -> ListenHandle<Out, In>
where
    Out: Serialize + 'static,
    In: DeserializeOwned + 'static,
{
    let state = use_state_eq(|| SessionState::Idle);
    let slot: Rc<Slot<Out, In>> = use_memo((), |_| RefCell::new(None));
    {
        let (set_state, slot) = (state.setter(), Rc::clone(&slot));
        use_effect_with((), move |_| {
            let tasks = Tasks::default();
            match (config, source) {
                (Err(error), _) => set_state.set(SessionState::Failed(error)),
                (Ok(_), None) => {}
                (Ok(config), Some(source)) => {
                    // Installs the window listeners now, before any later knock can arrive.
                    let listening = listen::<Out, In>(config, source);
                    set_state.set(SessionState::Listening);
                    let slot = Rc::clone(&slot);
                    tasks.spawn(async move {
                        match listening.await {
                            Ok(messenger) => {
                                let closed = messenger.closed();
                                *slot.borrow_mut() = Some(messenger);
                                set_state.set(SessionState::Connected);
                                set_state.set(SessionState::Failed(closed.await));
                            }
                            Err(error) => set_state.set(SessionState::Failed(error)),
                        }
                    });
                }
            }
            move || {
                tasks.abort_all();
                // Closes the session: every port closed, every listener removed.
                drop(slot.borrow_mut().take());
            }
        });
    }
    ListenHandle {
        state: (*state).clone(),
        slot,
    }
}
