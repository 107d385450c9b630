//! A counter of live event listeners, for tests that prove no listener outlives its purpose.
//!
//! `EventTarget.prototype.addEventListener` and `removeEventListener` of the realm it runs in are
//! wrapped, so it counts in a page and, just the same, inside a dedicated worker (where the
//! "global" target is the worker's scope, not a window). Tests run one at a time, and each
//! compares with a baseline it took itself ([`live`]).

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn install_listener_counter();
    fn live_listeners(kind: &str) -> u32;
}

/// Live listeners by kind of target, in this realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listeners {
    /// On the global object: the page's window, or the worker's own scope (the page
    /// lifecycle's listeners apart, below).
    pub global: u32,
    /// `pagehide` and `pageshow` on the global object: one `pagehide` per open window session,
    /// a `pageshow` per keeper.
    pub lifecycle: u32,
    /// On `Worker` objects (the page's handles of its workers).
    pub workers: u32,
    /// On `MessagePort`s.
    pub ports: u32,
}

/// The live listeners now. The first call installs the counter: listeners added before it are
/// not seen, so take a baseline with this before the code under test starts.
pub fn live() -> Listeners {
    install_listener_counter();
    Listeners {
        global: live_listeners("global"),
        lifecycle: live_listeners("lifecycle"),
        workers: live_listeners("Worker"),
        ports: live_listeners("MessagePort"),
    }
}
