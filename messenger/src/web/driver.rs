//! The engine room: one [`Shared`] per session owns the core, every port, listener and timer,
//! moves browser events into the core and performs the core's actions.
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
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::{mpsc, oneshot};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use js_sys::{Array, Function};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageChannel, MessageEvent, MessagePort};

use super::codec::{self, js_error_text};
use super::{Config, Observer, Source, Target};
use crate::core::{
    gate, Action, Connection, Event, HeldInterrupt, IgnoreReason, Instant, InterruptKind, Limits, PortId, SendId,
    Waiter, WireObject,
};
use crate::Error;

/// What a reply waiter receives.
pub(crate) struct Delivery {
    pub message: JsValue,
    pub interrupt: Option<HeldInterrupt>,
}

/// Why a wait failed, and whether the value never left this side.
pub(crate) type Failure = (Error, bool);

/// Where interrupts of one channel go.
pub(crate) type InterruptSink = mpsc::UnboundedSender<Result<Delivered, Error>>;

/// An interrupt handed to its channel's receiver, with the channel it came on (the receiver
/// reports it taken, so that the core's bound on pending interrupts counts what is really held).
pub(crate) struct Delivered {
    pub channel: PortId,
    pub payload: JsValue,
}

/// A port the session holds; dropping the slot removes the port's listeners, if it has them.
struct PortSlot {
    port: MessagePort,
    /// For ports this side listens on: the session's `message` and `messageerror` handlers, as
    /// registered, and whether the port carries interrupts.
    listening: Option<Listening>,
}

struct Listening {
    on_message: Function,
    on_error: Function,
    interrupts: bool,
}

impl Drop for PortSlot {
    fn drop(&mut self) {
        if let Some(listening) = &self.listening {
            let port: &ListenedPort = self.port.unchecked_ref();
            EVENT_TYPES.with(|[message, error]| {
                port.remove_listener(message, &listening.on_message);
                port.remove_listener(error, &listening.on_error);
            });
        }
    }
}

// `addEventListener` and `removeEventListener` on ports with the event type as a JavaScript
// string made once ([`EVENT_TYPES`]): ports are listened on for every message, and web-sys's
// bindings take the type as a Rust `&str`, which is decoded into a new JavaScript string on every
// call. Neither call can throw for a port, a string and a function.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = MessagePort)]
    type ListenedPort;
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_listener(this: &ListenedPort, event_type: &JsValue, listener: &Function);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_listener(this: &ListenedPort, event_type: &JsValue, listener: &Function);
}

thread_local! {
    /// `"message"` and `"messageerror"`.
    static EVENT_TYPES: [JsValue; 2] = [JsValue::from_str("message"), JsValue::from_str("messageerror")];
}

/// The session's `message` and `messageerror` handlers for every port it listens on, made once:
/// a new port is listened on for every message, and a fresh pair of closures each time would
/// cost two allocations and two JavaScript function wrappers per message. A handler finds its
/// port by `event.currentTarget`.
struct PortHandlers {
    on_message: Closure<dyn FnMut(MessageEvent)>,
    on_error: Closure<dyn FnMut(MessageEvent)>,
}

pub(crate) struct Inner {
    core: Connection<JsValue>,
    ports: HashMap<PortId, PortSlot>,
    targets: Vec<Target>,
    window_listeners: Option<[EventListener; 2]>,
    timer: Option<(Instant, Timeout)>,
    waiters: HashMap<Waiter, oneshot::Sender<Result<Delivery, Failure>>>,
    handshake: Option<oneshot::Sender<Result<(), Error>>>,
    unbound_sinks: HashMap<SendId, (InterruptSink, InterruptKind)>,
    sinks: HashMap<PortId, InterruptSink>,
    close_watchers: Vec<oneshot::Sender<Error>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last owner went away without closing: release every port so none stays entangled.
        for slot in self.ports.values() {
            slot.port.close();
        }
    }
}

/// A started session and the receiver that resolves when its handshake is done.
pub(crate) type Started = (Rc<Shared>, oneshot::Receiver<Result<(), Error>>);

/// One session, shared by the public handles and (weakly) by every browser callback.
pub(crate) struct Shared {
    // Dropped first: its port slots remove their listeners before `port_handlers` goes.
    inner: RefCell<Inner>,
    observer: RefCell<Option<Observer>>,
    driving: Cell<bool>,
    pub(crate) limits: Limits,
    config_origin: crate::Origin,
    clock: web_sys::Performance,
    port_handlers: OnceCell<PortHandlers>,
}

/// Milliseconds from the page's (or worker's) time origin, as the core's [`Instant`].
fn clock() -> Result<web_sys::Performance, Error> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .ok_or(Error::Unsupported("no performance clock"))
}

impl Shared {
    fn now(&self) -> Instant {
        Instant::from_millis_f64(self.clock.now())
    }

    fn new(config: Config, core: Connection<JsValue>, targets: Vec<Target>) -> Result<Rc<Self>, Error> {
        Ok(Rc::new(Shared {
            inner: RefCell::new(Inner {
                core,
                ports: HashMap::new(),
                targets,
                window_listeners: None,
                timer: None,
                waiters: HashMap::new(),
                handshake: None,
                unbound_sinks: HashMap::new(),
                sinks: HashMap::new(),
                close_watchers: Vec::new(),
            }),
            observer: RefCell::new(config.observer),
            driving: Cell::new(false),
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
        let shared = Shared::new(config, core, targets)?;
        let (tx, rx) = oneshot::channel();
        shared.inner.borrow_mut().handshake = Some(tx);
        drive(&shared);
        Ok((shared, rx))
    }

    /// Starts a listener on `source`; the receiver resolves when the handshake completed.
    pub fn listen(config: Config, source: Source) -> Result<Started, Error> {
        let now = Instant::from_millis_f64(clock()?.now());
        let mut core = Connection::listener(config.timing, now);
        core.set_limits(config.limits);
        let shared = Shared::new(config, core, Vec::new())?;
        let listeners = window_listeners(&shared, source)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = shared.inner.borrow_mut();
            inner.window_listeners = Some(listeners);
            inner.handshake = Some(tx);
        }
        drive(&shared);
        Ok((shared, rx))
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
    ) -> oneshot::Receiver<Result<Delivery, Failure>> {
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
                    let _ = tx.send(Err((failed.error.clone(), true)));
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
    pub fn acknowledge(self: &Rc<Self>) -> Result<oneshot::Receiver<Result<Delivery, Failure>>, Error> {
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
fn drive(shared: &Rc<Shared>) {
    // A callback that runs during a drive (an observer closing the messenger, say) only feeds the
    // core; the outer drive performs the results.
    if shared.driving.replace(true) {
        return;
    }
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
            dispatch(shared, event);
        }
        if !observations.is_empty() {
            if let Ok(mut observer) = shared.observer.try_borrow_mut() {
                if let Some(observer) = observer.as_mut() {
                    observations.iter().for_each(observer);
                }
            }
        }
    }
    reschedule(shared);
    shared.driving.set(false);
}

/// The longest delay a browser timer honours: `i32::MAX` milliseconds, about 24.8 days.
const MAX_TIMER_DELAY_MS: u32 = i32::MAX as u32;

/// Keeps one browser timeout armed for the core's next deadline.
fn reschedule(shared: &Rc<Shared>) {
    let deadline = shared.inner.borrow().core.poll_timeout();
    let current = shared.inner.borrow().timer.as_ref().map(|(at, _)| *at);
    if deadline == current {
        return;
    }
    let old = shared.inner.borrow_mut().timer.take();
    drop(old); // cancels the browser timeout, outside the borrow
    if let Some(deadline) = deadline {
        let millis = deadline.saturating_duration_since(shared.now()).as_millis();
        // Browsers keep a timer's delay in a signed 32-bit integer: a longer one wraps to a
        // negative delay and fires at once. A deadline further out than that is re-armed when
        // this shorter timer fires.
        let millis = u32::try_from(millis.min(MAX_TIMER_DELAY_MS.into())).unwrap_or(MAX_TIMER_DELAY_MS);
        let weak = Rc::downgrade(shared);
        let timeout = Timeout::new(millis, move || {
            if let Some(shared) = weak.upgrade() {
                shared.inner.borrow_mut().timer = None;
                let now = shared.now();
                shared.with_core(|core, _| core.handle_timeout(now));
            }
        });
        shared.inner.borrow_mut().timer = Some((deadline, timeout));
    }
}

fn new_channel() -> Result<MessageChannel, Error> {
    MessageChannel::new().map_err(|e| Error::Browser(js_error_text(&e)))
}

impl PortHandlers {
    fn new(shared: &Rc<Shared>) -> Self {
        let weak = Rc::downgrade(shared);
        let on_message = Closure::new(move |event: MessageEvent| {
            let Some(shared) = weak.upgrade() else { return };
            let Some((id, interrupts)) = shared.listened_port(&event) else {
                return;
            };
            if interrupts {
                let payload = event.data();
                // Interrupts carry no ports; any that came along are closed unread.
                close_all(&event.ports());
                shared.with_core(|core, now| core.handle_interrupt(id, payload, now));
            } else {
                let read = codec::read_wire(&event.data(), &event.ports());
                let object = register_ports(&shared, read);
                shared.with_core(|core, now| core.handle_message(id, object, now));
            }
        });
        let weak = Rc::downgrade(shared);
        let on_error = Closure::new(move |event: MessageEvent| {
            let Some(shared) = weak.upgrade() else { return };
            if let Some((id, _)) = shared.listened_port(&event) {
                shared.with_core(|core, now| core.handle_message_error(id, now));
            }
        });
        PortHandlers { on_message, on_error }
    }
}

impl Shared {
    /// The listened port an event arrived on, and whether it carries interrupts.
    fn listened_port(&self, event: &MessageEvent) -> Option<(PortId, bool)> {
        let target = JsValue::from(event.current_target()?);
        let inner = self.inner.borrow();
        inner.ports.iter().find_map(|(id, slot)| {
            let listening = slot.listening.as_ref()?;
            (AsRef::<JsValue>::as_ref(&slot.port) == &target).then_some((*id, listening.interrupts))
        })
    }
}

/// Listens on a port this side keeps; `interrupts` routes its messages as interrupts. The
/// listeners stay until the returned slot is dropped.
fn listen_on(shared: &Rc<Shared>, port: MessagePort, interrupts: bool) -> PortSlot {
    let handlers = shared.port_handlers.get_or_init(|| PortHandlers::new(shared));
    let on_message: &Function = handlers.on_message.as_ref().unchecked_ref();
    let on_error: &Function = handlers.on_error.as_ref().unchecked_ref();
    let listened: &ListenedPort = port.unchecked_ref();
    EVENT_TYPES.with(|[message, error]| {
        listened.add_listener(message, on_message);
        listened.add_listener(error, on_error);
    });
    // addEventListener alone does not start a port's queue.
    port.start();
    let listening = Listening {
        on_message: on_message.clone(),
        on_error: on_error.clone(),
        interrupts,
    };
    PortSlot {
        port,
        listening: Some(listening),
    }
}

/// Names every port that came with a message and keeps it (to post on, or to close).
fn register_ports(shared: &Rc<Shared>, read: codec::ReadWire) -> WireObject<JsValue> {
    let mut inner = shared.inner.borrow_mut();
    let inner = &mut *inner;
    read.register(|port| {
        let id = inner.core.register_port();
        inner.ports.insert(id, PortSlot { port, listening: None });
        id
    })
}

/// The temporary window (or worker) listeners of a listener.
fn window_listeners(shared: &Rc<Shared>, source: Source) -> Result<[EventListener; 2], Error> {
    let (target, expected_window, check_origin): (web_sys::EventTarget, Option<JsValue>, bool) = match source {
        Source::AnyWindow => (window()?.into(), None, true),
        Source::Window(from) => (window()?.into(), Some(from.into()), true),
        // A dedicated worker's messages come from its one owner; they carry no origin.
        Source::Worker(worker) => (worker.into(), None, false),
        Source::WorkerScope => (
            js_sys::global()
                .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
                .map_err(|_| Error::Unsupported("not inside a dedicated worker"))?
                .into(),
            None,
            false,
        ),
    };
    let weak = Rc::downgrade(shared);
    let on_message = EventListener::new(&target, "message", move |event| {
        let (Some(shared), Some(event)) = (weak.upgrade(), event.dyn_ref::<MessageEvent>()) else {
            return;
        };
        // The gate (core::gate) judges; this only gathers the event's facts. The data is read
        // only once the sender has passed.
        let origin = check_origin.then(|| event.origin());
        let sender = gate::Sender {
            trusted: event.is_trusted(),
            expected_source: expected_window
                .as_ref()
                .is_none_or(|w| event.source().map(JsValue::from).as_ref() == Some(w)),
            origin: origin.as_deref(),
        };
        if let Err(reason) = gate::admit_sender(&sender, &shared.config_origin) {
            // Ports it carried are nobody's: close them, as the core does for a message that is
            // not a knock.
            close_all(&event.ports());
            shared.with_core(|core, now| core.ignore(reason, now));
            return;
        }
        let read = codec::read_wire(&event.data(), &Array::from(&event.ports()));
        let object = register_ports(&shared, read);
        shared.with_core(|core, now| {
            core.handle_knock(object, now);
        });
    });
    let weak = Rc::downgrade(shared);
    let on_error = EventListener::new(&target, "messageerror", move |_| {
        if let Some(shared) = weak.upgrade() {
            shared.with_core(|core, now| core.ignore(IgnoreReason::Undeserializable, now));
        }
    });
    Ok([on_message, on_error])
}

/// Closes every port in `ports` (an event's `ports`).
fn close_all(ports: &Array) {
    ports.for_each(&mut |port, _, _| {
        if let Ok(port) = port.dyn_into::<MessagePort>() {
            port.close();
        }
    });
}

fn window() -> Result<web_sys::Window, Error> {
    web_sys::window().ok_or(Error::Unsupported("no window"))
}

fn transfer(ports: &[&MessagePort]) -> Array {
    ports.iter().map(|p| JsValue::from(*p)).collect()
}

fn port(shared: &Rc<Shared>, id: PortId) -> Option<MessagePort> {
    shared.inner.borrow().ports.get(&id).map(|slot| slot.port.clone())
}

/// Creates a channel, keeps and listens on its first port as `id`, and returns the second.
fn open_channel(shared: &Rc<Shared>, id: PortId, interrupts: bool) -> Result<MessagePort, Error> {
    let channel = new_channel()?;
    let slot = listen_on(shared, channel.port1(), interrupts);
    shared.inner.borrow_mut().ports.insert(id, slot);
    Ok(channel.port2())
}

fn perform(shared: &Rc<Shared>, action: Action<JsValue>) -> Result<(), Error> {
    let browser = |e: JsValue| Error::Browser(js_error_text(&e));
    match action {
        Action::Knock { target, channel } => {
            let given = open_channel(shared, channel, false)?;
            let knock = codec::knock_object(&given);
            let target = shared.inner.borrow().targets.get(target.0).cloned();
            let transfer = transfer(&[&given]);
            match target {
                Some(Target::Window(window)) => window
                    .post_message_with_transfer(&knock, shared.config_origin.as_str(), &transfer)
                    .map_err(browser),
                Some(Target::Worker(worker)) => worker.post_message_with_transfer(&knock, &transfer).map_err(browser),
                Some(Target::WorkerScope) => js_sys::global()
                    .dyn_into::<web_sys::DedicatedWorkerGlobalScope>()
                    .map_err(|_| Error::Unsupported("not inside a dedicated worker"))?
                    .post_message_with_transfer(&knock, &transfer)
                    .map_err(browser),
                None => Err(Error::Unsupported("no such knock target")),
            }
        }
        Action::Post {
            via,
            reply_channel,
            body,
            interrupt,
            send,
        } => {
            let Some(via) = port(shared, via) else {
                return Err(Error::Closed);
            };
            let reply = open_channel(shared, reply_channel, false)?;
            let interrupt_port = match interrupt {
                Some((channel, kind)) => {
                    let given = open_channel(shared, channel, true)?;
                    let now = shared.now();
                    let mut inner = shared.inner.borrow_mut();
                    match send.and_then(|id| inner.unbound_sinks.remove(&id)) {
                        Some((sink, _)) if !sink.is_closed() => {
                            inner.sinks.insert(channel, sink);
                        }
                        _ => {
                            // The receiving half was dropped while the send was queued (the sweep
                            // then discarded its sink): nobody will ever listen here, so the
                            // channel is closed as soon as it exists. The core queues the
                            // `ClosePort`, which this same drive performs after the post.
                            inner.core.close_interrupt(channel, now);
                        }
                    }
                    Some((given, kind == InterruptKind::OneTime))
                }
                None => None,
            };
            let object = codec::body_object(body, &reply, interrupt_port.as_ref().map(|(p, once)| (p, *once)));
            let mut ports = vec![&reply];
            ports.extend(interrupt_port.as_ref().map(|(p, _)| p));
            via.post_message_with_transferable(&object, &transfer(&ports))
                .map_err(browser)
        }
        Action::PostInterrupt { via, payload } => match port(shared, via) {
            Some(via) => via.post_message(&payload).map_err(browser),
            None => Err(Error::Closed),
        },
        Action::ClosePort(id) => {
            let slot = shared.inner.borrow_mut().ports.remove(&id);
            if let Some(slot) = slot {
                slot.port.close();
                drop(slot); // removes its listeners, outside the borrow
            }
            Ok(())
        }
        Action::StopListening => {
            let listeners = shared.inner.borrow_mut().window_listeners.take();
            drop(listeners);
            Ok(())
        }
    }
}

/// Hands one core event to whoever waits for it. Waiters are taken out under a short borrow and
/// woken after it is released: waking a task may call into JavaScript (to queue a microtask).
fn dispatch(shared: &Rc<Shared>, event: Event<JsValue>) {
    match event {
        Event::Answered | Event::Connected => {
            let handshake = shared.inner.borrow_mut().handshake.take();
            if let Some(tx) = handshake {
                let _ = tx.send(Ok(()));
            }
        }
        Event::Received {
            waiter,
            message,
            interrupt,
        } => {
            let waiting = shared.inner.borrow_mut().waiters.remove(&waiter);
            let delivered = waiting.is_some_and(|tx| tx.send(Ok(Delivery { message, interrupt })).is_ok());
            if let (false, Some(held)) = (delivered, interrupt) {
                // Nobody waits for this reply any more; its interrupt port is given up at once.
                let now = shared.now();
                shared.inner.borrow_mut().core.release_interrupt(held.port, now);
            }
        }
        Event::Failed { waiter, error, unsent } => {
            let (sink, waiting) = {
                let mut inner = shared.inner.borrow_mut();
                let sink = match waiter {
                    Waiter::Send(id) => inner.unbound_sinks.remove(&id).map(|(sink, _)| sink),
                    Waiter::FirstMessage => None,
                };
                (sink, inner.waiters.remove(&waiter))
            };
            if let Some(sink) = sink {
                let _ = sink.unbounded_send(Err(error.clone()));
            }
            if let Some(tx) = waiting {
                let _ = tx.send(Err((error, unsent.is_some())));
            }
        }
        Event::Interrupt { channel, payload } => {
            let sink = shared.inner.borrow().sinks.get(&channel).cloned();
            if sink.is_none_or(|sink| sink.unbounded_send(Ok(Delivered { channel, payload })).is_err()) {
                // The receiving side was dropped: close the channel.
                let now = shared.now();
                shared.inner.borrow_mut().core.close_interrupt(channel, now);
            }
        }
        Event::InterruptEnded { channel, error } => {
            let sink = shared.inner.borrow_mut().sinks.remove(&channel);
            if let (Some(sink), Some(error)) = (sink, error) {
                let _ = sink.unbounded_send(Err(error));
            }
        }
        Event::Closed(error) => {
            let (handshake, waiters, sinks, watchers) = {
                let mut inner = shared.inner.borrow_mut();
                let inner = &mut *inner;
                (
                    inner.handshake.take(),
                    std::mem::take(&mut inner.waiters),
                    std::mem::take(&mut inner.unbound_sinks),
                    std::mem::take(&mut inner.close_watchers),
                )
            };
            if let Some(tx) = handshake {
                let _ = tx.send(Err(error.clone()));
            }
            for tx in waiters.into_values() {
                let _ = tx.send(Err((error.clone(), false)));
            }
            for (sink, _) in sinks.into_values() {
                let _ = sink.unbounded_send(Err(error.clone()));
            }
            for tx in watchers {
                let _ = tx.send(error.clone());
            }
        }
    }
}
