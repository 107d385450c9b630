//! Issue 23, case 8: the side that gives up says so. A session that ends on one side (closed,
//! a reply timeout, a refused message) posts a close notice, `{ $type: "🚪", $version: 1,
//! $reason }`, on the current channel to a peer that announced `$closeNotice` in its handshake
//! step, so the peer ends at once with [`Error::PeerClosed`] naming why, instead of waiting out
//! its own timeout. A version-1 peer, which announced nothing, is sent nothing.
//!
//! The notice goes on whichever end of the current channel this side holds: during its own turn
//! the peer's reply port (which the peer listens on for this), during the peer's turn its own
//! listened end.

use std::time::Duration;

use crate::support::listeners::live;
use crate::support::*;
use messenger::{listen, CloseReason, Config, Error, Limits, Messenger, Source, Stage};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::MessageChannel;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn now_ms() -> f64;
}

/// "Promptly": a notice takes a task or two; the reply timeouts it beats are 10 s.
const PROMPT: f64 = 1_000.0;

/// A reply timeout far longer than any test here: whatever ends a session below is not it.
fn patient() -> Config {
    page_config().reply_timeout(Duration::from_secs(10))
}

#[wasm_bindgen_test]
async fn lifecycle_close_in_this_sides_turn_fails_the_peers_pending_send_at_once() {
    let before = live();
    let pair = connect_pair::<u32, u32>(patient(), patient(), 0).await;
    // The knocker's turn (it holds the listener's reply port); the listener waits.
    let started = now_ms();
    pair.knocker.close();
    let failed = within(STEP, "the listener's wait to fail", pair.listener_pending)
        .await
        .unwrap_err();
    let elapsed = now_ms() - started;
    assert_eq!(failed.error, Error::PeerClosed(CloseReason::Closed));
    assert_eq!(failed.unsent, None, "the message had gone out");
    assert!(
        elapsed < PROMPT,
        "told at once, not at the 10 s reply timeout: {elapsed:.0} ms"
    );
    let status = pair.listener.status();
    assert_eq!(status.closed_with, Some(Error::PeerClosed(CloseReason::Closed)));
    assert_eq!(status.open_ports, 0);
    assert_eq!(pair.knocker.status().closed_with, Some(Error::Closed));
    assert_eq!(pair.knocker.status().open_ports, 0);
    tick().await;
    assert_eq!(live(), before, "no listener left on either side");
}

#[wasm_bindgen_test]
async fn lifecycle_close_in_the_peers_turn_ends_the_peer_at_once() {
    let before = live();
    let pair = connect_pair::<u32, u32>(patient(), patient(), 0).await;
    let knocker_closed = pair.knocker.closed();
    // The listener waits for the knocker's answer, and gives up: it posts on its own listened
    // end, which the knocker, holding the other end to answer on, listens on for this.
    let started = now_ms();
    pair.listener.close();
    assert_eq!(
        within(STEP, "the listener's own wait", pair.listener_pending)
            .await
            .unwrap_err()
            .error,
        Error::Closed
    );
    assert_eq!(
        within(STEP, "the knocker to hear it", knocker_closed).await,
        Error::PeerClosed(CloseReason::Closed)
    );
    let elapsed = now_ms() - started;
    assert!(elapsed < PROMPT, "{elapsed:.0} ms");
    // The knocker's next send fails at once and hands its message back.
    let failed = within(STEP, "a send after the notice", pair.knocker.send(7))
        .await
        .unwrap_err();
    assert_eq!(
        (failed.error, failed.unsent),
        (Error::PeerClosed(CloseReason::Closed), Some(7))
    );
    assert_eq!(pair.knocker.status().open_ports, 0);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_reply_timeout_tells_the_peer_in_either_turn() {
    let before = live();
    // The listener waits for the knocker's answer with a 300 ms reply timeout; the knocker keeps
    // its turn (no timeout of its own) and learns why the listener gave up.
    let listener_config = page_config().reply_timeout(Duration::from_millis(300));
    let pair = connect_pair::<u32, u32>(listener_config, page_config(), 0).await;
    let started = now_ms();
    assert_eq!(
        within(STEP, "the knocker to hear of the timeout", pair.knocker.closed()).await,
        Error::PeerClosed(CloseReason::TimedOut)
    );
    let elapsed = now_ms() - started;
    assert!(
        (250.0..300.0 + PROMPT).contains(&elapsed),
        "at the listener's timeout: {elapsed:.0} ms"
    );
    assert_eq!(
        within(STEP, "the listener's wait", pair.listener_pending)
            .await
            .unwrap_err()
            .error,
        Error::TimedOut(Stage::Reply)
    );
    assert_eq!(
        within(STEP, "the knocker's next wait", pair.knocker.send(1))
            .await
            .unwrap_err()
            .error,
        Error::PeerClosed(CloseReason::TimedOut)
    );

    // The other way round: the knocker times out waiting; the listener, in its turn, hears it.
    let knocker_config = page_config().reply_timeout(Duration::from_millis(300));
    let pair = connect_pair::<u32, u32>(page_config(), knocker_config, 0).await;
    let knocker_pending = pair.knocker.send(1);
    assert_eq!(
        within(STEP, "a message", pair.listener_pending).await.unwrap().message,
        1
    );
    // The listener holds its turn (the knocker's reply port) and answers nothing.
    assert_eq!(
        within(STEP, "the listener to hear of the timeout", pair.listener.closed()).await,
        Error::PeerClosed(CloseReason::TimedOut)
    );
    assert_eq!(
        within(STEP, "the knocker's wait", knocker_pending)
            .await
            .unwrap_err()
            .error,
        Error::TimedOut(Stage::Reply)
    );
    drop(pair.knocker);
    drop(pair.listener);
    tick().await;
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_refused_message_tells_the_peer() {
    let before = live();
    let strict = page_config().limits(Limits {
        max_bytes: 64,
        ..Limits::DEFAULT
    });
    let pair = connect_pair::<String, String>(strict, patient(), "ready".into()).await;
    let started = now_ms();
    let knocker_pending = pair.knocker.send("x".repeat(1_000));
    let refused = within(STEP, "the listener to refuse it", pair.listener_pending)
        .await
        .unwrap_err();
    assert_eq!(refused.error, Error::TooLarge { size: 1_002, limit: 64 });
    let told = within(STEP, "the knocker to hear it", knocker_pending)
        .await
        .unwrap_err();
    let elapsed = now_ms() - started;
    assert_eq!(told.error, Error::PeerClosed(CloseReason::Refused));
    assert!(elapsed < PROMPT, "not at the 10 s reply timeout: {elapsed:.0} ms");
    assert_eq!(pair.knocker.status().open_ports, 0);
    drop(pair.knocker);
    drop(pair.listener);
    tick().await;
    assert_eq!(live(), before);
}

// ---------------------------------------------------------------------------------------------
// JavaScript peers: a version-1 knocker that announces nothing, and one that announces
// `$closeNotice` and posts notices of its own.

/// A JavaScript knocker in this page connected to a Rust listener on the window, announcing
/// `$closeNotice` in its knock or not (a version-1 peer). Returns the listener, the channel whose
/// `port1` the JavaScript side waits on for the listener's first message (its own end of the
/// current channel), and the inbox on that port.
async fn js_knocker(announce: bool) -> (Messenger<u32, u32>, MessageChannel, Inbox) {
    let window = window();
    let listening = listen::<u32, u32>(patient(), Source::Window(window.clone()));
    let knock_channel = channel();
    let answers = Inbox::on_port(&knock_channel.port1());
    let knock = match announce {
        true => r#"{"$type":"👋","$version":1,"$closeNotice":true,"$responsePort":"@0"}"#,
        false => r#"{"$type":"👋","$version":1,"$responsePort":"@0"}"#,
    };
    let knock = build(knock, &[&knock_channel.port2()], &JsValue::NULL);
    post_to_window(&window, &knock, &page_origin(), &[&knock_channel.port2()]);
    let answer = answers.next(STEP, "🤝").await;
    assert_eq!(answer.field("$type").as_string().as_deref(), Some("🤝"));
    assert_eq!(
        answer.field("$closeNotice").as_bool(),
        Some(true),
        "the listener announces close notices"
    );
    let (next, inbox) = js_acknowledge(&answer);
    answers.close();
    let listener = within(STEP, "the listener to connect", listening)
        .await
        .expect("connected");
    (listener, next, inbox)
}

fn close_notice(reason: &str) -> JsValue {
    build(
        &format!(r#"{{"$type":"🚪","$version":1,"$reason":"{reason}"}}"#),
        &[],
        &JsValue::NULL,
    )
}

/// Asserts `got` is a close notice for `reason`, carrying no port.
fn assert_notice(got: &Got, reason: &str) {
    assert_eq!(got.field("$type").as_string().as_deref(), Some("🚪"));
    assert_eq!(got.field("$version").as_f64(), Some(1.0));
    assert_eq!(got.field("$reason").as_string().as_deref(), Some(reason));
    assert!(got.ports.is_empty(), "a close notice carries no port");
}

#[wasm_bindgen_test]
async fn lifecycle_a_version_1_peer_is_sent_no_close_notice_and_one_that_announced_it_is() {
    let before = live();
    for announce in [false, true] {
        // Closed in the listener's own turn: the notice would go on the knocker's 👂 port,
        // where the JavaScript side waits for the first message.
        let (listener, _next, inbox) = js_knocker(announce).await;
        listener.close();
        if announce {
            assert_notice(&inbox.next(STEP, "the notice").await, "closed");
        } else {
            tick().await;
            quiet_for(QUIET, std::future::pending::<()>()).await;
            assert_eq!(inbox.unread(), 0, "a version-1 peer is sent nothing, not even a notice");
        }
        inbox.close();

        // Closed in the peer's turn: the listener sent a message and waits on its own end.
        let (listener, _next, inbox) = js_knocker(announce).await;
        let pending = listener.send(1);
        let got = inbox.next(STEP, "the listener's message").await;
        assert_eq!(got.field("message").as_f64(), Some(1.0));
        assert_eq!(got.field("$type"), JsValue::UNDEFINED, "an application message");
        let waiting = Inbox::on_port(&got.response_port());
        listener.close();
        assert_eq!(
            within(STEP, "the pending send", pending).await.unwrap_err().error,
            Error::Closed
        );
        if announce {
            assert_notice(&waiting.next(STEP, "the notice").await, "closed");
        } else {
            quiet_for(QUIET, std::future::pending::<()>()).await;
            assert_eq!(waiting.unread(), 0, "a version-1 peer is sent nothing");
        }
        assert_eq!(inbox.unread(), 0);
        waiting.close();
        inbox.close();
    }
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_peers_close_notice_ends_this_side_with_its_reason() {
    let before = live();
    let reasons = [
        ("closed", CloseReason::Closed),
        ("timeout", CloseReason::TimedOut),
        ("refused", CloseReason::Refused),
        ("pagehide", CloseReason::PageHidden),
        ("a reason of a newer version", CloseReason::Other),
    ];
    for (code, reason) in reasons {
        // In the peer's turn: it got our message and posts the notice on its reply port.
        let (listener, _next, inbox) = js_knocker(true).await;
        let started = now_ms();
        let pending = listener.send(1);
        let got = inbox.next(STEP, "the listener's message").await;
        let reply_port = got.response_port();
        let back = Inbox::on_port(&reply_port);
        post(&reply_port, &close_notice(code), &[]);
        let failed = within(STEP, "the pending send", pending).await.unwrap_err();
        let elapsed = now_ms() - started;
        assert_eq!(failed.error, Error::PeerClosed(reason), "{code}");
        assert!(
            elapsed < PROMPT,
            "{code}: not at the 10 s reply timeout: {elapsed:.0} ms"
        );
        assert_eq!(listener.status().open_ports, 0, "{code}");
        quiet_for(QUIET, std::future::pending::<()>()).await;
        assert_eq!(
            back.unread(),
            0,
            "{code}: a session ended by the peer tells it nothing back"
        );
        back.close();
        inbox.close();
    }

    // In this side's turn: the peer posts on its own end (the 👂's reply port), which this side
    // listens on because the peer announced close notices.
    let (listener, next, inbox) = js_knocker(true).await;
    post(&next.port1(), &close_notice("pagehide"), &[]);
    assert_eq!(
        within(STEP, "the listener to hear it", listener.closed()).await,
        Error::PeerClosed(CloseReason::PageHidden)
    );
    inbox.close();
    drop(listener);
    assert_eq!(live(), before);
}

#[wasm_bindgen_test]
async fn lifecycle_a_close_notice_from_a_peer_that_announced_none_is_not_listened_for_in_this_sides_turn() {
    let before = live();
    // A version-1 peer gets no notice, so this side does not listen on the port it holds to
    // answer on: a notice posted there waits unread, and the session goes on.
    let (listener, next, inbox) = js_knocker(false).await;
    post(&next.port1(), &close_notice("closed"), &[]);
    quiet_for(QUIET, std::future::pending::<()>()).await;
    assert_eq!(listener.status().closed_with, None);
    let pending = listener.send(1);
    let got = inbox.next(STEP, "the listener's message").await;
    assert_eq!(got.field("message").as_f64(), Some(1.0));
    drop(pending);
    inbox.close();
    drop(listener);
    assert_eq!(live(), before);
}
