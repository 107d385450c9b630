//! The *wasm-typed* variant: [`wasm_fresh`](crate::wasm_fresh) with typed payloads, and nothing
//! else. Each side decodes the payload it receives with the messenger's own [`decode`] (judged
//! against [`Limits::DEFAULT`] before anything is copied, unknown fields refused) into the
//! messenger variant's Rust types, and encodes the one it sends with [`encode`]. No wire object
//! is checked, and there is no state machine, no driver and no waiting future but the host's
//! loop.
//!
//! So it is the floor of the design for a messenger in wasm *whose application speaks Rust
//! types*: what it costs over wasm-fresh is the codec and the copies a typed payload needs, and
//! what the messenger costs over it is the messenger's protocol machinery (reading and checking
//! the wire object, the core, the driver, the futures).

use std::rc::Rc;

use messenger::{decode, encode, Limits};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, MessagePort};

use crate::wasm_fresh::{answer_request, serve, FreshHost, SharedHandler};
use crate::{Reply, Request, Text};

/// The iframe's end: answers every request with its echo, decoded and encoded as the
/// messenger's listener does; a request that does not decode gets no reply, which stalls the
/// host's run (the bench's timeout names it).
#[wasm_bindgen(js_name = serveWasmTyped)]
pub fn serve_wasm_typed(setup: MessagePort) -> Result<WasmTypedServer, JsValue> {
    let handler = serve(setup, |handler| {
        Closure::new(move |event: MessageEvent| {
            answer_request(&event, &handler, |message| {
                let Ok(Request::Echo { seq, data }) = decode::<Request<String>>(&message, &Limits::DEFAULT) else {
                    return None;
                };
                encode(&Reply::Echoed { seq, data }).ok()
            })
        })
    })?;
    Ok(WasmTypedServer { _handler: handler })
}

/// Keeps the iframe's handler alive; the page holds it for its lifetime.
#[wasm_bindgen]
pub struct WasmTypedServer {
    _handler: SharedHandler,
}

/// The host's end: `via` is the port the iframe's `ready` brought.
#[wasm_bindgen]
pub struct WasmTyped {
    host: Rc<FreshHost>,
}

#[wasm_bindgen]
impl WasmTyped {
    /// Speaks first on `via`.
    #[wasm_bindgen(constructor)]
    pub fn new(via: MessagePort) -> WasmTyped {
        WasmTyped {
            host: Rc::new(FreshHost::new(via)),
        }
    }

    /// `count` round trips carrying `data` (copied into wasm once, as the messenger variant's
    /// [`Knocker::run`](crate::Knocker::run) does), numbered from `first_seq`; rejects at the
    /// first reply that does not decode or is not the echo.
    pub fn run(&self, count: u32, data: String, first_seq: u32) -> js_sys::Promise {
        let host = self.host.clone();
        let data: Rc<str> = data.into();
        wasm_bindgen_futures::future_to_promise(async move {
            for seq in first_seq..first_seq.wrapping_add(count) {
                let request = encode(&Request::Echo {
                    seq,
                    data: Text(data.clone()),
                })
                .map_err(|e| JsError::new(&format!("wasm-typed: round trip {seq}: {e}")))?;
                let reply = host.round_trip(&request).await?;
                let right = matches!(
                    decode::<Reply>(&reply, &Limits::DEFAULT),
                    Ok(Reply::Echoed { seq: got, data: echoed }) if got == seq && *echoed == *data
                );
                if !right {
                    return Err(JsError::new(&format!("wasm-typed: round trip {seq}: wrong reply")).into());
                }
            }
            Ok(JsValue::from(count))
        })
    }
}
