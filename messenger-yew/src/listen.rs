//! [`use_listen`]: the listener's side, waiting for the host's knock and then asking.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use futures::future::{ready, Either};
use messenger::{listen, CloseReason, Closer, Config, Error, InterruptRequest, Messenger, Received, SendError, Source};
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
    /// first session is connected, and after the component unmounted, it fails with
    /// [`Error::Closed`] and hands the message back; after a session ended, with the error that
    /// ended it, also while the hook listens again.
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
///   peer's reply timed out, a protocol violation, [`ListenHandle::close`]). It is not restarted,
///   with one exception: a session (or a wait for the knock) that ended with
///   [`Error::PageHidden`] because this page went into the back/forward cache listens again,
///   with the same `config` and `source`, when the page is shown from the cache (`pageshow` with
///   `persisted`): `Failed(PageHidden)` → `Listening` → `Connected` once the host knocks again
///   (a [`messenger::Reconnector`] or [`messenger::WindowKeeper`] does, on its own `pageshow`).
///   And a session that ended because the *host's* page went away
///   ([`Error::PeerClosed`]`(`[`CloseReason::PageHidden`]`)`: it navigated, reloaded, or went into
///   its back/forward cache) listens again at once: a host restored from its cache knocks again
///   without a `load` this page could see (a popup's opener, say). The state goes
///   `Failed(PeerClosed(PageHidden))` → `Listening`; a host that never comes back leaves it
///   listening until the handshake timeout (`Failed(TimedOut(Handshake))`).
/// - The listener speaks first: once `Connected`, send through [`ListenHandle::send`].
/// - Unmounting drops the pending `listen` (removing its window listeners) or the messenger
///   (closing its ports), removes the hook's `pageshow` listener and aborts the hook's task.
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
            let run = match (config, source) {
                (Err(error), _) => {
                    set_state.set(SessionState::Failed(error));
                    None
                }
                (Ok(_), None) => None,
                (Ok(config), Some(source)) => {
                    let run = Rc::new(Run {
                        config,
                        source,
                        set_state,
                        slot: Rc::clone(&slot),
                        tasks: RefCell::new(Tasks::default()),
                        ended: Rc::default(),
                    });
                    Run::start(&run);
                    let weak = Rc::downgrade(&run);
                    let restored = messenger::PageRestored::new(move || {
                        if let Some(run) = weak.upgrade() {
                            Run::restored(&run);
                        }
                    });
                    Some((run, restored))
                }
            };
            move || {
                if let Some((run, restored)) = run {
                    drop(restored);
                    run.tasks.borrow().abort_all();
                }
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

/// One mounted `use_listen`: what a (re)start needs.
struct Run<Out, In> {
    config: Config,
    source: Source,
    set_state: yew::UseStateSetter<SessionState>,
    slot: Rc<Slot<Out, In>>,
    /// The current listen's task; replaced (which aborts it) by a restart.
    tasks: RefCell<Tasks>,
    /// Why the last listen or session ended, as its task saw it.
    ended: Rc<RefCell<Option<Error>>>,
}

impl<Out: Serialize + 'static, In: DeserializeOwned + 'static> Run<Out, In> {
    /// Listens (again), holding the session in the slot once connected.
    fn start(this: &Rc<Self>) {
        // Installs the window listeners now, before any later knock can arrive.
        let listening = listen::<Out, In>(this.config.clone(), this.source.clone());
        this.ended.borrow_mut().take();
        this.set_state.set(SessionState::Listening);
        let (slot, set_state, ended) = (Rc::clone(&this.slot), this.set_state.clone(), Rc::clone(&this.ended));
        let weak = Rc::downgrade(this);
        let tasks = this.tasks.borrow();
        tasks.spawn(async move {
            let why = match listening.await {
                Ok(messenger) => {
                    let closed = messenger.closed();
                    *slot.borrow_mut() = Some(messenger);
                    set_state.set(SessionState::Connected);
                    closed.await
                }
                Err(error) => error,
            };
            *ended.borrow_mut() = Some(why.clone());
            let host_left = why == Error::PeerClosed(CloseReason::PageHidden);
            set_state.set(SessionState::Failed(why));
            if let (true, Some(run)) = (host_left, weak.upgrade()) {
                Run::restart(&run);
            }
        });
    }

    /// The page came back from the back/forward cache: listens again if the page's `pagehide`
    /// ended the session (or the wait for a knock); any other end stays as it is.
    fn restored(this: &Rc<Self>) {
        // The session's own word first (its task may not have run yet), else the task's: a
        // listen that never connected leaves nothing in the slot.
        let session = this.slot.borrow().as_ref().and_then(|m| m.status().closed_with);
        let ended = session.or_else(|| this.ended.borrow().clone());
        if ended != Some(Error::PageHidden) {
            return;
        }
        Run::restart(this);
    }

    /// Drops the old task, then listens again.
    fn restart(this: &Rc<Self>) {
        // The old task goes first (it would report the old end after the new start): a fresh
        // set of tasks aborts it (the task that calls this, too: it has nothing left to run).
        // The ended session stays in the slot until a new one connects, so that a send meanwhile
        // fails with the error that ended it, not with a bare `Closed`; it holds no port and no
        // listener any more.
        let old = this.tasks.replace(Tasks::default());
        drop(old);
        Run::start(this);
    }
}
