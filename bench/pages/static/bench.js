// The benchmark's two pages: `bench.html?role=host` measures, `bench.html?role=remote` (the
// cross-site iframe) answers. See BENCHMARKS.md for what is measured and how.
//
// Variants, all request -> reply with the same objects ({ message: { Echo: { seq, data } } } ->
// { message: { Echoed: { seq, data } } }), each reply awaited before the next request:
//   raw        one reused MessagePort, hand-written JS: the floor of any port-based messenger;
//   fresh      hand-written JS with the messenger's rhythm: every message carries a brand-new
//              port for its reply ($responsePort) and used ports are closed: the floor of the design;
//   wasm-fresh the same rhythm and calls written in Rust with web-sys (src/wasm_fresh.rs), no
//              protocol or serde: the floor of the design for a messenger in wasm;
//   wasm-typed wasm-fresh plus typed payloads (src/wasm_typed.rs): each payload decoded with the
//              messenger's own limits and encoded again, no protocol: the floor for a messenger
//              in wasm whose application speaks Rust types;
//   messenger  the Rust/wasm messenger, knocker (this page) -> listener (the iframe), after a
//              real handshake;
//   penpal     Penpal 7 (penpal-bench.js, in an iframe of its own, penpal.html, on the same
//              remote site): `await remote.echo({ Echo: { seq, data } })` -> { Echoed: { seq, data } }.
import init, { connect, listenAndEcho, serveWasmFresh, serveWasmTyped, WasmFresh, WasmTyped } from "./pkg/bench_pages.js";
import { penpalBenchIframe, penpalHandshake, runPenpal } from "./penpal-bench.js";

const params = new URLSearchParams(location.search);
const statusLine = document.getElementById("status");

function show(text) {
  statusLine.textContent = text;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Needs Chromium's --js-flags=--expose-gc. A few passes with turns of the event loop in between,
// so that objects freed by finalisers (closed ports, dropped closures) go too.
async function collectGarbage() {
  if (typeof gc !== "function") throw new Error("gc() is not exposed: start Chromium with --js-flags=--expose-gc");
  for (let pass = 0; pass < 4; pass += 1) {
    gc();
    await sleep(20);
  }
}

// This page's memory and bookkeeping, after a forced GC.
async function snapshot(wasm) {
  await collectGarbage();
  return {
    jsHeapBytes: performance.memory.usedJSHeapSize,
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
    ...window.benchCounts(),
  };
}

// The echo both JavaScript variants answer with (the messenger's listener does the same in Rust).
function echo(message) {
  const request = message && message.Echo;
  return request ? { Echoed: { seq: request.seq, data: request.data } } : { Error: "not an Echo request" };
}

// ---------------------------------------------------------------------------------------------
// The iframe.

async function remote() {
  const hostOrigin = params.get("host");
  let wasm = null;
  const wasmServers = []; // keep the wasm-fresh and wasm-typed handlers for the page's lifetime

  // The host hands over the ports of the JavaScript variants and of the control channel with
  // window messages, after the messenger's handshake (the messenger's listener, while it
  // listens, closes the ports of every window message that is not a knock).
  window.addEventListener("message", (event) => {
    if (event.origin !== hostOrigin || event.source !== window.parent) return;
    const kind = event.data && event.data.benchSetup;
    const port = event.ports[0];
    if (!port) return;
    if (kind === "raw") serveRaw(port);
    else if (kind === "fresh") serveFresh(port);
    else if (kind === "wasm-fresh") wasmServers.push(serveWasmFresh(port));
    else if (kind === "wasm-typed") wasmServers.push(serveWasmTyped(port));
    else if (kind === "control") serveControl(port);
  });

  function serveRaw(port) {
    port.onmessage = (event) => {
      port.postMessage({ message: echo(event.data.message) });
    };
  }

  // The messenger's rhythm in plain JavaScript: listen on a fresh channel's first port, send
  // its second port along as $responsePort, and close every port once used.
  function serveFresh(setupPort) {
    const listenOnFresh = () => {
      const channel = new MessageChannel();
      const own = channel.port1;
      own.onmessage = (event) => {
        own.close();
        const { message, $responsePort: via } = event.data;
        const next = listenOnFresh();
        via.postMessage({ message: echo(message), $responsePort: next }, [next]);
        via.close();
      };
      return channel.port2;
    };
    const next = listenOnFresh();
    setupPort.postMessage({ message: "ready", $responsePort: next }, [next]);
    setupPort.close();
  }

  function serveControl(port) {
    port.onmessage = async (event) => {
      if (event.data && event.data.op === "snapshot") {
        port.postMessage(await snapshot(wasm));
      }
    };
  }

  wasm = await init();
  show("listening");
  try {
    await listenAndEcho(hostOrigin);
  } catch (error) {
    show(`messenger ended: ${error}`);
    console.error("bench listener ended:", error);
  }
}

// ---------------------------------------------------------------------------------------------
// The host.

// Deterministic ASCII text of `length` characters, built as one flat string.
function text(length) {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from({ length }, (_, i) => alphabet[(i * 7 + 3) % alphabet.length]).join("");
}

function isEcho(reply, seq, data) {
  return !!reply && !!reply.Echoed && reply.Echoed.seq === seq && reply.Echoed.data === data;
}

function wrongReply(variant, seq, reply, data) {
  const got = reply && reply.Echoed
    ? `Echoed { seq: ${reply.Echoed.seq}, data: ${String(reply.Echoed.data).length} chars }`
    : JSON.stringify(reply).slice(0, 200);
  return new Error(`${variant}: round trip ${seq}: wrong reply ${got}, expected Echoed { seq: ${seq}, data: ${data.length} chars }`);
}

// `count` round trips on one reused port.
function runRaw(port, count, data, firstSeq) {
  return new Promise((resolve, reject) => {
    let seq = firstSeq;
    const end = firstSeq + count;
    port.onmessage = (event) => {
      const reply = event.data.message;
      if (!isEcho(reply, seq, data)) return reject(wrongReply("raw", seq, reply, data));
      seq += 1;
      if (seq === end) return resolve();
      port.postMessage({ message: { Echo: { seq, data } } });
    };
    port.postMessage({ message: { Echo: { seq, data } } });
  });
}

// `count` round trips, each on the port the previous reply brought, each carrying a new port
// for its reply; `session.via` is the port to speak on next.
function runFresh(session, count, data, firstSeq) {
  return new Promise((resolve, reject) => {
    let seq = firstSeq;
    const end = firstSeq + count;
    const send = () => {
      const channel = new MessageChannel();
      const own = channel.port1;
      own.onmessage = (event) => {
        own.close();
        const { message: reply, $responsePort: next } = event.data;
        session.via = next;
        if (!isEcho(reply, seq, data)) return reject(wrongReply("fresh", seq, reply, data));
        seq += 1;
        if (seq === end) return resolve();
        send();
      };
      session.via.postMessage({ message: { Echo: { seq, data } }, $responsePort: channel.port2 }, [channel.port2]);
      session.via.close();
    };
    send();
  });
}

function request(port, message) {
  return new Promise((resolve) => {
    port.onmessage = (event) => resolve(event.data);
    port.postMessage(message);
  });
}

function rotate(list, by) {
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function host() {
  const remoteOrigin = params.get("remote");
  const number = (name, fallback) => {
    const value = params.get(name);
    return value === null ? fallback : Number(value);
  };
  const config = {
    rounds: number("rounds", 12),
    warmupRounds: number("warmup", 2),
    handshakes: number("handshakes", 5),
    sizes: [
      { name: "small", bytes: number("small", 16), chunk: number("chunk_small", 300) },
      { name: "1KB", bytes: 1024, chunk: number("chunk_1k", 300) },
      { name: "64KB", bytes: 65536, chunk: number("chunk_64k", 60) },
    ],
    memoryCheckpoints: (params.get("memory") || "100000,200000").split(",").map(Number),
    memoryChunk: number("memory_chunk", 2000),
  };
  // `sizes=small,1KB`: time only these payloads (bench-runner --payloads, for digging).
  const onlySizes = params.get("sizes");
  if (onlySizes) config.sizes = config.sizes.filter((size) => onlySizes.split(",").includes(size.name));
  const state = window.benchState;
  const progress = (phase, detail) => {
    state.phase = phase;
    state.progress = detail;
    show(`${phase}: ${detail}`);
  };
  const wasm = await init();
  const remotePage = `${remoteOrigin}/bench.html?role=remote&host=${encodeURIComponent(location.origin)}`;
  const penpalPage = `${remoteOrigin}/penpal.html?host=${encodeURIComponent(location.origin)}`;

  // Handshakes, Penpal's and the messenger's in turn, each in a new iframe while no other
  // iframe of the remote site exists (so each starts its own renderer process):
  // * Penpal: iframe inserted -> connection.promise resolved -> first echo call returned; the
  //   iframe is removed again;
  // * messenger: iframe inserted -> Reconnector knocks on its load -> first message received.
  //   Each but the last iframe is closed and removed again; the last one is benchmarked.
  const handshakes = [];
  const penpalHandshakes = [];
  let knocker = null;
  let iframe = null;
  for (let i = 0; i < config.handshakes; i += 1) {
    progress("handshake", `${i + 1}/${config.handshakes}`);
    if (knocker) {
      knocker.free();
      iframe.remove();
      await sleep(100);
    }
    penpalHandshakes.push(await penpalHandshake(penpalPage, remoteOrigin));
    await sleep(100);
    let loadedAt = NaN;
    const onLoad = () => { loadedAt = performance.now(); };
    const started = performance.now();
    iframe = document.createElement("iframe");
    iframe.title = "benchmark listener";
    iframe.addEventListener("load", onLoad);
    iframe.src = remotePage;
    document.body.append(iframe);
    knocker = await connect(iframe, remoteOrigin);
    const connected = performance.now();
    iframe.removeEventListener("load", onLoad);
    handshakes.push({ ms: connected - started, loadMs: loadedAt - started, knocks: knocker.knocks });
  }

  // The JavaScript variants' ports and the control channel, handed over after the handshake.
  const setUp = (kind) => {
    const channel = new MessageChannel();
    iframe.contentWindow.postMessage({ benchSetup: kind }, remoteOrigin, [channel.port2]);
    return channel.port1;
  };
  // A fresh-port variant's iframe side answers its setup port with { message: "ready",
  // $responsePort }: the port to speak on first.
  const firstPort = async (kind) => {
    const setup = setUp(kind);
    const ready = await new Promise((resolve) => { setup.onmessage = (event) => resolve(event.data); });
    setup.close();
    return ready.$responsePort;
  };
  const control = setUp("control");
  const rawPort = setUp("raw");
  const fresh = { via: await firstPort("fresh") };
  const wasmFresh = new WasmFresh(await firstPort("wasm-fresh"));
  const wasmTyped = new WasmTyped(await firstPort("wasm-typed"));
  // Penpal's own iframe for the timed rounds (same remote site, so the same renderer process as
  // the messenger's iframe); it stays, connected, until the end.
  const penpal = await penpalBenchIframe(penpalPage, remoteOrigin);

  const snapshotBoth = async (label, roundTrips) => {
    const remoteSide = await request(control, { op: "snapshot" });
    const hostSide = await snapshot(wasm);
    return { label, roundTrips, host: hostSide, remote: remoteSide, messengerOpenPorts: knocker.openPorts };
  };
  const afterHandshake = await snapshotBoth("after the handshake", 0);

  // Timed rounds: every variant and size once per round for one chunk of round trips, in an
  // order rotated from round to round; the first rounds only warm up.
  let seq = 1;
  const data = Object.fromEntries(config.sizes.map((size) => [size.name, text(size.bytes)]));
  const variants = ["raw", "fresh", "wasm-fresh", "wasm-typed", "messenger", "penpal"];
  const run = (variant, count, payload) => {
    const first = seq;
    seq += count;
    if (variant === "raw") return runRaw(rawPort, count, payload, first);
    if (variant === "fresh") return runFresh(fresh, count, payload, first);
    if (variant === "wasm-fresh") return wasmFresh.run(count, payload, first);
    if (variant === "wasm-typed") return wasmTyped.run(count, payload, first);
    if (variant === "penpal") return runPenpal(penpal.remote, count, payload, first);
    return knocker.run(count, payload, first);
  };
  const samples = {};
  for (const size of config.sizes) for (const variant of variants) samples[`${variant}/${size.name}`] = [];
  const totalRounds = config.warmupRounds + config.rounds;
  for (let round = 0; round < totalRounds; round += 1) {
    const warmup = round < config.warmupRounds;
    progress("timing", warmup ? `warm-up round ${round + 1}/${config.warmupRounds}` : `round ${round - config.warmupRounds + 1}/${config.rounds}`);
    for (const size of rotate(config.sizes, round)) {
      for (const variant of rotate(variants, round)) {
        const started = performance.now();
        await run(variant, size.chunk, data[size.name]);
        const microseconds = ((performance.now() - started) * 1000) / size.chunk;
        if (!warmup) samples[`${variant}/${size.name}`].push(microseconds);
      }
    }
  }

  // With a CPU profile being recorded (bench-runner --profile), wait until the runner has
  // stopped it, so that the profile holds the timed rounds and none of the memory phase's
  // messenger-only round trips (which would be counted for the messenger).
  if (params.get("profile")) {
    progress("profiled", "waiting for the runner to stop the profiler");
    while (!state.profilerStopped) await sleep(50);
  }

  // Memory: many messenger round trips, then a forced GC on both sides and a snapshot.
  const checkpoints = [afterHandshake, await snapshotBoth("after the timed rounds", 0)];
  let done = 0;
  for (const target of config.memoryCheckpoints) {
    while (done < target) {
      const count = Math.min(config.memoryChunk, target - done);
      await run("messenger", count, data.small);
      done += count;
      progress("memory", `${done}/${target} messenger round trips`);
    }
    checkpoints.push(await snapshotBoth(`after ${target} round trips`, target));
  }

  knocker.close();
  penpal.connection.destroy();
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    hostOrigin: location.origin,
    remoteOrigin,
    config,
    handshakes,
    penpalHandshakes,
    samples,
    checkpoints,
    quickMedians: Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)])),
  };
}

// ---------------------------------------------------------------------------------------------

window.benchState = { phase: "loading", progress: "", done: false, error: null, result: null };
const role = params.get("role");
if (role === "host") {
  host().then(
    (result) => {
      window.benchState.result = result;
      window.benchState.done = true;
      show("done");
    },
    (error) => {
      window.benchState.error = String(error && error.stack ? `${error}\n${error.stack}` : error);
      window.benchState.done = true;
      show(`failed: ${error}`);
    },
  );
} else if (role === "remote") {
  remote().catch((error) => show(`failed: ${error}`));
} else {
  show("open with ?role=host&remote=<origin of the iframe> (scripts/bench.sh does this)");
}
