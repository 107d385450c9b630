//! Start order and slow starts (issue 23, case 6) with the library on the knocking side: a
//! [`Reconnector`] made before its iframe is in the page, after it was inserted, and after its
//! page had loaded; a remote that starts listening seconds after its `load`, and one that never
//! does; and a listener that starts long after its knocker began. The remote is the cross-origin
//! fixture `tests/web/fixtures/peer.html` (`listenAfter=<ms>` or `never`), as in `origin.rs`.
//!
//! After each test the page's live listeners (window and port) are back at the baseline it took.

use std::time::Duration;

use futures::channel::mpsc;
use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use messenger::{listen, Answered, Error, HandshakeState, Messenger, Reconnector, Source, Stage, Step};
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

use crate::origin::{fixture_url, load, new_iframe, remote_config, remote_origin, FromPeer};
use crate::support::listeners::{live, Listeners};
use crate::support::*;

/// Milliseconds on the page's clock.
fn now() -> f64 {
    window().performance().expect("a window has performance").now()
}

/// The knocks the observer saw sent.
fn knocks(trace: &Trace) -> usize {
    trace.count(|step| matches!(step, Step::KnockSent { .. }))
}

/// The knocks the observer saw begin (one per knock, whether answered or not).
fn knockings(trace: &Trace) -> usize {
    trace.count(|step| *step == Step::Handshake(HandshakeState::Knocking))
}

/// A reconnector on `iframe` with `config` observed by a new trace, handing every answer (or
/// failure) to the returned receiver.
fn watch(
    iframe: &HtmlIFrameElement,
    config: messenger::Config,
) -> (Reconnector, mpsc::UnboundedReceiver<Result<Answered, Error>>, Trace) {
    let trace = Trace::default();
    let (tx, answers) = mpsc::unbounded();
    let reconnector = Reconnector::new(iframe, trace.observe(config), move |answered| {
        let _ = tx.unbounded_send(answered);
    });
    (reconnector, answers, trace)
}

/// The next answer: finishes the handshake, checks the fixture's hello and one echo.
async fn talk(
    answers: &mut mpsc::UnboundedReceiver<Result<Answered, Error>>,
    within_ms: u32,
) -> Messenger<String, FromPeer> {
    let answered = match within(within_ms, "an answered knock", answers.next()).await {
        Some(Ok(answered)) => answered,
        Some(Err(error)) => panic!("the knock failed: {error}"),
        None => panic!("the reconnector is gone"),
    };
    let (messenger, first) = within(
        STEP,
        "the first message",
        answered.finish_handshake::<String, FromPeer>(),
    )
    .await
    .expect("connected");
    assert_eq!(first.message, FromPeer::Hello { hello: remote_origin() });
    let reply = within(STEP, "an echo", messenger.send("started".into()))
        .await
        .expect("a reply");
    assert_eq!(
        reply.message,
        FromPeer::Echo {
            echo: "started".into(),
            count: 1,
            origin: remote_origin()
        }
    );
    messenger
}

/// Ends everything a test made and checks the listeners are back at `before`.
async fn finish(
    before: Listeners,
    messenger: Option<Messenger<String, FromPeer>>,
    reconnector: Reconnector,
    iframe: HtmlIFrameElement,
) {
    if let Some(messenger) = messenger {
        messenger.close();
    }
    drop(reconnector);
    iframe.remove();
    // Ports are closed behind the task their last message woke: count once queued tasks ran.
    tick().await;
    tick().await;
    assert_eq!(live(), before, "every listener removed, every port closed");
}

fn insert(iframe: &HtmlIFrameElement) {
    window()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(iframe)
        .unwrap();
}

#[wasm_bindgen_test]
async fn lifecycle_a_reconnector_finds_a_remote_that_listens_seconds_after_its_load() {
    let before = live();
    let iframe = new_iframe();
    // Made before the iframe is in the page, as the docs advise.
    let (reconnector, mut answers, trace) = watch(&iframe, remote_config());
    load(&iframe, &fixture_url("listen", "&listenAfter=1500")).await;
    let loaded = now();
    let messenger = talk(&mut answers, 1_500 + STEP).await;
    let waited = now() - loaded;
    // The remote's listener starts 1.5 s after its script ran, just before its `load`.
    assert!(
        waited >= 1_300.0,
        "answered {waited} ms after load, before the remote listened"
    );
    // 0, 10, 30, 70, 150, 310 ms, then every 200 ms: about a dozen knocks over 1.5 s, not one
    // every 10 ms and not one a second.
    let sent = knocks(&trace);
    assert!((8..=14).contains(&sent), "{sent} knocks in {waited} ms");
    assert_eq!(knockings(&trace), 1, "one knock, from the iframe's one load");
    finish(before, Some(messenger), reconnector, iframe).await;
}

#[wasm_bindgen_test]
async fn lifecycle_a_reconnector_made_after_its_iframe_was_inserted_connects() {
    let before = live();
    let iframe = new_iframe();
    iframe.set_src(&fixture_url("listen", ""));
    insert(&iframe);
    // The iframe is loading (still its initial about:blank): nothing to knock on yet.
    let (reconnector, mut answers, trace) = watch(&iframe, remote_config());
    let messenger = talk(&mut answers, LOAD + STEP).await;
    assert_eq!(knockings(&trace), 1, "one knock, from the iframe's load");
    finish(before, Some(messenger), reconnector, iframe).await;
}

#[wasm_bindgen_test]
async fn lifecycle_a_reconnector_made_after_its_iframe_loaded_connects() {
    let before = live();
    // The iframe is in the page and its remote listens before the host's code runs: its `load`
    // has passed when the reconnector is made, so it knocks at once.
    let iframe = new_iframe();
    load(&iframe, &fixture_url("listen", "")).await;
    let (reconnector, mut answers, trace) = watch(&iframe, remote_config());
    let first = talk(&mut answers, STEP).await;
    assert_eq!(knockings(&trace), 1, "one knock, made with the reconnector");
    // Its loads are still followed: a reload supersedes that session and knocks anew.
    let closed = first.closed();
    load(&iframe, &fixture_url("listen", "&load=2")).await;
    assert_eq!(
        within(STEP, "the first session to end", closed).await,
        Error::Superseded
    );
    let second = talk(&mut answers, STEP).await;
    assert_eq!(knockings(&trace), 2);
    first.close();
    finish(before, Some(second), reconnector, iframe).await;
}

#[wasm_bindgen_test]
async fn lifecycle_a_reconnector_on_a_remote_that_never_listens_times_out_on_time_then_waits() {
    let before = live();
    let iframe = new_iframe();
    let timeout = Duration::from_millis(1_000);
    let (reconnector, mut answers, trace) = watch(&iframe, remote_config().handshake_timeout(timeout));
    load(&iframe, &fixture_url("listen", "&listenAfter=never")).await;
    let loaded = now();
    let failed = within(1_000 + STEP, "the handshake timeout", answers.next()).await;
    let waited = now() - loaded;
    match failed {
        Some(Err(error)) => assert_eq!(error, Error::TimedOut(Stage::Handshake)),
        Some(Ok(_)) => panic!("a remote that never listens answered"),
        None => panic!("the reconnector is gone"),
    }
    // At the configured time, counted from the iframe's `load` (the knock starts there).
    assert!(
        (950.0..=1_600.0).contains(&waited),
        "the timeout came {waited} ms after load, configured {timeout:?}"
    );
    // 0, 10, 30, 70, 150, 310, 510, 710, 910 ms: nine knocks when every timer is on time.
    let sent = knocks(&trace);
    assert!((5..=9).contains(&sent), "{sent} knocks in {waited} ms");
    // Then nothing until the iframe loads again: no knock, no callback.
    assert!(
        quiet_for(1_000, answers.next()).await.is_none(),
        "nothing after the timeout"
    );
    assert_eq!(knocks(&trace), sent, "no knock after the timeout");
    // A new page in the iframe is knocked on again.
    load(&iframe, &fixture_url("listen", "&load=2")).await;
    let messenger = talk(&mut answers, STEP).await;
    assert_eq!(knockings(&trace), 2);
    finish(before, Some(messenger), reconnector, iframe).await;
}

#[wasm_bindgen_test]
async fn lifecycle_a_listener_started_long_after_its_knocker_began_connects() {
    let before = live();
    // The iframe knocks on this page every 100 ms from its load on; for a second nobody listens.
    let iframe = new_iframe();
    load(&iframe, &fixture_url("knock", "")).await;
    TimeoutFuture::new(1_000).await;
    let listening = listen::<String, FromPeer>(remote_config(), Source::Window(iframe.content_window().unwrap()));
    let messenger = within(STEP, "the next knock", listening).await.expect("connected");
    let reply = within(STEP, "an echo", messenger.send("late".into()))
        .await
        .expect("a reply");
    assert_eq!(
        reply.message,
        FromPeer::Echo {
            echo: "late".into(),
            count: 1,
            origin: remote_origin()
        }
    );
    messenger.close();
    iframe.remove();
    tick().await;
    tick().await;
    assert_eq!(live(), before, "every listener removed, every port closed");
}
