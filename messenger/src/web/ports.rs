//! The ports a session holds: their slots, the two shared handlers every listened port gets,
//! and making, listening on, registering and closing ports.

use std::rc::Rc;

use js_sys::{Array, Function};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageChannel, MessageEvent, MessagePort};

use super::codec::{self, js_error_text};
use super::driver::Driver;
use crate::protocol::{PortId, WireObject};
use crate::Error;

/// A port the session holds; dropping the slot removes the port's listeners, if it has them.
pub(super) struct PortSlot {
    pub(super) port: MessagePort,
    /// For ports this side listens on: the session's `message` and `messageerror` handlers, as
    /// registered, and what the port carries.
    listening: Option<Listening>,
}

pub(super) struct Listening {
    on_message: Function,
    on_error: Function,
    carries: Carries,
}

/// What a listened port carries, which decides how its messages are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Carries {
    /// Wire objects: the peer's messages and handshake steps.
    Messages,
    /// Bare payloads on an interrupt channel.
    Interrupts,
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
pub(super) struct PortHandlers {
    on_message: Closure<dyn FnMut(MessageEvent)>,
    on_error: Closure<dyn FnMut(MessageEvent)>,
}

pub(super) fn new_channel() -> Result<MessageChannel, Error> {
    MessageChannel::new().map_err(|e| Error::Browser(js_error_text(&e)))
}

impl PortHandlers {
    fn new(shared: &Rc<Driver>) -> Self {
        let weak = Rc::downgrade(shared);
        let on_message = Closure::new(move |event: MessageEvent| {
            let Some(shared) = weak.upgrade() else { return };
            let Some((id, carries)) = shared.listened_port(&event) else {
                return;
            };
            if carries == Carries::Interrupts {
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

impl Driver {
    /// The listened port an event arrived on, and what it carries.
    fn listened_port(&self, event: &MessageEvent) -> Option<(PortId, Carries)> {
        let target = JsValue::from(event.current_target()?);
        let inner = self.inner.borrow();
        inner.ports.iter().find_map(|(id, slot)| {
            let listening = slot.listening.as_ref()?;
            (AsRef::<JsValue>::as_ref(&slot.port) == &target).then_some((*id, listening.carries))
        })
    }
}

/// Listens on a port this side keeps, reading its messages as what it `carries`. The listeners
/// stay until the returned slot is dropped.
pub(super) fn listen_on(shared: &Rc<Driver>, port: MessagePort, carries: Carries) -> PortSlot {
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
        carries,
    };
    PortSlot {
        port,
        listening: Some(listening),
    }
}

/// Names every port that came with a message and keeps it (to post on, or to close).
pub(super) fn register_ports(shared: &Rc<Driver>, read: codec::ReadWire) -> WireObject<JsValue> {
    let mut inner = shared.inner.borrow_mut();
    let inner = &mut *inner;
    read.register(|port| {
        let id = inner.core.register_port();
        inner.ports.insert(id, PortSlot { port, listening: None });
        id
    })
}

/// Closes every port in `ports` (an event's `ports`).
pub(super) fn close_all(ports: &Array) {
    ports.for_each(&mut |port, _, _| {
        if let Ok(port) = port.dyn_into::<MessagePort>() {
            port.close();
        }
    });
}

pub(super) fn port(shared: &Rc<Driver>, id: PortId) -> Option<MessagePort> {
    shared.inner.borrow().ports.get(&id).map(|slot| slot.port.clone())
}

/// Creates a channel, keeps and listens on its first port as `id`, and returns the second.
pub(super) fn open_channel(shared: &Rc<Driver>, id: PortId, carries: Carries) -> Result<MessagePort, Error> {
    let channel = new_channel()?;
    keep_listening(shared, id, channel.port1(), carries);
    Ok(channel.port2())
}

/// Keeps `port` as `id` and listens on it.
pub(super) fn keep_listening(shared: &Rc<Driver>, id: PortId, port: MessagePort, carries: Carries) {
    let slot = listen_on(shared, port, carries);
    shared.inner.borrow_mut().ports.insert(id, slot);
}
