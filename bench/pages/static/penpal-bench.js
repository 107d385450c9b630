// The Penpal variant of the benchmark (see BENCHMARKS.md): Penpal 7 (penpal.mjs, the package's
// ES module build, which scripts/bench.sh installs from npm into .tools/penpal and copies next
// to these pages), with the same request and reply as the other variants.
//
// * The iframe is `penpal.html?host=<origin>` on the remote site: it exposes one method, `echo`,
//   which answers { Echo: { seq, data } } with { Echoed: { seq, data } }.
// * The host (bench.js) uses `penpalHandshake` to time "iframe inserted -> first reply" and
//   `penpalConnect` + `runPenpal` for the timed round trips, each reply awaited and checked
//   before the next call.
//
// The binary series: `echoBytes({ EchoBytes: { seq, data } })` with `data` a Uint8Array whose
// buffer the call transfers (Penpal's `CallOptions({ transferables })`), answered with
// `new Reply({ EchoedBytes: { seq, data } }, { transferables: [data.buffer] })`: the same
// buffer moved back.
import { CallOptions, Reply, WindowMessenger, connect } from "./penpal.mjs";

// The same echo as the JavaScript variants' in bench.js.
function echo(message) {
  const request = message && message.Echo;
  return request ? { Echoed: { seq: request.seq, data: request.data } } : { Error: "not an Echo request" };
}

// The binary echo: the request's bytes back, their buffer transferred again.
function echoBytes(message) {
  const request = message && message.EchoBytes;
  if (!request || !(request.data instanceof Uint8Array)) return { Error: "not an EchoBytes request" };
  const { seq, data } = request;
  return new Reply({ EchoedBytes: { seq, data } }, { transferables: [data.buffer] });
}

function isEcho(reply, seq, data) {
  return !!reply && !!reply.Echoed && reply.Echoed.seq === seq && reply.Echoed.data === data;
}

function wrongReply(seq, reply, data) {
  const got = reply && reply.Echoed
    ? `Echoed { seq: ${reply.Echoed.seq}, data: ${String(reply.Echoed.data).length} chars }`
    : JSON.stringify(reply).slice(0, 200);
  return new Error(`penpal: round trip ${seq}: wrong reply ${got}, expected Echoed { seq: ${seq}, data: ${data.length} chars }`);
}

// A connection that never comes fails the run with Penpal's own error instead of hanging it.
const CONNECT_TIMEOUT_MS = 30000;

// ---------------------------------------------------------------------------------------------
// The iframe (penpal.html).

export function answer(hostOrigin) {
  const messenger = new WindowMessenger({ remoteWindow: window.parent, allowedOrigins: [hostOrigin] });
  const connection = connect({ messenger, methods: { echo, echoBytes } });
  return connection.promise;
}

// ---------------------------------------------------------------------------------------------
// The host (bench.js).

// Inserts a new iframe showing `page` (on `remoteOrigin`) into the document.
function insertIframe(page, title) {
  const iframe = document.createElement("iframe");
  iframe.title = title;
  iframe.src = page;
  document.body.append(iframe);
  return iframe;
}

// Connects to `iframe` (inserted just before): resolves with { connection, remote } once
// Penpal's handshake is complete.
export async function penpalConnect(iframe, remoteOrigin) {
  const messenger = new WindowMessenger({ remoteWindow: iframe.contentWindow, allowedOrigins: [remoteOrigin] });
  const connection = connect({ messenger, methods: {}, timeout: CONNECT_TIMEOUT_MS });
  const remote = await connection.promise;
  return { connection, remote };
}

// One handshake, timed like the messenger's: a new iframe is inserted, Penpal connects to it
// (its `connection.promise` resolves) and the clock stops when the first `echo` call has
// returned (and was right). The iframe is closed and removed again.
export async function penpalHandshake(page, remoteOrigin) {
  let loadedAt = NaN;
  const onLoad = () => { loadedAt = performance.now(); };
  const started = performance.now();
  const iframe = document.createElement("iframe");
  iframe.title = "benchmark Penpal handshake";
  iframe.addEventListener("load", onLoad);
  iframe.src = page;
  document.body.append(iframe);
  const { connection, remote } = await penpalConnect(iframe, remoteOrigin);
  const connected = performance.now();
  const data = "handshake";
  const reply = await remote.echo({ Echo: { seq: 0, data } });
  const answered = performance.now();
  if (!isEcho(reply, 0, data)) throw wrongReply(0, reply, data);
  iframe.removeEventListener("load", onLoad);
  connection.destroy();
  iframe.remove();
  return { ms: answered - started, connectedMs: connected - started, loadMs: loadedAt - started };
}

// The Penpal iframe of the timed rounds (not timed itself): resolves with { connection, remote }.
export function penpalBenchIframe(page, remoteOrigin) {
  return penpalConnect(insertIframe(page, "benchmark Penpal"), remoteOrigin);
}

// `count` round trips through Penpal's `echo`, numbered from `firstSeq`, each reply awaited and
// checked before the next call.
export async function runPenpal(remote, count, data, firstSeq) {
  const end = firstSeq + count;
  for (let seq = firstSeq; seq < end; seq += 1) {
    const reply = await remote.echo({ Echo: { seq, data } });
    if (!isEcho(reply, seq, data)) throw wrongReply(seq, reply, data);
  }
}

// `count` binary round trips of `size` bytes through Penpal's `echoBytes`, numbered from
// `firstSeq`: `fresh(size, seq)` makes each request's bytes and `check(array, size, seq)` judges
// the reply's, both outside the timed part (from the call to its returned reply). Resolves with
// the round trips' time in milliseconds.
export async function runPenpalBytes(remote, count, size, firstSeq, fresh, check) {
  const end = firstSeq + count;
  let timed = 0;
  for (let seq = firstSeq; seq < end; seq += 1) {
    const data = fresh(size, seq);
    const started = performance.now();
    const reply = await remote.echoBytes({ EchoBytes: { seq, data } }, new CallOptions({ transferables: [data.buffer] }));
    timed += performance.now() - started;
    const echoed = reply && reply.EchoedBytes;
    if (!echoed || echoed.seq !== seq || !check(echoed.data, size, seq)) {
      const got = echoed
        ? `EchoedBytes { seq: ${echoed.seq}, data: ${Object.prototype.toString.call(echoed.data)} of ${echoed.data && echoed.data.byteLength} bytes }`
        : JSON.stringify(reply).slice(0, 200);
      throw new Error(`penpal: binary round trip ${seq}: wrong reply ${got}, expected EchoedBytes { seq: ${seq}, data: the ${size} bytes sent }`);
    }
  }
  return timed;
}
