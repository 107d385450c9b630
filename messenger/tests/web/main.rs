//! The web layer in real browsers (Chromium, Firefox ESR, WebKitGTK through their WebDriver
//! servers): one module per concern, all in one test binary, so the shared helpers in
//! [`support`] compile once. wasm-bindgen-test runs the tests one at a time.
//!
//! `cargo test -p secure-messenger --target wasm32-unknown-unknown --test web` with the engine's driver
//! variable (`./test.sh web` does it for every engine); a filter after `--` runs one module, for
//! example `-- worker_scope`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod support;

/// Issue 24: bytes as transferred buffers.
mod binary;
/// The payload codec against the text-based codec it replaced, on generated values.
mod codec;
/// The messenger against a hand-written JavaScript worker, in both roles.
mod js_worker;
/// Issue 23, case 1: a page blocked past its timeouts while the answer was queued.
mod lifecycle_blocked;
/// Issue 23, case 4: futures and handles dropped mid-turn (cancel safety).
mod lifecycle_cancel;
/// Issue 23, case 8: the side that gives up tells the other (close notices).
mod lifecycle_close_notice;
/// Issue 23, cases 2 and 3: pagehide, the back/forward cache, iframes removed and moved.
mod lifecycle_frames;
/// Issue 23, case 7: several remotes of one origin at once, each session routed to its own.
mod lifecycle_routing;
/// Issue 23, case 6: start order and slow starts: a reconnector made before, during and after its iframe's load.
mod lifecycle_start;
/// Issue 23, case 5: a peer of another wire version.
mod lifecycle_version;
/// No listener outlives its purpose.
mod listeners;
/// Malformed and oversized input: one typed error per input, in every engine.
mod malformed;
/// Who may knock: origins, sources and trust across a real origin boundary.
mod origin;
/// A knocker and a listener in the same page: handshake, turns, interrupts, close.
mod session;
/// A session with a window kept across its reloads and ended when it closes.
mod window_keeping;
/// Rust inside a dedicated worker, on either end.
mod worker_scope;
