//! Page lifecycles around iframes (issue 23, cases 2 and 3, and the `pagehide` part of case 8):
//! a page going away ends its sessions and tells the peer, an iframe removed while a send waits
//! fails it at once, an iframe moved gives a new session, and the keepers connect again when the
//! page comes back from the back/forward cache.
//!
//! The iframe's page runs this test binary (a *Rust frame*: [`RustFrame`], the program
//! [`frame_page_main`]): a same-origin `srcdoc` page, so that it is a real page with a
//! lifecycle of its own (navigated, moved, removed, it gets a real `pagehide`), that imports
//! this binary's wasm-bindgen module and instantiates the compiled module its iframe element
//! hands it, as the worker tests do (`worker_scope.rs`). It listens for its parent's knock with
//! the messenger, speaks first ("hello"), reports to the test over a control port of the test's
//! and never answers the test's next message, so that the test's send waits. In its own
//! `pagehide` (an `onpagehide` handler set after the session started, so it runs after the
//! session's own guard) it reports, synchronously, how its session ended and its listeners.
//!
//! The back/forward cache itself cannot be entered from here (the test page cannot navigate
//! away), so its tests dispatch script-made `pagehide` and `pageshow` (with `persisted`) on
//! both windows in one task, as the browser does around the cache; the real cache is driven end
//! to end (e2e). The `pagehide` of a navigation and of a removal are real.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use messenger::{
    knock, listen, Answered, CloseReason, Config, Error, Messenger, Reconnector, Source, Target, WindowKeeper,
    WindowKeeperTiming,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlIFrameElement, MessagePort};

use crate::origin::{fixture_url, load, new_iframe};
use crate::support::listeners::{live, Listeners};
use crate::support::*;

// ---------------------------------------------------------------------------------------------
// The Rust frame: the program in the iframe

/// What the frame's program does after its session ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Role {
    /// Nothing more.
    Once,
    /// After a session ended with `PageHidden`, listens again when the page is shown from the
    /// back/forward cache (what `messenger_yew::use_listen` does).
    Relisten,
}

/// What the frame reports to the test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum FrameReport {
    /// The program runs; its listeners before the messenger started.
    Ready(Listeners),
    /// The session connected (its "hello" is on the way).
    Connected,
    /// The test's answer to "hello", which the frame holds without answering.
    Received(String),
    /// The frame's `pagehide`, reported synchronously in it, after the session's own guard ran.
    Hidden {
        persisted: bool,
        /// How the session had ended by then (`Debug` of the error), if it had.
        closed_with: Option<String>,
        open_ports: usize,
        listeners: Listeners,
    },
    /// The session (or the listen) ended, as its task saw it.
    Ended(String),
    /// Something failed in the frame.
    Failed(String),
}

/// The frame's side of the control port.
#[derive(Clone)]
struct Control(MessagePort);

impl Control {
    fn report(&self, report: &FrameReport) {
        let text = serde_json::to_string(report).expect("a report serialises");
        self.0.post_message(&JsValue::from_str(&text)).expect("posted");
    }
}

/// The frame page's program, called by the script [`load_rust_frame`] puts in the iframe.
#[wasm_bindgen]
pub async fn frame_page_main(control: MessagePort, role: String, origin: String) {
    let control = Control(control);
    control.report(&FrameReport::Ready(live()));
    let role: Role = serde_json::from_str(&role).expect("a role");
    let window = window();
    let parent = window.parent().ok().flatten().expect("a frame has a parent");
    loop {
        let config = Config::new(&origin)
            .expect("the page's origin")
            .handshake_timeout(Duration::from_secs(30));
        let listening = listen::<String, String>(config, Source::Window(parent.clone()));
        // Set after `listen` made the session's `pagehide` guard, so it runs after it (unset
        // first: a handler set again keeps its old place among the listeners). An event handler
        // property, not a listener, so that the counts it reports leave it out. Never unset
        // while the page lives: the page's `pagehide` may come while this task is anywhere.
        let session: Rc<RefCell<Option<Messenger<String, String>>>> = Rc::default();
        let reporter = {
            let (control, session) = (control.clone(), session.clone());
            Closure::<dyn FnMut(web_sys::PageTransitionEvent)>::new(move |event: web_sys::PageTransitionEvent| {
                let status = session.borrow().as_ref().map(Messenger::status);
                control.report(&FrameReport::Hidden {
                    persisted: event.persisted(),
                    closed_with: status
                        .as_ref()
                        .and_then(|s| s.closed_with.as_ref())
                        .map(|e| format!("{e:?}")),
                    open_ports: status.map_or(0, |s| s.open_ports),
                    listeners: live(),
                });
            })
        };
        window.set_onpagehide(None);
        window.set_onpagehide(Some(reporter.as_ref().unchecked_ref()));
        keep(reporter);
        let messenger = match listening.await {
            Ok(messenger) => messenger,
            Err(error) => {
                control.report(&FrameReport::Ended(format!("{error:?}")));
                break;
            }
        };
        let closed = messenger.closed();
        let hello = messenger.send("hello".to_owned());
        *session.borrow_mut() = Some(messenger);
        control.report(&FrameReport::Connected);
        // A failure is the session's end, reported below.
        if let Ok(answer) = hello.await {
            control.report(&FrameReport::Received(answer.message));
        }
        // Held: the test's send waits until the session ends.
        let why = closed.await;
        // The ended session stays where the reporter reads it (the engine may run this task
        // between the page's `pagehide` listeners).
        control.report(&FrameReport::Ended(format!("{why:?}")));
        if role == Role::Once || why != Error::PageHidden {
            break;
        }
        // Back from the cache: listen again.
        let (shown, restored) = oneshot::channel::<()>();
        let shown = RefCell::new(Some(shown));
        let on_show =
            Closure::<dyn FnMut(web_sys::PageTransitionEvent)>::new(move |event: web_sys::PageTransitionEvent| {
                if event.persisted() {
                    if let Some(shown) = shown.borrow_mut().take() {
                        let _ = shown.send(());
                    }
                }
            });
        window.set_onpageshow(Some(on_show.as_ref().unchecked_ref()));
        keep(on_show);
        let _ = restored.await;
        window.set_onpageshow(None);
    }
    // Never returns, as an application's page does not: in WebKitGTK, a program whose promise
    // settled after its iframe was removed (the session's end wakes it in the page's
    // `pagehide`, inside the removing script) hung the test page for good; a task woken there
    // that goes on waiting does not.
    futures::future::pending::<()>().await;
}

thread_local! {
    /// The frame's event handlers, kept for the life of its page (each frame page has an
    /// instance of this binary of its own): a handler may run while the program is anywhere.
    static HANDLERS: RefCell<Vec<Closure<dyn FnMut(web_sys::PageTransitionEvent)>>> = RefCell::default();
}

fn keep(handler: Closure<dyn FnMut(web_sys::PageTransitionEvent)>) {
    HANDLERS.with(|handlers| handlers.borrow_mut().push(handler));
}

#[wasm_bindgen]
extern "C" {
    /// The URL of this binary's wasm-bindgen module (its `import.meta.url`): the frame imports it.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn load_rust_frame(
        iframe: &HtmlIFrameElement,
        glue: &str,
        module: &JsValue,
        control: &MessagePort,
        role: &str,
        origin: &str,
    );
    fn dispatch_page_transition(window: &web_sys::Window, kind: &str, persisted: bool);
    fn added_listeners(kind: &str) -> u32;
}

/// The bound for a frame to instantiate this binary (about 17 MB of wasm) and report `Ready`:
/// as for a worker (`WORKER_START` in `worker_scope.rs`), how fast an engine starts it is not
/// what these tests prove.
const FRAME_START: u32 = 150_000;

/// How long a reply may take in these tests: far longer than any bound the tests assert, so a
/// session that ends within those did not time out.
const PATIENT: Duration = Duration::from_secs(30);

/// "At once": a lifecycle event ends a session within this, not after a timeout.
const PROMPT: f64 = 1_000.0;

/// The test's handle of an iframe whose page runs [`frame_page_main`].
struct RustFrame {
    iframe: HtmlIFrameElement,
    /// The test's end of the latest load's control port.
    reports: Option<Inbox>,
}

impl RustFrame {
    /// A new iframe, not yet in the document (a reconnector can watch it before it loads).
    fn new() -> Self {
        RustFrame {
            iframe: new_iframe(),
            reports: None,
        }
    }

    /// Loads the program in `role` (inserting the iframe into the body if it is not in the
    /// document) and waits for it to run; returns its listeners before its session.
    async fn load(&mut self, role: Role) -> Listeners {
        let control = channel();
        if let Some(old) = self.reports.replace(Inbox::on_port(&control.port1())) {
            old.close();
        }
        load_rust_frame(
            &self.iframe,
            &GLUE_URL.with(String::clone),
            &wasm_bindgen::module(),
            &control.port2(),
            &serde_json::to_string(&role).expect("a role serialises"),
            &page_origin(),
        );
        if !self.iframe.is_connected() {
            let body = window().document().unwrap().body().unwrap();
            body.append_child(&self.iframe).unwrap();
        }
        self.ready().await
    }

    /// The frame's next `Ready` (after a load or a reload). What the previous page still said
    /// on its way out (its session's end, seen by its task where the engine ran it before the
    /// page was gone) is logged and skipped.
    async fn ready(&self) -> Listeners {
        let started = js_sys::Date::now();
        loop {
            match self.report_within(FRAME_START, "the frame to start").await {
                FrameReport::Ready(baseline) => {
                    console_log!("the frame started in {} ms", js_sys::Date::now() - started);
                    return baseline;
                }
                FrameReport::Ended(why) => console_log!("the previous page's session ended: {why}"),
                other => panic!("expected Ready, got {other:?}"),
            }
        }
    }

    async fn report(&self, what: &str) -> FrameReport {
        self.report_within(LOAD, what).await
    }

    async fn report_within(&self, millis: u32, what: &str) -> FrameReport {
        let got = self.inbox().next(millis, what).await;
        let text = got.data.as_string().expect("JSON text");
        let report: FrameReport = serde_json::from_str(&text).expect("a report");
        if let FrameReport::Failed(failure) = &report {
            panic!("the frame failed: {failure}");
        }
        report
    }

    /// The next report, if one comes within `millis`.
    async fn maybe_report(&self, millis: u32) -> Option<FrameReport> {
        let next = quiet_for(millis, self.inbox().next(millis, "a report")).await?;
        serde_json::from_str(&next.data.as_string()?).ok()
    }

    fn inbox(&self) -> &Inbox {
        self.reports.as_ref().expect("the frame was loaded")
    }

    fn window(&self) -> web_sys::Window {
        self.iframe.content_window().expect("the frame is in the document")
    }
}

impl Drop for RustFrame {
    fn drop(&mut self) {
        if let Some(reports) = self.reports.take() {
            reports.close();
        }
        self.iframe.remove();
    }
}

/// The test's configuration: the frame is of the page's own origin.
fn host_config() -> Config {
    page_config().reply_timeout(PATIENT)
}

/// Knocks on the frame, finishes the handshake and checks the frame's "hello".
async fn connect(frame: &RustFrame) -> Messenger<String, String> {
    let target = Target::iframe(&frame.iframe).expect("the frame is in the document");
    let answered = within(STEP, "the frame's answer", knock(host_config(), vec![target]))
        .await
        .expect("the frame answers");
    finish(answered, frame).await
}

/// Finishes an answered handshake with the frame and checks the frame's "hello".
async fn finish(answered: Answered, frame: &RustFrame) -> Messenger<String, String> {
    let (messenger, hello) = within(STEP, "the frame's hello", answered.finish_handshake::<String, String>())
        .await
        .expect("the handshake completes");
    assert_eq!(hello.message, "hello");
    assert_eq!(frame.report("the frame to connect").await, FrameReport::Connected);
    messenger
}

/// Reads the frame's report from its `pagehide`: its session had ended with `PageHidden`, its
/// ports were closed and its listeners were back at `baseline` (the session's `pagehide` guard
/// gone). The session's task may report its end (`PageHidden` too) before it, when the engine
/// runs microtasks between the two `pagehide` listeners (a navigation: no script on the stack);
/// with `alive`, the page lives on (a script-made `pagehide`), and that report must come.
async fn assert_hidden(frame: &RustFrame, baseline: Listeners, persisted: bool, alive: bool) {
    let mut ended = false;
    let hidden = loop {
        match frame.report("the frame's pagehide").await {
            FrameReport::Ended(why) => {
                assert_eq!(why, "PageHidden", "the frame's session ended on its pagehide");
                ended = true;
            }
            other => break other,
        }
    };
    assert_eq!(
        hidden,
        FrameReport::Hidden {
            persisted,
            closed_with: Some("PageHidden".into()),
            open_ports: 0,
            listeners: baseline,
        },
        "the frame's own pagehide"
    );
    if alive && !ended {
        assert_eq!(
            frame.report("the frame's session end").await,
            FrameReport::Ended("PageHidden".into())
        );
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

// ---------------------------------------------------------------------------------------------
// Case 8 (pagehide): the page going away ends its session and tells the peer

#[wasm_bindgen_test]
async fn lifecycle_a_navigated_iframe_page_ends_its_session_and_tells_the_host_in_either_turn() {
    let before = live();
    let mut frame = RustFrame::new();

    // The host's turn: the frame's "hello" waits for the host's answer when the frame navigates
    // away; the frame's notice comes on its own reply port, which the host holds and watches.
    let baseline = frame.load(Role::Once).await;
    let host = connect(&frame).await;
    let closed = host.closed();
    let started = now();
    frame.window().location().set_href("about:blank").unwrap();
    let why = within(STEP, "the host's session to end", closed).await;
    let took = now() - started;
    assert_eq!(why, Error::PeerClosed(CloseReason::PageHidden));
    assert!(took < PROMPT, "ended {took} ms after the navigation, not by a timeout");
    assert_hidden(&frame, baseline, false, false).await;
    drop(host);

    // The frame's turn: the host's answer waits for the frame's next message when it navigates
    // away; the notice comes on the host's reply port.
    let baseline = frame.load(Role::Once).await;
    let host = connect(&frame).await;
    let waiting = host.send("hold".into());
    assert_eq!(
        frame.report("the frame to get the answer").await,
        FrameReport::Received("hold".into())
    );
    let started = now();
    frame.window().location().set_href("about:blank").unwrap();
    let failed = within(STEP, "the waiting send to fail", waiting).await.unwrap_err();
    let took = now() - started;
    assert_eq!(failed.error, Error::PeerClosed(CloseReason::PageHidden));
    assert!(took < PROMPT, "failed {took} ms after the navigation, not by a timeout");
    assert_hidden(&frame, baseline, false, false).await;
    assert_eq!(host.status().open_ports, 0);
    drop(host);
    drop(frame);
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

// ---------------------------------------------------------------------------------------------
// Case 3: an iframe removed or moved

/// A reconnector on `frame`, whose answered sessions arrive on the returned stream.
fn reconnect(frame: &RustFrame, config: Config) -> (Reconnector, mpsc::UnboundedReceiver<Result<Answered, Error>>) {
    let (tx, answers) = mpsc::unbounded();
    let reconnector = Reconnector::new(&frame.iframe, config, move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    (reconnector, answers)
}

#[wasm_bindgen_test]
async fn lifecycle_an_iframe_removed_while_a_send_waits_fails_it_with_frame_removed_at_once() {
    let before = live();
    let mut frame = RustFrame::new();
    let (reconnector, mut answers) = reconnect(&frame, host_config());
    frame.load(Role::Once).await;
    let answered = within(STEP, "the session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let host = finish(answered, &frame).await;
    let waiting = host.send("hold".into());
    assert_eq!(
        frame.report("the frame to get the answer").await,
        FrameReport::Received("hold".into())
    );
    let closed = host.closed();
    let started = now();
    frame.iframe.remove();
    let failed = within(STEP, "the waiting send to fail", waiting).await.unwrap_err();
    let took = now() - started;
    // Seen at the end of the task that removed the iframe, before the frame page's own notice
    // (its `pagehide`, where the engine fires one for a removed iframe) could arrive.
    assert_eq!(failed.error, Error::FrameRemoved);
    assert_eq!(within(STEP, "closed", closed).await, Error::FrameRemoved);
    assert!(took < PROMPT, "failed {took} ms after the removal, not by a timeout");
    assert_eq!(host.status().open_ports, 0, "every port closed");
    // What the removed frame said in its `pagehide`, if the engine fired one (logged per engine).
    let heard = frame.maybe_report(QUIET).await;
    console_log!("the removed frame reported: {heard:?}");
    drop(host);
    drop(reconnector);
    drop(frame);
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

#[wasm_bindgen_test]
async fn lifecycle_an_unanswered_knock_on_a_removed_iframe_ends_with_frame_removed() {
    let before = live();
    let iframe = new_iframe();
    let (tx, mut answers) = mpsc::unbounded();
    // A cross-origin page that never listens: the knock stays unanswered (its timeout is 30 s).
    let reconnector = Reconnector::new(
        &iframe,
        crate::origin::remote_config().handshake_timeout(PATIENT),
        move |a| {
            let _ = tx.unbounded_send(a);
        },
    );
    load(&iframe, &fixture_url("silent", "")).await;
    tick().await;
    let started = now();
    iframe.remove();
    let result = within(STEP, "the knock to end", answers.next())
        .await
        .expect("the reconnector lives");
    let took = now() - started;
    assert_eq!(result.err(), Some(Error::FrameRemoved));
    assert!(took < PROMPT, "ended {took} ms after the removal");
    drop(reconnector);
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

#[wasm_bindgen_test]
async fn lifecycle_an_iframe_moved_gives_a_new_session_and_supersedes_the_old_one() {
    let before = live();
    let mut frame = RustFrame::new();
    let (reconnector, mut answers) = reconnect(&frame, host_config());
    frame.load(Role::Once).await;
    let answered = within(STEP, "the first session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let first = finish(answered, &frame).await;
    let waiting = first.send("hold".into());
    assert_eq!(
        frame.report("the frame to get the answer").await,
        FrameReport::Received("hold".into())
    );
    let closed = first.closed();

    // Moved to another parent in one task: the iframe reloads.
    let document = window().document().unwrap();
    let other_parent = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&other_parent).unwrap();
    let started = now();
    other_parent.append_child(&frame.iframe).unwrap();
    // The old session ends at the end of that task, before the old page's notice can arrive:
    // `Superseded`, the same in every engine (not `PeerClosed(PageHidden)`).
    let why = within(STEP, "the old session to end", closed).await;
    let took = now() - started;
    assert_eq!(why, Error::Superseded);
    assert!(took < PROMPT, "ended {took} ms after the move");
    assert_eq!(
        within(STEP, "the waiting send", waiting).await.unwrap_err().error,
        Error::Superseded
    );
    // The old page's own `pagehide`, where the engine fires one for a moved iframe.
    let mut reports = Vec::new();
    loop {
        match frame.report_within(FRAME_START, "the moved frame to start again").await {
            FrameReport::Ready(_) => break,
            other => reports.push(other),
        }
    }
    console_log!("the moved frame's old page reported: {reports:?}");

    // The moved iframe's load: a new session, which works.
    let answered = within(LOAD, "the second session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let second = finish(answered, &frame).await;
    let waiting = second.send("two".into());
    assert_eq!(
        frame.report("the frame to get the answer").await,
        FrameReport::Received("two".into())
    );
    assert!(second.status().closed_with.is_none());
    drop(waiting);
    drop(second);
    drop(first);
    drop(reconnector);
    drop(frame);
    other_parent.remove();
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

// ---------------------------------------------------------------------------------------------
// Case 2: the back/forward cache (script-made `pagehide` and `pageshow`, see the module docs)

/// Hides both pages, in one task, as the browser does when the page enters the cache.
fn enter_cache(frame: &RustFrame) {
    dispatch_page_transition(&frame.window(), "pagehide", true);
    dispatch_page_transition(&window(), "pagehide", true);
}

/// Shows both pages again from the cache, in one task.
fn leave_cache(frame: &RustFrame) {
    dispatch_page_transition(&frame.window(), "pageshow", true);
    dispatch_page_transition(&window(), "pageshow", true);
}

#[wasm_bindgen_test]
async fn lifecycle_a_reconnector_knocks_again_when_the_page_comes_back_from_the_cache() {
    let before = live();
    let mut frame = RustFrame::new();
    let (reconnector, mut answers) = reconnect(&frame, host_config());
    let baseline = frame.load(Role::Relisten).await;
    let answered = within(STEP, "the first session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let first = finish(answered, &frame).await;
    assert_eq!(
        live().lifecycle,
        before.lifecycle + 2,
        "the session's pagehide, the reconnector's pageshow"
    );

    enter_cache(&frame);
    // Both sides ended in their own `pagehide` (each notice finds the other side closed).
    assert_eq!(first.status().closed_with, Some(Error::PageHidden));
    assert_eq!(first.status().open_ports, 0);
    assert_hidden(&frame, baseline, true, true).await;
    assert_eq!(
        live().lifecycle,
        before.lifecycle + 1,
        "the session's pagehide guard is gone"
    );
    // Nothing knocks until the page is shown again (no `load` comes).
    assert!(
        quiet_for(QUIET, answers.next()).await.is_none(),
        "no session while hidden"
    );

    leave_cache(&frame);
    let answered = within(STEP, "a new session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let second = finish(answered, &frame).await;
    let waiting = second.send("back".into());
    assert_eq!(
        frame.report("the frame to get the answer").await,
        FrameReport::Received("back".into())
    );
    drop(waiting);
    drop((first, second, reconnector, frame));
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

#[wasm_bindgen_test]
async fn lifecycle_a_window_keeper_starts_over_when_the_page_comes_back_from_the_cache() {
    let before = live();
    let mut frame = RustFrame::new();
    let baseline = frame.load(Role::Relisten).await;
    let (tx, mut answers) = mpsc::unbounded();
    // Knocks after a failure only after a minute: only the `pageshow` can reconnect in time.
    let timing = WindowKeeperTiming::default()
        .closed_check(Duration::from_millis(50))
        .knock_interval(Duration::from_millis(50))
        .pause_after_failure(Duration::from_secs(60));
    let keeper = WindowKeeper::with_timing(&frame.window(), host_config(), timing, move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    let answered = within(STEP, "the first session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let first = finish(answered, &frame).await;

    enter_cache(&frame);
    assert_eq!(first.status().closed_with, Some(Error::PageHidden));
    assert_hidden(&frame, baseline, true, true).await;
    assert!(
        quiet_for(QUIET, answers.next()).await.is_none(),
        "no session while hidden"
    );

    leave_cache(&frame);
    let answered = within(STEP, "a new session", answers.next())
        .await
        .unwrap()
        .expect("answered");
    let second = finish(answered, &frame).await;
    assert!(second.status().closed_with.is_none());
    drop((first, second, keeper, frame));
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

// ---------------------------------------------------------------------------------------------
// The `pagehide` guard: every kind of session, one listener each, gone when the session ends

#[wasm_bindgen_test]
async fn lifecycle_pagehide_ends_every_session_of_the_page() {
    let before = live();
    let pair = connect_pair::<u32, u32>(page_config(), page_config(), 0).await;
    // A listen still waiting for a knock (from a window nothing knocks from), and a knock that
    // nobody answers (on a frame that never listens).
    let silent = new_iframe();
    load(&silent, &fixture_url("silent", "")).await;
    let silent_window = silent.content_window().unwrap();
    let listening = listen::<u32, u32>(page_config(), Source::Window(silent_window.clone()));
    let knocking = knock(crate::origin::remote_config(), vec![Target::Window(silent_window)]);
    tick().await;
    assert_eq!(live().lifecycle, before.lifecycle + 4, "one pagehide guard per session");

    // Script-made here (the real one, of a navigation, is in the first test of this module).
    dispatch_page_transition(&window(), "pagehide", false);
    assert_eq!(pair.knocker.status().closed_with, Some(Error::PageHidden));
    assert_eq!(pair.listener.status().closed_with, Some(Error::PageHidden));
    assert_eq!(
        within(STEP, "the listener's send", pair.listener_pending)
            .await
            .unwrap_err()
            .error,
        Error::PageHidden
    );
    assert_eq!(
        within(STEP, "the listen", listening).await.unwrap_err(),
        Error::PageHidden
    );
    assert_eq!(
        within(STEP, "the knock", knocking).await.unwrap_err(),
        Error::PageHidden
    );
    assert_eq!(live().lifecycle, before.lifecycle, "every guard went with its session");
    drop(pair.knocker);
    drop(pair.listener);
    silent.remove();
    tick().await;
    assert_eq!(live(), before, "no listener left on this page");
}

#[wasm_bindgen_test]
async fn lifecycle_one_pagehide_listener_per_session_not_per_message() {
    let before = live();
    let pair = connect_pair::<u32, u32>(page_config(), page_config(), 0).await;
    assert_eq!(live().lifecycle, before.lifecycle + 2, "one per session");
    let added = added_listeners("pagehide");
    let Pair {
        listener,
        mut listener_pending,
        knocker,
        ..
    } = pair;
    for n in 1..=20 {
        let knocker_pending = knocker.send(n);
        assert_eq!(within(STEP, "a message", listener_pending).await.unwrap().message, n);
        listener_pending = Box::pin(listener.send(n));
        assert_eq!(within(STEP, "a reply", knocker_pending).await.unwrap().message, n);
    }
    assert_eq!(
        added_listeners("pagehide"),
        added,
        "no pagehide listener added per message"
    );
    assert_eq!(live().lifecycle, before.lifecycle + 2);
    // Closing one side: it tells the other, and both guards go with their sessions.
    knocker.close();
    assert_eq!(
        within(STEP, "the listener's send", listener_pending)
            .await
            .unwrap_err()
            .error,
        Error::PeerClosed(CloseReason::Closed)
    );
    assert_eq!(
        live().lifecycle,
        before.lifecycle,
        "a closed session keeps no window listener"
    );
    drop((listener, knocker));
    tick().await;
    assert_eq!(live(), before);
}
