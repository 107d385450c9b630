//! End-to-end tests of the intruder app (issue 25): a page of a third origin that attacks the
//! demo by hand. Each test presses the intruder's buttons, reads the outcome the page judged
//! itself (`#row-<attack> td.did`, `td.verdict[data-verdict]`), and checks what reached the
//! host and Eos.
//!
//! The DOM the tests rely on, besides `demo.rs`'s:
//!
//! * the intruder: `#attack-<id>` buttons and `#row-<id>` rows for `open-host`, `open-eos`,
//!   `wrong-origin`, `forged-source`, `host-window`, `replay`, `malformed`, `oversized`,
//!   `over-deep`, `flood`, `frame-host`, `frame-eos`; the frames it makes, `#framed-host` and
//!   `#framed-eos`;
//! * the host and Eos: `#window-listeners` (the messenger's live window `message` listeners);
//!   Eos: `#ignored-total` and `#ignored-knocks li.ignored[data-reason][data-count]`, newest
//!   first, one per run of a reason.
//!
//! Run with `./test.sh e2e`, which builds the intruder app beside the demo apps.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use e2e::{Error, Probe, Result, World};

/// The longest an attack takes on the intruder's page (the flood's ten thousand posts in the
/// slowest engine, an opened window's load wait, a 2 s wait for an answer).
const ATTACK_LIMIT: Duration = Duration::from_secs(60);

/// How many window messages the flood posts (intruder-app's `FLOOD`).
const FLOOD: u64 = 10_000;

fn check(condition: bool, what: impl Into<String>) -> Result<()> {
    if condition {
        Ok(())
    } else {
        Err(Error::contract(what.into()))
    }
}

/// Presses the attack's button and waits until its row shows a verdict; returns the verdict and
/// what the page says happened.
async fn press(w: &World, attack: &str) -> Result<(String, String)> {
    w.click(&format!("#attack-{attack}")).await?;
    let verdict_cell = format!("#row-{attack} td.verdict");
    let verdict = w
        .wait_for_within(ATTACK_LIMIT, &verdict_cell, "a verdict", |text| {
            !matches!(text, "running" | "not run")
        })
        .await?;
    let did = w.text(&format!("#row-{attack} td.did")).await?;
    Ok((verdict, did))
}

/// Presses the attack's button and expects the page to judge it "pass"; returns what happened.
async fn expect_pass(w: &World, attack: &str) -> Result<String> {
    let (verdict, did) = press(w, attack).await?;
    check(
        verdict == "pass",
        format!("{attack}: the intruder's page judged it {verdict:?}: {did}"),
    )?;
    Ok(did)
}

/// Eos's ignored runs, newest first: (reason, count).
async fn ignored_runs(w: &World) -> Result<Vec<(String, u64)>> {
    let value = w
        .evaluate(
            "return Array.from(document.querySelectorAll('#ignored-knocks li.ignored'), \
             li => [li.dataset.reason, Number(li.dataset.count)]);",
            vec![],
        )
        .await?;
    let runs = value
        .as_array()
        .ok_or_else(|| Error::contract(format!("ignored runs: not a list: {value}")))?
        .iter()
        .filter_map(|run| Some((run.get(0)?.as_str()?.to_owned(), run.get(1)?.as_u64()?)))
        .collect();
    Ok(runs)
}

#[tokio::test]
async fn intruder_attacks_on_its_own_eos_are_ignored_unread() -> Result<()> {
    World::run_with_intruder("intruder_attacks_on_its_own_eos_are_ignored_unread", async |w| {
        w.goto(&w.intruder_url()).await?;
        let known = w.windows().await?;
        let did = expect_pass(w, "open-eos").await?;
        check(
            did.starts_with("12 knocks on the Eos this page opened: no answer"),
            format!("open-eos: {did}"),
        )?;
        let eos = w.wait_for_new_window(&known).await?;
        // Eos, opened by a page of the wrong origin, listens for its opener at the host's
        // origin only: it listens (one window listener) and lists each knock, unread.
        w.in_window(&eos, async |w| {
            w.wait_for_text("#connection-state", "listening").await?;
            w.wait_for_text("#window-listeners", "1").await?;
            w.wait_until("a run of wrong-origin knocks", async |w| {
                let runs = ignored_runs(w).await?;
                Ok(match runs.as_slice() {
                    [(reason, count)] if reason == "WrongOrigin" && *count >= 1 => Probe::Ready(()),
                    _ => Probe::NotYet(format!("{runs:?}")),
                })
            })
            .await?;
            w.screenshot("eos-after-knocks").await.map(drop)
        })
        .await?;

        let did = expect_pass(w, "wrong-origin").await?;
        check(did.contains("no answer within 2 s"), format!("wrong-origin: {did}"))?;
        // Every engine refuses to script another origin's window; the real post's source is
        // the frame that posted it.
        let did = expect_pass(w, "forged-source").await?;
        check(
            did.contains("dispatchEvent on Eos's window threw SecurityError")
                && did.contains("a knock posted from a frame of this page: no answer"),
            format!("forged-source: {did}"),
        )?;
        let did = expect_pass(w, "replay").await?;
        check(
            did.contains("a 👂 on the knock port Eos was given: no answer")
                && did.contains("re-sending the used port threw DataCloneError"),
            format!("replay: {did}"),
        )?;
        for attack in ["malformed", "oversized", "over-deep"] {
            let did = expect_pass(w, attack).await?;
            check(did.contains("no answer within 2 s"), format!("{attack}: {did}"))?;
        }
        let did = expect_pass(w, "flood").await?;
        check(
            did.starts_with(&format!("{FLOOD} window messages, then a knock: no answer")),
            format!("flood: {did}"),
        )?;

        w.in_window(&eos, async |w| {
            // Newest first: the flood's run (the replay's knock, the malformed, oversized and
            // over-deep knocks, the flood, the flood's last knock), the relayed knock from
            // another window, then the first knocks (the open-eos knocks and wrong-origin's).
            let expected_last = 4 + FLOOD + 1;
            let runs = w
                .wait_until("the flood folded into one run", async |w| {
                    let runs = ignored_runs(w).await?;
                    Ok(match runs.first() {
                        Some((_, count)) if *count >= expected_last => Probe::Ready(runs),
                        _ => Probe::NotYet(format!("{runs:?}")),
                    })
                })
                .await?;
            let [(last, last_count), (relayed, 1), (first, first_count)] = runs.as_slice() else {
                return Err(Error::contract(format!("Eos's ignored runs: {runs:?}")));
            };
            check(
                last == "WrongOrigin" && *last_count == expected_last,
                format!("the last run: {last} ×{last_count}"),
            )?;
            check(relayed == "WrongSource", format!("the relayed knock: {relayed}"))?;
            // The 12 knocks of open-eos (some may come before Eos listens) and wrong-origin's.
            check(
                first == "WrongOrigin" && (2..=13).contains(first_count),
                format!("the first run: {first} ×{first_count}"),
            )?;
            let total: u64 = w.text("#ignored-total").await?.parse().unwrap_or(0);
            check(
                total == last_count + 1 + first_count,
                format!("total {total}, runs {runs:?}"),
            )?;
            // Still listening, still one listener: the flood left the page working.
            w.wait_for_text("#connection-state", "listening").await?;
            w.wait_for_text("#window-listeners", "1").await?;
            w.screenshot("eos-after-flood").await.map(drop)
        })
        .await?;
        w.screenshot("intruder-eos-attacks").await.map(drop)
    })
    .await
}

/// How the host's window answers being opened by the intruder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostOpened {
    /// Its Cross-Origin-Opener-Policy (`same-origin-allow-popups`) put it in a browsing context
    /// group of its own: the intruder's handle reads `closed`, nothing can be posted to it.
    Cut,
    /// The intruder holds a handle and can post to the host's window and its Eos frame.
    Reachable,
}

/// The host, opened by the intruder: connected to its Eos, nobody listening on either window,
/// nothing ignored. Returns the window and its session's words.
async fn open_the_host(w: &World, expected: HostOpened) -> Result<(e2e::WindowHandle, String)> {
    let known = w.windows().await?;
    let did = expect_pass(w, "open-host").await?;
    let cut = did.contains("cut its link to this page (Cross-Origin-Opener-Policy)");
    check(
        cut == (expected == HostOpened::Cut),
        format!("open-host, expected {expected:?}: {did}"),
    )?;
    // Cut off or not, the window is there, and the host's session with its Eos is unharmed.
    let host = w.wait_for_new_window(&known).await?;
    let session = w
        .in_window(&host, async |w| {
            w.wait_for_text("#connection-state", "connected").await?;
            w.wait_for_text("#window-listeners", "0").await?;
            let session = w.text("#connection-detail").await?;
            w.in_frame("#remote-frame", async |w| {
                w.wait_for_text("#connection-state", "connected").await?;
                // Connected: Eos's listener went with the host's knock.
                w.wait_for_text("#window-listeners", "0").await?;
                w.wait_for_text("#ignored-total", "0").await
            })
            .await?;
            Ok(session)
        })
        .await?;
    Ok((host, session))
}

/// After the attack: nobody listened, so nothing was even ignored; the session carries on.
async fn host_unharmed(w: &World, host: &e2e::WindowHandle, session: &str) -> Result<()> {
    w.in_window(host, async |w| {
        w.wait_for_text("#window-listeners", "0").await?;
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#connection-detail", session).await?;
        let before: u64 = w.text("#inspector-total").await?.parse().unwrap_or(0);
        w.wait_for("#inspector-total", "more messages (Eos's polls)", |text| {
            text.parse::<u64>().is_ok_and(|total| total > before)
        })
        .await?;
        w.in_frame("#remote-frame", async |w| {
            w.wait_for_text("#connection-state", "connected").await?;
            w.wait_for_text("#window-listeners", "0").await?;
            w.wait_for_text("#ignored-total", "0").await
        })
        .await?;
        w.screenshot("host-after-attacks").await.map(drop)
    })
    .await
}

#[tokio::test]
async fn intruder_cannot_reach_the_host_it_opened() -> Result<()> {
    World::run_with_intruder("intruder_cannot_reach_the_host_it_opened", async |w| {
        w.goto(&w.intruder_url()).await?;
        // Every engine applies the host's Cross-Origin-Opener-Policy (same-origin-allow-popups)
        // to a window opened by another origin: the intruder's handle is cut at once.
        let (host, session) = open_the_host(w, HostOpened::Cut).await?;
        let did = expect_pass(w, "host-window").await?;
        check(did.contains("cut its link to this page"), format!("host-window: {did}"))?;
        host_unharmed(w, &host, &session).await
    })
    .await
}

#[tokio::test]
async fn intruder_knocks_on_a_host_without_headers_reach_nobody() -> Result<()> {
    World::run_with_intruder("intruder_knocks_on_a_host_without_headers_reach_nobody", async |w| {
        // The messenger's own defence, on a host served without the headers (no COOP): the
        // intruder reaches the host's window and its Eos frame, and nobody listens there.
        w.host_server()?.drop_security_headers();
        w.goto(&w.intruder_url()).await?;
        let (host, session) = open_the_host(w, HostOpened::Reachable).await?;
        let did = expect_pass(w, "host-window").await?;
        check(
            did == "the host's window: no answer within 2 s; its Eos frame: no answer within 2 s",
            format!("host-window: {did}"),
        )?;
        host_unharmed(w, &host, &session).await
    })
    .await
}

#[tokio::test]
async fn intruder_frames_of_the_host_and_eos_are_blocked() -> Result<()> {
    World::run_with_intruder("intruder_frames_of_the_host_and_eos_are_blocked", async |w| {
        w.goto(&w.intruder_url()).await?;
        // The host's frame-ancestors 'none': its app never runs in the intruder's frame, so it
        // never makes its own Eos frame, which the intruder's page can count across origins.
        let did = expect_pass(w, "frame-host").await?;
        check(
            did == "the frame shows no page of the host (0 frames inside): blocked",
            format!("frame-host: {did}"),
        )?;
        // Eos allows only the host's origin to frame it. The intruder's page cannot see into the
        // frame either way (it says so); the test can: Eos's app never ran there.
        let (verdict, did) = press(w, "frame-eos").await?;
        check(
            verdict == "see the frame" && did.contains("opaque to this page"),
            format!("frame-eos: {verdict}: {did}"),
        )?;
        for frame in ["#framed-host", "#framed-eos"] {
            w.in_frame(frame, async |w| {
                check(w.count(".eos, .page").await? == 0, format!("{frame}: the app ran"))
            })
            .await?;
        }
        w.screenshot("intruder-frames").await.map(drop)
    })
    .await
}
