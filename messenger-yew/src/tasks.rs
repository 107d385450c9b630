//! The `spawn_local` tasks of one hook, aborted together when the component unmounts.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use futures::future::{AbortHandle, Abortable};
use yew::platform::spawn_local;

/// Tasks that end when [`Tasks::abort_all`] runs or this is dropped: an aborted task is polled
/// once more (a microtask later), which drops its future with whatever it holds (a messenger, an
/// interrupt stream, a handler loop) without running any more of it.
#[derive(Default)]
pub(crate) struct Tasks {
    running: RefCell<Vec<(AbortHandle, Rc<Cell<bool>>)>>,
    /// Set by `abort_all`: a task spawned afterwards (from a stale handle) is dropped unrun.
    ended: Cell<bool>,
}

impl Tasks {
    /// Runs `task` until it completes or the tasks are aborted.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        if self.ended.get() {
            return;
        }
        let (handle, registration) = AbortHandle::new_pair();
        let done = Rc::new(Cell::new(false));
        let mut running = self.running.borrow_mut();
        // Finished tasks are forgotten here, so a long-lived component holds only live ones.
        running.retain(|(_, done)| !done.get());
        running.push((handle, Rc::clone(&done)));
        drop(running);
        spawn_local(async move {
            let _ = Abortable::new(task, registration).await;
            done.set(true);
        });
    }

    /// Aborts every task; later [`Tasks::spawn`] calls do nothing.
    pub(crate) fn abort_all(&self) {
        self.ended.set(true);
        let running = std::mem::take(&mut *self.running.borrow_mut());
        for (handle, _) in running {
            handle.abort();
        }
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl fmt::Debug for Tasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tasks")
            .field("running", &self.running.borrow().len())
            .field("ended", &self.ended.get())
            .finish()
    }
}
