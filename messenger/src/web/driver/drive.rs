//! The drive: draining the core after every input and performing what it produced, closing
//! the ports it is done with, and keeping its one timer armed.

use std::rc::Rc;

use gloo_timers::callback::Timeout;

use super::perform::{dispatch, perform};
use super::Driver;
use crate::protocol::Event;

/// Drains the core and performs its outputs until it has nothing more to say.
pub(super) fn drive(shared: &Rc<Driver>) {
    // A callback that runs during a drive (an observer closing the messenger, say) only feeds the
    // core; the outer drive performs the results.
    if shared.driving.replace(true) {
        return;
    }
    let mut woke_receiver = false;
    loop {
        let (actions, events, observations) = {
            let mut inner = shared.inner.borrow_mut();
            let core = &mut inner.core;
            let actions: Vec<_> = std::iter::from_fn(|| core.poll_action()).collect();
            let events: Vec<_> = std::iter::from_fn(|| core.poll_event()).collect();
            let observations: Vec<_> = std::iter::from_fn(|| core.poll_observation()).collect();
            (actions, events, observations)
        };
        if actions.is_empty() && events.is_empty() && observations.is_empty() {
            break;
        }
        for action in actions {
            if let Err(error) = perform(shared, action) {
                let now = shared.now();
                shared.inner.borrow_mut().core.fail(error, now);
            }
        }
        for event in events {
            woke_receiver |= matches!(event, Event::Received { .. });
            dispatch(shared, event);
        }
        if !observations.is_empty() {
            // Busy when the observer itself caused this drive (it closed a session, say): its
            // own call is still running, and calling it again would borrow it twice.
            if let Some(Ok(mut observer)) = shared.observer.as_ref().map(|o| o.try_borrow_mut()) {
                observations.iter().for_each(&mut *observer);
            }
        }
    }
    reschedule(shared);
    retire(shared, woke_receiver);
    shared.driving.set(false);
}

/// Closes the ports the core is done with: at once, unless this drive handed a message to its
/// receiver while the session goes on.
///
/// A message's arrival retires the port it came on, and waking its receiver queues the task that
/// answers it: closing the port and removing its two listeners then would put three calls on the
/// way of every reply. Those ports are closed by the next drive instead, which is the reply's
/// post when the answer is ready at once, or by a task queued behind the woken one, whichever
/// comes first; either way before any other event can run, while the peer is busy with the reply.
/// Nothing can tell the difference: a retired port is no longer the session's, so an event on it
/// would find no listening slot and be dropped, as it would be after.
fn retire(shared: &Rc<Driver>, woke_receiver: bool) {
    let (none, open) = {
        let inner = shared.inner.borrow();
        (inner.retired.is_empty(), inner.core.closed_with().is_none())
    };
    if none {
        return;
    }
    if !(woke_receiver && open) {
        close_retired(shared);
        return;
    }
    if shared.retiring.replace(true) {
        return;
    }
    let weak = Rc::downgrade(shared);
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(shared) = weak.upgrade() {
            shared.retiring.set(false);
            close_retired(&shared);
        }
    });
}

fn close_retired(shared: &Driver) {
    let retired = std::mem::take(&mut shared.inner.borrow_mut().retired);
    for slot in retired {
        slot.port().close();
        drop(slot); // removes its listeners, outside the borrow
    }
}

/// The longest delay a browser timer honours: `i32::MAX` milliseconds, about 24.8 days.
const MAX_TIMER_DELAY_MS: u32 = i32::MAX as u32;

/// Keeps one browser timeout armed no later than the core's next deadline.
///
/// The timer is lazy: every message sets the reply deadline and every reply clears it, so
/// cancelling and re-arming a browser timeout each time would cost a `clearTimeout`, a
/// `setTimeout` and a new JavaScript closure per message on each side. Instead an armed timeout
/// is kept while it fires no later than the deadline (or while the session is open and has no
/// deadline at all): when it fires early, the core finds nothing due and this re-arms it for the
/// deadline then in force. It is re-armed at once only for an earlier deadline, and cancelled
/// when the session is closed.
fn reschedule(shared: &Rc<Driver>) {
    let (deadline, closed, armed) = {
        let inner = shared.inner.borrow();
        let armed = inner.timer.as_ref().map(|(fires_at, _)| *fires_at);
        (inner.core.poll_timeout(), inner.core.closed_with().is_some(), armed)
    };
    let keep = match (armed, deadline) {
        (None, _) => false,
        (Some(fires_at), Some(deadline)) => fires_at <= deadline,
        (Some(_), None) => !closed,
    };
    if keep {
        return;
    }
    let old = shared.inner.borrow_mut().timer.take();
    drop(old); // cancels the browser timeout, outside the borrow
    if let Some(deadline) = deadline {
        let now = shared.now();
        let millis = deadline.saturating_duration_since(now).as_millis();
        // Browsers keep a timer's delay in a signed 32-bit integer: a longer one wraps to a
        // negative delay and fires at once. A deadline further out than that is re-armed when
        // this shorter timer fires.
        let millis = u32::try_from(millis.min(MAX_TIMER_DELAY_MS.into())).unwrap_or(MAX_TIMER_DELAY_MS);
        let fires_at = now + std::time::Duration::from_millis(millis.into());
        let weak = Rc::downgrade(shared);
        let timeout = Timeout::new(millis, move || {
            if let Some(shared) = weak.upgrade() {
                let fired = shared.inner.borrow_mut().timer.take();
                drop(fired); // outside the borrow: dropping a timeout calls into JavaScript
                let now = shared.now();
                shared.with_core(|core, _| core.handle_timeout(now));
            }
        });
        shared.inner.borrow_mut().timer = Some((fires_at, timeout));
    }
}
