//! [`WindowKeeper`] on a real cross-origin window: the fixture peer (`tests/web/fixtures/peer.html`,
//! listening mode, another origin) in an iframe, kept through the iframe's `contentWindow`.
//!
//! The keeper needs only a `Window`, and an iframe's gives the same signals as a popup's: a
//! reload is a navigation of the iframe (its `WindowProxy` stays the same, the page behind it
//! listens afresh), and removing the iframe discards its browsing context, after which its
//! `WindowProxy` reports `closed == true`, as a closed popup's does. A real popup is not used:
//! WebKitGTK under the test runner blocks `window.open` without a user gesture (it returns
//! `null`), and a popup opened under Firefox's runner disturbs the runner's own page. The demo's
//! real popup is driven end to end in every engine (e2e/tests/demo.rs, `popup_*`).

use std::time::Duration;

use futures::channel::mpsc;
use futures::StreamExt;
use messenger::{
    Answered, Direction, Error, HandshakeState, InterruptRequest, MessageKind, Messenger, Received, Step, WindowKeeper,
    WindowKeeperTiming,
};
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

use crate::origin::{fixture_url, load, new_iframe, remote_config, remote_origin, FromPeer};
use crate::support::listeners::live;
use crate::support::*;

type Answers = mpsc::UnboundedReceiver<Result<Answered, Error>>;

/// Quick knocks and checks, so a reload or a close is noticed within a test step.
fn quick() -> WindowKeeperTiming {
    WindowKeeperTiming::default()
        .closed_check(Duration::from_millis(50))
        .knock_interval(Duration::from_millis(50))
        .first_knock_timeout(Duration::from_secs(5))
}

/// The fixture peer, listening, in an iframe of its own, loaded.
async fn peer_window(load_number: u32) -> (HtmlIFrameElement, web_sys::Window) {
    let iframe = new_iframe();
    load(&iframe, &fixture_url("listen", &format!("&load={load_number}"))).await;
    let window = iframe.content_window().expect("a loaded iframe has a window");
    (iframe, window)
}

/// A keeper of `window` whose answered sessions (and failures) arrive on the returned stream.
fn keep(window: &web_sys::Window, trace: &Trace, timing: WindowKeeperTiming) -> (WindowKeeper, Answers) {
    let (tx, answers) = mpsc::unbounded();
    let keeper = WindowKeeper::with_timing(window, trace.observe(remote_config()), timing, move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    (keeper, answers)
}

/// The keeper's next answered session, handshake finished, with the peer's greeting checked.
async fn next_session(answers: &mut Answers, which: &str) -> Messenger<String, FromPeer> {
    let answered = within(LOAD, which, answers.next())
        .await
        .expect("the keeper is alive")
        .expect("answered");
    let (messenger, hello): (_, Received<FromPeer>) = within(
        STEP,
        "the first message",
        answered.finish_handshake::<String, FromPeer>(),
    )
    .await
    .expect("the handshake completes");
    assert_eq!(hello.message, FromPeer::Hello { hello: remote_origin() });
    messenger
}

/// Sends `text` and checks the peer's echo: `count` messages into this page's life.
async fn echoes(messenger: &Messenger<String, FromPeer>, text: &str, count: u32) {
    let reply = within(STEP, "an echo", messenger.send(text.into()))
        .await
        .expect("the peer echoes");
    assert_eq!(
        reply.message,
        FromPeer::Echo {
            echo: text.into(),
            count,
            origin: remote_origin()
        }
    );
}

fn is_knocking(step: &Step) -> bool {
    *step == Step::Handshake(HandshakeState::Knocking)
}

fn is_knock(step: &Step) -> bool {
    matches!(
        step,
        Step::Message {
            direction: Direction::Outgoing,
            kind: MessageKind::Knock,
            ..
        }
    )
}

#[wasm_bindgen_test]
async fn window_keeping_connects_to_a_window_and_serves() {
    let (iframe, window) = peer_window(1).await;
    let trace = Trace::default();
    let (keeper, mut answers) = keep(&window, &trace, quick());
    assert!(keeper.is_open());
    let session = next_session(&mut answers, "the first session").await;
    echoes(&session, "one", 1).await;
    echoes(&session, "two", 2).await;
    assert_eq!(session.status().state, HandshakeState::Connected);
    // The first knock was shown as it went: its start, its knocks, the answer.
    assert_eq!(trace.count(is_knocking), 1);
    assert!(trace.count(is_knock) >= 1);
    assert_eq!(
        trace.count(|step| *step == Step::Handshake(HandshakeState::Answered)),
        1
    );
    drop(keeper);
    iframe.remove();
}

#[wasm_bindgen_test]
async fn window_keeping_a_reloaded_window_supersedes_the_old_session_with_a_new_one() {
    let (iframe, window) = peer_window(1).await;
    let trace = Trace::default();
    let (keeper, mut answers) = keep(&window, &trace, quick());
    let first = next_session(&mut answers, "the first session").await;
    echoes(&first, "one", 1).await;
    // Pending work on the old session: an interrupt channel the peer keeps and never uses.
    let (request, mut interrupts) = InterruptRequest::multi_use::<u32>();
    within(STEP, "an echo", first.send_with_interrupt("keep this".into(), request))
        .await
        .unwrap();
    let closed = first.closed();

    // The window reloads: the reloaded peer listens afresh and answers a background knock.
    load(&iframe, &fixture_url("listen", "&load=2")).await;
    let second = next_session(&mut answers, "the session after the reload").await;
    assert_eq!(within(STEP, "the old session to end", closed).await, Error::Superseded);
    assert_eq!(
        within(STEP, "the interrupt wait", interrupts.next()).await,
        Some(Err(Error::Superseded))
    );
    let late = within(STEP, "a send on the old session", first.send("late".into()))
        .await
        .unwrap_err();
    assert_eq!((late.error, late.unsent.as_deref()), (Error::Superseded, Some("late")));
    // A new page, a new count.
    echoes(&second, "two", 1).await;

    // The observer saw the old session end before the new one's handshake started.
    let steps = trace.steps();
    let superseded = steps.iter().position(|step| *step == Step::Failed(Error::Superseded));
    let second_start = steps.iter().rposition(is_knocking);
    assert_eq!(trace.count(is_knocking), 2, "{steps:#?}");
    assert!(superseded.is_some() && superseded < second_start, "{steps:#?}");
    drop(keeper);
    iframe.remove();
}

#[wasm_bindgen_test]
async fn window_keeping_a_closed_window_ends_the_session_at_once() {
    let (iframe, window) = peer_window(1).await;
    let trace = Trace::default();
    let (tx, mut answers) = mpsc::unbounded();
    // The default timing: a close is noticed within its 250 ms check, long before the reply
    // timeout would end the session.
    let config = trace.observe(remote_config()).reply_timeout(Duration::from_secs(60));
    let keeper = WindowKeeper::new(&window, config, move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    let session = next_session(&mut answers, "the session").await;
    echoes(&session, "one", 1).await;
    let closed = session.closed();

    iframe.remove();
    assert!(window.closed().unwrap(), "a removed iframe's window reports closed");
    assert_eq!(within(1_000, "the session to end", closed).await, Error::WindowClosed);
    assert!(!keeper.is_open());
    let failed = within(STEP, "a send after the close", session.send("late".into()))
        .await
        .unwrap_err();
    assert_eq!(failed.error, Error::WindowClosed);
    trace.assert_failed_with(&Error::WindowClosed);
    // The session said it; the callback hears nothing more, and the keeper knocks no more.
    assert!(quiet_for(QUIET, answers.next()).await.is_none());
    drop(keeper);
}

#[wasm_bindgen_test]
async fn window_keeping_a_window_closed_before_it_answered_fails_the_knock() {
    // An empty iframe of this page's origin: the knocks (for the remote origin) never land.
    let iframe = new_iframe();
    window()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(&iframe)
        .unwrap();
    let target = iframe.content_window().unwrap();
    let trace = Trace::default();
    let (keeper, mut answers) = keep(&target, &trace, quick());
    trace.wait_for(2, "two knocks", is_knock).await;
    iframe.remove();
    let failed = within(STEP, "the knock to fail", answers.next()).await.unwrap();
    assert_eq!(failed.err(), Some(Error::WindowClosed));
    // The first knock shows as it goes, so its end shows too.
    trace.assert_failed_with(&Error::WindowClosed);
    drop(keeper);
}

#[wasm_bindgen_test]
async fn window_keeping_dropping_the_keeper_closes_the_session_and_leaves_no_listener() {
    let (iframe, window) = peer_window(1).await;
    let before = live();
    let trace = Trace::default();
    let (keeper, mut answers) = keep(&window, &trace, quick());
    let session = next_session(&mut answers, "the session").await;
    echoes(&session, "one", 1).await;
    // A background knock is in flight (its channels listened on) beside the session's port.
    tick().await;
    assert!(
        live().ports > before.ports,
        "the session and the knocks listen on ports"
    );

    drop(keeper);
    assert_eq!(session.status().closed_with, Some(Error::Closed));
    assert_eq!(live(), before, "every port and listener went with the keeper");
    // Nothing is knocked any more: a reloaded window is not answered, and the callback is gone.
    load(&iframe, &fixture_url("listen", "&load=2")).await;
    assert!(
        within(STEP, "the callback to be gone", answers.next()).await.is_none(),
        "no session after the keeper is gone"
    );
    assert_eq!(live(), before);
    drop(session);
    iframe.remove();
}

#[wasm_bindgen_test]
async fn window_keeping_unanswered_background_knocks_do_not_reach_the_observer() {
    let (iframe, window) = peer_window(1).await;
    let trace = Trace::default();
    // Background knocks every 20 ms, each renewed after 200 ms unanswered.
    let timing = quick()
        .knock_interval(Duration::from_millis(20))
        .knock_renewal(Duration::from_millis(200))
        .pause_after_failure(Duration::from_millis(20));
    let (keeper, mut answers) = keep(&window, &trace, timing);
    let session = next_session(&mut answers, "the session").await;
    echoes(&session, "one", 1).await;
    let shown = trace.steps();

    // About 40 knocks and 4 renewals go unanswered (the running peer listens no more).
    assert!(quiet_for(1_000, answers.next()).await.is_none(), "nothing answered");
    echoes(&session, "two", 2).await;
    let steps = trace.steps();
    assert_eq!(trace.count(is_knocking), 1, "{steps:#?}");
    assert_eq!(trace.count(is_knock), shown.iter().filter(|s| is_knock(s)).count());
    assert_eq!(trace.count(|step| matches!(step, Step::Failed(_))), 0, "{steps:#?}");
    assert_eq!(
        trace.count(|step| matches!(step, Step::KnockSent { .. })),
        shown.iter().filter(|s| matches!(s, Step::KnockSent { .. })).count(),
        "no background knock was shown"
    );

    // The one answered shows as a short handshake: its start, at most the four latest knocks.
    load(&iframe, &fixture_url("listen", "&load=2")).await;
    let second = next_session(&mut answers, "the session after the reload").await;
    echoes(&second, "three", 1).await;
    let steps = trace.steps();
    let start = steps.iter().rposition(is_knocking).expect("the second handshake shows");
    let knocks = steps[start..].iter().filter(|s| is_knock(s)).count();
    assert!((1..=4).contains(&knocks), "{knocks} knocks shown: {steps:#?}");
    assert_eq!(trace.count(is_knocking), 2);
    drop(keeper);
    iframe.remove();
}
