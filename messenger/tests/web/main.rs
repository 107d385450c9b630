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

/// The payload codec against the text-based codec it replaced, on generated values.
mod codec;
/// The messenger against a hand-written JavaScript worker, in both roles.
mod js_worker;
/// Page lifecycles around iframes: pagehide, removal, moves, the back/forward cache.
mod lifecycle_frames;
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
