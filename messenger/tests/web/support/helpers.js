// The browser tests' JavaScript helpers, one module for the whole test binary.
//
// They are one file, not an `inline_js` snippet per Rust module, so that a page (or worker) that
// loads the binary fetches one snippet, not five at once: wasm-bindgen-test-runner's server
// (tiny_http 0.12) can leave one of several connections opened in the same instant unanswered
// while the others are kept alive, which stalled the page's load in Chromium until test.sh's
// deadline (reproduced with five simultaneous keep-alive connections to the runner's server).

// ----------------------------------------------------------------------------------------------
// Pages, wire objects, posting and values that JSON cannot express (support/mod.rs)

export function page_origin() { return location.origin; }

// A wire object from JSON text: the string "@0", "@1", ... becomes ports[i], "@payload" becomes
// `payload` (a value JSON cannot express: cycles, undefined, very deep nesting).
export function wire(json, ports, payload) {
  const revive = (v) => {
    if (typeof v === 'string') {
      if (v === '@payload') return payload;
      if (/^@\d+$/.test(v)) return ports[Number(v.slice(1))];
      return v;
    }
    if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) v[k] = revive(v[k]);
    }
    return v;
  };
  return revive(JSON.parse(json));
}

export function post_port(port, value, transfer) { port.postMessage(value, transfer); }
export function post_window(win, value, origin, transfer) { win.postMessage(value, origin, transfer); }

// A synthetic (isTrusted == false) message event carrying `value` and `ports`, as injected
// script could dispatch it.
export function dispatch_synthetic(win, value, origin, ports) {
  win.dispatchEvent(new MessageEvent('message', { data: value, origin, source: win, ports }));
}

export function deep_array(levels) { let v = 0; for (let i = 0; i < levels; i++) v = [v]; return v; }
// The deepest array nesting (up to `max`) this browser's structured clone can post.
export function deepest_postable(max) {
  const fits = (n) => {
    const ch = new MessageChannel();
    try { ch.port1.postMessage(deep_array(n)); return true; } catch (e) { return false; } finally { ch.port1.close(); ch.port2.close(); }
  };
  if (fits(max)) return max;
  let lo = 1, hi = max; // fits(lo), !fits(hi)
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (fits(mid)) lo = mid; else hi = mid; }
  // Margin: the wire object adds a level, and the stack is not always as shallow as here.
  return Math.floor(lo * 0.7);
}
export function cyclic_object() { const o = { name: 'loop' }; o.self = o; o.list = [o]; return o; }
// A value JavaScript builds by name, for the table of bad payloads.
export function js_value(name) {
  switch (name) {
    case 'sparse 2^24': { const a = []; a.length = 2 ** 24; return a; }
    case 'sparse 2^26': { const a = []; a.length = 2 ** 26; return a; }
    case 'string 4 MiB': return 'x'.repeat(4 * 1024 * 1024);
    case 'string 50 MB': return 'x'.repeat(50000000);
    case 'zeros 10,000': return new Array(10000).fill(0);
    case 'newlines 40': return '\n'.repeat(40);
    case 'undefined': return undefined;
    case 'bigint': return 5n;
    case 'map': return new Map([['a', 1]]);
    case 'date': return new Date(0);
    case 'uint8array': return new Uint8Array(1 << 20);
    case 'boxed string': return new String('x');
    case 'nested map': return { ok: [1, { inner: new Map() }] };
    case 'shared subtree': { let v = [0]; for (let i = 0; i < 30; i++) v = [v, v]; return v; }
    case 'wide object': { const o = {}; for (let i = 0; i < 100000; i++) o['k' + i] = i; return o; }
    default: throw new Error('no value named ' + name);
  }
}
export function json_text(value) { return JSON.stringify(value); }
// Posts `count` interrupts 0, 1, 2, ... on `port` at once.
export function flood(port, count) { for (let i = 0; i < count; i++) port.postMessage(i); }
// The bytes of this module's wasm memory (it never shrinks: what a copy grew stays).
export function wasm_memory_bytes(memory) { return memory.buffer.byteLength; }
// Counts calls of setTimeout from now on (the page's timers, the messenger's included).
let timers_set = null;
export function count_timers() {
  if (timers_set === null) {
    timers_set = 0;
    const original = globalThis.setTimeout;
    globalThis.setTimeout = function (...args) { timers_set += 1; return original.apply(this, args); };
  }
  const start = timers_set;
  return () => timers_set - start;
}

// Collects the messages arriving on a port, a window or a worker, in order.
export class Inbox {
  constructor(target, only_type) {
    this.target = target;
    this.items = [];
    this.waiters = [];
    this.handler = (e) => {
      if (only_type !== undefined && !(e.data && e.data.$type === only_type)) return;
      const item = { data: e.data, ports: Array.from(e.ports || []), origin: e.origin, trusted: e.isTrusted };
      const waiter = this.waiters.shift();
      if (waiter) waiter(item); else this.items.push(item);
    };
    if (target instanceof MessagePort) target.onmessage = this.handler;
    else target.addEventListener('message', this.handler);
  }
  // Resolves with the next unread {data, ports, origin, trusted}.
  next() {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  unread() { return this.items.length; }
  close() {
    if (this.target instanceof MessagePort) { this.target.onmessage = null; this.target.close(); }
    else this.target.removeEventListener('message', this.handler);
  }
}

// ----------------------------------------------------------------------------------------------
// Classic workers from source text (support/mod.rs)

export function spawn_worker(source) {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return worker;
}

// ----------------------------------------------------------------------------------------------
// Counting live event listeners (support/listeners.rs)

const live = [];
const added = {};
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
    added[type] = (added[type] || 0) + 1;
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

// The page lifecycle's events: each window session's `pagehide` guard, the keepers' `pageshow`.
const LIFECYCLE = ['pagehide', 'pageshow'];

// Live listeners on this realm's global object (a page's window, a worker's scope; the page
// lifecycle's listeners apart), on ports, on Worker objects.
export function live_listeners(kind) {
  return live.filter((e) => {
    switch (kind) {
      case 'global': return e.target === globalThis && !LIFECYCLE.includes(e.type);
      case 'lifecycle': return e.target === globalThis && LIFECYCLE.includes(e.type);
      case 'MessagePort': return e.target instanceof MessagePort;
      case 'Worker': return typeof Worker === 'function' && e.target instanceof Worker;
      default: throw new Error('no kind ' + kind);
    }
  }).length;
}

// ----------------------------------------------------------------------------------------------
// Generated values for the codec's model test (codec.rs)

// A JSON-ish value from a seed: mostly what JSON has, with what structured clone adds (holes,
// undefined, non-finite numbers, lone surrogates, Maps, BigInts, shared subtrees and cycles).
export function random_value(seed, budget) {
  let s = (seed >>> 0) || 1;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const strings = ['', 'a', 'x'.repeat(25), '\n\t"\\/', '\u0001\u001f\u007f', 'é€😀', '\u2028', '\ud800',
    'a\udc00b', '\ufffd', '\ufffd\ud800x', '😀'.slice(0, 1), 'id', 'name', 'Unit', 'Newtype', 'Tuple',
    'Struct', '__proto__', '1', '10', '-0', '1.5e3', 'true', '01', '\n'.repeat(12)];
  const numbers = [0, -0, 1, -1, 1.5, -2.25, 0.1, 255, 256, 65536, 4294967296, 2 ** 53 - 1, 2 ** 53,
    2 ** 53 + 2, -(2 ** 53), 2 ** 60, -(2 ** 63), 2 ** 63, 2 ** 64, -(2 ** 64), 1e21, 1e300, 5e-324,
    -1e-7, NaN, Infinity, -Infinity, 123456789.125, 1 / 3];
  const made = [];
  let nodes = 0;
  const scalar = () => {
    const t = rnd();
    if (t < 0.3) return pick(strings);
    if (t < 0.6) return pick(numbers);
    if (t < 0.68) return null;
    if (t < 0.76) return rnd() < 0.5;
    if (t < 0.82) return undefined;
    if (t < 0.84) return pick([5n, new Map(), new Date(0), new String('s'), () => 1, Symbol('s')]);
    // Binary data: bytes (a whole Uint8Array, an ArrayBuffer) and what is refused as bytes.
    if (t < 0.87) return pick([new Uint8Array(2), new Uint8Array(0), new ArrayBuffer(3), new Int16Array(1),
      new DataView(new ArrayBuffer(1)), new Uint8Array(new ArrayBuffer(4), 1, 2)]);
    if (t < 0.9 && made.length) return pick(made);
    return pick(strings);
  };
  const gen = (depth) => {
    nodes += 1;
    const r = rnd();
    if (depth > 7 || nodes > budget || r < 0.4) return scalar();
    if (r < 0.7) {
      const a = [];
      made.push(a);
      const n = Math.floor(rnd() * 5);
      for (let i = 0; i < n; i++) a.push(gen(depth + 1));
      if (rnd() < 0.1) a.length += 2;
      return a;
    }
    const o = rnd() < 0.05 ? Object.create(null) : {};
    made.push(o);
    const n = Math.floor(rnd() * 5);
    for (let i = 0; i < n; i++) {
      const key = pick(strings);
      // Own enumerable data properties, as structured clone makes them (`__proto__` included).
      Object.defineProperty(o, key, { value: gen(depth + 1), enumerable: rnd() < 0.95, writable: true, configurable: true });
    }
    if (rnd() < 0.05) o[Symbol('hidden')] = 1;
    return o;
  };
  return gen(0);
}
export function parse(text) { return JSON.parse(text); }
export function stringify(value) { return JSON.stringify(value); }
// JSON.stringify's text with bytes (a Uint8Array or an ArrayBuffer) written `[]`, as the decoder
// counts them (the codec's model).
export function stringify_bytes_as_empty(value) {
  return JSON.stringify(value, (key, v) => (v instanceof Uint8Array || v instanceof ArrayBuffer ? [] : v));
}
// JSON.stringify's text with a Uint8Array written as its array of numbers, as serde_json writes
// bytes (the codec's model of the encoder).
export function stringify_bytes_as_numbers(value) {
  return JSON.stringify(value, (key, v) => (v instanceof Uint8Array ? Array.from(v) : v));
}
export function same_value(a, b) { return Object.is(a, b); }
export function own_keys(value) { return Reflect.ownKeys(value); }
export function prototype_is_object(value) { return Object.getPrototypeOf(value) === Object.prototype; }
export function lone_surrogate_string() { return 'ab\ud800\n'; }

// ----------------------------------------------------------------------------------------------
// Module workers that run this test binary (worker_scope.rs)

// Starts a module worker that runs this test binary: it imports the binary's wasm-bindgen module
// from `glue`, instantiates `module` (the compiled binary) and runs `worker_scope_main`. The
// worker's first message hands it all that; `control` is the worker's end of the control
// channel, `reports` the page's, where a failure to load or to run is reported too.
export function spawn_rust_worker(glue, module, control, reports, role, origin) {
  const source = `import init, { worker_scope_main } from ${JSON.stringify(glue)};
addEventListener('message', async ({ data: { module, control, role, origin } }) => {
  try {
    await init({ module_or_path: module });
    await worker_scope_main(control, role, origin);
  } catch (error) {
    control.postMessage(JSON.stringify({ Failed: String(error) }));
  }
}, { once: true });`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module' });
  URL.revokeObjectURL(url);
  worker.onerror = (event) =>
    reports.dispatchEvent(new MessageEvent('message', { data: JSON.stringify({ Failed: 'worker error: ' + event.message }) }));
  worker.postMessage({ module, control, role, origin }, [control]);
  return worker;
}

// ----------------------------------------------------------------------------------------------
// Page lifecycles (lifecycle_*.rs)

// Blocks this thread for `ms` milliseconds, as a long synchronous task would: no event, timer
// or message runs meanwhile; what arrives waits in the queues.
export function busy_wait(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* blocked */ }
}
// `performance.now()`.
export function now_ms() { return performance.now(); }

// Pages in iframes that run this test binary, and page lifecycle events (lifecycle_frames.rs)

// Loads this test binary into `iframe` as a same-origin `srcdoc` page (a real page with its own
// window and lifecycle: it can be navigated away, moved, removed) that runs `frame_page_main`.
// The page takes what it needs from its iframe element (same origin: `frameElement`), so the
// compiled `module` is neither fetched nor compiled again; every load of the iframe (a move
// reloads it) runs the program afresh with the same `control` port (the page's end of it is
// `reports`, where a failure to start is reported too).
export function load_rust_frame(iframe, glue, module, control, role, origin) {
  iframe.__rustFrame = { module, control, role, origin };
  iframe.srcdoc = `<!doctype html><meta charset="utf-8"><script type="module">
import init, { frame_page_main } from ${JSON.stringify(glue)};
const { module: theirs, control, role, origin } = window.frameElement.__rustFrame;
try {
  // A copy of the compiled module in this page's own realm (structured clone through a channel
  // of this page's), so that the instance holds nothing of the parent's realm.
  const module = await new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port2.onmessage = (e) => { ch.port1.close(); ch.port2.close(); resolve(e.data); };
    ch.port1.postMessage(theirs);
  });
  await init({ module_or_path: module });
  await frame_page_main(control, role, origin);
} catch (error) {
  control.postMessage(JSON.stringify({ Failed: 'frame: ' + String(error) }));
}
</scr` + `ipt>`;
}

// Dispatches a script-made `pagehide` or `pageshow` on `win` (of that window's own realm), as
// the browser would around the back/forward cache.
export function dispatch_page_transition(win, type, persisted) {
  win.dispatchEvent(new win.PageTransitionEvent(type, { persisted }));
}

// How many times `addEventListener(type, ...)` was called in this realm since the counter was
// installed (the live count above cannot tell a listener kept from one added per message).
export function added_listeners(type) { return added[type] || 0; }

// ----------------------------------------------------------------------------------------------
// Binary payloads (binary.rs)

// Byte i of every test pattern: (i * 31 + seed) & 255, so a shifted, truncated or reordered copy
// shows (binary.rs's `pattern` is the same).
export function pattern_bytes(n, seed) {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 31 + seed) & 255;
  return a;
}
// Transfers `buffer` away through a throwaway channel: it is detached here afterwards.
function detach(buffer) {
  const ch = new MessageChannel();
  ch.port1.postMessage(null, [buffer]);
  ch.port1.close(); ch.port2.close();
}
// A binary value built in JavaScript by name, of `n` bytes (pattern seed 7 where it has bytes).
export function binary_value(name, n) {
  switch (name) {
    case 'Uint8Array': return pattern_bytes(n, 7);
    case 'ArrayBuffer': return pattern_bytes(n, 7).buffer;
    case 'array of numbers': return Array.from(pattern_bytes(n, 7));
    // Lazily zeroed by the engine: a large one costs no memory until it is read.
    case 'zeroed ArrayBuffer': return new ArrayBuffer(n);
    case 'Uint8Array at an offset': return new Uint8Array(new ArrayBuffer(n + 1), 1);
    case 'Uint8Array over a prefix': return new Uint8Array(new ArrayBuffer(n + 1), 0, n);
    case 'Int16Array': return new Int16Array(n);
    case 'Uint8ClampedArray': return new Uint8ClampedArray(n);
    case 'DataView': return new DataView(new ArrayBuffer(n));
    case 'Float64Array': return new Float64Array(n);
    case 'detached ArrayBuffer': { const b = new ArrayBuffer(n); detach(b); return b; }
    case 'Uint8Array over a detached buffer': { const a = new Uint8Array(n); detach(a.buffer); return a; }
    // Not a buffer: an object that only names itself one (Object.prototype.toString says so).
    case 'object tagged SharedArrayBuffer': {
      class Tagged { get [Symbol.toStringTag]() { return 'SharedArrayBuffer'; } }
      return new Tagged();
    }
    default: throw new Error('no binary value named ' + name);
  }
}
// A SharedArrayBuffer of `n` bytes made `how` ('constructor' or 'wasm memory', one 64 KiB page),
// or the error's name where the page cannot make one.
export function make_shared(how, n) {
  try {
    if (how === 'constructor') return new SharedArrayBuffer(n);
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer;
  } catch (error) {
    return String(error && error.name);
  }
}
export function cross_origin_isolated() { return globalThis.crossOriginIsolated === true; }
export function names_shared_array_buffer() { return typeof SharedArrayBuffer === 'function'; }
// `postMessage(value)` on a throwaway channel: '' when it posts, else the thrown error's name.
export function post_error(value) {
  const ch = new MessageChannel();
  try { ch.port1.postMessage(value); return ''; } catch (error) { return String(error && error.name); }
  finally { ch.port1.close(); ch.port2.close(); }
}
// Posts `value` on `port`, transferring `transfer` (ports and buffers alike).
export function post_transferring(port, value, transfer) { port.postMessage(value, transfer); }
export function is_uint8_array(value) { return value instanceof Uint8Array; }
// `value.buffer.byteLength` of a view, `value.byteLength` of a buffer.
export function buffer_length(value) { return (value.buffer || value).byteLength; }
// Whether `a[i]` is byte i of pattern `seed` for every i, and `a` has `n` of them (an array of
// numbers or a typed array alike): a content check done in JavaScript, copying nothing into wasm.
export function holds_pattern(a, n, seed) {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== ((i * 31 + seed) & 255)) return false;
  return true;
}
// Which engine runs the page: 'webkit' (WebKitGTK), 'firefox' or 'chromium', from its user agent.
export function engine_name() {
  const agent = navigator.userAgent;
  if (/Firefox\//.test(agent)) return 'firefox';
  if (/Chrom(e|ium)\//.test(agent)) return 'chromium';
  return 'webkit';
}
