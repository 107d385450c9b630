//! Start order and slow starts (issue 23, case 6), end to end in each engine (`E2E_BROWSER`):
//! Eos's files served seconds late by the test server ([`e2e::Delays`]), a host that knocks
//! long after Eos is up, a host that knocks before its iframe is there, and an Eos that never
//! starts. Run with `./test.sh e2e` (`test = false`, like the other browser tests).
//!
//! What the engines do with a late Eos (seen in Chromium, Firefox ESR and WebKitGTK alike): the
//! iframe's `load` does not wait for Eos's wasm (the page's module script fetches and
//! instantiates it after `load`; WebKitGTK even fetches it twice, the `preload` and the
//! `fetch`), so the host's `Reconnector` knocks from `load` on, backing off (10, 20, 40 ... ms,
//! then every 200 ms), and the first knock after Eos listens is answered. A late module script
//! holds `load` back instead, and the knocks start when it has arrived.
//!
//! The host page (Phosphorescence) and Eos are the e2e release builds; `late-host.html` (in
//! `e2e/fixtures/`, served on the host's origin) is a plain-JavaScript host for the orders the
//! demo host cannot make (it renders its iframe itself, so Eos never loads before its code runs).
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use e2e::{Error, Probe, Result, World};
use serde_json::Value;

/// The iframe that shows Eos on the host page.
const FRAME: &str = "#remote-frame";
/// Eos's wasm (trunk names it `remote-app-<hash>_bg.wasm`): fetched by its script after `load`.
const EOS_WASM: &str = "_bg.wasm";
/// Eos's JavaScript module (`remote-app-<hash>.js`), imported by the page's module script.
const EOS_SCRIPT: &str = ".js";
/// How late the slow files come.
const LATE: Duration = Duration::from_secs(3);
/// The host's handshake timeout: the messenger's default (`Config::new`), which the demo keeps.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How much later than its deadline the host may show the timeout: timer lateness, one
/// animation frame of the host's batched rendering, and the test's 100 ms polling.
const SHOWN_WITHIN: Duration = Duration::from_millis(2_500);
/// What the host says when Eos did not answer in time (`shared_proto::plain_words`).
const NO_ANSWER: &str = "Eos did not answer the knock in time.";
/// The most knocks the default timing sends in a 10 s handshake (the core's `knock_cost` test
/// pins the schedule: 0, 10, 30, 70, 150, 310 ms, then every 200 ms to 9,910 ms).
const MOST_KNOCKS_IN_A_HANDSHAKE: u64 = 54;

#[tokio::test]
async fn lifecycle_eos_served_seconds_late_connects() -> Result<()> {
    World::run("lifecycle_eos_served_seconds_late_connects", async |w| {
        // Eos's wasm 3 s late: the iframe has loaded, the host knocks, Eos listens 3 s later.
        w.remote_server()?.delays().delay(EOS_WASM, LATE);
        let started = Instant::now();
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-state", "knocking").await?;
        w.wait_for_text("#connection-state", "connected").await?;
        let connected_after = started.elapsed();
        eprintln!("wasm {LATE:?} late: connected after {connected_after:?}");
        if connected_after < LATE {
            return Err(Error::contract(format!(
                "connected after {connected_after:?}, before Eos's wasm ({LATE:?} late) can have arrived"
            )));
        }
        let knocks = knock_count(w, 1).await?;
        eprintln!("wasm {LATE:?} late: {knocks} knocks");
        // Every knock from `load` to the one Eos answered: about 5 in the first 310 ms, then one
        // every 200 ms; never more than a whole handshake's worth.
        if !(5..=MOST_KNOCKS_IN_A_HANDSHAKE).contains(&knocks) {
            return Err(Error::contract(format!(
                "{knocks} knocks in {connected_after:?}: expected the backed-off schedule"
            )));
        }
        round_trip(w, "wasm late").await
    })
    .await
}

#[tokio::test]
async fn lifecycle_eos_script_served_seconds_late_connects() -> Result<()> {
    // A world of its own: a reload would take the script from the browser's cache.
    World::run("lifecycle_eos_script_served_seconds_late_connects", async |w| {
        // Eos's module script 3 s late: the iframe's `load` waits for it, then the knocks start.
        w.remote_server()?.delays().delay(EOS_SCRIPT, LATE);
        let started = Instant::now();
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-state", "connected").await?;
        let connected_after = started.elapsed();
        let knocks = knock_count(w, 1).await?;
        eprintln!("script {LATE:?} late: connected after {connected_after:?}, {knocks} knocks");
        if connected_after < LATE {
            return Err(Error::contract(format!(
                "connected after {connected_after:?}, before Eos's script ({LATE:?} late) can have arrived"
            )));
        }
        round_trip(w, "script late").await
    })
    .await
}

#[tokio::test]
async fn lifecycle_eos_that_never_starts_times_out_and_is_not_knocked_on_again() -> Result<()> {
    World::run(
        "lifecycle_eos_that_never_starts_times_out_and_is_not_knocked_on_again",
        async |w| {
            // Eos's wasm comes 5 s after the host's handshake timeout: for the host, an Eos that
            // never starts.
            let late = HANDSHAKE_TIMEOUT + Duration::from_secs(5);
            w.remote_server()?.delays().delay(EOS_WASM, late);
            let before_goto = Instant::now();
            w.goto(&w.host_url()).await?;
            // The handshake starts at the iframe's `load`: after `goto` began, at the latest
            // when it returned (WebDriver waits for the page's `load`, which waits for the
            // iframe's).
            let after_goto = Instant::now();
            w.wait_for_text("#connection-state", "knocking").await?;
            let detail = w
                .wait_for_within(
                    HANDSHAKE_TIMEOUT + SHOWN_WITHIN + Duration::from_secs(5),
                    "#connection-detail",
                    "the handshake timeout in plain words",
                    |detail| detail.starts_with(NO_ANSWER),
                )
                .await?;
            let (shown_min, shown_max) = (after_goto.elapsed(), before_goto.elapsed());
            eprintln!("never started: {detail:?} shown {shown_min:?}..{shown_max:?} after the iframe's load");
            w.wait_for_text("#connection-state", "closed").await?;
            if shown_max < HANDSHAKE_TIMEOUT || shown_min > HANDSHAKE_TIMEOUT + SHOWN_WITHIN {
                return Err(Error::contract(format!(
                    "the timeout showed {shown_min:?}..{shown_max:?} after load, expected at {HANDSHAKE_TIMEOUT:?} \
                     (+ {SHOWN_WITHIN:?})"
                )));
            }
            let errors = w.texts("#errors li").await?;
            if errors.len() != 1 || !errors[0].starts_with(NO_ANSWER) {
                return Err(Error::contract(format!("the host's errors: {errors:?}")));
            }
            let knocks = knock_count(w, 1).await?;
            eprintln!("never started: {knocks} knocks in the handshake");
            // The whole backed-off schedule of a 10 s handshake: 54 knocks when every timer is
            // on time, a few fewer when the engine runs them late (each interval counts from
            // the knock before it).
            if !(40..=MOST_KNOCKS_IN_A_HANDSHAKE).contains(&knocks) {
                return Err(Error::contract(format!(
                    "{knocks} knocks in a {HANDSHAKE_TIMEOUT:?} handshake, expected at most {MOST_KNOCKS_IN_A_HANDSHAKE}"
                )));
            }

            // The Reconnector does not knock again until the iframe loads again: Eos, once its
            // wasm has come, listens and hears nothing.
            w.in_frame(FRAME, async |w| {
                w.wait_for_within(
                    late + Duration::from_secs(10),
                    "#connection-state",
                    "Eos listening",
                    |state| state == "listening",
                )
                .await
                .map(drop)
            })
            .await?;
            let listening_since = Instant::now();
            w.wait_until_within(
                Duration::from_secs(3),
                "3 s of Eos listening with no knock",
                async |w| {
                    let eos = w.in_frame(FRAME, async |w| w.text("#connection-state").await).await?;
                    let now = knock_count(w, 1).await?;
                    if eos != "listening" || now != knocks {
                        return Err(Error::contract(format!(
                            "Eos {eos:?}, {now} knocks after {knocks}: the host knocked again"
                        )));
                    }
                    Ok(if listening_since.elapsed() >= Duration::from_secs(2) {
                        Probe::Ready(())
                    } else {
                        Probe::NotYet(format!("Eos {eos}, {now} knocks"))
                    })
                },
            )
            .await?;
            if knock_count(w, 1).await? != knocks || w.count("#wire-log tbody tr.wire-row.knocks").await? != 1 {
                return Err(Error::contract("the host knocked again after its handshake timed out"));
            }
            w.wait_for_text("#connection-state", "closed").await?;

            // What the user is told to do works: "Reload Eos" loads it again, and it is knocked on.
            w.remote_server()?.delays().clear();
            w.click("#reload-remote").await?;
            w.wait_for_text("#connection-detail", "session 2 with Eos").await?;
            w.wait_for_text("#connection-state", "connected").await?;
            round_trip(w, "after the reload").await
        },
    )
    .await
}

#[tokio::test]
async fn lifecycle_eos_up_long_before_the_host_knocks_connects() -> Result<()> {
    World::run("lifecycle_eos_up_long_before_the_host_knocks_connects", async |w| {
        // The iframe is inserted while the host page is parsed, before any of its code knocks.
        w.goto(&late_host(w, "frame-first")).await?;
        w.in_frame("#eos", async |w| {
            w.wait_for_text("#connection-state", "listening").await
        })
        .await?;
        // Eos has listened for a while (3 s) when the host starts knocking.
        let listening = Instant::now();
        w.wait_until_within(LATE + Duration::from_secs(2), "3 s to pass", async |_| {
            Ok(if listening.elapsed() >= LATE {
                Probe::Ready(())
            } else {
                Probe::NotYet("waiting".into())
            })
        })
        .await?;
        w.in_frame("#eos", async |w| {
            w.wait_for_text("#connection-state", "listening").await
        })
        .await?;
        w.evaluate("window.startKnocking();", vec![]).await?;
        late_host_connected(w).await
    })
    .await
}

#[tokio::test]
async fn lifecycle_host_knocking_before_its_iframe_loads_connects() -> Result<()> {
    World::run("lifecycle_host_knocking_before_its_iframe_loads_connects", async |w| {
        // The host's code runs first and knocks from the moment it inserts the iframe (1 s after
        // its start), while the iframe still shows about:blank and then while Eos starts.
        w.goto(&format!("{}&insertAfter=1000", late_host(w, "code-first")))
            .await?;
        late_host_connected(w).await
    })
    .await
}

/// The late host fixture on the host's origin, with `order`, around the real Eos.
fn late_host(w: &World, order: &str) -> String {
    format!(
        "{}fixtures/late-host.html?remote={}&order={order}",
        w.host_url(),
        w.remote_url()
    )
}

/// On the late host: Eos connects, is welcomed, lists the host's one note and opens it (a
/// request and its reply after the welcome), and the host saw no problem.
async fn late_host_connected(w: &World) -> Result<()> {
    w.wait_for_text("#phase", "welcomed").await?;
    w.in_frame("#eos", async |w| {
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#last-reply", "hello from a late host").await?;
        w.wait_for_texts("#notes button.note", &["Started late"]).await?;
        w.click(r#"#notes button.note[data-id="1"]"#).await?;
        w.wait_for_attribute("#note-detail", "data-id", "1").await?;
        w.wait_for_text("#note-title", "Started late").await
    })
    .await?;
    let knocks = w.text("#knocks").await?;
    eprintln!("late host: connected after {knocks} knocks");
    w.wait_for_text("#problem", "none").await
}

/// In Eos in the host's iframe: it is connected and welcomed, and a click on note #1 fetches it
/// from the host (`get_item`, then `item`).
async fn round_trip(w: &World, when: &str) -> Result<()> {
    w.wait_for_text("#last-message", "hello from Eos").await?;
    w.in_frame(FRAME, async |w| {
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_texts("#notes button.note", &["Welcome to Phosphorescence", "Groceries"])
            .await?;
        w.click(r#"#notes button.note[data-id="2"]"#).await?;
        w.wait_for_attribute("#note-detail", "data-id", "2").await?;
        w.wait_for_text("#note-title", "Groceries").await
    })
    .await
    .map_err(|mut error| {
        error.note(format!("the round trip {when}"));
        error
    })
}

/// How many knocks the host's inspector shows for session `number` (its folded `.knocks` row).
async fn knock_count(w: &World, number: u32) -> Result<u64> {
    let counts = w
        .evaluate(
            "return Array.from(document.querySelectorAll('#wire-log tbody tr.wire-row.knocks'))\
             .map((row) => [row.querySelector('td.session').textContent.trim(), row.dataset.count]);",
            vec![],
        )
        .await?;
    let rows = counts.as_array().cloned().unwrap_or_default();
    rows.iter()
        .find_map(|row| match row.as_array().map(Vec::as_slice) {
            Some([Value::String(session), Value::String(count)]) if *session == number.to_string() => {
                count.parse().ok()
            }
            _ => None,
        })
        .ok_or_else(|| Error::contract(format!("no knocks row for session {number} in {counts}")))
}
