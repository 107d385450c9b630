//! The messenger against a dedicated worker whose JavaScript speaks the version-1 wire format by
//! hand (DESIGN.md §2), in both roles: this is also the interoperability test with a JS peer.

use crate::support::*;
use futures::StreamExt;
use messenger::{knock, listen, Error, InterruptRequest, Source, Stage, Target};
use serde::{Deserialize, Serialize};
use wasm_bindgen_test::*;

/// The worker: a plain JavaScript implementation of both roles.
///
/// - Sent `{ cmd: "knock" }`, it knocks on the page (`postMessage(knock, [port])`).
/// - Sent a knock, it answers the first one with `🤝` (as a listener) and speaks first after `👂`.
/// - Connected, it answers every application message with `{ echo, count }`, and posts each
///   element of `message.emit` on the message's `$interruptPort`, if one came along.
/// - Any deviation it sees is reported to the page as `{ $type: "problem", problem }`.
const WORKER: &str = r#"
let count = 0;
let answered = false;
const problem = (text) => self.postMessage({ $type: 'problem', problem: text });

// Waits on `port` for the peer's next application message and answers it.
function serve(port) {
  port.onmessage = (e) => {
    port.onmessage = null;
    port.close();
    const d = e.data;
    if (!d || !(d.$responsePort instanceof MessagePort) || !('message' in d) || d.$type !== undefined) {
      return problem('bad application message: ' + JSON.stringify(d));
    }
    if (e.ports.length !== (d.$interruptPort ? 2 : 1)) return problem('wrong port count');
    if (d.$interruptPort) {
      for (const x of (d.message && d.message.emit) || []) d.$interruptPort.postMessage(x);
    }
    count += 1;
    const next = new MessageChannel();
    serve(next.port1);
    d.$responsePort.postMessage({ message: { echo: d.message, count }, $responsePort: next.port2 }, [next.port2]);
  };
}

function knock() {
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => {
    ch.port1.close();
    const d = e.data;
    if (!d || d.$type !== '🤝' || d.$version !== 1 || !(d.$responsePort instanceof MessagePort)) {
      return problem('bad 🤝: ' + JSON.stringify(d));
    }
    const next = new MessageChannel();
    serve(next.port1);
    d.$responsePort.postMessage({ $type: '👂', $raw: true, $responsePort: next.port2 }, [next.port2]);
  };
  self.postMessage({ $type: '👋', $version: 1, $responsePort: ch.port2 }, [ch.port2]);
}

self.addEventListener('message', (e) => {
  const d = e.data;
  if (d && d.cmd === 'knock') return knock();
  if (!d || d.$type !== '👋' || d.$version !== 1 || !(d.$responsePort instanceof MessagePort)) return;
  if (answered) return; // the first knock wins; later knocks are not answered
  answered = true;
  const ack = new MessageChannel();
  ack.port1.onmessage = (e2) => {
    ack.port1.close();
    const a = e2.data;
    if (!a || a.$type !== '👂' || !(a.$responsePort instanceof MessagePort)) {
      return problem('bad 👂: ' + JSON.stringify(a));
    }
    const next = new MessageChannel();
    serve(next.port1);
    a.$responsePort.postMessage({ message: { hello: 'from the worker 👷' }, $responsePort: next.port2 }, [next.port2]);
  };
  d.$responsePort.postMessage({ $type: '🤝', $version: 1, $responsePort: ack.port2 }, [ack.port2]);
});
"#;

/// What the page sends the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ToWorker {
    text: String,
    emit: Vec<u32>,
}

/// What the worker sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum FromWorker {
    Hello { hello: String },
    Echo { echo: ToWorker, count: u32 },
}

fn to_worker(text: &str) -> ToWorker {
    ToWorker {
        text: text.to_owned(),
        emit: vec![],
    }
}

/// The worker's `{ $type: "problem" }` reports, collected in JavaScript.
fn problems(worker: &web_sys::Worker) -> Inbox {
    Inbox::on_target(worker, Some("problem"))
}

/// Fails with the worker's first report, if it made one.
async fn assert_no_problems(reports: &Inbox) {
    if reports.unread() > 0 {
        let report = reports.next(STEP, "a report").await;
        panic!("the worker reported: {:?}", report.field("problem").as_string());
    }
    reports.close();
}

#[wasm_bindgen_test]
async fn the_page_knocks_on_a_javascript_worker() {
    let worker = spawn_worker(WORKER);
    let reports = problems(&worker);
    let answered = within(
        STEP,
        "the worker's 🤝",
        knock(page_config(), vec![Target::Worker(worker.clone())]),
    )
    .await
    .expect("the worker answers the knock");
    let (messenger, first) = within(
        STEP,
        "the worker's first message",
        answered.finish_handshake::<ToWorker, FromWorker>(),
    )
    .await
    .expect("the worker speaks first");
    assert_eq!(
        first.message,
        FromWorker::Hello {
            hello: "from the worker 👷".into()
        }
    );
    for n in 1..=5 {
        let message = to_worker(&format!("message {n} ✉"));
        let reply = within(STEP, "the worker's echo", messenger.send(message.clone()))
            .await
            .expect("an echo");
        assert_eq!(
            reply.message,
            FromWorker::Echo {
                echo: message,
                count: n
            }
        );
    }
    assert_no_problems(&reports).await;
    messenger.close();
    worker.terminate();
}

#[wasm_bindgen_test]
async fn a_javascript_worker_knocks_on_the_page() {
    let worker = spawn_worker(WORKER);
    let reports = problems(&worker);
    // The listener is installed before the worker is told to knock.
    let listening = listen::<ToWorker, FromWorker>(page_config(), Source::Worker(worker.clone()));
    worker
        .post_message(&js_sys::JSON::parse(r#"{"cmd":"knock"}"#).unwrap())
        .unwrap();
    let messenger = within(STEP, "the worker's knock and 👂", listening)
        .await
        .expect("connected to the worker");
    // The listener speaks first; the worker answers every message.
    for n in 1..=5 {
        let message = to_worker(&"🔁".repeat(n as usize));
        let reply = within(STEP, "the worker's echo", messenger.send(message.clone()))
            .await
            .expect("an echo");
        assert_eq!(
            reply.message,
            FromWorker::Echo {
                echo: message,
                count: n
            }
        );
    }
    assert_no_problems(&reports).await;
    messenger.close();
    worker.terminate();
}

#[wasm_bindgen_test]
async fn a_javascript_worker_emits_interrupts_of_both_kinds() {
    let worker = spawn_worker(WORKER);
    let listening = listen::<ToWorker, FromWorker>(page_config(), Source::Worker(worker.clone()));
    worker
        .post_message(&js_sys::JSON::parse(r#"{"cmd":"knock"}"#).unwrap())
        .unwrap();
    let messenger = within(STEP, "connected", listening).await.unwrap();

    let (request, mut stream) = InterruptRequest::multi_use::<u32>();
    let message = ToWorker {
        text: "emit some".into(),
        emit: vec![3, 1, 4, 1, 5],
    };
    let reply = within(STEP, "an echo", messenger.send_with_interrupt(message.clone(), request))
        .await
        .unwrap();
    assert_eq!(
        reply.message,
        FromWorker::Echo {
            echo: message,
            count: 1
        }
    );
    for expected in [3, 1, 4, 1, 5] {
        assert_eq!(within(STEP, "an interrupt", stream.next()).await, Some(Ok(expected)));
    }

    let (request, once) = InterruptRequest::one_time::<u32>();
    let message = ToWorker {
        text: "emit twice on a one-time port".into(),
        emit: vec![9, 8],
    };
    within(STEP, "an echo", messenger.send_with_interrupt(message, request))
        .await
        .unwrap();
    assert_eq!(
        within(STEP, "the one-time interrupt", once).await,
        Ok(9),
        "the first interrupt wins"
    );
    // The multi-use stream is unaffected by the one-time channel.
    let message = ToWorker {
        text: "no emits".into(),
        emit: vec![],
    };
    within(STEP, "an echo", messenger.send(message)).await.unwrap();
    assert_eq!(messenger.status().closed_with, None);
    messenger.close();
    assert_eq!(
        within(STEP, "the stream's error", stream.next()).await,
        Some(Err(Error::Closed))
    );
    worker.terminate();
}

#[wasm_bindgen_test]
async fn knocking_on_a_silent_worker_times_out() {
    let worker = spawn_worker("self.onmessage = () => {};");
    let config = page_config().handshake_timeout(std::time::Duration::from_millis(400));
    let result = within(
        STEP,
        "the handshake timeout",
        knock(config, vec![Target::Worker(worker.clone())]),
    )
    .await;
    assert_eq!(result.unwrap_err(), Error::TimedOut(Stage::Handshake));
    worker.terminate();
}

#[wasm_bindgen_test]
async fn a_worker_listener_ignores_window_knocks() {
    // A listener for a worker hears the worker only: a knock posted to the window is not for it.
    let worker = spawn_worker("self.onmessage = () => {};");
    let config = page_config().handshake_timeout(std::time::Duration::from_millis(400));
    let listening = listen::<u8, u8>(config, Source::Worker(worker.clone()));
    let answers = js_knock(&window());
    let result = within(STEP, "the handshake timeout", listening).await;
    assert_eq!(result.unwrap_err(), Error::TimedOut(Stage::Handshake));
    assert_eq!(answers.unread(), 0);
    answers.close();
    worker.terminate();
}
