//! Issue 23, case 1: a page whose main thread is blocked (a long synchronous task) while the
//! peer's answer is already queued. The peer is a dedicated worker, which keeps running while the
//! page is blocked, so its answer really is waiting in the page's queue when the page runs again,
//! together with this side's deadline timer, long expired.
//!
//! The rule (`protocol/timer.rs`, `LATE_FRACTION`): a handshake or reply timer that fires a
//! quarter of its length (or more) after its deadline is re-armed once for its whole length
//! instead of failing the session, so the queued answer is taken first; a peer that is really
//! gone is judged after at most twice the timeout plus the pause.

use std::time::Duration;

use crate::support::listeners::live;
use crate::support::*;
use messenger::{knock, Error, Stage, Target};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn busy_wait(ms: f64);
    fn now_ms() -> f64;
}

/// The timeout under test; the page blocks for twice as long.
const T: u64 = 300;

/// A JavaScript listener in a worker (a version-1 peer: it announces no `$closeNotice`): it
/// answers the first knock at once, speaks first (`0`), then answers every message `n` with
/// `n + 1` at once, unless it is silent (`SILENT`), when it never answers a message.
const LISTENER_WORKER: &str = r#"
const SILENT = %SILENT%;
let answered = false;
const held = [];
function serve(port) {
  port.onmessage = (e) => {
    port.onmessage = null;
    port.close();
    const d = e.data;
    if (SILENT) { held.push(d.$responsePort); return; }
    const next = new MessageChannel();
    serve(next.port1);
    d.$responsePort.postMessage({ message: d.message + 1, $responsePort: next.port2 }, [next.port2]);
  };
}
self.addEventListener('message', (e) => {
  const d = e.data;
  if (answered || !d || d.$type !== '👋' || !(d.$responsePort instanceof MessagePort)) return;
  answered = true;
  const ack = new MessageChannel();
  ack.port1.onmessage = (e2) => {
    ack.port1.close();
    const next = new MessageChannel();
    serve(next.port1);
    e2.data.$responsePort.postMessage({ message: 0, $responsePort: next.port2 }, [next.port2]);
  };
  d.$responsePort.postMessage({ $type: '🤝', $version: 1, $responsePort: ack.port2 }, [ack.port2]);
});
"#;

fn listener_worker(silent: bool) -> web_sys::Worker {
    spawn_worker(&LISTENER_WORKER.replace("%SILENT%", if silent { "true" } else { "false" }))
}

#[wasm_bindgen_test]
async fn lifecycle_a_reply_queued_while_the_page_was_blocked_wins_over_the_reply_timeout() {
    let worker = listener_worker(false);
    // After the spawn: a new `Worker` has a listener that is not the messenger's (seen in Chromium).
    let before = live();
    let config = page_config().reply_timeout(Duration::from_millis(T));
    let answered = within(
        STEP,
        "the worker's 🤝",
        knock(config, vec![Target::Worker(worker.clone())]),
    )
    .await
    .expect("the worker answers");
    let (messenger, first) = within(
        STEP,
        "the worker's first message",
        answered.finish_handshake::<u32, u32>(),
    )
    .await
    .expect("connected");
    assert_eq!(first.message, 0);
    for round in 1..=3u32 {
        let started = now_ms();
        // Posted when called; the worker answers at once, while this page is blocked for twice
        // the reply timeout: when it runs again, the timer (due since T) and the answer (queued
        // since a few milliseconds after the send) are both waiting.
        let pending = messenger.send(round * 10);
        busy_wait(2.0 * T as f64);
        let reply = within(STEP, "the reply", pending).await;
        let elapsed = now_ms() - started;
        assert_eq!(
            reply.map(|received| received.message).map_err(|failed| failed.error),
            Ok(round * 10 + 1),
            "round {round}: the reply that had arrived wins, no timeout ({elapsed:.0} ms after the send)"
        );
        assert_eq!(messenger.status().closed_with, None);
    }
    drop(messenger);
    worker.terminate();
    tick().await;
    assert_eq!(live(), before, "no listener left");
}

#[wasm_bindgen_test]
async fn lifecycle_an_answer_queued_while_the_page_was_blocked_wins_over_the_handshake_timeout() {
    let worker = listener_worker(false);
    // After the spawn: a new `Worker` has a listener that is not the messenger's (seen in Chromium).
    let before = live();
    let config = page_config().handshake_timeout(Duration::from_millis(T));
    // The first knock is posted when `knock` is called; the worker answers it at once, while
    // this page is blocked past the handshake timeout.
    let knocking = knock(config, vec![Target::Worker(worker.clone())]);
    busy_wait(2.0 * T as f64);
    let answered = within(STEP, "the answer", knocking)
        .await
        .expect("the 🤝 that had arrived wins, no handshake timeout");
    let (messenger, first) = within(STEP, "the first message", answered.finish_handshake::<u32, u32>())
        .await
        .expect("connected");
    assert_eq!(first.message, 0);
    assert_eq!(
        within(STEP, "a reply", messenger.send(1)).await.map(|r| r.message).ok(),
        Some(2)
    );
    drop(messenger);
    worker.terminate();
    tick().await;
    assert_eq!(live(), before, "no listener left");
}

#[wasm_bindgen_test]
async fn lifecycle_a_gone_peer_still_times_out_after_a_block_within_twice_the_timeout_plus_the_pause() {
    let worker = listener_worker(true);
    let before = live();
    let config = page_config().reply_timeout(Duration::from_millis(T));
    let answered = within(
        STEP,
        "the worker's 🤝",
        knock(config, vec![Target::Worker(worker.clone())]),
    )
    .await
    .expect("the worker answers");
    let (messenger, _first) = within(STEP, "the first message", answered.finish_handshake::<u32, u32>())
        .await
        .expect("connected");
    let started = now_ms();
    let pending = messenger.send(1);
    let pause = 2.0 * T as f64;
    busy_wait(pause);
    let failed = within(STEP, "the reply timeout", pending).await.unwrap_err();
    let elapsed = now_ms() - started;
    assert_eq!(failed.error, Error::TimedOut(Stage::Reply));
    // The timer was found late after the pause (at 2T) and deferred once, for T from then: the
    // peer is judged gone at 3T at the earliest, and within 2T + the pause (plus a margin for a
    // loaded machine's timers).
    let t = T as f64;
    assert!(
        elapsed >= 3.0 * t - 5.0,
        "deferred once for the whole timeout after the pause: {elapsed:.0} ms"
    );
    assert!(
        elapsed <= 2.0 * t + pause + 500.0,
        "judged within twice the timeout plus the pause: {elapsed:.0} ms"
    );
    assert_eq!(messenger.status().open_ports, 0);
    drop(messenger);
    worker.terminate();
    tick().await;
    assert_eq!(live(), before, "no listener left");
}

#[wasm_bindgen_test]
async fn lifecycle_a_gone_peer_times_out_on_time_without_a_block() {
    // The control of the test above: no pause, no deferral; the timeout fires on time. A longer
    // timeout than above (1 s), so that a timer made late by a loaded machine (by a quarter of
    // it, 250 ms) is not taken for a pause.
    let worker = listener_worker(true);
    let before = live();
    let t = 1_000.0;
    let config = page_config().reply_timeout(Duration::from_millis(1_000));
    let answered = within(
        STEP,
        "the worker's 🤝",
        knock(config, vec![Target::Worker(worker.clone())]),
    )
    .await
    .expect("the worker answers");
    let (messenger, _first) = within(STEP, "the first message", answered.finish_handshake::<u32, u32>())
        .await
        .expect("connected");
    let started = now_ms();
    let failed = within(2 * STEP, "the reply timeout", messenger.send(1))
        .await
        .unwrap_err();
    let elapsed = now_ms() - started;
    assert_eq!(failed.error, Error::TimedOut(Stage::Reply));
    assert!(
        elapsed >= t - 5.0 && elapsed < 2.0 * t,
        "a running page's timer is not deferred: {elapsed:.0} ms"
    );
    drop(messenger);
    worker.terminate();
    tick().await;
    assert_eq!(live(), before, "no listener left");
}
