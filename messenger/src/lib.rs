//! A secure messenger over `postMessage` for two browsing contexts of different origins: a host
//! page and the cross-origin iframe it embeds, a page and a window it opened, or a page and a
//! dedicated worker.
//!
//! The wire format, every bad input and the error it gives, and the security model in full are
//! in the repository's `docs/PROTOCOL.md`; what differs between iframes, windows and workers is
//! in `docs/CONTEXTS.md`.
//!
//! # The model
//!
//! Both sides create a messenger for the **one** remote origin they may talk to ([`Config::new`]
//! refuses `"*"` and `"null"`). One side **knocks**, the other **listens**; they agree out of band
//! who does which (see [Choosing roles](#choosing-roles)).
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
//! violation fails the session closed. Nothing from outside can make the library panic or hang
//! unboundedly: timeouts bound the handshake, and [`Config::reply_timeout`] bounds each reply.
//!
//! # Choosing roles
//!
//! **The listener speaks first**; the knocker answers. So the side that wants to *ask* listens,
//! and the side that answers knocks and serves:
//!
//! | | the host knocks, the iframe listens | the host listens, the iframe knocks |
//! | --- | --- | --- |
//! | who asks | the iframe ([`Messenger::send`]) | the host ([`Messenger::send`]) |
//! | who answers | the host, in [`Answered::serve`] | the iframe, in [`Answered::serve`] |
//! | the iframe reloads | the host's [`Reconnector`] knocks anew on every `load` and ends the old session with [`Error::Superseded`] | the reloaded iframe, a new page, knocks again by itself; the host must listen again (say on the iframe's `load`) and drop the old session |
//!
//! [`Reconnector`] is the knocker's tool: a host that listens cannot use it to follow reloads.
//! Such a host should set [`Config::reply_timeout`], so that a send to a page that went away
//! fails instead of waiting (no browser reports a closed port). The demo has the host knock; the
//! README's example and the `examples/` pair have the host ask.
//!
//! # Example: the host knocks and serves
//!
//! The host page knocks on its iframe on every load and answers the remote's requests. A plain
//! `main` has no owner to keep a [`Reconnector`] in; a `thread_local!` slot is one, without
//! `std::mem::forget` (taking it out drops it, which stops watching and closes the session):
//!
//! ```no_run
//! use std::cell::RefCell;
//!
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
//! thread_local! {
//!     // Lives as long as the page; nothing is leaked.
//!     static RECONNECTOR: RefCell<Option<Reconnector>> = const { RefCell::new(None) };
//! }
//!
//! fn host(iframe: &web_sys::HtmlIFrameElement) -> Result<(), messenger::Error> {
//!     let config = Config::new("https://remote.example")?;
//!     // Knock every time the iframe loads; each load replaces the previous session.
//!     let reconnector = Reconnector::new(iframe, config, |answered| {
//!         let Ok(answered) = answered else { return };
//!         wasm_bindgen_futures::spawn_local(async move {
//!             // The task owns the session until the loop ends.
//!             let serving = answered.serve(|received: Received<Request>| async move {
//!                 let Request::Add { a, b } = received.message;
//!                 Reply::new(Response::Sum(a + b))
//!             });
//!             let _ended = serving.await;
//!         });
//!     });
//!     RECONNECTOR.with_borrow_mut(|slot| *slot = Some(reconnector));
//!     Ok(())
//! }
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
//! # Example: a knocker that does not loop
//!
//! A knocker that answers once, or answers in its own rhythm, completes the handshake with
//! [`Answered::finish_handshake`], which gives the [`Messenger`] and the listener's first
//! message; each [`Messenger::send`] is then the answer to the message before it and resolves
//! with the next. Here the iframe knocks, answers the host's greeting with a message that carries
//! an interrupt channel, and receives the host's clicks on it:
//!
//! ```no_run
//! use futures::StreamExt;
//! use messenger::{knock, Config, InterruptRequest, Messenger, Received, Target};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! enum FromHost { Hello, Bye }
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! enum FromIframe { Ready }
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Clicked { button: u8 }
//!
//! async fn iframe(parent: web_sys::Window) -> Result<(), messenger::Error> {
//!     let answered = knock(Config::new("https://host.example")?, vec![Target::Window(parent)]).await?;
//!     let (messenger, hello): (Messenger<FromIframe, FromHost>, Received<FromHost>) =
//!         answered.finish_handshake().await?;
//!     let FromHost::Hello = hello.message else { return Ok(()) };
//!     // This side will receive the interrupts, so this side makes the channel.
//!     let (request, mut clicks) = InterruptRequest::multi_use::<Clicked>();
//!     // Queued at once; the host's answer to `Ready` waits in the future until awaited.
//!     let next = messenger.send_with_interrupt(FromIframe::Ready, request);
//!     // Clicks come outside the turns, whenever the user clicks: here, the first three.
//!     for _ in 0..3 {
//!         let Some(click) = clicks.next().await else { break };
//!         let Clicked { button } = click?;
//!         let _ = button;
//!     }
//!     let FromHost::Bye = next.await?.message else { return Ok(()) };
//!     Ok(())
//! }
//! ```
//!
//! # Interrupt channels
//!
//! The side that will **receive** interrupts creates the channel:
//! [`InterruptRequest::multi_use`] (with an [`InterruptStream`]) or
//! [`InterruptRequest::one_time`] (with a [`OneTimeInterrupt`]), and attaches the request to a
//! message it sends ([`Messenger::send_with_interrupt`]) or a reply it returns
//! ([`Reply::with_interrupt`]). The peer takes the emitting end from that message with
//! [`Received::take_interrupt`] and keeps it:
//!
//! ```no_run
//! # use serde::Serialize;
//! # #[derive(Serialize)] struct Clicked { button: u8 }
//! # fn host(mut ready: messenger::Received<u32>) -> Result<(), messenger::Error> {
//! // In the host, with the iframe's `Ready` message in hand:
//! if let Some(clicks) = ready.take_interrupt::<Clicked>() {
//!     clicks.emit(&Clicked { button: 1 })?; // any time, outside the turns
//! }
//! # Ok(()) }
//! ```
//!
//! Each side names the payload type on its own (`multi_use::<Clicked>()` here,
//! `take_interrupt::<Clicked>()` there); nothing checks that they agree before an interrupt
//! arrives, and one that does not fit fails with [`Error::DecodeFailed`] on the receiving side,
//! ending that channel only.
//!
//! # What keeps a session alive
//!
//! - Its **owner** does: the [`Messenger`], the running [`Serving`] loop, or the [`Answered`]
//!   not yet finished. Dropping the owner closes the session: every pending send and interrupt
//!   wait fails with [`Error::Closed`], every port is closed, every listener removed.
//! - A [`Reconnector`] (an iframe) or a [`WindowKeeper`] (a window this page opened) does not
//!   own the sessions it makes: it hands each [`Answered`] to your callback, whose task must keep
//!   it (as above); dropping the reconnector or keeper closes the current session.
//! - An [`InterruptSender`], a [`Closer`] and the futures `send` returns hold only a weak
//!   reference: once the owner is dropped, `emit` fails with [`Error::Closed`], and so do those
//!   futures.
//! - [`Messenger::send`] queues its message **when called**, not when its future is first
//!   polled: a send whose future is dropped unawaited still goes out, and its reply is then
//!   discarded. [`Messenger::send_last`] says so outright: a last word whose answer nobody
//!   awaits, while the session (and its interrupt channels) goes on.
//! - From a plain `main`, keep the owner where it lives as long as it is needed: move it into the
//!   `spawn_local` task that awaits it (the loop, or [`Messenger::closed`]), or put it in a
//!   `thread_local!` `RefCell<Option<…>>` as above. Never `std::mem::forget` it: that would also
//!   keep its listeners and ports forever.
//!
//! Ports report no close, so when a session ends this side tells the peer with a close notice
//! (see [When a session ends](#when-a-session-ends)); a peer that does not take notices learns
//! only through its own timeouts ([`Config::reply_timeout`]).
//!
//! # Ending a session
//!
//! Drop its owner, or call [`Messenger::close`]; from elsewhere (a UI button), a [`Closer`]
//! from [`Messenger::closer`] or [`Answered::closer`] does the same without keeping the session
//! alive. [`LoopStopper::stop`] only ends a handler loop: the session goes on and the loop hands
//! the [`Messenger`] back ([`LoopEnd::Stopped`]); so does a [`Reply::last`] reply
//! ([`LoopEnd::Finished`]).
//!
//! # When a session ends
//!
//! A session ends once, with one [`Error`]: every pending send and interrupt wait fails with it,
//! [`Messenger::closed`] resolves with it, [`Status::closed_with`] keeps it, and every port and
//! listener of the session is gone. What ends it, and what the peer learns:
//!
//! | this side ends with | because | the peer |
//! | --- | --- | --- |
//! | [`Error::Closed`] | this side closed or dropped the session's owner, or a [`knock`] or [`listen`] future mid-handshake | ends with [`Error::PeerClosed`]`(Closed)` at once |
//! | [`Error::TimedOut`] | the peer did not answer within [`Config::handshake_timeout`] or [`Config::reply_timeout`] | ends with `PeerClosed(TimedOut)` at once, if it is still there |
//! | [`Error::TooLarge`], [`Error::TooDeep`], [`Error::DecodeFailed`], [`Error::ProtocolViolation`], [`Error::HandshakeFailed`] | this side refused what the peer sent | ends with `PeerClosed(Refused)` at once |
//! | [`Error::PageHidden`] | this page's `pagehide` | ends with `PeerClosed(PageHidden)` at once |
//! | [`Error::PeerClosed`] | the peer ended and said why | is told nothing more |
//! | [`Error::VersionMismatch`] | the peer speaks another wire version (found in the handshake, within a task) | is told this side's version (a `"version"` notice); a peer of this crate ends with `VersionMismatch` too |
//! | [`Error::Superseded`], [`Error::WindowClosed`], [`Error::FrameRemoved`] | a [`Reconnector`] or [`WindowKeeper`] saw the remote reload, close or leave the page | is told nothing: it is gone |
//!
//! The notice is `{ $type: "🚪", $version: 1, $reason }`, posted on the current channel, and
//! only to a peer that announced `$closeNotice: true` in its knock or `🤝` (this crate does). A
//! version-1 peer that did not (the original JavaScript implementation) is sent nothing and learns
//! only by its own timeout. A notice that crosses this side's message (the peer gave up while the
//! message was on its way) is not lost: the port a side last posted on stays open and watched
//! until the peer's next message arrives. A peer that vanishes without a word (a crashed or
//! killed page, a terminated worker) is noticed only by a timeout, so the side that waits for
//! answers should still set [`Config::reply_timeout`].
//!
//! A blocked, frozen or throttled page is not a gone peer: a handshake or reply timer that fires
//! a quarter of its length (or more) late is re-armed once for its whole length first, so an
//! answer that arrived while this page could not run wins; a peer that is really gone is judged
//! within twice the timeout plus the pause.
//!
//! # Cancel safety
//!
//! What dropping each handle in the middle of a turn does:
//!
//! - A [`Messenger::send`] future: nothing to the session. The message was queued when `send`
//!   was called and goes out in its turn; the turn is kept, the reply is dropped when it comes
//!   (with any interrupt port it carries), and the next send resolves with its own reply.
//! - A [`knock`] or [`listen`] future, or an [`Answered`]: the session ends with
//!   [`Error::Closed`]; a peer already in the handshake is told at once.
//! - A [`Serving`] whose handler is running: the handler's future is dropped where it is and the
//!   session ends with [`Error::Closed`]; the peer's pending send fails with
//!   [`Error::PeerClosed`] at once. To end the loop but keep the session, use
//!   [`LoopStopper::stop`].
//! - An [`InterruptStream`] or a [`OneTimeInterrupt`]: its channel's port is closed at once and
//!   the interrupts waiting in it are dropped; the session and its other channels go on. The
//!   emitting side cannot tell (ports report no close): its emits go nowhere.
//! - An [`InterruptSender`]: its port is closed; the receiving side hears nothing more on that
//!   channel, and the session goes on.
//! - A [`Closer`] or a [`Messenger::closed`] future: nothing.
//!
//! So a send may be raced against a timer of the application's own; losing the race gives up
//! waiting, not the session:
//!
//! ```no_run
//! use futures::{select, FutureExt};
//! use gloo_timers::future::TimeoutFuture;
//! use messenger::Messenger;
//!
//! /// The peer's answer, or `None` after two seconds.
//! async fn ask(messenger: &Messenger<String, String>) -> Result<Option<String>, messenger::Error> {
//!     let reply = messenger.send("are you still there?".to_owned()).fuse();
//!     let timer = TimeoutFuture::new(2_000).fuse();
//!     futures::pin_mut!(reply, timer);
//!     select! {
//!         reply = reply => Ok(Some(reply?.message)),
//!         // The message went out; its answer is dropped when it comes, and the session goes on.
//!         () = timer => Ok(None),
//!     }
//! }
//! ```
//!
//! To give up on the peer instead, set [`Config::reply_timeout`]: a missing reply then ends the
//! session.
//!
//! # Bytes
//!
//! Bytes cross as transferred buffers, not as JSON text: a field with
//! `#[serde(with = "serde_bytes")]` is copied once out of wasm memory and its buffer is moved to
//! the peer; a [`JsBytes`] is a `Uint8Array` that stays in JavaScript and is moved without any
//! copy, for data the application hands to a browser API (a `Blob`, an image, a canvas) rather
//! than reads in Rust. A sent buffer is detached: the sending side's [`JsBytes`] is empty after
//! the post. Received bytes are judged against [`Limits::max_binary_bytes`] from their length
//! before a byte is read ([`Error::BinaryTooLarge`], [`Error::BadBinary`]).
//!
//! ```no_run
//! use messenger::JsBytes;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Export {
//!     name: String,
//!     png: JsBytes, // moved, never copied into wasm
//!     #[serde(with = "serde_bytes")]
//!     thumbnail: Vec<u8>, // copied into wasm on arrival: Rust reads it
//! }
//!
//! # async fn export(messenger: messenger::Messenger<Export, ()>, canvas_png: js_sys::Uint8Array) -> Result<(), messenger::Error> {
//! let png = JsBytes::from_uint8_array(canvas_png);
//! messenger.send(Export { name: "sketch.png".into(), png, thumbnail: vec![0; 64] }).await?;
//! # Ok(()) }
//! ```
//!
//! A JavaScript peer may send a `Uint8Array`, an `ArrayBuffer` or an array of numbers where the
//! type wants bytes; one that did not announce `$binary` in its handshake (a peer written for
//! version 1) is sent arrays of numbers. The wire details are in `docs/PROTOCOL.md`.
//!
//! # Errors of your own
//!
//! [`Error`] lists what can go wrong with a messenger, a send or an interrupt channel, and
//! nothing else: a condition of the application ("this page is not in an iframe", "the user
//! closed the dialog") belongs in the application's own error type, with a variant that wraps
//! [`Error`]; [`Error::Unsupported`] means that a call of this crate was made where the browser
//! lacks what it needs.
//!
//! # What "secure" means here
//!
//! A connection between exactly two origins; exact origin matching plus `event.source` checks; no
//! global `message` listener after the handshake; ports private to the messenger; strict ordering
//! and turn-taking; typed decoding of everything that arrives. It does **not** encrypt, and it
//! cannot protect against script running on the same origin as either side: that script can do
//! anything the page can.
//!
//! # Architecture
//!
//! The protocol is a pure state machine (the hidden `protocol` module: no `web-sys`; time passed
//! in), tested natively by driving two cores against each other. The web layer only moves values
//! and ports between the browser and the core, and owns every listener, port and timer as an RAII
//! guard.
#![deny(missing_docs, missing_debug_implementations)]

mod error;
mod origin;
// The protocol core is public only so that the fuzz targets, the benchmark and the crate's own
// native tests can drive it; it is not part of the API and may change in any release. A hidden
// module rather than a crate of its own: a second crate would have to be published and versioned
// in step with this one, for users that are not applications.
#[doc(hidden)]
pub mod protocol;
mod web;

pub use crate::protocol::{
    Direction, HandshakeState, IgnoreReason, Instant, InterruptKind, Limits, MessageKind, Observation, PortId, Step,
    TargetId,
};
pub use error::{BinaryFault, CloseReason, Error, Overload, SendError, Stage, Violation};
pub use origin::{Origin, OriginError};
pub use web::*;

// The README's Rust blocks are compiled (and, where not `no_run`, run) as doc tests, so the front
// door cannot drift from the API. `cfg(doctest)`: nothing of it exists in a normal build.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// The same for the contexts guide, which holds the popup's two sides.
#[cfg(doctest)]
#[doc = include_str!("../../docs/CONTEXTS.md")]
struct ContextsDoctests;
