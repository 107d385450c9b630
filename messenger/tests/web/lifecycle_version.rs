//! Issue 23, case 5 (the wire part): a peer of another wire version. A knock or a 🤝 whose
//! `$version` is a whole number other than 1 ends the handshake at once with
//! [`Error::VersionMismatch`] naming both versions, and is answered on its port with a close
//! notice `{ $type: "🚪", $version: 1, $reason: "version" }`, so that the other side, whatever
//! its version, does not wait for an answer that will not come. A knocker that gets such a
//! notice on a knock port ends with the mismatch too. Both roles, older (0) and newer (2).

use crate::support::listeners::live;
use crate::support::*;
use messenger::{knock, listen, Error, Source, Target};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/web/support/helpers.js")]
extern "C" {
    fn now_ms() -> f64;
}

/// "Fast": the handshake timeout these tests do not wait for is 5 s (`page_config`).
const FAST: f64 = 1_000.0;

/// Asserts `got` is this side's version notice: `$reason: "version"` and `$version: 1`.
fn assert_version_notice(got: &Got) {
    assert_eq!(got.field("$type").as_string().as_deref(), Some("🚪"));
    assert_eq!(got.field("$reason").as_string().as_deref(), Some("version"));
    assert_eq!(
        got.field("$version").as_f64(),
        Some(1.0),
        "it names this side's version"
    );
    assert!(got.ports.is_empty(), "a close notice carries no port");
}

#[wasm_bindgen_test]
async fn lifecycle_a_knock_of_another_version_fails_the_listener_fast_and_is_told_ours() {
    let window = window();
    for theirs in [2u32, 0] {
        let before = live();
        let started = now_ms();
        let listening = listen::<u8, u8>(page_config(), Source::Window(window.clone()));
        let knock_channel = channel();
        let answers = Inbox::on_port(&knock_channel.port1());
        let knock = build(
            &format!(r#"{{"$type":"👋","$version":{theirs},"$responsePort":"@0"}}"#),
            &[&knock_channel.port2()],
            &JsValue::NULL,
        );
        post_to_window(&window, &knock, &page_origin(), &[&knock_channel.port2()]);
        let result = within(STEP, "the listener to refuse the version", listening).await;
        let elapsed = now_ms() - started;
        assert_eq!(result.unwrap_err(), Error::VersionMismatch { ours: 1, theirs });
        assert!(
            elapsed < FAST,
            "version {theirs}: no timeout waited for: {elapsed:.0} ms"
        );
        // The knocker of the other version hears this side's version on its knock port, even
        // though it announced no `$closeNotice`.
        assert_version_notice(&answers.next(STEP, "the version notice").await);
        answers.close();
        assert_eq!(live(), before, "version {theirs}: the window listeners are gone");
    }
}

#[wasm_bindgen_test]
async fn lifecycle_an_answer_of_another_version_fails_the_knocker_fast_and_is_told_ours() {
    let window = window();
    for theirs in [2u32, 0] {
        let before = live();
        let knocks = Inbox::on_target(&window, Some("👋"));
        let started = now_ms();
        let knocking = knock(page_config(), vec![Target::Window(window.clone())]);
        let knock = js_receive_knock(&knocks).await;
        assert_eq!(knock.field("$closeNotice").as_bool(), Some(true));
        let answer_channel = channel();
        let told = Inbox::on_port(&answer_channel.port1());
        let answer = build(
            &format!(r#"{{"$type":"🤝","$version":{theirs},"$responsePort":"@0"}}"#),
            &[&answer_channel.port2()],
            &JsValue::NULL,
        );
        post(&knock.response_port(), &answer, &[&answer_channel.port2()]);
        let result = within(STEP, "the knocker to refuse the version", knocking).await;
        let elapsed = now_ms() - started;
        assert_eq!(result.unwrap_err(), Error::VersionMismatch { ours: 1, theirs });
        assert!(
            elapsed < FAST,
            "version {theirs}: no timeout waited for: {elapsed:.0} ms"
        );
        // On the 🤝's reply port, where the 👂 would have come.
        assert_version_notice(&told.next(STEP, "the version notice").await);
        told.close();
        knocks.close();
        assert_eq!(live(), before, "version {theirs}: no listener left");
    }
}

#[wasm_bindgen_test]
async fn lifecycle_a_version_notice_on_a_knock_port_fails_the_knocker_fast() {
    // A listener of another version that speaks this extension answers the knock with its own
    // version notice instead of a 🤝.
    let window = window();
    for theirs in [2u32, 0] {
        let before = live();
        let knocks = Inbox::on_target(&window, Some("👋"));
        let started = now_ms();
        let knocking = knock(page_config(), vec![Target::Window(window.clone())]);
        let knock = js_receive_knock(&knocks).await;
        let notice = build(
            &format!(r#"{{"$type":"🚪","$version":{theirs},"$reason":"version"}}"#),
            &[],
            &JsValue::NULL,
        );
        let port = knock.response_port();
        let back = Inbox::on_port(&port);
        post(&port, &notice, &[]);
        let result = within(STEP, "the knocker to end", knocking).await;
        let elapsed = now_ms() - started;
        assert_eq!(result.unwrap_err(), Error::VersionMismatch { ours: 1, theirs });
        assert!(elapsed < FAST, "version {theirs}: {elapsed:.0} ms");
        quiet_for(QUIET, std::future::pending::<()>()).await;
        assert_eq!(back.unread(), 0, "nothing is told back to a notice");
        back.close();
        knocks.close();
        assert_eq!(live(), before, "version {theirs}: no listener left");
    }
}

#[wasm_bindgen_test]
async fn lifecycle_a_version_that_is_not_a_whole_number_is_still_a_failed_handshake() {
    // Not another version: a malformed knock (`HandshakeFailed`), as before issue 23.
    let window = window();
    for version in [r#""2""#, "1.5", "null"] {
        let before = live();
        let listening = listen::<u8, u8>(page_config(), Source::Window(window.clone()));
        let knock_channel = channel();
        let knock = build(
            &format!(r#"{{"$type":"👋","$version":{version},"$responsePort":"@0"}}"#),
            &[&knock_channel.port2()],
            &JsValue::NULL,
        );
        post_to_window(&window, &knock, &page_origin(), &[&knock_channel.port2()]);
        let result = within(STEP, "the listener to refuse the knock", listening).await;
        assert_eq!(
            result.unwrap_err(),
            Error::HandshakeFailed(messenger::Violation::WrongVersion),
            "$version {version}"
        );
        assert_eq!(live(), before, "$version {version}: the window listeners are gone");
    }
}
