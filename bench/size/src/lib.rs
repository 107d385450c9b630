//! A messenger-only wasm module for the benchmark's size figure (`scripts/bench.sh`).
//!
//! It uses what an application uses — both roles, the handler loop, queued sends, both kinds of
//! interrupt channel, the reconnector and an observer — with small typed messages, and nothing
//! else (no UI framework), so the measured size is the messenger's own plus serde
//! and the wasm-bindgen glue it needs.

use futures::StreamExt;
use messenger::{
    listen, Config, InterruptRequest, InterruptStream, Messenger, Received, Reconnector, Reply, Source, Step,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::HtmlIFrameElement;

/// What the remote asks.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Request {
    /// Read a value.
    Get { key: String },
    /// Store a value.
    Put { key: String, value: String },
    /// Ask the user to pick; the answer comes as a one-time interrupt.
    Pick { choices: Vec<String> },
}

/// What the host answers.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Response {
    /// The value, if any.
    Value(Option<String>),
    /// Stored.
    Stored,
    /// Refused, with a reason.
    Refused(String),
}

/// What the remote emits on interrupt channels.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Interrupt {
    /// A button was clicked.
    Clicked { id: u32 },
    /// The user picked a choice.
    Picked(usize),
}

/// The host: knocks on every load of `iframe` and serves its requests; every reply to a `Pick`
/// opens a one-time interrupt channel, and `on_interrupt` hears each interrupt.
#[wasm_bindgen]
pub struct Host {
    _reconnector: Reconnector,
}

#[wasm_bindgen]
impl Host {
    /// Starts serving the iframe.
    #[wasm_bindgen(constructor)]
    pub fn new(iframe: HtmlIFrameElement, remote_origin: String, on_event: js_sys::Function) -> Result<Host, JsError> {
        let config = Config::new(&remote_origin)
            .map_err(|e| JsError::new(&e.to_string()))?
            .observer(move |observation| {
                let generation = match observation.step {
                    Step::Message { generation, .. } => generation as f64,
                    _ => -1.0,
                };
                let _ = on_event.call1(&JsValue::NULL, &JsValue::from_f64(generation));
            });
        let reconnector = Reconnector::new(&iframe, config, |answered| {
            let Ok(answered) = answered else { return };
            wasm_bindgen_futures::spawn_local(async move {
                let store = std::rc::Rc::new(std::cell::RefCell::new(std::collections::HashMap::new()));
                let serving = answered.try_serve(
                    move |received: Received<Request>| {
                        let store = store.clone();
                        async move {
                            Ok::<_, String>(match received.message {
                                Request::Get { key } => Reply::new(Response::Value(store.borrow().get(&key).cloned())),
                                Request::Put { key, value } => {
                                    store.borrow_mut().insert(key, value);
                                    Reply::new(Response::Stored)
                                }
                                Request::Pick { choices } if choices.is_empty() => {
                                    return Err("nothing to pick from".to_owned())
                                }
                                Request::Pick { .. } => {
                                    let (request, picked) = InterruptRequest::one_time::<Interrupt>();
                                    wasm_bindgen_futures::spawn_local(async move {
                                        let _ = picked.await;
                                    });
                                    Reply::new(Response::Stored).with_interrupt(request)
                                }
                            })
                        }
                    },
                    |reason| Some(Reply::new(Response::Refused(reason))),
                );
                let _ = serving.await;
            });
        });
        Ok(Host {
            _reconnector: reconnector,
        })
    }
}

/// The remote: listens for its parent, opens a multi-use interrupt channel for clicks, then
/// puts and gets a value; resolves with the value read back.
#[wasm_bindgen]
pub async fn remote(host_origin: String) -> Result<JsValue, JsError> {
    let parent = web_sys::window()
        .and_then(|window| window.parent().ok().flatten())
        .ok_or_else(|| JsError::new("not inside an iframe"))?;
    let config = Config::new(&host_origin).map_err(|e| JsError::new(&e.to_string()))?;
    let messenger: Messenger<Request, Response> = listen(config, Source::Window(parent))
        .await
        .map_err(|e| JsError::new(&e.to_string()))?;
    let (clicks, mut stream): (_, InterruptStream<Interrupt>) = InterruptRequest::multi_use();
    let put = messenger.send_with_interrupt(
        Request::Put {
            key: "k".into(),
            value: "v".into(),
        },
        clicks,
    );
    let get = messenger.send(Request::Get { key: "k".into() });
    let mut stored = put.await.map_err(|e| JsError::new(&e.error.to_string()))?;
    if let Some(sender) = stored.take_interrupt::<Interrupt>() {
        sender
            .emit(&Interrupt::Clicked { id: 1 })
            .map_err(|e| JsError::new(&e.to_string()))?;
    }
    let _ = stream.next().await;
    match get.await.map_err(|e| JsError::new(&e.error.to_string()))?.message {
        Response::Value(value) => Ok(value.map_or(JsValue::NULL, |v| JsValue::from_str(&v))),
        _ => Err(JsError::new("unexpected response")),
    }
}
