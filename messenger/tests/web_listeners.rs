//! No listener outlives its purpose: `EventTarget.prototype.addEventListener` and
//! `removeEventListener` are wrapped to count live listeners per kind of target, and every
//! session, closed or abandoned at any step, must leave the counts where they started.
//!
//! A binary of its own, so that nothing else in the page adds listeners while it counts.
#![cfg(target_arch = "wasm32")]

mod web_support;

use std::time::Duration;

use futures::future::join;
use futures::StreamExt;
use messenger::{knock, listen, Error, InterruptRequest, Source, Stage, Target};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_support::*;

wasm_bindgen_test_configure!(run_in_browser);

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

// Live listeners on windows ("Window"), on ports ("MessagePort"), on workers ("Worker").
export function live_listeners(kind) {
  return live.filter((e) => {
    switch (kind) {
      case 'Window': return e.target === window;
      case 'MessagePort': return e.target instanceof MessagePort;
      case 'Worker': return e.target instanceof Worker;
      default: return true;
    }
  }).length;
}
"#)]
extern "C" {
    fn install_listener_counter();
    fn live_listeners(kind: &str) -> u32;
}

#[wasm_bindgen(inline_js = r#"
// A worker that knocks on its page once, then answers every message with the number 1.
export function knocking_worker() {
  const source = `
    const serve = (port) => { port.onmessage = (e) => { port.close(); const n = new MessageChannel(); serve(n.port1);
      e.data.$responsePort.postMessage({ message: 1, $responsePort: n.port2 }, [n.port2]); }; };
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => { ch.port1.close(); const n = new MessageChannel(); serve(n.port1);
      e.data.$responsePort.postMessage({ $type: '👂', $raw: true, $responsePort: n.port2 }, [n.port2]); };
    self.onmessage = () => self.postMessage({ $type: '👋', $version: 1, $responsePort: ch.port2 }, [ch.port2]);`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return worker;
}
"#)]
extern "C" {
    fn knocking_worker() -> web_sys::Worker;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    window: u32,
    ports: u32,
}

fn counts() -> Counts {
    Counts {
        window: live_listeners("Window"),
        ports: live_listeners("MessagePort"),
    }
}

fn start_counting() -> Counts {
    install_listener_counter();
    counts()
}

#[wasm_bindgen_test]
fn the_counter_sees_gloo_listeners_come_and_go() {
    // The counter itself must work for the other tests to mean anything.
    let before = start_counting();
    let on_window = gloo_events::EventListener::new(&window(), "message", |_| {});
    let ports = channel();
    let on_port = gloo_events::EventListener::new(&ports.port1(), "message", |_| {});
    assert_eq!(
        counts(),
        Counts {
            window: before.window + 1,
            ports: before.ports + 1
        }
    );
    drop(on_window);
    drop(on_port);
    assert_eq!(counts(), before);
}

#[wasm_bindgen_test]
async fn a_full_session_then_close_leaves_no_listener() {
    let before = start_counting();
    let pair = connect_pair::<u32, u32>(page_config(), page_config(), 0).await;
    // Connected: the listener's temporary window listeners are gone already.
    assert_eq!(counts().window, before.window, "no window listener after the handshake");
    // Only the one port due to speak next is listened on (message + messageerror).
    assert_eq!(
        counts().ports,
        before.ports + 2,
        "one listened port in the whole session"
    );

    let (request, mut clicks) = InterruptRequest::multi_use::<u32>();
    let knocker_pending = pair.knocker.send_with_interrupt(1, request);
    let mut got = within(STEP, "a message", pair.listener_pending).await.unwrap();
    let emitter = got.take_interrupt::<u32>().unwrap();
    emitter.emit(&7).unwrap();
    assert_eq!(within(STEP, "an interrupt", clicks.next()).await, Some(Ok(7)));
    // The reply port and the interrupt port.
    assert_eq!(counts().ports, before.ports + 4);
    let listener_pending = pair.listener.send(2);
    within(STEP, "a reply", knocker_pending).await.unwrap();
    assert_eq!(
        counts().ports,
        before.ports + 4,
        "the used reply port's listeners were removed"
    );

    pair.knocker.close();
    pair.listener.close();
    assert_eq!(counts(), before, "closing removed every listener");
    drop((listener_pending, clicks, emitter));
    assert_eq!(counts(), before);
}

#[wasm_bindgen_test]
async fn dropping_the_messengers_leaves_no_listener() {
    let before = start_counting();
    let pair = connect_pair::<u32, u32>(page_config(), page_config(), 0).await;
    let (request, stream) = InterruptRequest::one_time::<u32>();
    let knocker_pending = pair.knocker.send_with_interrupt(1, request);
    let _ = within(STEP, "a message", pair.listener_pending).await.unwrap();
    drop(pair.knocker);
    drop(pair.listener);
    assert_eq!(counts(), before, "dropping removed every listener");
    // The pending futures only hold weak references.
    drop((knocker_pending, stream));
    assert_eq!(counts(), before);
}

#[wasm_bindgen_test]
async fn dropping_a_pending_listen_removes_its_window_listeners() {
    let before = start_counting();
    let listening = listen::<u8, u8>(page_config(), Source::AnyWindow);
    assert_eq!(
        counts().window,
        before.window + 2,
        "message and messageerror on the window"
    );
    // Not a single knock arrives; nothing is left once the future is dropped.
    assert!(quiet_for(50, listening).await.is_none());
    assert_eq!(counts(), before);
}

#[wasm_bindgen_test]
async fn dropping_a_pending_knock_removes_its_port_listeners() {
    let before = start_counting();
    let config = page_config().knock_interval(Duration::from_millis(20));
    let knocking = knock(config, vec![Target::Window(window())]);
    assert_eq!(counts().window, before.window, "a knocker never listens on the window");
    assert!(quiet_for(150, knocking).await.is_none(), "nobody answers");
    assert_eq!(counts(), before, "every knock channel was closed and unlistened");
}

#[wasm_bindgen_test]
async fn dropping_an_unacknowledged_answer_removes_every_listener() {
    let before = start_counting();
    let listening = listen::<u8, u8>(page_config(), Source::AnyWindow);
    let answered = within(STEP, "an answer", knock(page_config(), vec![Target::Window(window())]))
        .await
        .unwrap();
    assert_eq!(
        counts().window,
        before.window,
        "the window listeners went with the accepted knock"
    );
    drop(answered);
    drop(listening);
    assert_eq!(counts(), before);
}

#[wasm_bindgen_test]
async fn timed_out_handshakes_leave_no_listener() {
    let before = start_counting();
    // The knocker knocks on an empty iframe (nobody listens there); the listener waits in vain.
    let document = window().document().unwrap();
    let iframe: web_sys::HtmlIFrameElement = document.create_element("iframe").unwrap().unchecked_into();
    document.body().unwrap().append_child(&iframe).unwrap();
    let short = || page_config().handshake_timeout(Duration::from_millis(300));
    let knocking = knock(
        short().knock_interval(Duration::from_millis(30)),
        vec![Target::iframe(&iframe).unwrap()],
    );
    let listening = listen::<u8, u8>(short(), Source::AnyWindow);
    let (knocked, listened) = within(STEP, "both timeouts", join(knocking, listening)).await;
    assert_eq!(knocked.unwrap_err(), Error::TimedOut(Stage::Handshake));
    assert_eq!(listened.unwrap_err(), Error::TimedOut(Stage::Handshake));
    assert_eq!(counts(), before);
    iframe.remove();
}

#[wasm_bindgen_test]
async fn a_failed_handshake_leaves_no_listener() {
    let before = start_counting();
    let listening = listen::<u8, u8>(page_config(), Source::AnyWindow);
    let bad = channel();
    let knock = build(
        r#"{"$type":"👋","$version":2,"$responsePort":"@0"}"#,
        &[&bad.port2()],
        &JsValue::NULL,
    );
    post_to_window(&window(), &knock, &page_origin(), &[&bad.port2()]);
    let result = within(STEP, "the failed handshake", listening).await;
    assert!(matches!(result, Err(Error::HandshakeFailed(_))), "got {result:?}");
    assert_eq!(counts(), before);
}

#[wasm_bindgen_test]
async fn a_worker_listener_removes_its_worker_listeners_once_connected() {
    install_listener_counter();
    let worker = knocking_worker();
    let before = (counts(), live_listeners("Worker"));
    let listening = listen::<u32, u32>(page_config(), Source::Worker(worker.clone()));
    assert_eq!(
        live_listeners("Worker"),
        before.1 + 2,
        "message and messageerror on the worker"
    );
    worker.post_message(&JsValue::NULL).unwrap(); // "knock now"
    let messenger = within(STEP, "the worker's knock", listening).await.expect("connected");
    assert_eq!(
        live_listeners("Worker"),
        before.1,
        "the worker listeners went with the accepted knock"
    );
    assert_eq!(within(STEP, "a reply", messenger.send(5)).await.unwrap().message, 1);
    drop(messenger);
    assert_eq!((counts(), live_listeners("Worker")), before);
    worker.terminate();
}
