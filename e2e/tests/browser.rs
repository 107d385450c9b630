//! End-to-end tests: both demo apps' release builds on their own origins, in
//! every engine (Chromium, Firefox, WebKitGTK; `E2E_BROWSER`).
//!
//! Run them with `./test.sh e2e`, which builds the apps for the test origins first. They are
//! not part of plain `cargo test` (`test = false` in `Cargo.toml`), because without the
//! builds they can only fail.
//!
//! The DOM contract the apps satisfy:
//!
//! * host page (`http://localhost:18080/`): `<iframe id="remote-frame">` showing the remote;
//!   `#connection-state` is `knocking` until the handshake completes, then `connected`;
//!   `#last-message` shows the first application message from the remote, `hello from Eos`;
//! * remote page (in the iframe, or in a window another page opened): `#connection-state` is
//!   `listening` until a valid knock, then `connected`; `#last-reply` shows the host's reply,
//!   `hello from Phosphorescence`; `.eos[data-place]` says `frame` or `window`.
#![cfg(not(target_arch = "wasm32"))]

use e2e::{Error, Result, WindowHandle, World};

/// What the host shows once the handshake is done, and the remote too.
const CONNECTED: &str = "connected";
/// What the remote shows while it waits for a knock.
const LISTENING: &str = "listening";
/// The remote's first application message.
const HELLO_FROM_EOS: &str = "hello from Eos";
/// The host's reply to it.
const HELLO_FROM_PHOSPHORESCENCE: &str = "hello from Phosphorescence";

/// `attacker.html`'s verdicts.
const ANSWERED: &str = "answered";
const NO_ANSWER: &str = "no answer";

#[tokio::test]
async fn handshake_and_round_trip() -> Result<()> {
    World::run("handshake_and_round_trip", async |w| {
        w.goto(&w.host_url()).await?;
        expect_frame_origin(w, "#remote-frame", &w.config().remote_origin()).await?;

        w.wait_for_text("#connection-state", CONNECTED).await?;
        w.wait_for_text("#last-message", HELLO_FROM_EOS).await?;
        w.screenshot("host-connected").await?;

        w.in_frame("#remote-frame", async |w| {
            w.wait_for_text("#connection-state", CONNECTED).await?;
            w.wait_for_text("#last-reply", HELLO_FROM_PHOSPHORESCENCE).await
        })
        .await?;
        w.screenshot("round-trip").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn third_origin_knock_gets_no_answer() -> Result<()> {
    World::run("third_origin_knock_gets_no_answer", async |w| {
        // Eos's headers would refuse the third origin's frame (frame-ancestors; tested in
        // headers.rs): without them Eos loads there, and its own origin check is what is tested,
        // as on a page an integrator serves without the headers.
        w.remote_server()?.drop_security_headers();
        let verdict = knock_from_third_origin(w, &w.remote_url()).await?;
        if verdict.result != NO_ANSWER {
            return Err(Error::contract(format!(
                "the remote answered a knock from the third origin {}: {}",
                w.config().attacker_origin(),
                verdict.answer
            )));
        }
        w.in_frame("#target-frame", async |w| {
            let state = w.text("#connection-state").await?;
            if state == LISTENING {
                Ok(())
            } else {
                Err(Error::contract(format!(
                    "after {} knocks from a third origin the remote's #connection-state is {state:?}, expected it still {LISTENING:?}",
                    verdict.knocks
                )))
            }
        })
        .await?;
        w.screenshot("after-knocks").await?;
        Ok(())
    })
    .await
}

/// The control for `third_origin_knock_gets_no_answer`: the same fixture, pointed at a
/// careless listener (on yet another origin) that answers every knock, must see the
/// answer. Without this, a fixture that could never detect an answer would pass too.
#[tokio::test]
async fn knock_fixture_detects_a_listener_that_answers() -> Result<()> {
    World::run_fixtures_only("knock_fixture_detects_a_listener_that_answers", async |w| {
        let verdict = knock_from_third_origin(w, &w.attacker_alias_url("listener.html")).await?;
        if verdict.result != ANSWERED {
            return Err(Error::contract(format!(
                "the knock fixture saw no answer from listener.html after {} knocks, so it cannot be trusted to catch a remote that answers",
                verdict.knocks
            )));
        }
        w.in_frame("#target-frame", async |w| {
            w.wait_for_text("#connection-state", ANSWERED).await
        })
        .await
    })
    .await
}

/// A popup's origin is checked like an iframe's: a page on a third origin that opens the remote
/// in a window (so it is the remote's `window.opener`, the window the remote listens to) and
/// knocks on it with well-formed knocks gets no answer.
#[tokio::test]
async fn popup_opened_by_a_third_origin_gets_no_answer() -> Result<()> {
    World::run("popup_opened_by_a_third_origin_gets_no_answer", async |w| {
        let (verdict, popup) = knock_on_popup_from_third_origin(w, &w.remote_url()).await?;
        if verdict.result != NO_ANSWER {
            return Err(Error::contract(format!(
                "the remote in a window answered a knock from its opener on the third origin {}: {}",
                w.config().attacker_origin(),
                verdict.answer
            )));
        }
        w.in_window(&popup, async |w| {
            // It runs as a popup and listens to its opener, which it still refuses.
            w.wait_for_attribute(".eos", "data-place", "window").await?;
            let state = w.text("#connection-state").await?;
            if state != LISTENING {
                return Err(Error::contract(format!(
                    "after {} knocks from its third-origin opener the remote's #connection-state is {state:?}, expected it still {LISTENING:?}",
                    verdict.knocks
                )));
            }
            w.screenshot("popup-after-knocks").await.map(drop)
        })
        .await
    })
    .await
}

/// The control for `popup_opened_by_a_third_origin_gets_no_answer`: the same fixture and
/// window, pointed at a listener that answers every knock, sees the answer.
#[tokio::test]
async fn knock_fixture_detects_a_listener_that_answers_in_a_popup() -> Result<()> {
    World::run_fixtures_only("knock_fixture_detects_a_listener_that_answers_in_a_popup", async |w| {
        let (verdict, popup) = knock_on_popup_from_third_origin(w, &w.attacker_alias_url("listener.html")).await?;
        if verdict.result != ANSWERED {
            return Err(Error::contract(format!(
                "the knock fixture saw no answer from listener.html in a window after {} knocks, so it cannot be trusted to catch a remote that answers",
                verdict.knocks
            )));
        }
        w.in_window(&popup, async |w| w.wait_for_text("#connection-state", ANSWERED).await)
            .await
    })
    .await
}

/// The harness's waits fail in time and say what they saw last.
#[tokio::test]
async fn harness_waits_report_what_they_saw() -> Result<()> {
    World::run_fixtures_only("harness_waits_report_what_they_saw", async |w| {
        w.goto(&w.attacker_url("harness.html")).await?;
        w.wait_for_text("#late", "arrived").await?;

        let short = std::time::Duration::from_millis(500);
        let wrong_text = w
            .wait_for_within(short, "#static", "\"other text\"", |text| text == "other text")
            .await;
        expect_timeout(wrong_text, "\"fixed text\"")?;
        let missing = w.wait_for_within(short, "#absent", "anything", |_| true).await;
        expect_timeout(missing, "no element matches #absent")
    })
    .await
}

/// What `attacker.html` reported.
struct Verdict {
    result: String,
    knocks: u32,
    answer: String,
}

/// Opens `attacker.html` on the third origin embedding `target`, waits until the embedded
/// page listens, knocks for the fixture's duration and returns its verdict.
async fn knock_from_third_origin(w: &World, target: &str) -> Result<Verdict> {
    let page = url::Url::parse_with_params(&w.attacker_url("attacker.html"), [("remote", target)])
        .map_err(|error| Error::contract(format!("building the fixture URL: {error}")))?;
    w.goto(page.as_str()).await?;
    w.wait_for_text("#result", "ready").await?;
    // Knocks are only meaningful once the target's listener is installed: before that a
    // knock is lost and "no answer" would prove nothing.
    w.in_frame("#target-frame", async |w| {
        w.wait_for_text("#connection-state", LISTENING).await
    })
    .await?;
    knock_and_wait(w).await
}

/// Clicks `attacker.html`'s #start and waits for its verdict.
async fn knock_and_wait(w: &World) -> Result<Verdict> {
    w.click("#start").await?;
    let result = w
        .wait_for("#result", "\"answered\" or \"no answer\"", |text| {
            text == ANSWERED || text == NO_ANSWER
        })
        .await?;
    let knocks_text = w.text("#knocks").await?;
    let knocks: u32 = knocks_text
        .parse()
        .map_err(|_| Error::contract(format!("#knocks shows {knocks_text:?}, not a number")))?;
    if knocks == 0 {
        return Err(Error::contract("the knock fixture posted no knock"));
    }
    let answer = w.text("#answer").await?;
    Ok(Verdict { result, knocks, answer })
}

/// Opens `attacker.html` on the third origin, has it open `target` in a window (a real click,
/// so no popup blocker stops it), waits until the page in the window listens, knocks from the
/// opener for the fixture's duration and returns its verdict with the window's handle.
async fn knock_on_popup_from_third_origin(w: &World, target: &str) -> Result<(Verdict, WindowHandle)> {
    let page = url::Url::parse_with_params(
        &w.attacker_url("attacker.html"),
        [("remote", target), ("open", "window")],
    )
    .map_err(|error| Error::contract(format!("building the fixture URL: {error}")))?;
    w.goto(page.as_str()).await?;
    w.wait_for_text("#result", "ready to open").await?;
    let known = w.windows().await?;
    w.click("#open-target").await?;
    w.wait_for_text("#result", "ready").await?;
    let popup = w.wait_for_new_window(&known).await?;
    // As with the iframe: knocks before the listener exists would prove nothing.
    w.in_window(&popup, async |w| w.wait_for_text("#connection-state", LISTENING).await)
        .await?;
    let verdict = knock_and_wait(w).await?;
    Ok((verdict, popup))
}

/// Fails unless the iframe `selector` shows a page of `origin` (the apps read their peer's
/// origin at compile time, so a build for other origins shows up here first).
async fn expect_frame_origin(w: &World, selector: &str, origin: &str) -> Result<()> {
    let src = w.property(selector, "src").await?.unwrap_or_default();
    let actual = url::Url::parse(&src)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|_| format!("an unparsable src {src:?}"));
    if actual == origin {
        Ok(())
    } else {
        Err(Error::contract(format!(
            "{selector} loads {src:?} (origin {actual}), expected a page of {origin}: was host-app built with PHOS_REMOTE_ORIGIN={origin}?"
        )))
    }
}

/// Fails unless `result` is a wait timeout whose message contains `needle`.
fn expect_timeout(result: Result<String>, needle: &str) -> Result<()> {
    match result {
        Ok(text) => Err(Error::contract(format!(
            "the wait should have timed out but accepted {text:?}"
        ))),
        Err(error) => {
            let message = error.to_string();
            if matches!(error.kind(), e2e::ErrorKind::Timeout { .. }) && message.contains(needle) {
                Ok(())
            } else {
                Err(Error::contract(format!(
                    "expected a timeout mentioning {needle}, got: {message}"
                )))
            }
        }
    }
}
