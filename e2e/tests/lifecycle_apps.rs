//! Issue 23 in the demo apps, in every engine: application protocol versions that differ (case
//! 5), a reply of the wrong kind for its request (case 5), a peer that says it refused (case 8),
//! and the host's one-time question going to the Eos the user chose when two are connected
//! (case 7).
//!
//! The apps' e2e builds take their application protocol version from the page's URL
//! (`?app-protocol-version=N`, compiled in only with `APP_VERSION_FROM_QUERY`, which `./test.sh`
//! sets for these builds alone): the host page's own URL for the host, the iframe's `src` for Eos.
//! Scripted peers (`e2e/fixtures/scripted-host.html`, `scripted-eos.html`) stand in for a host
//! that answers with the wrong kind and an Eos that refuses.
//!
//! Run with `./test.sh e2e` (`test = false`, like the other browser tests).
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use e2e::{Error, Result, WindowHandle, World};
use serde_json::json;

/// The iframe that shows Eos on the host page.
const FRAME: &str = "#remote-frame";
/// The host's notes on a first run, in Eos's list.
const FIRST_RUN_NOTES: &[&str] = &["Welcome to Phosphorescence", "Groceries"];
/// Far under every timeout that would otherwise end these sessions (Eos's reply timeout is 5 s,
/// the host's 70 s): an end this quick came from the peer's close notice or a check of its own.
const PROMPTLY: Duration = Duration::from_secs(2);

/// What the host shows when Eos of version `eos` meets this host of version `host`
/// (`shared_proto::version_words`).
fn host_words(host: u32, eos: u32) -> String {
    format!("Eos speaks protocol v{eos}; this host speaks v{host}. The session was closed: update both to the same version.")
}

/// What Eos shows in the same case.
fn eos_words(host: u32, eos: u32) -> String {
    format!("The host speaks protocol v{host}; Eos speaks v{eos}. Eos stopped: the two need to be updated to the same version.")
}

/// Waits until both pages show the version mismatch of a host of `host` and an Eos of `eos`,
/// naming both versions.
async fn both_pages_show_the_mismatch(w: &World, host: u32, eos: u32) -> Result<()> {
    let on_host = host_words(host, eos);
    w.wait_for_text("#connection-detail", &on_host).await?;
    w.wait_for_text("#connection-state", "closed").await?;
    w.wait_for_text("#version-problem", &on_host).await?;
    let on_eos = eos_words(host, eos);
    w.in_frame(FRAME, async |w| {
        w.wait_for_text("#connection-state", "version mismatch").await?;
        w.wait_for_text("#connection-detail", &on_eos).await?;
        w.wait_for_text("#version-problem", &on_eos).await
    })
    .await
}

/// Case 5, the application's part: a host and an Eos of different app protocol versions, in
/// both orders (a newer host, then a newer Eos), end on both pages in words naming both
/// versions, within the wait (20 s, under the host's 70 s reply timeout); Eos's close notice
/// ends the host's session at once, and nothing is exchanged after the introduction.
#[tokio::test]
async fn lifecycle_app_versions_that_differ_fail_fast_on_both_pages() -> Result<()> {
    World::run("lifecycle_app_versions_that_differ_fail_fast_on_both_pages", async |w| {
        // A newer host (v2) embeds Eos v1.
        let started = Instant::now();
        w.goto(&format!("{}?app-protocol-version=2", w.host_url())).await?;
        both_pages_show_the_mismatch(w, 2, 1).await?;
        let newer_host = started.elapsed();
        w.screenshot("host-newer-than-eos").await?;

        // A host of v1 and a newer Eos (v2): the host as served, its iframe pointed at Eos v2.
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        let started = Instant::now();
        let newer = format!("{}?app-protocol-version=2", w.remote_url());
        w.evaluate(
            "document.querySelector(arguments[0]).src = arguments[1];",
            vec![json!(FRAME), json!(newer)],
        )
        .await?;
        both_pages_show_the_mismatch(w, 1, 2).await?;
        let newer_eos = started.elapsed();
        w.screenshot("eos-newer-than-host").await?;
        // The host's session with Eos v2 stays closed: Eos sent nothing after its introduction.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let state = w.text("#connection-state").await?;
        if state != "closed" {
            return Err(Error::contract(format!(
                "1.5 s after the mismatch the host shows {state:?}, expected still closed"
            )));
        }
        eprintln!(
            "{}: version mismatch shown on both pages {} ms after loading the newer host, {} ms after loading the newer Eos",
            w.config().engine,
            newer_host.as_millis(),
            newer_eos.as_millis()
        );
        Ok(())
    })
    .await
}

/// Case 5, the wire part in the apps' words: a host whose knock claims wire format version 2 is
/// refused by Eos (version 1), which says so naming both versions and answers with the close
/// notice `version`; and an Eos whose answer claims version 2 is refused by the host, which says so
/// naming both and answers with the same notice.
#[tokio::test]
async fn lifecycle_wire_versions_that_differ_are_named_on_both_pages() -> Result<()> {
    World::run(
        "lifecycle_wire_versions_that_differ_are_named_on_both_pages",
        async |w| {
            // A newer host's knock at Eos v1.
            let url = format!(
                "{}/fixtures/scripted-host.html?remote={}&knock-version=2",
                w.config().host_origin(),
                w.remote_url()
            );
            w.goto(&url).await?;
            w.wait_for_text("#phase", "refused").await?;
            w.wait_for_text("#close-notice", "version").await?;
            w.wait_for_text("#notice-version", "1").await?;
            w.in_frame("#eos", async |w| {
                w.wait_for_text("#connection-state", "closed").await?;
                w.wait_for_text(
                    "#connection-detail",
                    "The host speaks version 2 of the messenger's wire format and this page version 1: they cannot \
                 connect until both are updated to the same version.",
                )
                .await
            })
            .await?;
            w.screenshot_element("#eos", "eos-wire-version-2-knock").await?;

            // A newer Eos's answer at the host (v1).
            w.goto(&w.host_url()).await?;
            w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
            let url = format!(
                "{}fixtures/scripted-eos.html?host={}&listen-version=2",
                w.remote_url(),
                w.config().host_origin()
            );
            w.evaluate(
                "document.querySelector(arguments[0]).src = arguments[1];",
                vec![json!(FRAME), json!(url)],
            )
            .await?;
            w.wait_for_text(
                "#connection-detail",
                "Eos speaks version 2 of the messenger's wire format and this page version 1: they cannot connect \
             until both are updated to the same version.",
            )
            .await?;
            w.wait_for_text("#connection-state", "closed").await?;
            w.in_frame(FRAME, async |w| {
                w.wait_for_text("#phase", "refused").await?;
                w.wait_for_text("#close-notice", "received version").await
            })
            .await?;
            w.screenshot("host-wire-version-2-answer").await?;
            Ok(())
        },
    )
    .await
}

/// Case 5, the reply-kind check: a host that answers a request with a reply of another kind (the
/// issue's case first: `items`, an interrupt port riding along, for `introduce`) is refused by Eos
/// at once, in words naming both kinds, and the host hears a close notice `refused` well under
/// Eos's 5 s reply timeout; Eos asks nothing more.
#[tokio::test]
async fn lifecycle_eos_refuses_a_reply_of_the_wrong_kind_at_once() -> Result<()> {
    World::run("lifecycle_eos_refuses_a_reply_of_the_wrong_kind_at_once", async |w| {
        for (request, reply, expected, requests) in [
            ("introduce", "items", "“welcome” or “failed”", 1),
            ("list_items", "deleted", "“items” or “failed”", 2),
            ("poll", "item", "“polled” or “failed”", 3),
        ] {
            let url = format!(
                "{}/fixtures/scripted-host.html?remote={}&wrong={request}:{reply}",
                w.config().host_origin(),
                w.remote_url()
            );
            w.goto(&url).await?;
            let words = format!(
                "The host sent a reply of kind “{reply}” to “{request}”, which only {expected} answers: Eos \
                 refused it at once and closed the session."
            );
            w.in_frame("#eos", async |w| {
                w.wait_for_text("#connection-detail", &words).await?;
                w.wait_for_text("#connection-state", "closed").await
            })
            .await?;
            w.wait_for_text("#close-notice", "refused").await?;
            let after = w.text("#notice-after").await?;
            let after_ms: u64 = after
                .parse()
                .map_err(|_| Error::contract(format!("#notice-after shows {after:?}")))?;
            if Duration::from_millis(after_ms) > PROMPTLY {
                return Err(Error::contract(format!(
                    "Eos's close notice came {after_ms} ms after the wrong reply to {request}, expected within {PROMPTLY:?}"
                )));
            }
            // Eos asked nothing after the reply it refused (an idle Eos polls every second).
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            let asked = w.text("#requests").await?;
            if asked != requests.to_string() {
                return Err(Error::contract(format!(
                    "Eos sent {asked} requests in all when the host answered {request} with {reply}, expected {requests}"
                )));
            }
            w.screenshot_element("#eos", &format!("eos-refused-{reply}-for-{request}"))
                .await?;
            eprintln!(
                "{}: a {reply} reply to {request} refused; the host heard `refused` {after_ms} ms after sending it",
                w.config().engine
            );
        }
        Ok(())
    })
    .await
}

/// Case 8 on the host's page: an Eos that refuses the host's last reply says so with a close
/// notice, and the host ends the session at once in words naming Eos as the one that refused
/// (before, it waited out its 70 s reply timeout and then blamed Eos for not answering).
#[tokio::test]
async fn lifecycle_the_host_shows_at_once_that_eos_refused() -> Result<()> {
    World::run("lifecycle_the_host_shows_at_once_that_eos_refused", async |w| {
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        let url = format!(
            "{}fixtures/scripted-eos.html?host={}&mode=refuse",
            w.remote_url(),
            w.config().host_origin()
        );
        w.evaluate(
            "document.querySelector(arguments[0]).src = arguments[1];",
            vec![json!(FRAME), json!(url)],
        )
        .await?;
        w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
        w.in_frame(FRAME, async |w| w.wait_for_text("#phase", "ready").await)
            .await?;
        let started = Instant::now();
        w.in_frame(FRAME, async |w| {
            w.click("#start").await?;
            w.wait_for_text("#close-notice", "sent").await
        })
        .await?;
        let words = "Eos refused a message from this page and closed the session.";
        w.wait_for_text("#connection-detail", words).await?;
        w.wait_for_text("#connection-state", "closed").await?;
        let took = started.elapsed();
        if took > PROMPTLY {
            return Err(Error::contract(format!(
                "the host showed Eos's refusal {} ms after it, expected within {PROMPTLY:?}",
                took.as_millis()
            )));
        }
        w.in_frame(FRAME, async |w| w.wait_for_text("#problem", "none").await)
            .await?;
        w.screenshot("host-eos-refused").await?;
        eprintln!(
            "{}: the host showed Eos's refusal within {} ms (WebDriver's polling included)",
            w.config().engine,
            took.as_millis()
        );
        Ok(())
    })
    .await
}

/// Case 5, the host's check: an answer that names another question than the one its one-time
/// channel was made for is refused at once: the question panel says so naming both questions,
/// the session ends, and Eos hears a close notice `refused`.
#[tokio::test]
async fn lifecycle_the_host_refuses_an_answer_to_another_question() -> Result<()> {
    World::run("lifecycle_the_host_refuses_an_answer_to_another_question", async |w| {
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
        let url = format!(
            "{}fixtures/scripted-eos.html?host={}&mode=wrong-answer",
            w.remote_url(),
            w.config().host_origin()
        );
        w.evaluate(
            "document.querySelector(arguments[0]).src = arguments[1];",
            vec![json!(FRAME), json!(url)],
        )
        .await?;
        w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
        w.in_frame(FRAME, async |w| {
            w.wait_for_text("#phase", "ready").await?;
            w.click("#start").await
        })
        .await?;
        w.click("#ask-question").await?;
        w.wait_for_text(
            "#question-state",
            "No answer: Eos sent an answer to question 2 on the channel of question 1: the host refused it at \
             once and closed the session.",
        )
        .await?;
        w.wait_for_text("#connection-state", "closed").await?;
        w.in_frame(FRAME, async |w| {
            w.wait_for_text("#close-notice", "received refused").await?;
            w.wait_for_text("#problem", "none").await
        })
        .await?;
        w.screenshot("host-refused-a-wrong-answer").await?;
        Ok(())
    })
    .await
}

/// Case 7: with the iframe's Eos and a window's Eos both connected (two remotes of one origin),
/// the question goes to the Eos the user chose and only there, whichever polls first; it is
/// answered there; closing the window leaves the iframe's session working, and a question put to
/// the iframe then goes there.
#[tokio::test]
async fn lifecycle_the_question_goes_to_the_chosen_eos_only() -> Result<()> {
    World::run("lifecycle_the_question_goes_to_the_chosen_eos_only", async |w| {
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-state", "connected").await?;
        w.in_frame(FRAME, async |w| eos_ready(w).await).await?;
        let host = w.window().await?;
        let popup = open_popup(w).await?;
        w.in_window(&popup, async |w| eos_ready(w).await).await?;
        w.wait_for_text("#window-detail", "session 2 with Eos in a window")
            .await?;

        // To the window: both Eoses poll every second, the iframe's too; only the window's gets it.
        choose_target(w, "window").await?;
        w.click("#ask-question").await?;
        w.wait_for_text(
            "#question-state",
            "Question 1 is shown in Eos's window; waiting for the user's click there.",
        )
        .await?;
        w.in_window(&popup, async |w| {
            w.wait_for_text("#question-prompt", "Which note should Phosphorescence share?")
                .await?;
            w.click(r#"#question button.choose-note[data-id="2"]"#).await?;
            w.wait_for_text("#question-status", "Answer sent to the host.").await
        })
        .await?;
        w.wait_for_text("#question-state", "Answer to question 1: chose #2 “Groceries”")
            .await?;
        // The iframe's Eos, which kept polling all along, never saw it.
        w.in_frame(FRAME, async |w| {
            w.wait_for_text("#connection-state", "connected").await?;
            w.wait_for_count("#question", 0).await
        })
        .await?;
        w.screenshot("host-question-answered-in-the-window").await?;

        // Closing the window ends its session only.
        w.switch_to_window(&popup).await?;
        w.close_window().await?;
        w.switch_to_window(&host).await?;
        w.wait_for_text("#window-state", "closed").await?;
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#connection-detail", "session 1 with Eos").await?;

        // The iframe's session still works: a question put to it goes there and is answered.
        choose_target(w, "iframe").await?;
        w.click("#ask-question").await?;
        w.wait_for_text(
            "#question-state",
            "Question 2 is shown in Eos; waiting for the user's click there.",
        )
        .await?;
        w.in_frame(FRAME, async |w| {
            w.wait_for_attribute("#question", "data-question", "2").await?;
            w.click(r#"#question button.choose-note[data-id="1"]"#).await?;
            w.wait_for_text("#question-status", "Answer sent to the host.").await
        })
        .await?;
        w.wait_for_text(
            "#question-state",
            "Answer to question 2: chose #1 “Welcome to Phosphorescence”",
        )
        .await?;
        w.screenshot("host-question-answered-in-the-iframe").await?;
        Ok(())
    })
    .await
}

/// Chooses which Eos gets the next question (`iframe` or `window`) in the host's question form.
///
/// The select's value is set and its `change` dispatched from script, as a choice in the list
/// would: WebDriver's clicks on `<option>`s differ between the engines' drivers.
async fn choose_target(w: &World, value: &str) -> Result<()> {
    w.evaluate(
        "const select = document.querySelector('#question-target');
         select.value = arguments[0];
         select.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![json!(value)],
    )
    .await?;
    let chosen = w.property("#question-target", "value").await?;
    if chosen.as_deref() != Some(value) {
        return Err(Error::contract(format!(
            "#question-target holds {chosen:?} after choosing {value:?}"
        )));
    }
    Ok(())
}

/// In Eos (its iframe or its window): waits until it is connected, welcomed, lists the first-run
/// notes and its action buttons reach the host.
async fn eos_ready(w: &World) -> Result<()> {
    w.wait_for_text("#connection-state", "connected").await?;
    w.wait_for_text("#last-reply", "hello from Phosphorescence").await?;
    w.wait_for_texts("#notes button.note", FIRST_RUN_NOTES).await?;
    w.wait_for_enabled("#action-attention").await
}

/// On the host: clicks "Open Eos in a window" and waits for the window it opens; returns its
/// handle (the client stays on the host page).
async fn open_popup(w: &World) -> Result<WindowHandle> {
    let known = w.windows().await?;
    w.click("#open-window").await?;
    w.wait_for_new_window(&known).await
}
