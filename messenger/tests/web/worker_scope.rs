//! Rust inside a dedicated worker, on either end of the messenger: the worker listens with
//! `Source::WorkerScope` while its page knocks with `Target::Worker`, and the worker knocks with
//! `Target::WorkerScope` while its page listens with `Source::Worker`.
//!
//! This test binary is also the worker's program. The page starts a *module* worker from a small
//! script ([`spawn_rust_worker`]) that imports this binary's own wasm-bindgen module (its URL is
//! that module's `import.meta.url`, [`GLUE_URL`]), instantiates the binary's compiled
//! `WebAssembly.Module` (posted along, so it is neither fetched nor compiled again) and calls
//! [`worker_scope_main`] with the worker's [`Role`]. Module workers, a blob worker importing a
//! same-origin module, and posting a compiled module to a worker work alike in Chromium, Firefox
//! and WebKit.
//!
//! Page and worker coordinate on a `MessageChannel` of their own (the *control* channel: JSON
//! text of [`Report`]s and [`Command`]s; the worker's first message hands it its end), so that
//! from then on the worker's global channel carries only the protocol, plus the one message that
//! is not a knock each conversation posts there on purpose, to see the gate ignore it.
//!
//! Both conversations are the same: the listener asks ([`ask`]), the knocker serves
//! ([`serve_to_the_end`]), and whichever side ran which reports what it saw, for the page to
//! assert ([`assert_asked`], [`assert_served`], [`assert_ended`]). Listeners are counted on both
//! sides ([`live`]; the worker reports its own counts) and must end where they started.

use std::cell::RefCell;
use std::convert::Infallible;
use std::time::Duration;

use crate::support::listeners::{live, Listeners};
use crate::support::*;
use futures::future::join_all;
use futures::StreamExt;
use messenger::{
    knock, listen, Answered, Config, Error, InterruptRequest, InterruptSender, InterruptStream, LoopEnd, Messenger,
    OneTimeInterrupt, Received, Reply, SendError, Serving, Source, Stage, Step, Target,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::MessagePort;

// ---------------------------------------------------------------------------------------------
// The conversation, the same whichever side runs in the worker.

/// What the asking side (the listener) sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum Ask {
    /// Answer, echoing this.
    Text(String),
    /// Emit these, in order, on the interrupt channel that rides along.
    Emit(Vec<u32>),
    /// Answer with an interrupt channel of this kind, for the asker to emit on.
    Offer(Kind),
    /// The last ask: the serving loop ends with its answer.
    Bye,
}

/// An interrupt channel's kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Kind {
    MultiUse,
    OneTime,
}

/// What the serving side (the knocker) answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    /// 1 for the first ask the loop saw, 2 for the next, ...
    count: u32,
    /// The ask answered.
    ask: Ask,
    /// For [`Ask::Emit`]: each emit's outcome, in order.
    emitted: Vec<Result<(), String>>,
}

/// What the asking side saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Asked {
    /// Every answer, in the order asked.
    answers: Vec<Answer>,
    /// The interrupts on the multi-use channel it requested, in order.
    requested_multi_use: Vec<Result<u32, String>>,
    /// The interrupt on the one-time channel it requested.
    requested_one_time: Result<u32, String>,
    /// Its emits on the channels the server offered: the multi-use one's, the one-time one's.
    offered_emits: Vec<Vec<Result<(), String>>>,
}

/// What the serving side saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Served {
    /// The interrupts on the multi-use channel it offered, in order.
    offered_multi_use: Vec<Result<u32, String>>,
    /// The interrupt on the one-time channel it offered.
    offered_one_time: Result<u32, String>,
}

/// How a side's session ended, after the peer had ended its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ending {
    /// How the wait for the peer's next message ended (the peer no longer answers).
    pending: Result<(), String>,
    /// What the multi-use channel this side still listened on yielded until it ended.
    stream: Vec<Result<u32, String>>,
    /// An emit on a channel the peer had offered, after the end (the asker holds one).
    emit_after: Option<Result<(), String>>,
    /// Live listeners right after the close (or drop)...
    at_end: Listeners,
    /// ... and once every handle is gone.
    after: Listeners,
}

/// How a side ends its session.
#[derive(Debug, Clone, Copy)]
enum End {
    /// [`Messenger::close`], the messenger kept a while longer.
    Close,
    /// Dropping the messenger.
    Drop,
}

/// What the asker keeps open after its last ask.
struct Kept {
    /// The multi-use channel it requested.
    stream: InterruptStream<u32>,
    /// The senders of the channels the server offered.
    senders: Vec<InterruptSender<u32>>,
}

/// An outcome as a report carries it: the error's text.
fn outcome<T>(result: Result<T, Error>) -> Result<T, String> {
    result.map_err(|error| error.to_string())
}

/// The next interrupt of a stream, as a report carries it.
async fn next_interrupt(stream: &mut InterruptStream<u32>, what: &str) -> Result<u32, String> {
    within(STEP, what, stream.next())
        .await
        .map_or_else(|| Err("the stream ended".to_owned()), outcome)
}

/// What a stream still yields until it ends.
async fn rest_of(stream: &mut InterruptStream<u32>) -> Vec<Result<u32, String>> {
    let mut rest = Vec::new();
    // Bounded: an ended channel yields at most its error.
    while rest.len() < 3 {
        match within(STEP, "the interrupt stream to end", stream.next()).await {
            Some(item) => rest.push(outcome(item)),
            None => break,
        }
    }
    rest
}

/// The listener's side: three sends queued at once, then a multi-use and a one-time channel it
/// requests (the server emits on them), then a multi-use and a one-time channel the server
/// offers (this side emits on them), then [`Ask::Bye`].
async fn ask(messenger: &Messenger<Ask, Answer>) -> (Asked, Kept) {
    let mut answers = Vec::new();
    // FIFO: three sends queued at once go out one per turn, each resolving with its own answer.
    let queued: Vec<_> = ["one", "two", "three"]
        .into_iter()
        .map(|text| messenger.send(Ask::Text(text.into())))
        .collect();
    for answer in within(STEP, "the answers to three queued sends", join_all(queued)).await {
        answers.push(answer.expect("an answer").into_message());
    }

    let (request, mut multi_use) = InterruptRequest::multi_use::<u32>();
    let answer = messenger.send_with_interrupt(Ask::Emit(vec![3, 1, 4, 1, 5]), request);
    answers.push(
        within(STEP, "an answer", answer)
            .await
            .expect("an answer")
            .into_message(),
    );
    let mut requested_multi_use = Vec::new();
    for _ in 0..5 {
        requested_multi_use.push(next_interrupt(&mut multi_use, "an interrupt on the requested channel").await);
    }
    let (request, one_time) = InterruptRequest::one_time::<u32>();
    let answer = messenger.send_with_interrupt(Ask::Emit(vec![9, 8]), request);
    answers.push(
        within(STEP, "an answer", answer)
            .await
            .expect("an answer")
            .into_message(),
    );
    let requested_one_time = outcome(within(STEP, "the requested one-time interrupt", one_time).await);

    let mut offered_emits = Vec::new();
    let mut senders = Vec::new();
    for (kind, values) in [(Kind::MultiUse, vec![2, 7, 1, 8]), (Kind::OneTime, vec![6, 6])] {
        let mut answer = within(STEP, "an offer", messenger.send(Ask::Offer(kind)))
            .await
            .expect("an answer");
        let sender = answer
            .take_interrupt::<u32>()
            .expect("the answer carries an interrupt channel");
        offered_emits.push(values.iter().map(|value| outcome(sender.emit(value))).collect());
        senders.push(sender);
        answers.push(answer.into_message());
    }
    let bye = within(STEP, "the answer to Bye", messenger.send(Ask::Bye)).await;
    answers.push(bye.expect("an answer").into_message());
    let asked = Asked {
        answers,
        requested_multi_use,
        requested_one_time,
        offered_emits,
    };
    (
        asked,
        Kept {
            stream: multi_use,
            senders,
        },
    )
}

/// The knocker's handler loop: answers every ask, emits on the channels the asker requested (and
/// keeps their senders while the loop runs) and offers its own two channels.
fn serve_asks(answered: Answered) -> (Serving<Answer, Ask>, InterruptStream<u32>, OneTimeInterrupt<u32>) {
    let (multi_use, offered_multi_use) = InterruptRequest::multi_use::<u32>();
    let (one_time, offered_one_time) = InterruptRequest::one_time::<u32>();
    let mut offers = (Some(multi_use), Some(one_time));
    let mut count = 0;
    let mut senders = Vec::new();
    let serving = answered.try_serve(
        move |mut received: Received<Ask>| {
            count += 1;
            let mut emitted = Vec::new();
            if let Ask::Emit(values) = received.message.clone() {
                let sender = received.take_interrupt::<u32>();
                emitted = match &sender {
                    Some(sender) => values.iter().map(|value| outcome(sender.emit(value))).collect(),
                    None => vec![Err("no interrupt channel came along".to_owned())],
                };
                senders.extend(sender);
            }
            let ask = received.into_message();
            let offer = match &ask {
                Ask::Offer(Kind::MultiUse) => offers.0.take(),
                Ask::Offer(Kind::OneTime) => offers.1.take(),
                _ => None,
            };
            let last = ask == Ask::Bye;
            let mut reply = Reply::new(Answer { count, ask, emitted });
            if let Some(request) = offer {
                reply = reply.with_interrupt(request);
            }
            if last {
                reply = reply.last();
            }
            std::future::ready(Ok::<_, Infallible>(reply))
        },
        |never| match never {},
    );
    (serving, offered_multi_use, offered_one_time)
}

/// The knocker's side: serves until [`Ask::Bye`], takes what arrived on its offered channels,
/// then ends its session (first: the asker ends after it).
async fn serve_to_the_end(answered: Answered, how: End) -> (Served, Ending) {
    let (serving, mut multi_use, one_time) = serve_asks(answered);
    let (messenger, next) = match within(STEP, "the handler loop to end", serving).await {
        Ok(LoopEnd::Finished { messenger, next }) => (messenger, next),
        other => panic!("the loop ended otherwise: {other:?}"),
    };
    let mut offered_multi_use = Vec::new();
    for _ in 0..4 {
        offered_multi_use.push(next_interrupt(&mut multi_use, "an interrupt on the offered channel").await);
    }
    let offered_one_time = outcome(within(STEP, "the offered one-time interrupt", one_time).await);
    let served = Served {
        offered_multi_use,
        offered_one_time,
    };

    let messenger = end(messenger, how);
    let at_end = live();
    let pending = within(STEP, "the wait for the next message to fail", next).await;
    let pending = outcome(pending.map(drop).map_err(SendError::into_error));
    let stream = rest_of(&mut multi_use).await;
    drop((messenger, multi_use));
    let ending = Ending {
        pending,
        stream,
        emit_after: None,
        at_end,
        after: live(),
    };
    (served, ending)
}

/// The asker's side, after the server ended its own: a send nobody answers, then the end.
async fn end_asking(messenger: Messenger<Ask, Answer>, mut kept: Kept, how: End) -> Ending {
    let pending = messenger.send(Ask::Text("unanswered".into()));
    let messenger = end(messenger, how);
    let at_end = live();
    let pending = within(STEP, "the unanswered send to fail", pending).await;
    let pending = outcome(pending.map(drop).map_err(SendError::into_error));
    let stream = rest_of(&mut kept.stream).await;
    let emit_after = Some(outcome(kept.senders[0].emit(&0)));
    drop((messenger, kept));
    Ending {
        pending,
        stream,
        emit_after,
        at_end,
        after: live(),
    }
}

/// Closes (and keeps) or drops `messenger`.
fn end<Out, In>(messenger: Messenger<Out, In>, how: End) -> Option<Messenger<Out, In>> {
    match how {
        End::Close => {
            messenger.close();
            Some(messenger)
        }
        End::Drop => None,
    }
}

fn expected_answers() -> Vec<Answer> {
    let spent = Err(Error::InterruptSpent.to_string());
    let asks = [
        (Ask::Text("one".into()), vec![]),
        (Ask::Text("two".into()), vec![]),
        (Ask::Text("three".into()), vec![]),
        (Ask::Emit(vec![3, 1, 4, 1, 5]), vec![Ok(()); 5]),
        // A one-time channel takes one interrupt: the sender knows, and says so.
        (Ask::Emit(vec![9, 8]), vec![Ok(()), spent]),
        (Ask::Offer(Kind::MultiUse), vec![]),
        (Ask::Offer(Kind::OneTime), vec![]),
        (Ask::Bye, vec![]),
    ];
    (1..)
        .zip(asks)
        .map(|(count, (ask, emitted))| Answer { count, ask, emitted })
        .collect()
}

fn assert_asked(asked: &Asked) {
    assert_eq!(asked.answers, expected_answers(), "every answer, in the order asked");
    assert_eq!(asked.requested_multi_use, [3, 1, 4, 1, 5].map(Ok));
    assert_eq!(asked.requested_one_time, Ok(9), "the first interrupt wins");
    let spent = Err(Error::InterruptSpent.to_string());
    assert_eq!(asked.offered_emits, vec![vec![Ok(()); 4], vec![Ok(()), spent]]);
}

fn assert_served(served: &Served) {
    assert_eq!(served.offered_multi_use, [2, 7, 1, 8].map(Ok));
    assert_eq!(served.offered_one_time, Ok(6));
}

/// Every wait failed with [`Error::Closed`] and the listeners are back at `baseline`.
fn assert_ended(ending: &Ending, baseline: Listeners, asker: bool) {
    let closed = Error::Closed.to_string();
    assert_eq!(ending.pending, Err(closed.clone()), "the pending wait fails");
    assert_eq!(
        ending.stream,
        vec![Err(closed.clone())],
        "the open channel fails, then ends"
    );
    assert_eq!(ending.emit_after, asker.then_some(Err(closed)), "no emit after the end");
    assert_eq!(ending.at_end, baseline, "the end removed every listener");
    assert_eq!(ending.after, baseline);
}

/// A message that is not a knock (no `$type: "👋"`), as some other script would post.
fn not_a_knock() -> JsValue {
    js_sys::JSON::parse(r#"{"hello":"not a knock"}"#).expect("JSON")
}

/// Why the observed session ignored the messages it ignored.
fn ignored(trace: &Trace) -> Vec<String> {
    trace
        .steps()
        .into_iter()
        .filter_map(|step| match step {
            Step::Ignored { reason } => Some(reason.to_string()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Page and worker: the control channel.

/// What the worker does.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Role {
    /// Listens on its own scope ([`Source::WorkerScope`]) and asks; on [`Command::End`], closes.
    Listen,
    /// On [`Command::Go`], posts a message that is not a knock to its page, then knocks on it
    /// ([`Target::WorkerScope`]), serves, and drops its messenger.
    Knock,
    /// Listens, then knocks, with nobody on the other end: both time out on the worker's timers.
    Unanswered,
}

/// What the page tells the worker.
#[derive(Debug, Serialize, Deserialize)]
enum Command {
    /// Start knocking.
    Go,
    /// End the session: the page has ended its own.
    End,
}

/// What the worker tells the page.
#[derive(Debug, Serialize, Deserialize)]
enum Report {
    /// Its wasm runs; its listeners before the messenger started.
    Ready(Listeners),
    /// The messenger started (listening or knocking); its listeners now.
    Started(Listeners),
    /// The handshake is done (listener) or answered (knocker): its listeners now, and why it
    /// ignored what it ignored.
    Connected { listeners: Listeners, ignored: Vec<String> },
    /// What it saw as the asker.
    Asked(Asked),
    /// What it saw as the server.
    Served(Served),
    /// How its session ended.
    Ended(Ending),
    /// How the unanswered listen and knock ended, how many knocks went out, its listeners after.
    TimedOut {
        listened: Result<(), String>,
        knocked: Result<(), String>,
        knocks: usize,
        listeners: Listeners,
    },
    /// A panic (or an error the bootstrap script caught) in the worker.
    Failed(String),
}

thread_local! {
    /// The worker's end of the control channel, for the panic hook.
    static CONTROL: RefCell<Option<MessagePort>> = const { RefCell::new(None) };
}

fn post_json(port: &MessagePort, value: &impl Serialize) {
    let text = serde_json::to_string(value).expect("control messages serialise");
    port.post_message(&JsValue::from_str(&text))
        .expect("a string can be posted");
}

/// The worker's end of the control channel.
struct Control {
    port: MessagePort,
    commands: Inbox,
}

impl Control {
    fn new(port: MessagePort) -> Self {
        CONTROL.with(|control| *control.borrow_mut() = Some(port.clone()));
        // A panic in the worker fails the page's test with its message.
        std::panic::set_hook(Box::new(|info| {
            let report = Report::Failed(info.to_string());
            CONTROL.with(|control| control.borrow().iter().for_each(|port| post_json(port, &report)));
        }));
        let commands = Inbox::on_port(&port);
        Control { port, commands }
    }

    fn report(&self, report: &Report) {
        post_json(&self.port, report);
    }

    async fn command(&self) -> Command {
        let got = self.commands.next(LOAD, "a command from the page").await;
        serde_json::from_str(&got.data.as_string().expect("JSON text")).expect("a command")
    }
}

/// The worker's program, called by the script [`spawn_rust_worker`] starts it with.
#[wasm_bindgen]
pub async fn worker_scope_main(control: MessagePort, role: String, page_origin: String) {
    let control = Control::new(control);
    control.report(&Report::Ready(live()));
    let role: Role = serde_json::from_str(&role).expect("a role");
    let trace = Trace::default();
    // The origin is the page's. A dedicated worker's messages carry none, so it is not checked
    // (a dedicated worker talks only with the page that started it), but a config needs one.
    let new_config = || {
        trace.observe(
            Config::new(&page_origin)
                .expect("the page's origin")
                .handshake_timeout(Duration::from_secs(5)),
        )
    };
    match role {
        Role::Listen => {
            let config = new_config();
            // What an integrator writes in the worker (docs/CONTEXTS.md, "Worker"):
            let listening = listen::<Ask, Answer>(config, Source::WorkerScope);
            control.report(&Report::Started(live()));
            let messenger = within(STEP, "the page's knock", listening)
                .await
                .expect("connected to the page");
            control.report(&Report::Connected {
                listeners: live(),
                ignored: ignored(&trace),
            });
            let (asked, kept) = ask(&messenger).await;
            control.report(&Report::Asked(asked));
            // The page ends its side first, so that nothing answers what this side sends next.
            match control.command().await {
                Command::End => {}
                other => panic!("expected End, got {other:?}"),
            }
            control.report(&Report::Ended(end_asking(messenger, kept, End::Close).await));
        }
        Role::Knock => {
            match control.command().await {
                Command::Go => {}
                other => panic!("expected Go, got {other:?}"),
            }
            let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
            scope.post_message(&not_a_knock()).expect("posted");
            let config = new_config();
            // What an integrator writes in the worker (docs/CONTEXTS.md, "Worker"):
            let knocking = knock(config, vec![Target::WorkerScope]);
            control.report(&Report::Started(live()));
            let answered = within(STEP, "the page's answer", knocking)
                .await
                .expect("the page answers");
            control.report(&Report::Connected {
                listeners: live(),
                ignored: ignored(&trace),
            });
            let (served, ending) = serve_to_the_end(answered, End::Drop).await;
            control.report(&Report::Served(served));
            control.report(&Report::Ended(ending));
        }
        Role::Unanswered => {
            let listening = listen::<Ask, Answer>(
                new_config().handshake_timeout(Duration::from_millis(300)),
                Source::WorkerScope,
            );
            let listened = within(STEP, "the listener's timeout", listening).await.map(drop);
            // About 20 knocks in the second (a busy machine delays timers; 3 are asserted).
            let knocking = knock(
                new_config()
                    .handshake_timeout(Duration::from_secs(1))
                    .knock_interval(Duration::from_millis(50)),
                vec![Target::WorkerScope],
            );
            let knocked = within(STEP, "the knocker's timeout", knocking).await.map(drop);
            control.report(&Report::TimedOut {
                listened: outcome(listened),
                knocked: outcome(knocked),
                knocks: trace.count(|step| matches!(step, Step::KnockSent { .. })),
                listeners: live(),
            });
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// The URL of this binary's wasm-bindgen module (its `import.meta.url`): the worker imports it.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn spawn_rust_worker(
        glue: &str,
        module: &JsValue,
        control: &MessagePort,
        reports: &MessagePort,
        role: &str,
        origin: &str,
    ) -> web_sys::Worker;
}

/// The bound for a worker to instantiate this binary and report `Ready`. A worker started at
/// once usually reports within a second, but this binary holds every browser test (about 17 MB
/// of wasm), and the worker tests may run while Firefox is still compiling that module for the
/// page in the background on a loaded 2-core machine: once, all three waited longer than
/// [`LOAD`] there, and passed when run again. On 2026-12-07 a worker in Firefox waited more than
/// 30 s, while that engine's page loads from the test runner's server stalled for about 2 min
/// in the same hour (docs/TESTING.md, "Where the engines differ"). How fast an engine starts a worker is
/// not what these tests prove, so the start gets a bound of its own, past such a stall (the time
/// it took is logged); every step after it keeps the usual bounds.
const WORKER_START: u32 = 150_000;

/// The page's handle of a worker that runs this binary; dropping it terminates the worker.
struct RustWorker {
    worker: web_sys::Worker,
    control: MessagePort,
    reports: Inbox,
}

impl RustWorker {
    /// Starts a worker in `role`; returns it with its listeners before its messenger started.
    async fn spawn(role: Role) -> (Self, Listeners) {
        let channel = channel();
        let reports = Inbox::on_port(&channel.port1());
        let worker = spawn_rust_worker(
            &GLUE_URL.with(String::clone),
            &wasm_bindgen::module(),
            &channel.port2(),
            &channel.port1(),
            &serde_json::to_string(&role).expect("a role serialises"),
            &page_origin(),
        );
        let this = RustWorker {
            worker,
            control: channel.port1(),
            reports,
        };
        let started = js_sys::Date::now();
        match this.report_within(WORKER_START, "the worker to start").await {
            Report::Ready(baseline) => {
                console_log!("the {role:?} worker started in {} ms", js_sys::Date::now() - started);
                (this, baseline)
            }
            other => panic!("expected Ready, got {other:?}"),
        }
    }

    /// The worker's next report; fails the test with the worker's failure, if it reports one.
    async fn report(&self, what: &str) -> Report {
        self.report_within(LOAD, what).await
    }

    /// [`RustWorker::report`], waiting at most `millis`.
    async fn report_within(&self, millis: u32, what: &str) -> Report {
        let report = self.next_report(millis, what).await;
        if let Report::Failed(first) = report {
            // A panic reaches the page twice, in either order: as the panic hook's report and as
            // the worker's `error` event ("unreachable"). Both are shown.
            let mut failures = vec![first];
            gloo_timers::future::TimeoutFuture::new(QUIET).await;
            while self.reports.unread() > 0 {
                failures.push(format!("{:?}", self.next_report(LOAD, "another report").await));
            }
            panic!("the worker failed: {}", failures.join("\n"));
        }
        report
    }

    async fn next_report(&self, millis: u32, what: &str) -> Report {
        let got = self.reports.next(millis, what).await;
        serde_json::from_str(&got.data.as_string().expect("JSON text")).expect("a report")
    }

    fn command(&self, command: &Command) {
        post_json(&self.control, command);
    }
}

impl Drop for RustWorker {
    fn drop(&mut self) {
        self.reports.close();
        self.worker.terminate();
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[wasm_bindgen_test]
async fn worker_scope_listener_is_knocked_on_by_its_page() {
    let (rust_worker, worker_baseline) = RustWorker::spawn(Role::Listen).await;
    let worker = rust_worker.worker.clone();
    let page_baseline = live();
    match rust_worker.report("the worker to listen").await {
        Report::Started(listening) => assert_eq!(
            listening,
            Listeners {
                global: worker_baseline.global + 2,
                ..worker_baseline
            },
            "message and messageerror on the worker's scope"
        ),
        other => panic!("expected Started, got {other:?}"),
    }
    // On the same channel as the knock, before it: the worker's listener ignores it.
    worker.post_message(&not_a_knock()).expect("posted");
    let config = page_config();
    // What an integrator writes in the page (docs/CONTEXTS.md, "Worker"):
    let knocking = knock(config, vec![Target::Worker(worker.clone())]);
    let answered = within(STEP, "the worker's 🤝", knocking)
        .await
        .expect("the worker answers");
    let now = live();
    assert_eq!(
        (now.global, now.workers),
        (page_baseline.global, page_baseline.workers),
        "a knocker listens on no window and no worker"
    );
    // The page serves, ends first (dropping its messenger), then lets the worker close.
    let (served, page_ending) = serve_to_the_end(answered, End::Drop).await;
    assert_served(&served);
    assert_ended(&page_ending, page_baseline, false);
    // The worker connected when the page's loop acknowledged its answer.
    match rust_worker.report("the worker to connect").await {
        Report::Connected { listeners, ignored } => {
            assert_eq!(
                listeners.global, worker_baseline.global,
                "the scope's listeners went with the accepted knock"
            );
            assert_eq!(ignored, ["not a knock"]);
        }
        other => panic!("expected Connected, got {other:?}"),
    }

    match rust_worker.report("what the worker asked").await {
        Report::Asked(asked) => assert_asked(&asked),
        other => panic!("expected Asked, got {other:?}"),
    }
    rust_worker.command(&Command::End);
    match rust_worker.report("the worker to close").await {
        Report::Ended(ending) => assert_ended(&ending, worker_baseline, true),
        other => panic!("expected Ended, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn worker_scope_knocker_is_answered_by_its_page() {
    let (rust_worker, worker_baseline) = RustWorker::spawn(Role::Knock).await;
    let worker = rust_worker.worker.clone();
    let page_baseline = live();
    let trace = Trace::default();
    let config = trace.observe(page_config());
    // What an integrator writes in the page (docs/CONTEXTS.md, "Worker"):
    let listening = listen::<Ask, Answer>(config, Source::Worker(worker.clone()));
    assert_eq!(
        live(),
        Listeners {
            workers: page_baseline.workers + 2,
            // The session's `pagehide` guard: the page going away ends its session with its
            // worker too.
            lifecycle: page_baseline.lifecycle + 1,
            ..page_baseline
        },
        "message and messageerror on the worker, no message listener on the window"
    );
    rust_worker.command(&Command::Go);
    let messenger = within(STEP, "the worker's knock", listening)
        .await
        .expect("connected to the worker");
    let now = live();
    assert_eq!(
        (now.global, now.workers),
        (page_baseline.global, page_baseline.workers),
        "the worker's listeners went with the accepted knock"
    );
    assert_eq!(
        ignored(&trace),
        ["not a knock"],
        "the worker's other message was ignored"
    );
    match rust_worker.report("the worker to knock").await {
        Report::Started(knocking) => assert_eq!(
            knocking.global, worker_baseline.global,
            "a knocker never listens on its scope"
        ),
        other => panic!("expected Started, got {other:?}"),
    }
    match rust_worker.report("the worker's answer").await {
        Report::Connected { listeners, ignored } => {
            assert_eq!(listeners.global, worker_baseline.global);
            assert_eq!(ignored, Vec::<String>::new());
        }
        other => panic!("expected Connected, got {other:?}"),
    }

    let (asked, kept) = ask(&messenger).await;
    assert_asked(&asked);
    // The worker serves, ends first (dropping its messenger), then the page closes.
    match rust_worker.report("what the worker served").await {
        Report::Served(served) => assert_served(&served),
        other => panic!("expected Served, got {other:?}"),
    }
    match rust_worker.report("the worker to end").await {
        Report::Ended(ending) => assert_ended(&ending, worker_baseline, false),
        other => panic!("expected Ended, got {other:?}"),
    }
    let page_ending = end_asking(messenger, kept, End::Close).await;
    assert_ended(&page_ending, page_baseline, true);
}

#[wasm_bindgen_test]
async fn worker_scope_timeouts_fire_inside_the_worker() {
    let (rust_worker, worker_baseline) = RustWorker::spawn(Role::Unanswered).await;
    let knocks = Inbox::on_target(&rust_worker.worker, Some("👋"));
    match rust_worker.report("both timeouts").await {
        Report::TimedOut {
            listened,
            knocked,
            knocks: sent,
            listeners,
        } => {
            let timed_out = Err(Error::TimedOut(Stage::Handshake).to_string());
            assert_eq!(listened, timed_out);
            assert_eq!(knocked, timed_out);
            // The first knock goes out at once; the others on the worker's timers.
            assert!(sent >= 3, "the worker knocked {sent} times in a second");
            assert_eq!(listeners, worker_baseline, "nothing left behind");
            let arrived = async {
                while knocks.unread() < sent as u32 {
                    tick().await;
                }
            };
            within(STEP, "every knock to reach the page", arrived).await;
            assert_eq!(knocks.unread(), sent as u32);
            for _ in 0..sent {
                let knock = knocks.next(STEP, "a knock").await;
                assert_eq!(knock.field("$version").as_f64(), Some(1.0));
                assert_eq!(knock.ports.len(), 1, "each knock transfers its port");
                // A worker's message is trusted and carries no origin, in every engine: which is
                // why the gate checks no origin for workers (see `Source::Worker`).
                assert!(knock.trusted);
                assert_eq!(knock.origin, "");
            }
        }
        other => panic!("expected TimedOut, got {other:?}"),
    }
    knocks.close();
}
