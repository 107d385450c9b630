//! At most one render per animation frame: the web half of [`crate::outbox`].

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use gloo_render::{request_animation_frame, AnimationFrame};
use gloo_timers::callback::Timeout;
use yew::UseReducerDispatcher;

use crate::outbox::{Outbox, FLUSH_AT};
use crate::state::{HostAction, HostState};

/// How long a batch waits for an animation frame before it is flushed anyway, in milliseconds:
/// a hidden or occluded page gets no frames (or few), and it must still keep up.
const FRAME_FALLBACK_MS: u32 = 250;

/// Hands the messenger's actions to the page's reducer in one batch per animation frame.
///
/// Owns the pending frame request as gloo-render's [`AnimationFrame`] and its fallback as
/// gloo-timers' [`Timeout`], both of which cancel themselves when dropped; their callbacks hold
/// only a weak reference back, so dropping the last clone of this cancels both and nothing fires
/// afterwards. Nothing is leaked (`forget`).
#[derive(Clone)]
pub struct FrameDispatcher(Rc<Inner>);

struct Inner {
    outbox: RefCell<Outbox>,
    frame: RefCell<Option<AnimationFrame>>,
    fallback: RefCell<Option<Timeout>>,
    dispatch: UseReducerDispatcher<HostState>,
}

impl FrameDispatcher {
    /// Dispatches to `dispatch`.
    pub fn new(dispatch: UseReducerDispatcher<HostState>) -> Self {
        FrameDispatcher(Rc::new(Inner {
            outbox: RefCell::new(Outbox::default()),
            frame: RefCell::new(None),
            fallback: RefCell::new(None),
            dispatch,
        }))
    }

    /// Queues `action` for the next animation frame (after [`FRAME_FALLBACK_MS`] without one,
    /// and at once when [`FLUSH_AT`] actions wait).
    pub fn push(&self, action: HostAction) {
        let waiting = {
            let mut outbox = self.0.outbox.borrow_mut();
            outbox.push(action);
            outbox.len()
        };
        if waiting >= FLUSH_AT {
            self.0.flush();
        } else if waiting > 0 && self.0.frame.borrow().is_none() {
            let flush = || {
                let inner = Rc::downgrade(&self.0);
                move || {
                    if let Some(inner) = inner.upgrade() {
                        inner.flush();
                    }
                }
            };
            let on_frame = flush();
            *self.0.frame.borrow_mut() = Some(request_animation_frame(move |_| on_frame()));
            *self.0.fallback.borrow_mut() = Some(Timeout::new(FRAME_FALLBACK_MS, flush()));
        }
    }

    /// Applies `action` now, after everything still queued, so the page stays in order: for what
    /// the user did on this page (a click shows at once).
    pub fn dispatch_now(&self, action: HostAction) {
        self.0.outbox.borrow_mut().push(action);
        self.0.flush();
    }
}

impl Inner {
    fn flush(&self) {
        // Cancels the frame request and the fallback if they are still pending. When this runs in
        // the callback of one of them, that one is spent (dropping it cancels nothing) and
        // wasm-bindgen frees its closure only once the call returns.
        let frame = self.frame.borrow_mut().take();
        let fallback = self.fallback.borrow_mut().take();
        drop((frame, fallback));
        let batch = self.outbox.borrow_mut().take();
        if let Some(batch) = batch {
            self.dispatch.dispatch(batch);
        }
    }
}

impl fmt::Debug for FrameDispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDispatcher")
            .field("waiting", &self.0.outbox.borrow().len())
            .field("frame_requested", &self.0.frame.borrow().is_some())
            .finish_non_exhaustive()
    }
}
