//! The *wasm-fresh* variant: the fresh-port rhythm of `bench.js` written in Rust with `web-sys`,
//! call for call the same browser work (one channel, one `postMessage` with one transferred
//! port and two closes per message and side, the same objects) and nothing else: no protocol,
//! no checks, no serde, no copy of the payload into wasm (the echo hands on the `seq` and `data`
//! values it received, and the host compares them with `===`, as the JavaScript does).
//!
//! It is the floor of the design *for a messenger in wasm*: what the messenger costs over it is
//! what the messenger's own code and its extra calls cost, and what it costs over fresh-port
//! is what calling the browser from wasm through `wasm-bindgen` costs.
//!
//! [`wasm_typed`](crate::wasm_typed) runs the same rhythm through this module's helpers
//! (`serve`, `answer_request`, `FreshHost`) with typed payloads.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures::channel::oneshot;
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageChannel, MessageEvent, MessagePort};

// The wire's two fields and the payload's members as plain property accesses, the same
// bindings the messenger uses for its wire fields (no field name crosses from Rust).
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = Object)]
    pub(crate) type Wire;
    #[wasm_bindgen(method, getter = "message")]
    pub(crate) fn message(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter = "message")]
    fn set_message(this: &Wire, value: &JsValue);
    #[wasm_bindgen(method, getter = "$responsePort")]
    pub(crate) fn response_port(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter = "$responsePort")]
    fn set_response_port(this: &Wire, port: &MessagePort);

    #[wasm_bindgen(extends = Object)]
    type Tagged;
    #[wasm_bindgen(method, getter = "Echo")]
    fn echo(this: &Tagged) -> JsValue;
    #[wasm_bindgen(method, setter = "Echo")]
    fn set_echo(this: &Tagged, value: &JsValue);
    #[wasm_bindgen(method, getter = "Echoed")]
    fn echoed(this: &Tagged) -> JsValue;
    #[wasm_bindgen(method, setter = "Echoed")]
    fn set_echoed(this: &Tagged, value: &JsValue);

    #[wasm_bindgen(extends = Object)]
    type Echo;
    #[wasm_bindgen(method, getter = "seq")]
    fn seq(this: &Echo) -> JsValue;
    #[wasm_bindgen(method, setter = "seq")]
    fn set_seq(this: &Echo, value: &JsValue);
    #[wasm_bindgen(method, getter = "data")]
    fn data(this: &Echo) -> JsValue;
    #[wasm_bindgen(method, setter = "data")]
    fn set_data(this: &Echo, value: &JsValue);
}

/// `{ [tag]: { seq, data } }`, built member by member, as the messenger's encoder does.
fn tagged(echo: bool, seq: &JsValue, data: &JsValue) -> JsValue {
    let inner: Echo = Object::new().unchecked_into();
    inner.set_seq(seq);
    inner.set_data(data);
    let outer: Tagged = Object::new().unchecked_into();
    if echo {
        outer.set_echo(&inner);
    } else {
        outer.set_echoed(&inner);
    }
    outer.into()
}

/// Posts `{ message, $responsePort: reply }` on `via`, transferring `reply`, and closes `via`.
pub(crate) fn post_and_close(via: &MessagePort, message: &JsValue, reply: &MessagePort) -> Result<(), JsValue> {
    let wire: Wire = Object::new().unchecked_into();
    wire.set_message(message);
    wire.set_response_port(reply);
    via.post_message_with_transferable(&wire, &Array::of1(reply))?;
    via.close();
    Ok(())
}

pub(crate) type Handler = Closure<dyn FnMut(MessageEvent)>;

/// The iframe's end: answers every request on the fresh channel it listens on with its echo
/// and a new channel's port, for as long as the page lives. Its one handler is shared by every
/// port it listens on, as the messenger's is.
#[wasm_bindgen(js_name = serveWasmFresh)]
pub fn serve_wasm_fresh(setup: MessagePort) -> Result<WasmFreshServer, JsValue> {
    let handler = serve(setup, |handler| {
        Closure::new(move |event: MessageEvent| {
            answer_request(&event, &handler, |message| {
                let request: Echo = message.unchecked_into::<Tagged>().echo().unchecked_into();
                Some(tagged(false, &request.seq(), &request.data()))
            })
        })
    })?;
    Ok(WasmFreshServer { _handler: handler })
}

/// The iframe's handler, which every port it listens on shares.
pub(crate) type SharedHandler = Rc<RefCell<Option<Handler>>>;
/// How the handler refers to itself, to listen on the next channel with.
pub(crate) type WeakHandler = Weak<RefCell<Option<Handler>>>;

/// Listens on a fresh channel with the handler `make` builds (given a weak reference to that
/// handler, to listen on the next channel with) and offers its port on `setup` with `ready`.
pub(crate) fn serve(setup: MessagePort, make: impl FnOnce(WeakHandler) -> Handler) -> Result<SharedHandler, JsValue> {
    let handler: SharedHandler = Rc::default();
    let on_message = make(Rc::downgrade(&handler));
    let next = listen_on_fresh(on_message.as_ref().unchecked_ref())?;
    *handler.borrow_mut() = Some(on_message);
    post_and_close(&setup, &JsValue::from_str("ready"), &next.port2())?;
    Ok(handler)
}

/// The iframe's work per request: closes the port it came on and, when `answer` makes a reply
/// of its `message`, posts that on its `$responsePort` with a new channel's port, listened on
/// by the same handler.
pub(crate) fn answer_request(
    event: &MessageEvent,
    handler: &WeakHandler,
    answer: impl FnOnce(JsValue) -> Option<JsValue>,
) {
    let Some(handler) = handler.upgrade() else { return };
    let Some(own) = event.current_target().and_then(|t| t.dyn_into::<MessagePort>().ok()) else {
        return;
    };
    // Closed, as bench.js's `own.close()`; its handler stays set (a closed port never fires),
    // as in the JavaScript, so that the two make the same calls.
    own.close();
    let wire: Wire = event.data().unchecked_into();
    let Ok(via) = wire.response_port().dyn_into::<MessagePort>() else {
        return;
    };
    let Some(reply) = answer(wire.message()) else { return };
    let handler = handler.borrow();
    let Some(on_message) = handler.as_ref() else { return };
    if let Ok(next) = listen_on_fresh(on_message.as_ref().unchecked_ref()) {
        let _ = post_and_close(&via, &reply, &next.port2());
    }
}

/// A new channel whose first port `on_message` listens on (both ends use it: the iframe hands
/// the second port over with its reply, the host with its request).
pub(crate) fn listen_on_fresh(on_message: &js_sys::Function) -> Result<MessageChannel, JsValue> {
    let channel = MessageChannel::new()?;
    channel.port1().set_onmessage(Some(on_message));
    Ok(channel)
}

/// Keeps the iframe's handler alive; the page holds it for its lifetime.
#[wasm_bindgen]
pub struct WasmFreshServer {
    _handler: SharedHandler,
}

/// The host's end: `via` is the port the iframe's `ready` brought.
#[wasm_bindgen]
pub struct WasmFresh {
    host: Rc<FreshHost>,
}

#[wasm_bindgen]
impl WasmFresh {
    /// Speaks first on `via`.
    #[wasm_bindgen(constructor)]
    pub fn new(via: MessagePort) -> WasmFresh {
        WasmFresh {
            host: Rc::new(FreshHost::new(via)),
        }
    }

    /// `count` round trips carrying `data`, numbered from `first_seq`; rejects at the first
    /// wrong reply.
    pub fn run(&self, count: u32, data: JsValue, first_seq: u32) -> js_sys::Promise {
        let host = self.host.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            for seq in first_seq..first_seq.wrapping_add(count) {
                let seq_value = JsValue::from(seq);
                let echoed = host
                    .round_trip(&tagged(true, &seq_value, &data))
                    .await?
                    .unchecked_into::<Tagged>()
                    .echoed();
                let right = echoed.is_object() && {
                    let echoed: &Echo = echoed.unchecked_ref();
                    echoed.seq() == seq_value && echoed.data() == data
                };
                if !right {
                    return Err(JsError::new(&format!("wasm-fresh: round trip {seq}: wrong reply")).into());
                }
            }
            Ok(JsValue::from(count))
        })
    }
}

/// The host's rhythm, shared with [`crate::wasm_typed`]: the port to speak on next, the
/// waiting round trip and the one handler every reply port is listened on with.
pub(crate) struct FreshHost {
    via: RefCell<MessagePort>,
    waiting: Rc<RefCell<Option<oneshot::Sender<MessageEvent>>>>,
    on_message: Handler,
}

impl FreshHost {
    pub(crate) fn new(via: MessagePort) -> FreshHost {
        let waiting: Rc<RefCell<Option<oneshot::Sender<MessageEvent>>>> = Rc::default();
        let wake = waiting.clone();
        let on_message = Closure::new(move |event: MessageEvent| {
            if let Some(tx) = wake.borrow_mut().take() {
                let _ = tx.send(event);
            }
        });
        FreshHost {
            via: RefCell::new(via),
            waiting,
            on_message,
        }
    }

    /// Sends `message` with a new channel's port for its reply, waits for the reply, closes
    /// the port it came on, keeps the reply's `$responsePort` to speak on next and returns the
    /// reply's `message`.
    pub(crate) async fn round_trip(&self, message: &JsValue) -> Result<JsValue, JsValue> {
        let channel = listen_on_fresh(self.on_message.as_ref().unchecked_ref())?;
        let own = channel.port1();
        let (tx, rx) = oneshot::channel();
        *self.waiting.borrow_mut() = Some(tx);
        post_and_close(&self.via.borrow(), message, &channel.port2())?;
        let event = rx.await.map_err(|_| JsError::new("the reply never came"))?;
        own.close();
        let wire: Wire = event.data().unchecked_into();
        *self.via.borrow_mut() = wire.response_port().dyn_into::<MessagePort>()?;
        Ok(wire.message())
    }
}
