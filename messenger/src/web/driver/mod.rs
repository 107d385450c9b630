//! The engine room: one [`Driver`] per session owns the core, every port, the knock listener,
//! the timer and everything that waits on the session; nothing outside this module reads or
//! changes them. The public handles (`session.rs`, `interrupt.rs`, `serve.rs`) call the
//! driver's methods; the browser's callbacks hold a `Weak` to it.
//!
//! - this file: the state ([`Inner`]), starting a session, and the handles' commands;
//! - [`drive`](mod@drive): draining the core after every input and performing its outputs, closing the
//!   ports it is done with, keeping its one timer armed;
//! - [`perform`]: the core's actions carried out on the browser, its events handed to waiters;
//! - [`inputs`]: browser events into the core (the shared port handlers' callbacks, the knock
//!   listener's callbacks, the ports that came with a message).
//!
//! The guards it holds know nothing of it: a [`PortSlot`] (a port and its listeners, removed on
//! drop) made with the session's one pair of [`PortHandlers`], the
//! [`KnockListener`] (the listener's window or worker listeners), a `gloo_timers` `Timeout`.
//!
//! Rules kept in this module, and only here, since only here is the state reachable:
//! - every closure handed to the browser lives in a guard stored in [`Inner`] (or is one of the
//!   session's two port handlers, registered by each listening [`PortSlot`]): dropping the guard
//!   removes the listener or cancels the timer, so nothing outlives the session and nothing is
//!   `forget()`-ten;
//! - closures hold a `Weak` to the session, so listeners never keep it alive;
//! - no `RefCell` borrow is held across a call into JavaScript or into application code: the
//!   core's outputs are drained under a short borrow and performed after it is released, guards
//!   are taken out of the state and dropped after the borrow ends, and waiters are woken outside
//!   it. Nothing outside this module can hold a borrow: the `RefCell` is private.

mod drive;
mod inputs;
mod perform;

use crate::web::encode::{BytesAs, Payload};
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use futures::channel::{mpsc, oneshot};
use litemap::LiteMap;
use wasm_bindgen::{JsCast, JsValue};

use super::knock_listener::KnockListener;
use super::ports::{PortHandlers, PortSlot};
use super::{Config, Observer, Source, Target};
use crate::protocol::{
    Connection, HandshakeState, HeldInterrupt, Instant, InterruptKind, Limits, PortId, SendId, Waiter,
};
use crate::{Error, Origin};
use drive::drive;

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
    /// Its binary bytes, measured on arrival (reported back when it is taken).
    pub binary_bytes: usize,
}

/// The session's state. Its fields are private to this module (its children included).
struct Inner {
    core: Connection<Payload>,
    ports: LiteMap<PortId, PortSlot>,
    /// Ports the core is done with, still to be closed (see `drive.rs`, `retire`).
    retired: Vec<PortSlot>,
    targets: Vec<Target>,
    knock_listener: Option<KnockListener>,
    /// The armed browser timeout and when it fires (see `drive.rs`, `reschedule`).
    timer: Option<(Instant, gloo_timers::callback::Timeout)>,
    waiters: LiteMap<Waiter, oneshot::Sender<Result<Delivery, WaitFailure>>>,
    handshake: Option<oneshot::Sender<Result<(), Error>>>,
    unbound_sinks: LiteMap<SendId, (InterruptSink, InterruptKind)>,
    sinks: LiteMap<PortId, InterruptSink>,
    close_watchers: Vec<oneshot::Sender<Error>>,
    /// The page's `pagehide` listener while the session is open (none in a worker): the page
    /// going away ends the session with [`Error::PageHidden`], telling the peer. Dropped when
    /// the session ends (see `perform.rs`, `Event::Closed`), so a closed session keeps no
    /// window listener.
    pagehide: Option<gloo_events::EventListener>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last owner went away without closing: release every port so none stays entangled.
        for slot in self.ports.values().chain(&self.retired) {
            slot.port().close();
        }
    }
}

/// A started session.
pub(crate) struct Started {
    driver: Rc<Driver>,
    /// Resolves when the handshake is done (the knocker: when the listener answered).
    handshake: oneshot::Receiver<Result<(), Error>>,
}

impl Started {
    /// The session, still in its handshake: for a handle that ends it early (a knock's closer).
    pub fn driver(&self) -> &Rc<Driver> {
        &self.driver
    }

    /// The session, once its handshake is done (or why it is not).
    pub async fn handshake_done(self) -> Result<Rc<Driver>, Error> {
        self.handshake.await.unwrap_or(Err(Error::Closed))?;
        Ok(self.driver)
    }
}

/// One session, shared by the public handles and (weakly) by every browser callback.
pub(crate) struct Driver {
    // Dropped first: its port slots remove their listeners before `port_handlers` goes.
    inner: RefCell<Inner>,
    observer: Option<Observer>,
    driving: Cell<bool>,
    /// Whether a task that closes the retired ports is queued.
    retiring: Cell<bool>,
    limits: Limits,
    config_origin: Origin,
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

impl Driver {
    /// The application took one interrupt of `channel`. The core only counts it (it has nothing
    /// to say back), so unlike [`Driver::with_core`] nothing is drained: this runs per interrupt.
    pub fn interrupt_taken(&self, channel: PortId, binary_bytes: usize) {
        self.inner.borrow_mut().core.interrupt_taken(channel, binary_bytes);
    }

    /// The bounds in force (the interrupt receivers judge payloads by them).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn now(&self) -> Instant {
        Instant::from_millis_f64(self.clock.now())
    }

    fn new(config: Config, core: Connection<Payload>, targets: Vec<Target>) -> Result<Rc<Self>, Error> {
        Ok(Rc::new(Driver {
            inner: RefCell::new(Inner {
                core,
                ports: LiteMap::new(),
                retired: Vec::new(),
                targets,
                knock_listener: None,
                timer: None,
                waiters: LiteMap::new(),
                handshake: None,
                unbound_sinks: LiteMap::new(),
                sinks: LiteMap::new(),
                close_watchers: Vec::new(),
                pagehide: None,
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
        let core = Connection::knocker(config.timing, config.limits, targets.len(), now);
        let shared = Driver::new(config, core, targets)?;
        Ok(shared.start(None))
    }

    /// Starts a listener on `source`; the receiver resolves when the handshake completed.
    pub fn listen(config: Config, source: Source) -> Result<Started, Error> {
        let now = Instant::from_millis_f64(clock()?.now());
        let core = Connection::listener(config.timing, config.limits, now);
        let shared = Driver::new(config, core, Vec::new())?;
        let knock_listener = shared.knock_listener(source)?;
        Ok(shared.start(Some(knock_listener)))
    }

    /// Hands the new session its guards (the listener's knock listener, the page's `pagehide`)
    /// and the handshake's waiter, and drives it for the first time.
    fn start(self: Rc<Self>, knock_listener: Option<KnockListener>) -> Started {
        let (tx, rx) = oneshot::channel();
        {
            let pagehide = self.on_pagehide();
            let mut inner = self.inner.borrow_mut();
            inner.knock_listener = knock_listener;
            inner.handshake = Some(tx);
            inner.pagehide = pagehide;
        }
        drive(&self);
        Started {
            driver: self,
            handshake: rx,
        }
    }

    /// The session's `pagehide` guard (one `addEventListener` per session, none per message):
    /// the page going away (a navigation, a reload, its iframe removed, the back/forward cache)
    /// ends the session with [`Error::PageHidden`], and the core tells the peer (a close notice
    /// "pagehide") while its ports still work. `None` in a worker.
    fn on_pagehide(self: &Rc<Self>) -> Option<gloo_events::EventListener> {
        let weak = Rc::downgrade(self);
        super::page::on_pagehide(move || {
            if let Some(shared) = weak.upgrade() {
                shared.fail(Error::PageHidden);
            }
        })
    }

    /// Runs `f` on the core, then performs whatever it produced.
    pub fn with_core<R>(self: &Rc<Self>, f: impl FnOnce(&mut Connection<Payload>, Instant) -> R) -> R {
        let now = self.now();
        let result = f(&mut self.inner.borrow_mut().core, now);
        drive(self);
        result
    }

    /// How bytes go to this session's peer: transferred to a peer that announced `$binary`, as
    /// numbers to one that did not (a JavaScript peer written before it).
    pub fn bytes_as(&self) -> BytesAs {
        match self.inner.borrow().core.peer_takes_binary() {
            true => BytesAs::Transferred,
            false => BytesAs::Numbers,
        }
    }

    /// Encodes `value` for this session's peer.
    pub fn encode<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<Payload, Error> {
        crate::web::encode::encode(value, self.bytes_as())
    }

    /// Queues a send; the receiver gets the peer's next message or the failure.
    pub fn send(
        self: &Rc<Self>,
        message: Payload,
        interrupt: Option<(InterruptSink, InterruptKind)>,
    ) -> oneshot::Receiver<Result<Delivery, WaitFailure>> {
        let (tx, rx) = oneshot::channel();
        let now = self.now();
        let refused = {
            let mut inner = self.inner.borrow_mut();
            let kind = interrupt.as_ref().map(|(_, kind)| *kind);
            match inner.core.send(message, kind, now) {
                Ok(id) => {
                    inner.waiters.insert(Waiter::Send(id), tx);
                    if let Some(sink) = interrupt {
                        inner.unbound_sinks.insert(id, sink);
                    }
                    None
                }
                Err(failed) => Some((failed.error, tx, interrupt)),
            }
        };
        // Told outside the borrow: waking a receiver may call into JavaScript.
        if let Some((error, tx, interrupt)) = refused {
            if let Some((sink, _)) = interrupt {
                let _ = sink.unbounded_send(Err(error.clone()));
            }
            let _ = tx.send(Err(WaitFailure {
                error,
                never_posted: true,
            }));
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

    /// Where the handshake is.
    pub fn handshake_state(&self) -> HandshakeState {
        self.inner.borrow().core.handshake_state()
    }

    /// Why the session ended, once it has.
    pub fn closed_with(&self) -> Option<Error> {
        self.inner.borrow().core.closed_with().cloned()
    }

    /// How many ports the session holds open.
    pub fn open_port_count(&self) -> usize {
        self.inner.borrow().core.open_port_count()
    }
}
