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
//
// The binary series, bytes both ways ({ EchoBytes: { seq, data } } -> { EchoedBytes: { seq, data } }
// with `data` a Uint8Array over a whole ArrayBuffer, the same bytes echoed), after the text
// series, in rounds of its own:
//   transfer        fresh-port's rhythm with the request's and the reply's buffer in the post's
//                   transfer list: the transfer floor;
//   penpal          Penpal 7's `echoBytes`, the buffer transferred both ways (CallOptions and Reply
//                   with `transferables`);
//   messenger       the messenger with `JsBytes`: the bytes never enter wasm;
//   messenger-copy  the messenger with `serde_bytes::ByteBuf`: the application holds the bytes
//                   in wasm, so each side copies them in on receipt and out on sending.
// Each round trip's request bytes are new (`freshBytes`: a transferred buffer is gone from its
// sender) and made before its clock starts; the reply's bytes are checked after it stops.
import init, { connect, listenAndEcho, serveWasmFresh, serveWasmTyped, WasmFresh, WasmTyped } from "./pkg/bench_pages.js";
import { penpalBenchIframe, penpalHandshake, runPenpal, runPenpalBytes } from "./penpal-bench.js";

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

// The bytes of binary round trip `seq`: a Uint8Array over a new ArrayBuffer of `size` bytes (a
// multiple of 4) whose 32-bit word i is seq * 0x9E3779B1 + i (mod 2^32, little-endian, as
// bench/pages/src/binary.rs's `pattern`), so a reply with another round trip's bytes, or with
// bytes moved or cut, fails `bytesRight`.
function freshBytes(size, seq) {
  const words = new Uint32Array(size >>> 2);
  const base = Math.imul(seq, 0x9e3779b1);
  for (let i = 0; i < words.length; i += 1) words[i] = base + i;
  return new Uint8Array(words.buffer);
}

// Whether `array` is freshBytes(size, seq): a Uint8Array over the whole of its own buffer, every
// word right.
function bytesRight(array, size, seq) {
  if (!(array instanceof Uint8Array) || array.byteOffset !== 0 || array.byteLength !== size) return false;
  if (!(array.buffer instanceof ArrayBuffer) || array.buffer.byteLength !== size) return false;
  const words = new Uint32Array(array.buffer);
  const base = Math.imul(seq, 0x9e3779b1);
  for (let i = 0; i < words.length; i += 1) if (words[i] !== ((base + i) >>> 0)) return false;
  return true;
}

// The binary echo of the transfer variant: the request's bytes back, with what to transfer.
function echoBytes(message) {
  const request = message && message.EchoBytes;
  if (!request || !(request.data instanceof Uint8Array)) return { reply: { Error: "not an EchoBytes request" }, transfer: [] };
  const { seq, data } = request;
  return { reply: { EchoedBytes: { seq, data } }, transfer: [data.buffer] };
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
    else if (kind === "transfer") serveTransfer(port);
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

  // fresh-port's rhythm for the binary series: the request's buffer comes transferred, and goes
  // back transferred in the reply, beside the next port.
  // (Its functions have names of their own, for bench-runner --profile's `variant_of`.)
  function serveTransfer(setupPort) {
    const listenForTransfer = () => {
      const channel = new MessageChannel();
      const incoming = channel.port1;
      incoming.onmessage = (event) => {
        incoming.close();
        const { message, $responsePort: via } = event.data;
        const next = listenForTransfer();
        const { reply, transfer } = echoBytes(message);
        via.postMessage({ message: reply, $responsePort: next }, [next, ...transfer]);
        via.close();
      };
      return channel.port2;
    };
    const next = listenForTransfer();
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

// `count` binary round trips of `size` bytes with fresh-port's rhythm, each request's buffer
// transferred (and the reply's, by the iframe). The clock runs from just before the request's
// channel is made until its reply's `event.data` is read and the port it came on is closed;
// making the bytes before and checking the reply's after are outside it. Resolves with the
// round trips' time in milliseconds.
//
// With `split` (an object), it also adds up where the host's part of the time went: `postMs`, the
// request's postMessage call (Chromium copies the bytes into the message there), and `dataMs`,
// reading the reply's event.data (it makes the reply's buffer there); the rest of `totalMs` is
// the iframe's part, the passage between the processes and waiting.
async function runTransfer(session, count, size, firstSeq, split) {
  const end = firstSeq + count;
  let timed = 0;
  for (let seq = firstSeq; seq < end; seq += 1) {
    const data = freshBytes(size, seq);
    const started = performance.now();
    const { wire, posted, read, stopped } = await new Promise((resolve) => {
      const channel = new MessageChannel();
      const replyPort = channel.port1;
      let posted = 0;
      replyPort.onmessage = (event) => {
        const arrived = performance.now();
        const wire = event.data;
        const read = performance.now() - arrived;
        replyPort.close();
        resolve({ wire, posted, read, stopped: performance.now() });
      };
      const posting = performance.now();
      session.via.postMessage({ message: { EchoBytes: { seq, data } }, $responsePort: channel.port2 }, [channel.port2, data.buffer]);
      posted = performance.now() - posting;
      session.via.close();
    });
    timed += stopped - started;
    if (split) {
      split.roundTrips += 1;
      split.postMs += posted;
      split.dataMs += read;
      split.totalMs += stopped - started;
    }
    session.via = wire.$responsePort;
    const echoed = wire.message && wire.message.EchoedBytes;
    if (!echoed || echoed.seq !== seq || !bytesRight(echoed.data, size, seq)) {
      throw new Error(`transfer: binary round trip ${seq}: wrong reply ${describeBytes(wire.message)}, expected EchoedBytes { seq: ${seq}, data: the ${size} bytes sent }`);
    }
  }
  return timed;
}

function describeBytes(reply) {
  const echoed = reply && reply.EchoedBytes;
  if (!echoed) return JSON.stringify(reply).slice(0, 200);
  const data = echoed.data;
  return `EchoedBytes { seq: ${echoed.seq}, data: ${Object.prototype.toString.call(data)} of ${data && data.byteLength} bytes }`;
}

// The smallest step of performance.now() seen in `ms` milliseconds of calling it: this page's
// clock resolution (Chromium coarsens it where the page is not cross-origin isolated).
function clockStep(ms) {
  let step = Infinity;
  const until = performance.now() + ms;
  let last = performance.now();
  for (let now = last; now < until; now = performance.now()) {
    if (now > last) {
      step = Math.min(step, now - last);
      last = now;
    }
  }
  return step;
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
    // The binary series: bytes both ways, `chunk` round trips per variant and round.
    binarySizes: [
      { name: "64KiB", bytes: 64 << 10, chunk: number("chunk_b64k", 40) },
      { name: "1MiB", bytes: 1 << 20, chunk: number("chunk_b1m", 20) },
      { name: "16MiB", bytes: 16 << 20, chunk: number("chunk_b16m", 4) },
    ],
    // Messenger round trips of `binaryMemoryBytes` (JsBytes) before each binary memory snapshot.
    binaryMemoryCheckpoints: (params.get("binary_memory") || "500,1000").split(",").filter(Boolean).map(Number),
    binaryMemoryBytes: number("binary_memory_bytes", 16 << 20),
    // Diagnostic: the variant of those round trips (one of the binary variants).
    binaryMemoryVariant: params.get("binary_memory_variant") || "messenger",
  };
  // `sizes=small,1KB`: time only these payloads (bench-runner --payloads, for digging).
  const onlySizes = params.get("sizes");
  if (onlySizes) {
    config.sizes = config.sizes.filter((size) => onlySizes.split(",").includes(size.name));
    config.binarySizes = config.binarySizes.filter((size) => onlySizes.split(",").includes(size.name));
  }
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
  const transfer = { via: await firstPort("transfer") };
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

  // The binary series, in rounds of its own after the text series' (so that its large buffers
  // and the collections they cause do not land in the text figures): per round and size, `chunk`
  // round trips of every variant, taking turns; sizes in an order rotated from round to round.
  const binaryVariants = ["transfer", "penpal", "messenger", "messenger-copy"];
  const runBinary = (variant, count, size) => {
    const first = seq;
    seq += count;
    if (variant === "transfer") return runTransfer(transfer, count, size, first, transferSplit[size]);
    if (variant === "penpal") return runPenpalBytes(penpal.remote, count, size, first, freshBytes, bytesRight);
    if (variant === "messenger") return knocker.runBytes(count, size, first, freshBytes, bytesRight);
    return knocker.runCopied(count, size, first);
  };
  for (const size of config.binarySizes) for (const variant of binaryVariants) samples[`${variant}/binary/${size.name}`] = [];
  // Where the transfer floor's time goes, by size (timed rounds only): see runTransfer.
  const transferSplits = Object.fromEntries(config.binarySizes.map((size) => [size.name, { roundTrips: 0, postMs: 0, dataMs: 0, totalMs: 0 }]));
  let transferSplit = {};
  for (let round = 0; config.binarySizes.length && round < totalRounds; round += 1) {
    const warmup = round < config.warmupRounds;
    progress("binary", warmup ? `warm-up round ${round + 1}/${config.warmupRounds}` : `round ${round - config.warmupRounds + 1}/${config.rounds}`);
    transferSplit = warmup ? {} : Object.fromEntries(config.binarySizes.map((size) => [size.bytes, transferSplits[size.name]]));
    for (const size of rotate(config.binarySizes, round)) {
      // Round trip by round trip, the variants taking turns (in an order rotated each time), so
      // that the variants compared in a round meet the same bursts of a shared machine's load:
      // a round trip of 16 MiB lasts about 100 ms, a chunk of them long enough for the load to
      // change between two variants' chunks.
      const milliseconds = Object.fromEntries(binaryVariants.map((variant) => [variant, 0]));
      for (let turn = 0; turn < size.chunk; turn += 1) {
        for (const variant of rotate(binaryVariants, round + turn)) {
          milliseconds[variant] += await runBinary(variant, 1, size.bytes);
        }
      }
      if (!warmup) {
        for (const variant of binaryVariants) samples[`${variant}/binary/${size.name}`].push((milliseconds[variant] * 1000) / size.chunk);
      }
    }
  }
  transferSplit = {};

  // With a CPU profile being recorded (bench-runner --profile), wait until the runner has
  // stopped it, so that the profile holds the timed rounds and none of the memory phase's
  // messenger-only round trips (which would be counted for the messenger).
  if (params.get("profile")) {
    progress("profiled", "waiting for the runner to stop the profiler");
    while (!state.profilerStopped) await sleep(50);
  }

  // Memory: many messenger round trips, then a forced GC on both sides and a snapshot.
  // (The small payload's text, also when --payloads left the small payload out of the timing.)
  const memoryData = text(number("small", 16));
  const checkpoints = [afterHandshake, await snapshotBoth("after the timed rounds", 0)];
  let done = 0;
  for (const target of config.memoryCheckpoints) {
    while (done < target) {
      const count = Math.min(config.memoryChunk, target - done);
      await run("messenger", count, memoryData);
      done += count;
      progress("memory", `${done}/${target} messenger round trips`);
    }
    checkpoints.push(await snapshotBoth(`after ${target} round trips`, target));
  }

  // Binary memory: messenger round trips of 16 MiB (JsBytes), each with new bytes, and a
  // snapshot before and after each checkpoint; with the runner's `cdp=1`, the runner adds the
  // host's V8 heap figures from the DevTools protocol (Runtime.getHeapUsage, which counts
  // ArrayBuffer backing stores too) to each snapshot.
  const heapUsage = async (label) => {
    if (!params.get("cdp")) return null;
    state.heapUsageRequest = label;
    while (!(state.heapUsage && state.heapUsage[label])) await sleep(50);
    return state.heapUsage[label];
  };
  const binarySnapshot = async (label, roundTrips) => {
    const snapshot = await snapshotBoth(label, roundTrips);
    snapshot.host.cdpHeapUsage = await heapUsage(label);
    return snapshot;
  };
  const binaryCheckpoints = [];
  if (config.binaryMemoryCheckpoints.length) {
    const size = config.binaryMemoryBytes;
    binaryCheckpoints.push(await binarySnapshot("before the binary round trips", 0));
    let binaryDone = 0;
    for (const target of config.binaryMemoryCheckpoints) {
      while (binaryDone < target) {
        const count = Math.min(50, target - binaryDone);
        await runBinary(config.binaryMemoryVariant, count, size);
        binaryDone += count;
        progress("binary memory", `${binaryDone}/${target} ${config.binaryMemoryVariant} round trips of ${size} bytes`);
      }
      binaryCheckpoints.push(await binarySnapshot(`after ${target} binary round trips`, target));
    }
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
    binaryCheckpoints,
    transferSplits,
    clockStepMs: clockStep(20),
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
