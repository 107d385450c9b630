//! A counter of live event listeners, for tests that prove no listener outlives its purpose.
//!
//! `EventTarget.prototype.addEventListener` and `removeEventListener` of the realm it runs in are
//! wrapped, so it counts in a page and, just the same, inside a dedicated worker (where the
//! "global" target is the worker's scope, not a window). Tests run one at a time, and each
//! compares with a baseline it took itself ([`live`]).

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const live = [];
let installed = false;
const capture = (options) => (typeof options === 'boolean' ? options : !!(options && options.capture));
const find = (target, type, listener, capture) =>
  live.findIndex((e) => e.target === target && e.type === type && e.listener === listener && e.capture === capture);

export function install_listener_counter() {
  if (installed) return;
  installed = true;
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  proto.addEventListener = function (type, listener, options) {
    const c = capture(options);
    // `once` listeners remove themselves; the messenger uses none, so they are not counted.
    const once = typeof options === 'object' && options !== null && options.once;
    if (listener && !once && find(this, type, listener, c) < 0) live.push({ target: this, type, listener, capture: c });
    return add.call(this, type, listener, options);
  };
  proto.removeEventListener = function (type, listener, options) {
    const i = find(this, type, listener, capture(options));
    if (i >= 0) live.splice(i, 1);
    return remove.call(this, type, listener, options);
  };
}

// Live listeners on this realm's global object (a page's window, a worker's scope), on
// ports, on Worker objects.
export function live_listeners(kind) {
  return live.filter((e) => {
    switch (kind) {
      case 'global': return e.target === globalThis;
      case 'MessagePort': return e.target instanceof MessagePort;
      case 'Worker': return typeof Worker === 'function' && e.target instanceof Worker;
      default: throw new Error('no kind ' + kind);
    }
  }).length;
}
"#)]
extern "C" {
    fn install_listener_counter();
    fn live_listeners(kind: &str) -> u32;
}

/// Live listeners by kind of target, in this realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listeners {
    /// On the global object: the page's window, or the worker's own scope.
    pub global: u32,
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
        workers: live_listeners("Worker"),
        ports: live_listeners("MessagePort"),
    }
}
