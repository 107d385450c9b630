//! A secure messenger over `postMessage` for two browsing contexts of different origins: a host
//! page and the cross-origin iframe it embeds, or a page and a dedicated worker.
//!
//! # The model
//!
//! Both sides create a messenger for the **one** remote origin they may talk to ([`Config::new`]
//! refuses `"*"` and `"null"`). One side **knocks**, the other **listens**; they agree out of band
//! who does which (in the demo, the host knocks and the iframe listens).
//!
//! 1. **Knock** ([`knock`]): the knocker posts `{ $type: "👋", $version: 1 }` to each target with
//!    the exact remote origin as `targetOrigin`, transferring one port of a fresh `MessageChannel`.
//!    It knocks again with a fresh channel, since a knock that reaches the remote before its
//!    listener exists is lost without a trace: soon at first (10 ms, doubling), then every knock
//!    interval.
//! 2. **Listen** ([`listen`]): the listener's temporary window listener ignores everything that is
//!    not a trusted event from the expected origin (and, when given, the expected `event.source`).
//!    The first valid knock removes the window listeners at once; the listener answers `🤝` on the
//!    knock's port, carrying a new one-time reply port.
//! 3. **Acknowledge** ([`Answered::finish_handshake`] or [`Answered::serve`]): the knocker answers
//!    `👂` on that port, carrying the next one. From here on no global listener exists on either
//!    side: only the current one-time port, held inside the messenger, can be spoken on.
//!
//! Then the conversation is **half-duplex**: the listener speaks first, and every message travels
//! on the peer's one-time reply port and carries a brand-new port for its single reply; used ports
//! are closed. [`Messenger::send`] may be called at any time: sends queue FIFO, go out one per
//! turn, and each resolves with the peer's next message. The knocker usually answers in a
//! **handler loop** ([`Answered::serve`]).
//!
//! For what does not fit the turns (user clicks), the receiving side opens **interrupt
//! channels** ([`InterruptRequest`]): a port that rides along with a message or a handler-loop
//! reply, on which the peer emits ([`InterruptSender::emit`]) whenever it likes — one-time
//! ([`OneTimeInterrupt`], a future) or multi-use ([`InterruptStream`], a stream).
//!
//! Everything from outside is decoded into typed values or rejected with a typed [`Error`]: the
//! wire objects by the pure protocol core, the payloads through JSON with size and depth [`Limits`]
//! checked first and unknown fields refused (use `#[serde(deny_unknown_fields)]`). A protocol
//! violation fails the session closed. Nothing from outside can make the library panic or hang;
//! timeouts bound every wait a peer could stall.
//!
//! Closing ([`Messenger::close`], or dropping the messenger) fails every pending send and
//! interrupt wait with [`Error::Closed`], closes every port and removes every listener.
//!
//! # Architecture
//!
//! The protocol is a pure state machine (the hidden `protocol` module: no `web-sys`; time passed in), tested natively
//! by driving two cores against each other. The web layer only moves values and ports between the
//! browser and the core, and owns every listener, port and timer as an RAII guard.
//!
//! # Example
//!
//! The host page knocks on its iframe and serves the remote's requests:
//!
//! ```no_run
//! use messenger::{Config, Reconnector, Received, Reply};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! enum Request { Add { a: i32, b: i32 } }
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! enum Response { Sum(i32) }
//!
//! # fn host(iframe: web_sys::HtmlIFrameElement) {
//! // Knock every time the iframe loads; each load replaces the previous session.
//! let config = Config::new("https://remote.example").expect("a valid origin");
//! let reconnector = Reconnector::new(&iframe, config, |answered| {
//!     let Ok(answered) = answered else { return };
//!     wasm_bindgen_futures::spawn_local(async move {
//!         let serving = answered.serve(|received: Received<Request>| async move {
//!             let Request::Add { a, b } = received.message;
//!             Reply::new(Response::Sum(a + b))
//!         });
//!         let _ended = serving.await;
//!     });
//! });
//! // Keep `reconnector` alive for as long as the page talks to the iframe.
//! # drop(reconnector);
//! # }
//! ```
//!
//! The remote, inside the iframe, listens for its parent and asks:
//!
//! ```no_run
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)] enum Request { Add { a: i32, b: i32 } }
//! # #[derive(Serialize, Deserialize)] enum Response { Sum(i32) }
//! use messenger::{listen, Config, Messenger, Source};
//!
//! # async fn remote() -> Result<(), messenger::Error> {
//! let parent = web_sys::window().and_then(|w| w.parent().ok().flatten()).expect("inside an iframe");
//! let messenger: Messenger<Request, Response> =
//!     listen(Config::new("https://host.example")?, Source::Window(parent)).await?;
//! // Both go out in order, one per turn; each resolves with its reply.
//! let first = messenger.send(Request::Add { a: 1, b: 2 });
//! let second = messenger.send(Request::Add { a: 3, b: 4 });
//! let Response::Sum(three) = first.await?.message;
//! let Response::Sum(seven) = second.await?.message;
//! assert_eq!((three, seven), (3, 7));
//! # Ok(()) }
//! ```
//!
//! # What "secure" means here
//!
//! A connection between exactly two origins; exact origin matching plus `event.source` checks; no
//! global `message` listener after the handshake; ports private to the messenger; strict ordering
//! and turn-taking; typed decoding of everything that arrives. It does **not** encrypt, and it
//! cannot protect against script running on the same origin as either side: that script can do
//! anything the page can.
#![deny(missing_docs, missing_debug_implementations)]

// The protocol core is public only so that the fuzz targets, the benchmark and the crate's own
// native tests can drive it; it is not part of the API and may change in any release.
mod error;
mod origin;
#[doc(hidden)]
pub mod protocol;
mod web;

pub use crate::protocol::{
    Direction, HandshakeState, IgnoreReason, Instant, InterruptKind, Limits, MessageKind, Observation, PortId, Step,
    TargetId,
};
pub use error::{Error, Overload, SendError, Stage, Violation};
pub use origin::{Origin, OriginError};
pub use web::*;
