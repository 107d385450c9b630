//! Helpers shared by the browser tests (the modules of `tests/web/`): bounded waits, a recorder for
//! the observer, a same-page knocker/listener pair, and a raw JavaScript peer that speaks (or
//! breaks) the version-1 wire format over real `MessageChannel`s.
//!
//! Every wait in the tests goes through [`within`], which fails the test with a message instead
//! of letting it hang; [`quiet_for`] is only used to show that something does *not* happen.
#![allow(dead_code)]

pub mod listeners;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::future::{select, Either};
use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Reflect};
use messenger::{
    knock, listen, Config, Error, HandshakeState, Messenger, Observation, Received, SendError, Source, Step, Target,
};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageChannel, MessagePort};

/// The bound for one step that should happen at once (a message, a handshake): generous (steps
/// take milliseconds), yet short enough that a few failing tests stay inside the runner's budget
/// for the binary (`WASM_BINDGEN_TEST_TIMEOUT` in `.cargo/config.toml`), so failures are reported
/// by name.
pub const STEP: u32 = 2_000;

/// The bound for loading a page into an iframe (a cross-site iframe gets its own process).
pub const LOAD: u32 = 5_000;

/// How long "nothing happens" is watched for, after the event that would have caused it.
pub const QUIET: u32 = 300;

/// Awaits `future`, failing the test if it takes longer than `millis`.
pub async fn within<F: Future>(millis: u32, what: &str, future: F) -> F::Output {
    match select(Box::pin(future), TimeoutFuture::new(millis)).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("timed out after {millis} ms waiting for {what}"),
    }
}

/// Polls `future` for `millis`: `Some` with its output if it finished, `None` if still pending
/// (the future is dropped either way).
pub async fn quiet_for<F: Future>(millis: u32, future: F) -> Option<F::Output> {
    match select(Box::pin(future), TimeoutFuture::new(millis)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => None,
    }
}

/// Lets queued tasks and messages run (a macrotask turn, not an assertion).
pub async fn tick() {
    TimeoutFuture::new(0).await;
}

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    /// `location.origin` of the test page (`http://127.0.0.1:<port>`).
    pub fn page_origin() -> String;
    fn wire(json: &str, ports: &Array, payload: &JsValue) -> JsValue;
    fn post_port(port: &MessagePort, value: &JsValue, transfer: &Array);
    fn post_window(window: &web_sys::Window, value: &JsValue, origin: &str, transfer: &Array);
    fn dispatch_synthetic(window: &web_sys::Window, value: &JsValue, origin: &str, ports: &Array);
    /// `[[[...[0]...]]]`, `levels` deep, built in JavaScript.
    pub fn deep_array(levels: u32) -> JsValue;
    /// The deepest nesting of arrays, up to `max`, that `postMessage` can clone here.
    pub fn deepest_postable(max: u32) -> u32;
    /// An object that contains itself (structured clone copies cycles; JSON cannot).
    pub fn cyclic_object() -> JsValue;
    /// `JSON.stringify(value)`.
    pub fn json_text(value: &JsValue) -> JsValue;
    /// A value built in JavaScript by name (see `js_value` above): sparse arrays, a `Map`, ...
    pub fn js_value(name: &str) -> JsValue;
    /// Posts `count` interrupts `0, 1, 2, ...` on `port` in one go.
    pub fn flood(port: &MessagePort, count: u32);
    fn wasm_memory_bytes(memory: &JsValue) -> f64;
    /// A counter of `setTimeout` calls from now on; call the returned function to read it.
    pub fn count_timers() -> js_sys::Function;

    /// Collects messages on a port, window or worker (JavaScript side, so nothing of the
    /// messenger is involved in receiving them).
    pub type Inbox;
    #[wasm_bindgen(constructor)]
    fn new_inbox(target: &JsValue, only_type: Option<String>) -> Inbox;
    #[wasm_bindgen(method, js_name = next)]
    fn next_promise(this: &Inbox) -> js_sys::Promise;
    /// Messages that arrived and were not read yet.
    #[wasm_bindgen(method)]
    pub fn unread(this: &Inbox) -> u32;
    /// Stops collecting (and closes the port, for a port inbox).
    #[wasm_bindgen(method)]
    pub fn close(this: &Inbox);
}

/// The configuration every same-page test starts from: the page's own origin (the only origin a
/// page can hear from itself), short timeouts so a failure is quick.
pub fn page_config() -> Config {
    Config::new(&page_origin())
        .expect("the page origin is a valid origin")
        .handshake_timeout(Duration::from_secs(5))
        // One knock is enough in the same page (the listener is always installed first); a long
        // interval keeps stray second knocks out of the tests.
        .knock_interval(Duration::from_secs(2))
}

pub fn window() -> web_sys::Window {
    web_sys::window().expect("browser tests have a window")
}

/// Reads `object[key]` (undefined when absent).
pub fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn array(ports: &[&MessagePort]) -> Array {
    ports.iter().map(|port| JsValue::from(*port)).collect()
}

/// Builds a wire object from JSON text; `"@0"`, `"@1"` name `ports`, `"@payload"` names `payload`.
pub fn build(json: &str, ports: &[&MessagePort], payload: &JsValue) -> JsValue {
    wire(json, &array(ports), payload)
}

/// The size of this test binary's wasm memory, in bytes.
pub fn wasm_memory() -> usize {
    wasm_memory_bytes(&wasm_bindgen::memory()) as usize
}

/// Posts `value` on `port`, transferring `transfer`.
pub fn post(port: &MessagePort, value: &JsValue, transfer: &[&MessagePort]) {
    post_port(port, value, &array(transfer));
}

/// Posts `value` to `window` with `target_origin`, transferring `transfer`.
pub fn post_to_window(window: &web_sys::Window, value: &JsValue, target_origin: &str, transfer: &[&MessagePort]) {
    post_window(window, value, target_origin, &array(transfer));
}

/// Dispatches an untrusted, script-made `MessageEvent` on `window`.
pub fn dispatch_untrusted(window: &web_sys::Window, value: &JsValue, claimed_origin: &str, ports: &[&MessagePort]) {
    dispatch_synthetic(window, value, claimed_origin, &array(ports));
}

pub fn channel() -> MessageChannel {
    MessageChannel::new().expect("MessageChannel is available")
}

/// A message as the JavaScript side received it.
pub struct Got {
    pub data: JsValue,
    pub ports: Vec<MessagePort>,
    pub origin: String,
    pub trusted: bool,
}

impl Got {
    pub fn field(&self, key: &str) -> JsValue {
        get(&self.data, key)
    }

    /// The `$responsePort` the message carried, checked to be one of the transferred ports.
    pub fn response_port(&self) -> MessagePort {
        let value = self.field("$responsePort");
        let port: MessagePort = value.clone().dyn_into().expect("$responsePort is a MessagePort");
        assert!(
            self.ports.iter().any(|p| JsValue::from(p.clone()) == value),
            "$responsePort was transferred"
        );
        port
    }
}

impl Inbox {
    pub fn on_port(port: &MessagePort) -> Inbox {
        Inbox::new_inbox(port, None)
    }

    /// Collects window (or worker) messages, only those whose `$type` is `only_type` if given.
    pub fn on_target(target: &impl AsRef<JsValue>, only_type: Option<&str>) -> Inbox {
        Inbox::new_inbox(target.as_ref(), only_type.map(str::to_owned))
    }

    /// The next message, within `millis`.
    pub async fn next(&self, millis: u32, what: &str) -> Got {
        let item = within(millis, what, JsFuture::from(self.next_promise()))
            .await
            .expect("inbox promise resolves");
        Got {
            data: get(&item, "data"),
            ports: Array::from(&get(&item, "ports"))
                .iter()
                .map(|p| p.unchecked_into())
                .collect(),
            origin: get(&item, "origin").as_string().unwrap_or_default(),
            trusted: get(&item, "trusted").as_bool().unwrap_or(false),
        }
    }
}

/// Records what the observer reports, and lets a test await a step.
#[derive(Clone)]
pub struct Trace {
    seen: Rc<RefCell<Vec<Observation>>>,
    signal: Rc<RefCell<mpsc::UnboundedReceiver<()>>>,
    notify: mpsc::UnboundedSender<()>,
}

impl Default for Trace {
    fn default() -> Self {
        let (notify, signal) = mpsc::unbounded();
        Trace {
            seen: Rc::default(),
            signal: Rc::new(RefCell::new(signal)),
            notify,
        }
    }
}

impl Trace {
    /// `config` with this trace as its observer.
    pub fn observe(&self, config: Config) -> Config {
        let (seen, notify) = (self.seen.clone(), self.notify.clone());
        config.observer(move |observation| {
            seen.borrow_mut().push(observation.clone());
            let _ = notify.unbounded_send(());
        })
    }

    pub fn steps(&self) -> Vec<Step> {
        self.seen.borrow().iter().map(|o| o.step.clone()).collect()
    }

    pub fn count(&self, wanted: impl Fn(&Step) -> bool) -> usize {
        self.seen.borrow().iter().filter(|o| wanted(&o.step)).count()
    }

    /// Waits (bounded) until `count(wanted) >= n`.
    pub async fn wait_for(&self, n: usize, what: &str, wanted: impl Fn(&Step) -> bool) {
        let done = async {
            while self.count(&wanted) < n {
                futures::future::poll_fn(|cx| self.signal.borrow_mut().poll_next_unpin(cx)).await;
            }
        };
        within(STEP, what, done).await;
    }

    /// Asserts the session ended with `error`: the trace holds `Failed(error)` followed by the
    /// `Closed` state, and nothing failed before it.
    pub fn assert_failed_with(&self, error: &Error) {
        let steps = self.steps();
        let failures: Vec<&Step> = steps.iter().filter(|s| matches!(s, Step::Failed(_))).collect();
        assert_eq!(failures, vec![&Step::Failed(error.clone())], "trace: {steps:#?}");
        assert_eq!(
            steps.last(),
            Some(&Step::Handshake(HandshakeState::Closed)),
            "trace: {steps:#?}"
        );
    }
}

/// The pending future of a send.
pub type Pending<Out, In> = Pin<Box<dyn Future<Output = Result<Received<In>, SendError<Out>>>>>;

/// A same-page session: the listener has sent `first` (the listener speaks first), the knocker
/// has received it, and `listener_pending` resolves with the knocker's answer.
pub struct Pair<L, K> {
    pub listener: Messenger<L, K>,
    pub listener_pending: Pending<L, K>,
    pub knocker: Messenger<K, L>,
    pub knocker_first: Received<L>,
}

/// Connects a listener and a knocker in this page (the page knocks on its own window) and lets
/// the listener send `first`.
pub async fn connect_pair<L, K>(listener_config: Config, knocker_config: Config, first: L) -> Pair<L, K>
where
    L: Serialize + DeserializeOwned + 'static,
    K: Serialize + DeserializeOwned + 'static,
{
    let window = window();
    // The listener first: its window listener exists before the knock is posted.
    let listening = listen::<L, K>(listener_config, Source::Window(window.clone()));
    let answered = within(
        STEP,
        "the knock to be answered",
        knock(knocker_config, vec![Target::Window(window)]),
    )
    .await
    .expect("knock is answered");
    let finishing = answered.finish_handshake::<K, L>();
    let listener_side = async {
        let listener = listening.await.expect("listener connects");
        let pending: Pending<L, K> = Box::pin(listener.send(first));
        (listener, pending)
    };
    let ((listener, listener_pending), finished) = within(
        STEP,
        "the handshake to complete",
        futures::future::join(listener_side, finishing),
    )
    .await;
    let (knocker, knocker_first) = finished.expect("knocker receives the listener's first message");
    Pair {
        listener,
        listener_pending,
        knocker,
        knocker_first,
    }
}

/// Page script knocks on `window`: a valid knock, posted at this page's origin with a fresh
/// channel. Returns the inbox where the `🤝` answer to it would arrive.
pub fn js_knock(window: &web_sys::Window) -> Inbox {
    js_knock_saying(window, "")
}

/// [`js_knock`] with more members in the knock (`members`: JSON members, each followed by a
/// comma, such as `"$binary":true,`).
pub fn js_knock_saying(window: &web_sys::Window, members: &str) -> Inbox {
    let knock_channel = channel();
    let answers = Inbox::on_port(&knock_channel.port1());
    let json = format!(r#"{{"$type":"👋","$version":1,{members}"$responsePort":"@0"}}"#);
    let knock = build(&json, &[&knock_channel.port2()], &JsValue::NULL);
    post_to_window(window, &knock, &page_origin(), &[&knock_channel.port2()]);
    answers
}

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    /// A classic dedicated worker running `source`.
    pub fn spawn_worker(source: &str) -> web_sys::Worker;
}

/// The JavaScript knocker's acknowledgement (👂) of a listener's `answer` (🤝), with a fresh
/// channel: returns it and the inbox on its kept end, where the listener's first message arrives.
pub fn js_acknowledge(answer: &Got) -> (MessageChannel, Inbox) {
    let next = channel();
    let inbox = Inbox::on_port(&next.port1());
    let ack = build(
        r#"{"$type":"👂","$raw":true,"$responsePort":"@0"}"#,
        &[&next.port2()],
        &JsValue::NULL,
    );
    post(&answer.response_port(), &ack, &[&next.port2()]);
    (next, inbox)
}

/// A raw JavaScript knocker in this page connected to a Rust listener on the page's window: the
/// JavaScript side knocked, got `🤝`, sent `👂`. Returns the listener and the JavaScript inbox
/// where the listener's first message will arrive.
pub async fn js_knocker_connected<Out, In>(config: Config) -> (Messenger<Out, In>, Inbox) {
    let window = window();
    let listening = listen::<Out, In>(config, Source::Window(window.clone()));
    let answers = js_knock(&window);
    let answer = answers.next(STEP, "🤝").await;
    assert_eq!(answer.field("$type").as_string().as_deref(), Some("🤝"));
    assert_eq!(answer.field("$version").as_f64(), Some(1.0));
    assert_eq!(answer.ports.len(), 1, "🤝 transfers exactly its reply port");
    let (_next, inbox) = js_acknowledge(&answer);
    let listener = within(STEP, "the listener to connect", listening)
        .await
        .expect("listener connects");
    (listener, inbox)
}

/// A raw JavaScript listener in this page: waits for the Rust knocker's knock on the window and
/// returns its `$responsePort` (the caller answers, well-formed or not). The inbox is closed.
pub async fn js_receive_knock(knocks: &Inbox) -> Got {
    let knock = knocks.next(STEP, "👋").await;
    assert_eq!(knock.field("$type").as_string().as_deref(), Some("👋"));
    assert_eq!(knock.field("$version").as_f64(), Some(1.0));
    assert_eq!(knock.ports.len(), 1, "the knock transfers exactly its port");
    assert!(knock.trusted);
    assert_eq!(knock.origin, page_origin());
    knock
}
