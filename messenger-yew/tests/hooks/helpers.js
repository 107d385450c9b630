// The hook tests' JavaScript helpers (one module for the whole test binary, like the messenger's
// own browser tests: the runner's server is happiest with one snippet to fetch).

export function page_origin() { return location.origin; }

// A page for a same-origin `srcdoc` iframe: a listener written by hand in the version-1 wire
// format (the messenger's DESIGN.md §2). It answers the first knock from its parent, speaks first
// after the acknowledgement (the number 1), emits 7 on the interrupt port of the host's reply if
// one came along, and then keeps the host's next reply port without ever speaking again.
export const LISTENER_PAGE = `<!doctype html><script>
let answered = false;
addEventListener('message', (e) => {
  const d = e.data;
  if (answered || e.source !== parent || !d || d.$type !== '👋' || !(d.$responsePort instanceof MessagePort)) return;
  answered = true;
  const ack = new MessageChannel();
  ack.port1.onmessage = (e2) => {
    ack.port1.onmessage = null;
    ack.port1.close();
    const next = new MessageChannel();
    next.port1.onmessage = (e3) => {
      next.port1.onmessage = null;
      next.port1.close();
      const reply = e3.data;
      if (reply.$interruptPort) reply.$interruptPort.postMessage(7);
      window.kept = reply.$responsePort;
    };
    e2.data.$responsePort.postMessage({ message: 1, $responsePort: next.port2 }, [next.port2]);
  };
  d.$responsePort.postMessage({ $type: '🤝', $version: 1, $responsePort: ack.port2 }, [ack.port2]);
});
</script>`;
export function listener_page() { return LISTENER_PAGE; }

// Counting live event listeners: `EventTarget.prototype.addEventListener` and
// `removeEventListener` of this realm are wrapped (the same counter as messenger/tests/web/).
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
    // `once` listeners remove themselves; the hooks and the messenger use none.
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

// Live listeners in this realm: on the window (the page lifecycle's `pagehide` and `pageshow`
// apart: each window session's guard and the hooks' and keepers' `pageshow`), on ports, on iframe elements (the hook's and the
// reconnector's `load` listeners). Yew's own delegated listeners on the app's root are not counted.
const LIFECYCLE = ['pagehide', 'pageshow'];
export function live_listeners(kind) {
  return live.filter((e) => {
    switch (kind) {
      case 'window': return e.target === globalThis && !LIFECYCLE.includes(e.type);
      case 'lifecycle': return e.target === globalThis && LIFECYCLE.includes(e.type);
      case 'MessagePort': return e.target instanceof MessagePort;
      case 'HTMLIFrameElement': return e.target instanceof HTMLIFrameElement;
      default: throw new Error('no kind ' + kind);
    }
  }).length;
}

// Dispatches a script-made `pagehide` or `pageshow` on this window, as the browser would around
// the back/forward cache (the hook tests cannot put their own page in the cache).
export function dispatch_page_transition(type, persisted) {
  dispatchEvent(new PageTransitionEvent(type, { persisted }));
}

// A hand-written knocker on this window that announces close notices, takes the listener's
// first message, and on `leave()` posts the close notice a host's page sends on its `pagehide`
// (`$reason: "pagehide"`) on the channel the listener waits on. `state()` says how far it got.
export function js_knocker_that_leaves(origin) {
  const knock = new MessageChannel();
  const held = { acknowledged: null, reply: null, ports: [] };
  knock.port1.onmessage = (event) => {
    const data = event.data;
    if (!data || data.$type !== '🤝') return;
    knock.port1.close();
    const channel = new MessageChannel();
    held.acknowledged = channel.port1;
    channel.port1.onmessage = (first) => {
      held.reply = first.data.$responsePort;
      held.ports = first.ports;
    };
    data.$responsePort.postMessage({ $type: '👂', $raw: true, $responsePort: channel.port2 }, [channel.port2]);
    data.$responsePort.close();
  };
  window.postMessage({ $type: '👋', $version: 1, $closeNotice: true, $responsePort: knock.port2 }, origin, [knock.port2]);
  return {
    state() { return held.reply ? 'spoken to' : held.acknowledged ? 'acknowledged' : 'knocked'; },
    leave() {
      held.reply.postMessage({ $type: '🚪', $version: 1, $reason: 'pagehide' });
      for (const port of held.ports) port.close();
      held.acknowledged.close();
    },
  };
}
