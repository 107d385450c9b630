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
        start_scripted_eos(w).await?;

        // During the flood: a click on the host takes effect within a second, and a trivial
        // script returns within a second.
        let clicked = Instant::now();
        w.click(r#"#host-notes li.host-note[data-id="1"] button.review-note"#)
            .await?;
        w.wait_for_attribute(r#"#host-notes li.host-note[data-id="1"]"#, "data-revision", "2")
            .await?;
        let click_to_effect = clicked.elapsed();
        let asked = Instant::now();
        w.evaluate("return 1;", vec![]).await?;
        let script_round_trip = asked.elapsed();

        // The flood was refused by rule: the action channel ended with a typed error that the
        // host shows, instead of 100,000 rows.
        w.wait_for("#interrupt-error", "the overload, in plain words", |text| {
            text.contains("too many")
        })
        .await?;
        w.wait_for("#channels li.channel", "the action channel closed", |text| {
            text.contains("closed")
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
                format!("click on the host to its effect during the flood: {click_to_effect:?}"),
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
        if total == 0 || total > 1_000 {
            return Err(Error::contract(format!(
                "{total} interrupts were taken: the channel's bound (1,000) did not hold"
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
        start_scripted_eos(w).await?;
        let clicked = Instant::now();
        w.click(r#"#host-notes li.host-note[data-id="2"] button.review-note"#)
            .await?;
        w.wait_for_attribute(r#"#host-notes li.host-note[data-id="2"]"#, "data-revision", "2")
            .await?;
        let click_to_effect = clicked.elapsed();
        w.in_frame(FRAME, async |w| w.wait_for_text("#phase", "done").await)
            .await?;
        scripted_eos_served(w, 3).await?;
        // After the handshake the host has no window listener: junk is never even looked at.
        // The inspector shows only the conversation, and no error.
        let labels: Vec<String> = w.texts("#wire-log tr.wire-row td.label").await?;
        let conversation = ["", "introduce", "welcome", "list_items", "items"];
        if let Some(odd) = labels.iter().find(|label| !conversation.contains(&label.as_str())) {
            return Err(Error::contract(format!("the inspector shows {odd:?} after junk: {labels:?}")));
        }
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
        let errors = w.texts("#errors li").await?;
        if !errors.is_empty() {
            return Err(Error::contract(format!("the host shows errors: {errors:?}")));
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
            return Err(Error::contract(format!("acknowledged notes lost in the reload: {lost:?}")));
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
