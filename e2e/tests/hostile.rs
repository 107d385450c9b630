//! End-to-end tests with a hostile or broken peer *at the right origin*: scripted pages served on
//! Eos's origin (`e2e/fixtures/scripted-eos.html`) or the host's (`scripted-host.html`) that
//! complete a real handshake and then flood, junk, fill storage, or speak another protocol
//! version. The page on the other side must stay responsive, bounded and correct, in every
//! engine.
//!
//! Run with `./test.sh e2e` (`test = false`, like the other browser tests).
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use e2e::{Error, Probe, Result, World};
use serde_json::json;

const FRAME: &str = "#remote-frame";
/// What a flood of interrupts is: the issue's figure.
const FLOOD: u32 = 100_000;
/// How quickly the host must react to input during a flood.
const RESPONSIVE: Duration = Duration::from_secs(1);
/// The most elements the host page may hold after a flood (it holds about 300 before).
const MAX_ELEMENTS: usize = 2_500;

/// Opens Phosphorescence with the real Eos, then points its iframe at a scripted Eos in `mode`
/// (on Eos's origin): the host's reconnector knocks on the new page and serves it.
async fn host_with_scripted_eos(w: &World, mode: &str, query: &str) -> Result<()> {
    w.goto(&w.host_url()).await?;
    w.wait_for_text("#connection-state", "connected").await?;
    w.wait_for_text("#connection-detail", "session 1 with Eos").await?;
    let url = format!(
        "{}fixtures/scripted-eos.html?host={}&mode={mode}{query}",
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
        .await
}

/// Starts the scripted Eos's mode (a click inside the iframe).
async fn start_scripted_eos(w: &World) -> Result<()> {
    w.in_frame(FRAME, async |w| w.click("#start").await).await
}

/// How many elements the host page holds now.
async fn element_count(w: &World) -> Result<usize> {
    let value = w
        .evaluate("return document.getElementsByTagName('*').length;", vec![])
        .await?;
    value
        .as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| Error::contract(format!("counting elements returned {value}")))
}

/// Starts timing, inside the host page, a click on note `id`'s "mark reviewed" until the note
/// shows revision 2: from the click event's own time stamp (so the time the input waited for a
/// busy page counts) to the DOM change, without WebDriver's polling in the figure.
async fn time_review_of(w: &World, id: u64) -> Result<()> {
    w.evaluate(
        "const id = arguments[0];
         const probe = window.__reviewProbe = { clicked: null, shown: null };
         document.addEventListener('click', (event) => {
           if (probe.clicked === null && event.target.closest('button.review-note')) probe.clicked = event.timeStamp;
         }, true);
         const list = document.getElementById('host-notes');
         const observer = new MutationObserver(() => {
           const note = list.querySelector(`li.host-note[data-id=\"${id}\"]`);
           if (probe.clicked !== null && note && note.dataset.revision === '2') {
             probe.shown = performance.now();
             observer.disconnect();
           }
         });
         observer.observe(list, { subtree: true, childList: true, attributes: true, characterData: true });",
        vec![json!(id)],
    )
    .await
    .map(drop)
}

/// The time [`time_review_of`] measured.
async fn review_latency(w: &World) -> Result<Duration> {
    let probe = w.evaluate("return window.__reviewProbe;", vec![]).await?;
    match (probe["clicked"].as_f64(), probe["shown"].as_f64()) {
        (Some(clicked), Some(shown)) => Ok(Duration::from_secs_f64((shown - clicked).max(0.0) / 1000.0)),
        _ => Err(Error::contract(format!("the review probe saw {probe}"))),
    }
}

/// Waits until the scripted Eos has had `at_least` more replies from the host.
async fn scripted_eos_served(w: &World, at_least: u64) -> Result<()> {
    w.in_frame(FRAME, async |w| {
        w.wait_for_text("#problem", "none").await?;
        w.wait_for("#replies", &format!("at least {at_least} replies"), |text| {
            text.parse::<u64>().is_ok_and(|n| n >= at_least)
        })
        .await
        .map(drop)
    })
    .await
}

/// Saves figures for the closing note and BENCHMARKS-style reading.
fn record(w: &World, name: &str, lines: &[String]) -> Result<()> {
    let dir = &w.config().log_dir;
    std::fs::create_dir_all(dir).map_err(|source| Error::io(format!("creating {}", dir.display()), source))?;
    let path = dir.join(format!("{name}.txt"));
    std::fs::write(&path, lines.join("\n") + "\n")
        .map_err(|source| Error::io(format!("writing {}", path.display()), source))?;
    for line in lines {
        eprintln!("{}: {line}", w.config().engine);
    }
    Ok(())
}

#[tokio::test]
async fn a_remote_flooding_interrupts_leaves_the_host_responsive() -> Result<()> {
    World::run("a_remote_flooding_interrupts_leaves_the_host_responsive", async |w| {
        host_with_scripted_eos(w, "flood", &format!("&count={FLOOD}")).await?;
        let elements_before = element_count(w).await?;
        time_review_of(w, 1).await?;
        start_scripted_eos(w).await?;

        // During the flood: a click on the host takes effect within a second, and a trivial
        // script returns within a second.
        let clicked = Instant::now();
        w.click(r#"#host-notes li.host-note[data-id="1"] button.review-note"#)
            .await?;
        w.wait_for_attribute(r#"#host-notes li.host-note[data-id="1"]"#, "data-revision", "2")
            .await?;
        let seen_by_webdriver = clicked.elapsed();
        let click_to_effect = review_latency(w).await?;
        let asked = Instant::now();
        w.evaluate("return 1;", vec![]).await?;
        let script_round_trip = asked.elapsed();

        // The flood was refused by rule: the action channel ended with a typed error that the
        // host shows, instead of 100,000 rows.
        w.wait_for("#interrupt-error", "the overload, in plain words", |text| {
            text.contains("too many")
        })
        .await?;
        // The flooded channel shows as closed (the host offers Eos a new one with its next reply,
        // listed above it).
        w.wait_until("the flooded action channel to show as closed", async |w| {
            let channels = w.texts("#channels li.channel.closed").await?;
            Ok(match channels.iter().any(|text| text.contains("session 2")) {
                true => Probe::Ready(()),
                false => Probe::NotYet(format!("closed channels: {channels:?}")),
            })
        })
        .await?;
        let posted = w
            .in_frame(FRAME, async |w| {
                w.wait_for_text("#phase", "done").await?;
                w.text("#posted").await
            })
            .await?;

        // The session still serves the remote, and the page stays bounded.
        scripted_eos_served(w, 3).await?;
        let interrupts_shown = w.count("#interrupts li.interrupt").await?;
        let interrupts_total = w.text("#interrupts-total").await?;
        let elements_after = element_count(w).await?;
        // The user's notes are intact: the review took, nothing else changed.
        w.wait_for_texts(
            "#host-notes li.host-note",
            &[
                "#1 Welcome to Phosphorescence (rev. 2) mark reviewed",
                "#2 Groceries (rev. 1) mark reviewed",
            ],
        )
        .await?;
        w.screenshot("host-after-flood").await?;
        record(
            w,
            "flood-figures",
            &[
                format!("flood posted by the scripted Eos: {posted}"),
                format!("click on the host to its effect during the flood: {click_to_effect:?} in the page ({seen_by_webdriver:?} through WebDriver's polling)"),
                format!("a trivial script's round trip during the flood: {script_round_trip:?}"),
                format!("interrupts shown {interrupts_shown}, counted {interrupts_total}"),
                format!("elements on the host page: {elements_before} before, {elements_after} after"),
            ],
        )?;
        if click_to_effect > RESPONSIVE || script_round_trip > RESPONSIVE {
            return Err(Error::contract(format!(
                "the host was slow during the flood: click {click_to_effect:?}, script {script_round_trip:?}"
            )));
        }
        if interrupts_shown > 300 || elements_after > MAX_ELEMENTS {
            return Err(Error::contract(format!(
                "the host's page grew: {interrupts_shown} interrupt rows, {elements_after} elements"
            )));
        }
        let total: u64 = interrupts_total
            .parse()
            .map_err(|_| Error::contract(format!("#interrupts-total shows {interrupts_total:?}")))?;
        // The rate bound is 1,000 a second. Chromium and Firefox deliver the whole flood within
        // one second's window (1,000 taken); WebKit delivers it more slowly, so a second window
        // may open before the bound trips (measured: 1,971). Far from 100,000 either way.
        if total == 0 || total > 3_000 {
            return Err(Error::contract(format!(
                "{total} interrupts were taken: the channel's bound (1,000 a second) did not hold"
            )));
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_remote_posting_junk_to_the_host_window_changes_nothing() -> Result<()> {
    World::run("a_remote_posting_junk_to_the_host_window_changes_nothing", async |w| {
        host_with_scripted_eos(w, "junk", &format!("&count={FLOOD}")).await?;
        let inspector_before = w.text("#inspector-total").await?;
        // Session 1 (the real Eos) was superseded when the iframe changed: that note stays.
        let errors_before = w.texts("#errors li").await?;
        time_review_of(w, 2).await?;
        start_scripted_eos(w).await?;
        w.click(r#"#host-notes li.host-note[data-id="2"] button.review-note"#)
            .await?;
        w.wait_for_attribute(r#"#host-notes li.host-note[data-id="2"]"#, "data-revision", "2")
            .await?;
        let click_to_effect = review_latency(w).await?;
        w.in_frame(FRAME, async |w| w.wait_for_text("#phase", "done").await)
            .await?;
        scripted_eos_served(w, 3).await?;
        // After the handshake the host has no window listener: junk is never even looked at.
        // The inspector shows only the conversation, and no error.
        let labels: Vec<String> = w.texts("#wire-log tr.wire-row td.label").await?;
        let conversation = ["", "introduce", "welcome", "list_items", "items"];
        if let Some(odd) = labels.iter().find(|label| !conversation.contains(&label.as_str())) {
            return Err(Error::contract(format!(
                "the inspector shows {odd:?} after junk: {labels:?}"
            )));
        }
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
        let errors = w.texts("#errors li").await?;
        if errors != errors_before {
            return Err(Error::contract(format!(
                "the host shows new errors: {errors:?} (before the junk: {errors_before:?})"
            )));
        }
        w.wait_for_texts(
            "#host-notes li.host-note",
            &[
                "#1 Welcome to Phosphorescence (rev. 1) mark reviewed",
                "#2 Groceries (rev. 2) mark reviewed",
            ],
        )
        .await?;
        record(
            w,
            "junk-figures",
            &[
                format!("click on the host to its effect during the junk: {click_to_effect:?}"),
                format!("inspector rows before: {inspector_before}"),
            ],
        )?;
        if click_to_effect > RESPONSIVE {
            return Err(Error::contract(format!(
                "the host was slow during the junk: {click_to_effect:?}"
            )));
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_bad_interrupt_is_shown_and_a_new_action_channel_works() -> Result<()> {
    World::run("a_bad_interrupt_is_shown_and_a_new_action_channel_works", async |w| {
        host_with_scripted_eos(w, "bad", "").await?;
        start_scripted_eos(w).await?;
        // The library's rule: an interrupt that does not decode ends its channel (the valid
        // one posted after it on the same channel is refused with it). The host says so...
        w.wait_for("#interrupt-error", "the bad interrupt, in plain words", |text| {
            text.contains("could not be read")
        })
        .await?;
        // ... and offers a new action channel with its next reply, on which actions arrive.
        w.in_frame(FRAME, async |w| {
            w.wait_for_text("#phase", "done").await?;
            w.wait_for_text("#new-channel", "yes").await?;
            w.wait_for_text("#problem", "none").await
        })
        .await?;
        w.wait_for_texts("#interrupts li.interrupt", &["share #1"]).await?;
        w.screenshot("host-after-bad-interrupt").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn every_acknowledged_note_survives_a_full_storage() -> Result<()> {
    World::run("every_acknowledged_note_survives_a_full_storage", async |w| {
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-state", "connected").await?;
        // Fill the host origin's storage until the browser refuses, leaving a little room.
        let filled = w
            .evaluate(
                "let n = 0; const chunk = 'j'.repeat(64 * 1024);
                 try { for (;;) { localStorage.setItem('junk-' + n, chunk); n += 1; } } catch (e) {}
                 localStorage.removeItem('junk-0');
                 return n;",
                vec![],
            )
            .await?;
        let url = format!(
            "{}fixtures/scripted-eos.html?host={}&mode=fill&body=2000",
            w.remote_url(),
            w.config().host_origin()
        );
        w.evaluate(
            "document.querySelector(arguments[0]).src = arguments[1];",
            vec![json!(FRAME), json!(url)],
        )
        .await?;
        w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
        let (acknowledged, stopped) = w
            .in_frame(FRAME, async |w| {
                w.wait_for_text("#phase", "ready").await?;
                w.click("#start").await?;
                w.wait_for_text("#phase", "done").await?;
                Ok((w.text("#acknowledged").await?, w.text("#stopped").await?))
            })
            .await?;
        if stopped != "storage_full" {
            return Err(Error::contract(format!(
                "the scripted Eos stopped on {stopped:?}, not on a full storage"
            )));
        }
        let acknowledged: Vec<String> = acknowledged.split_whitespace().map(str::to_owned).collect();
        if acknowledged.is_empty() {
            return Err(Error::contract("no note fitted: leave more room"));
        }
        // The host tells the user.
        w.wait_until("a full storage in plain words", async |w| {
            let errors = w.texts("#errors li").await?;
            Ok(match errors.iter().any(|text| text.contains("full")) {
                true => Probe::Ready(()),
                false => Probe::NotYet(format!("{errors:?}")),
            })
        })
        .await?;
        w.screenshot("host-storage-full").await?;
        // Everything acknowledged is still there after a reload.
        w.reload().await?;
        w.wait_for_text("#connection-state", "connected").await?;
        let stored = w
            .wait_until("the host's notes after the reload", async |w| {
                let ids = w
                    .evaluate(
                        "return Array.from(document.querySelectorAll('#host-notes li.host-note'), e => e.dataset.id);",
                        vec![],
                    )
                    .await?;
                let ids: Vec<String> = serde_json::from_value(ids).unwrap_or_default();
                Ok(if ids.len() >= 2 {
                    Probe::Ready(ids)
                } else {
                    Probe::NotYet(format!("{ids:?}"))
                })
            })
            .await?;
        let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
        record(
            w,
            "storage-figures",
            &[
                format!("64 KiB junk entries that filled the storage: {filled}"),
                format!("notes acknowledged before the storage was full: {}", acknowledged.len()),
                format!("notes stored after the reload: {}", stored.len()),
            ],
        )?;
        if !lost.is_empty() {
            return Err(Error::contract(format!(
                "acknowledged notes lost in the reload: {lost:?}"
            )));
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn eos_stops_when_the_host_speaks_another_protocol_version() -> Result<()> {
    World::run("eos_stops_when_the_host_speaks_another_protocol_version", async |w| {
        let url = format!(
            "{}/fixtures/scripted-host.html?remote={}&version=2",
            w.config().host_origin(),
            w.remote_url()
        );
        w.goto(&url).await?;
        w.wait_for_text("#phase", "welcomed").await?;
        w.in_frame("#eos", async |w| {
            w.wait_for_text("#connection-state", "version mismatch").await?;
            w.wait_for("#connection-detail", "the two versions named", |text| {
                text.contains("v2") && text.contains("v1")
            })
            .await
            .map(drop)
        })
        .await?;
        w.screenshot_element("#eos", "eos-version-mismatch").await?;
        // Eos stopped: it sends nothing after the welcome (an idle Eos polls every second).
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let after = w.text("#after-welcome").await?;
        if after != "0" {
            return Err(Error::contract(format!(
                "Eos sent {after} requests after a welcome in another version"
            )));
        }
        Ok(())
    })
    .await
}
