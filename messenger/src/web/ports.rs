//! Ports as guards: a [`PortSlot`] holds one port and, when this side listens on it, the
//! registration of the two shared [`PortHandlers`], removed when the slot is dropped. Nothing
//! here knows the session: the handlers are made from plain callbacks, and the driver decides
//! what a port event means.

use js_sys::{Array, Function};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageChannel, MessageEvent, MessagePort};

use super::codec::js_error_text;
use crate::Error;

/// A port the session holds; dropping the slot removes the port's listeners, if it has them.
/// Closing the port is the owner's decision (see the driver's `retire`), not the slot's.
pub(super) struct PortSlot {
    port: MessagePort,
    /// For ports this side listens on: the shared `message` and `messageerror` handlers, as
    /// registered, and what the port carries.
    listening: Option<Listening>,
}

struct Listening {
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

impl PortSlot {
    /// A port this side only posts on or closes (one that arrived in a message): no listeners.
    pub fn kept(port: MessagePort) -> Self {
        PortSlot { port, listening: None }
    }

    /// Listens on `port` with `handlers`, reading its messages as what it `carries`, and starts
    /// its queue. The listeners stay until the slot is dropped.
    pub fn listen(port: MessagePort, carries: Carries, handlers: &PortHandlers) -> Self {
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

    /// The port.
    pub fn port(&self) -> &MessagePort {
        &self.port
    }

    /// What this port carries, when this side listens on it and it is `target` (an event's
    /// `currentTarget`).
    pub fn listened_as(&self, target: &JsValue) -> Option<Carries> {
        let listening = self.listening.as_ref()?;
        (AsRef::<JsValue>::as_ref(&self.port) == target).then_some(listening.carries)
    }
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

/// One `message` and one `messageerror` handler for every port a session listens on, made once:
/// a new port is listened on for every message, and a fresh pair of closures each time would
/// cost two allocations and two JavaScript function wrappers per message. A handler finds its
/// port by `event.currentTarget` (see [`PortSlot::listened_as`]).
pub(super) struct PortHandlers {
    on_message: Closure<dyn FnMut(MessageEvent)>,
    on_error: Closure<dyn FnMut(MessageEvent)>,
}

impl PortHandlers {
    /// The pair, calling `on_message` and `on_error` with each event.
    pub fn new(on_message: impl Fn(MessageEvent) + 'static, on_error: impl Fn(MessageEvent) + 'static) -> Self {
        PortHandlers {
            on_message: Closure::new(on_message),
            on_error: Closure::new(on_error),
        }
    }
}

/// A new `MessageChannel`.
pub(super) fn new_channel() -> Result<MessageChannel, Error> {
    MessageChannel::new().map_err(|e| Error::Browser(js_error_text(&e)))
}

/// Closes every port in `ports` (an event's `ports`).
pub(super) fn close_all(ports: &Array) {
    ports.for_each(&mut |port, _, _| {
        if let Ok(port) = port.dyn_into::<MessagePort>() {
            port.close();
        }
    });
}
