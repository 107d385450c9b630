//! The wasm half of the messenger benchmark (see `BENCHMARKS.md`): both ends of the messenger
//! variant, of the *wasm-fresh* variant ([`wasm_fresh`]) and of the *wasm-typed* variant
//! ([`wasm_typed`]), driven by the hand-written pages in `static/`.
//!
//! * In the host page, [`connect`] watches a freshly inserted iframe with a
//!   [`Reconnector`] (knocking on its `load`, as an application does) and resolves with a
//!   [`Knocker`] once the listener's first message has arrived; the page times that as the
//!   handshake. [`Knocker::run`] then does round trips one after the other, each request
//!   awaited before the next is sent, and checks every reply.
//! * In the iframe, [`listen_and_echo`] listens for its parent and answers every request with
//!   its echo, for as long as the session lives.
//!
//! The payload is a small typed request, `{"Echo":{"seq":1,"data":"..."}}`, answered by
//! `{"Echoed":{"seq":1,"data":"..."}}`; `data` is what makes the 1 KB and 64 KB variants large.
//! The hand-written JavaScript variants send exactly the same objects. The binary series
//! ([`binary`]) sends bytes both ways: `{"EchoBytes":{"seq":1,"data":<Uint8Array>}}`, answered
//! by `{"EchoedBytes":{"seq":1,"data":<the same bytes>}}` (and `EchoCopied` / `EchoedCopied`
//! for the figure where the application copies the bytes into wasm).

pub mod binary;
pub mod wasm_fresh;
pub mod wasm_typed;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::channel::oneshot;
use messenger::{listen, Config, JsBytes, Messenger, Reconnector, Source, Step};
use serde::{Deserialize, Serialize, Serializer};
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use web_sys::HtmlIFrameElement;

/// What the host asks. `D` is the text: shared on the sending side, owned on the receiving one.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Request<D> {
    /// Send `data` back with the same `seq`.
    Echo {
        /// The round trip's number.
        seq: u32,
        /// The payload.
        data: D,
    },
    /// Send `data` back with the same `seq`: bytes kept in JavaScript, transferred both ways.
    EchoBytes {
        /// The round trip's number.
        seq: u32,
        /// The bytes.
        data: JsBytes,
    },
    /// Send `data` back with the same `seq`: bytes the application reads in Rust, copied into
    /// wasm on receipt and out of it on sending (`serde_bytes`), transferred both ways.
    EchoCopied {
        /// The round trip's number.
        seq: u32,
        /// The bytes.
        data: ByteBuf,
    },
}

/// What the iframe answers.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Reply {
    /// The listener's first message, right after the handshake.
    Ready,
    /// The echo of [`Request::Echo`].
    Echoed {
        /// The request's number.
        seq: u32,
        /// The request's payload.
        data: String,
    },
    /// The echo of [`Request::EchoBytes`]: the same buffer, moved back.
    EchoedBytes {
        /// The request's number.
        seq: u32,
        /// The request's bytes.
        data: JsBytes,
    },
    /// The echo of [`Request::EchoCopied`].
    EchoedCopied {
        /// The request's number.
        seq: u32,
        /// The request's bytes.
        data: ByteBuf,
    },
}

/// The payload as the host sends it: one shared string, so that sending 64 KB does not first
/// copy 64 KB inside Rust (the JavaScript variants send one string object over and over too).
pub struct Text(Rc<str>);

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

fn js_error(context: &str, error: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("{context}: {error}"))
}

/// The host's end of the messenger variant.
#[wasm_bindgen]
pub struct Knocker {
    pub(crate) messenger: Rc<Messenger<Request<Text>, Reply>>,
    knocks: u32,
    // Keeps watching the iframe; dropping it closes the session.
    _reconnector: Reconnector,
}

/// Watches `iframe` (inserted just before, with the listener page as its `src`) and knocks on
/// every load, as an application does; resolves when the handshake is complete and the
/// listener's first message ([`Reply::Ready`]) has arrived.
#[wasm_bindgen]
pub async fn connect(iframe: HtmlIFrameElement, remote_origin: String) -> Result<Knocker, JsError> {
    let knocks = Rc::new(Cell::new(0u32));
    let (answered_tx, answered_rx) = oneshot::channel();
    let answered_tx = RefCell::new(Some(answered_tx));
    let counter = knocks.clone();
    let config = Config::new(&remote_origin)
        .map_err(|e| js_error("bad origin", e))?
        .observer(move |observation| {
            if let Step::KnockSent { .. } = observation.step {
                counter.set(counter.get() + 1);
            }
        });
    let reconnector = Reconnector::new(&iframe, config, move |answered| {
        // Only the first session is used; a later one (the iframe reloaded) is dropped,
        // which closes it.
        if let Some(tx) = answered_tx.borrow_mut().take() {
            let _ = tx.send(answered);
        }
    });
    let answered = answered_rx
        .await
        .map_err(|_| JsError::new("the reconnector went away before an answer"))?
        .map_err(|e| js_error("handshake failed", e))?;
    let (messenger, first) = answered
        .finish_handshake::<Request<Text>, Reply>()
        .await
        .map_err(|e| js_error("waiting for the listener's first message", e))?;
    if !matches!(first.message, Reply::Ready) {
        return Err(JsError::new("the listener's first message was not Ready"));
    }
    Ok(Knocker {
        messenger: Rc::new(messenger),
        knocks: knocks.get(),
        _reconnector: reconnector,
    })
}

#[wasm_bindgen]
impl Knocker {
    /// How many knocks the handshake took (one per knock interval until the listener existed).
    #[wasm_bindgen(getter)]
    pub fn knocks(&self) -> u32 {
        self.knocks
    }

    /// How many ports the session holds open, by the messenger's own count.
    #[wasm_bindgen(getter, js_name = openPorts)]
    pub fn open_ports(&self) -> usize {
        self.messenger.status().open_ports
    }

    /// Does `count` round trips carrying `data`, numbered from `first_seq`, one after the other;
    /// resolves with `count`, or rejects at the first failed round trip or wrong reply.
    pub fn run(&self, count: u32, data: String, first_seq: u32) -> js_sys::Promise {
        let messenger = self.messenger.clone();
        let data: Rc<str> = data.into();
        wasm_bindgen_futures::future_to_promise(async move {
            for seq in first_seq..first_seq.wrapping_add(count) {
                let sent = Request::Echo {
                    seq,
                    data: Text(data.clone()),
                };
                let received = messenger
                    .send(sent)
                    .await
                    .map_err(|e| js_error(&format!("round trip {seq}"), e.error))?;
                let wrong = match &received.message {
                    Reply::Echoed { seq: got, data: echoed } if *got == seq && **echoed == *data => None,
                    Reply::Echoed { seq: got, data: echoed } => {
                        Some(format!("Echoed {{ seq: {got}, data: {} bytes }}", echoed.len()))
                    }
                    other => Some(binary::describe(other)),
                };
                if let Some(wrong) = wrong {
                    let expected = format!("Echoed {{ seq: {seq}, data: {} bytes }}", data.len());
                    return Err(
                        JsError::new(&format!("round trip {seq}: wrong reply {wrong}, expected {expected}")).into(),
                    );
                }
            }
            Ok(JsValue::from(count))
        })
    }

    /// Closes the session (dropping the knocker does too).
    pub fn close(&self) {
        self.messenger.close();
    }
}

/// The iframe's end: listens for the parent window (knocks from `host_origin` only), says
/// [`Reply::Ready`], then echoes every request. Resolves only when the session fails.
#[wasm_bindgen(js_name = listenAndEcho)]
pub async fn listen_and_echo(host_origin: String) -> Result<(), JsError> {
    let parent = web_sys::window()
        .and_then(|window| window.parent().ok().flatten())
        .ok_or_else(|| JsError::new("not inside an iframe"))?;
    let config = Config::new(&host_origin).map_err(|e| js_error("host origin", e))?;
    let messenger: Messenger<Reply, Request<String>> = listen(config, Source::Window(parent))
        .await
        .map_err(|e| js_error("listening", e))?;
    let mut next = messenger.send(Reply::Ready);
    loop {
        let received = next.await.map_err(|e| js_error("echo loop", e.error))?;
        next = messenger.send(match received.message {
            Request::Echo { seq, data } => Reply::Echoed { seq, data },
            // The same buffer goes back: received, it is this page's; sent, it moves again.
            Request::EchoBytes { seq, data } => Reply::EchoedBytes { seq, data },
            // Received as a `Vec<u8>` in wasm memory, sent back out of it.
            Request::EchoCopied { seq, data } => Reply::EchoedCopied { seq, data },
        });
    }
}
