//! The engine room: one [`Driver`] per session owns the core, every port, listener and timer;
//! [`drive`] drains the core after every input and keeps its one timer armed. The rest of the
//! web layer has one concern per file: [`super::ports`] (the ports and their two shared
//! handlers), [`super::window`] (the listener's window listeners, which gather facts for the
//! gate), [`super::perform`] (the core's actions and events carried out).
//!
//! Rules kept here:
//! - every closure handed to the browser lives in a `gloo_events::EventListener` or
//!   `gloo_timers::callback::Timeout` stored in [`Inner`], or is one of the session's two
//!   [`PortHandlers`], registered on each port it listens on by that port's [`PortSlot`]:
//!   dropping the guard (or the slot) removes the listener or cancels the timer, so nothing
//!   outlives the session and nothing is `forget()`-ten;
//! - closures hold a `Weak` to the session, so listeners never keep it alive;
//! - no `RefCell` borrow is held across a call into JavaScript or into application code: the
//!   core's outputs are drained under a short borrow and performed after it is released.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use futures::channel::{mpsc, oneshot};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use litemap::LiteMap;
use wasm_bindgen::{JsCast, JsValue};

use super::perform::{dispatch, perform};
use super::ports::{PortHandlers, PortSlot};
use super::window::window_listeners;
use super::{Config, Observer, Source, Target};
use crate::protocol::{Connection, Event, HeldInterrupt, Instant, InterruptKind, Limits, PortId, SendId, Waiter};
use crate::Error;

/// What a reply waiter receives.
pub(crate) struct Delivery {
    pub message: JsValue,
    pub interrupt: Option<HeldInterrupt>,
}

/// Why a wait failed, and whether its message never left this side (then the application gets
/// it back).
pub(crate) struct WaitFailure {
    pub error: Error,
    pub never_posted: bool,
}

/// Where interrupts of one channel go.
pub(crate) type InterruptSink = mpsc::UnboundedSender<Result<Delivered, Error>>;

/// An interrupt handed to its channel's receiver, with the channel it came on (the receiver
/// reports it taken, so that the core's bound on pending interrupts counts what is really held).
pub(crate) struct Delivered {
    pub channel: PortId,
    pub payload: JsValue,
}

pub(crate) struct Inner {
    pub(super) core: Connection<JsValue>,
    pub(super) ports: LiteMap<PortId, PortSlot>,
    /// Ports the core is done with, still to be closed (see [`retire`]).
    pub(super) retired: Vec<PortSlot>,
    pub(super) targets: Vec<Target>,
    pub(super) window_listeners: Option<[EventListener; 2]>,
    /// The armed browser timeout and when it fires (see [`reschedule`]).
    pub(super) timer: Option<(Instant, Timeout)>,
    pub(super) waiters: LiteMap<Waiter, oneshot::Sender<Result<Delivery, WaitFailure>>>,
    pub(super) handshake: Option<oneshot::Sender<Result<(), Error>>>,
    pub(super) unbound_sinks: LiteMap<SendId, (InterruptSink, InterruptKind)>,
    pub(super) sinks: LiteMap<PortId, InterruptSink>,
    pub(super) close_watchers: Vec<oneshot::Sender<Error>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last owner went away without closing: release every port so none stays entangled.
        for slot in self.ports.values().chain(&self.retired) {
            slot.port.close();
        }
    }
}

/// A started session.
pub(crate) struct Started {
    pub driver: Rc<Driver>,
    /// Resolves when the handshake is done (the knocker: when the listener answered).
    pub handshake: oneshot::Receiver<Result<(), Error>>,
}

impl Started {
    /// The session, once its handshake is done (or why it is not).
    pub async fn handshake_done(self) -> Result<Rc<Driver>, Error> {
        self.handshake.await.unwrap_or(Err(Error::Closed))?;
        Ok(self.driver)
    }
}

/// One session, shared by the public handles and (weakly) by every browser callback.
pub(crate) struct Driver {
    // Dropped first: its port slots remove their listeners before `port_handlers` goes.
    pub(super) inner: RefCell<Inner>,
    pub(super) observer: Option<Observer>,
    pub(super) driving: Cell<bool>,
    /// Whether a task that closes the retired ports is queued.
    retiring: Cell<bool>,
    pub(crate) limits: Limits,
    pub(super) config_origin: crate::Origin,
    pub(super) clock: web_sys::Performance,
    pub(super) port_handlers: OnceCell<PortHandlers>,
}

/// Milliseconds from the page's (or worker's) time origin, as the core's [`Instant`].
fn clock() -> Result<web_sys::Performance, Error> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .ok_or(Error::Unsupported("no performance clock"))
}

impl Driver {
    /// The application took one interrupt of `channel`. The core only counts it (it has nothing
    /// to say back), so unlike [`Driver::with_core`] nothing is drained: this runs per interrupt.
    pub fn interrupt_taken(&self, channel: PortId) {
        self.inner.borrow_mut().core.interrupt_taken(channel);
    }

    pub(super) fn now(&self) -> Instant {
        Instant::from_millis_f64(self.clock.now())
    }

    fn new(config: Config, core: Connection<JsValue>, targets: Vec<Target>) -> Result<Rc<Self>, Error> {
        Ok(Rc::new(Driver {
            inner: RefCell::new(Inner {
                core,
                ports: LiteMap::new(),
                retired: Vec::new(),
                targets,
                window_listeners: None,
                timer: None,
                waiters: LiteMap::new(),
                handshake: None,
                unbound_sinks: LiteMap::new(),
                sinks: LiteMap::new(),
                close_watchers: Vec::new(),
            }),
            observer: config.observer,
            driving: Cell::new(false),
            retiring: Cell::new(false),
            limits: config.limits,
            config_origin: config.origin,
            clock: clock()?,
            port_handlers: OnceCell::new(),
        }))
    }

    /// Starts a knocker; the returned receiver resolves when the listener answered.
    pub fn knock(config: Config, targets: Vec<Target>) -> Result<Started, Error> {
        let now = Instant::from_millis_f64(clock()?.now());
        let mut core = Connection::knocker(config.timing, targets.len(), now);
        core.set_limits(config.limits);
        let shared = Driver::new(config, core, targets)?;
        let (tx, rx) = oneshot::channel();
        shared.inner.borrow_mut().handshake = Some(tx);
        drive(&shared);
        Ok(Started {
            driver: shared,
            handshake: rx,
        })
    }

    /// Starts a listener on `source`; the receiver resolves when the handshake completed.
    pub fn listen(config: Config, source: Source) -> Result<Started, Error> {
        let now = Instant::from_millis_f64(clock()?.now());
        let mut core = Connection::listener(config.timing, now);
        core.set_limits(config.limits);
        let shared = Driver::new(config, core, Vec::new())?;
        let listeners = window_listeners(&shared, source)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = shared.inner.borrow_mut();
            inner.window_listeners = Some(listeners);
            inner.handshake = Some(tx);
        }
        drive(&shared);
        Ok(Started {
            driver: shared,
            handshake: rx,
        })
    }

    /// Runs `f` on the core, then performs whatever it produced.
    pub fn with_core<R>(self: &Rc<Self>, f: impl FnOnce(&mut Connection<JsValue>, Instant) -> R) -> R {
        let now = self.now();
        let result = f(&mut self.inner.borrow_mut().core, now);
        drive(self);
        result
    }

    /// Queues a send; the receiver gets the peer's next message or the failure.
    pub fn send(
        self: &Rc<Self>,
        message: JsValue,
        interrupt: Option<(InterruptSink, InterruptKind)>,
    ) -> oneshot::Receiver<Result<Delivery, WaitFailure>> {
        let (tx, rx) = oneshot::channel();
        let now = self.now();
        {
            let mut inner = self.inner.borrow_mut();
            let kind = interrupt.as_ref().map(|(_, kind)| *kind);
            match inner.core.send(message, kind, now) {
                Ok(id) => {
                    inner.waiters.insert(Waiter::Send(id), tx);
                    if let Some(sink) = interrupt {
                        inner.unbound_sinks.insert(id, sink);
                    }
                }
                Err(failed) => {
                    let _ = tx.send(Err(WaitFailure {
                        error: failed.error.clone(),
                        never_posted: true,
                    }));
                    if let Some((sink, _)) = interrupt {
                        let _ = sink.unbounded_send(Err(failed.error));
                    }
                }
            }
        }
        drive(self);
        rx
    }

    /// The knocker's acknowledgement; the receiver gets the listener's first message.
    pub fn acknowledge(self: &Rc<Self>) -> Result<oneshot::Receiver<Result<Delivery, WaitFailure>>, Error> {
        let (tx, rx) = oneshot::channel();
        let now = self.now();
        let acknowledged = {
            let mut inner = self.inner.borrow_mut();
            inner.waiters.insert(Waiter::FirstMessage, tx);
            inner.core.acknowledge(now)
        };
        drive(self);
        acknowledged.map(|()| rx)
    }

    /// Closes every interrupt channel whose receiving half the application dropped.
    pub fn sweep_interrupts(self: &Rc<Self>) {
        let now = self.now();
        {
            let mut inner = self.inner.borrow_mut();
            let inner = &mut *inner;
            let abandoned: Vec<PortId> = inner
                .sinks
                .iter()
                .filter(|(_, sink)| sink.is_closed())
                .map(|(channel, _)| *channel)
                .collect();
            for channel in abandoned {
                inner.core.close_interrupt(channel, now);
            }
            inner.unbound_sinks.retain(|_, (sink, _)| !sink.is_closed());
        }
        drive(self);
    }

    /// Ends the session with `error` (a no-op when already closed).
    pub fn fail(self: &Rc<Self>, error: Error) {
        self.with_core(|core, now| core.fail(error, now));
    }

    /// Resolves when the session ends, with why.
    pub fn closed(self: &Rc<Self>) -> oneshot::Receiver<Error> {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.inner.borrow_mut();
        match inner.core.closed_with() {
            Some(error) => {
                let _ = tx.send(error.clone());
            }
            None => inner.close_watchers.push(tx),
        }
        rx
    }

    /// A snapshot of the session for display.
    pub fn status(&self) -> super::Status {
        let inner = self.inner.borrow();
        super::Status {
            state: inner.core.handshake_state(),
            closed_with: inner.core.closed_with().cloned(),
            open_ports: inner.core.open_port_count(),
        }
    }
}

/// Drains the core and performs its outputs until it has nothing more to say.
fn drive(shared: &Rc<Driver>) {
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
        slot.port.close();
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
                shared.inner.borrow_mut().timer = None;
                let now = shared.now();
                shared.with_core(|core, _| core.handle_timeout(now));
            }
        });
        shared.inner.borrow_mut().timer = Some((fires_at, timeout));
    }
}
