//! End-to-end tests of the plain wasm-bindgen examples (`examples/iframe-host` and
//! `examples/iframe-remote`): their release builds on two origins of their own, driven by real
//! clicks in each engine (`E2E_BROWSER`).
//!
//! Run them with `./test.sh e2e`, which builds both examples for the test origins first. Like
//! the other browser tests they are not part of plain `cargo test` (`test = false`).
//!
//! The DOM the tests rely on:
//!
//! * the host page: `#status` (`listening`, `connected`, `closed: …`), the button `#ping`,
//!   `#pongs li` (`pong N`, in the order the answers came), `#click-count` and `#clicks li`
//!   (`click N`, one per interrupt), the iframe `#remote`;
//! * the remote page, in `#remote`: `#status` (`knocking`, `connected`, `closed: …`),
//!   `#last-ping` (`none`, then `ping N`), the button `#click` (enabled once the click channel
//!   has arrived) and `#clicks-sent`.
#![cfg(not(target_arch = "wasm32"))]

use e2e::{Error, Result, World};

/// The iframe that shows the remote page on the host page.
const FRAME: &str = "#remote";

#[tokio::test]
async fn example_host_connects_and_gets_each_pong_in_order() -> Result<()> {
    World::run_examples("example_host_connects_and_gets_each_pong_in_order", async |w| {
        open_connected(w).await?;
        w.wait_for_count("#pongs li", 0).await?;

        const PINGS: u32 = 5;
        for _ in 0..PINGS {
            w.click("#ping").await?;
        }
        let expected: Vec<String> = (1..=PINGS).map(|n| format!("pong {n}")).collect();
        w.wait_for_texts("#pongs li", &as_strs(&expected)).await?;
        w.in_frame(FRAME, async |w| {
            w.wait_for_text("#last-ping", &format!("ping {PINGS}")).await?;
            w.wait_for_text("#status", "connected").await
        })
        .await?;
        // No click was made, so no interrupt arrived.
        w.wait_for_text("#click-count", "0").await?;
        w.wait_for_count("#clicks li", 0).await?;
        w.screenshot("example-pongs").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn example_clicks_in_the_iframe_reach_the_host_as_interrupts() -> Result<()> {
    World::run_examples("example_clicks_in_the_iframe_reach_the_host_as_interrupts", async |w| {
        open_connected(w).await?;

        const CLICKS: u32 = 4;
        w.in_frame(FRAME, async |w| {
            // One click at a time, each seen by the page before the next: WebKitGTK's WebDriver
            // once lost the fourth of four back-to-back clicks on the same button (the page never
            // got its `click` event; on 2026-12-08, in a loaded CI run).
            for sent in 1..=CLICKS {
                w.click("#click").await?;
                w.wait_for_text("#clicks-sent", &sent.to_string()).await?;
            }
            Ok(())
        })
        .await?;
        let expected: Vec<String> = (1..=CLICKS).map(|n| format!("click {n}")).collect();
        w.wait_for_texts("#clicks li", &as_strs(&expected)).await?;
        w.wait_for_text("#click-count", &CLICKS.to_string()).await?;

        // The turns go on beside the interrupts: a ping after the clicks is answered.
        w.click("#ping").await?;
        w.wait_for_texts("#pongs li", &["pong 1"]).await?;
        w.in_frame(FRAME, async |w| w.wait_for_text("#last-ping", "ping 1").await)
            .await?;
        // And a click after the ping still arrives, on the same channel.
        w.in_frame(FRAME, async |w| w.click("#click").await).await?;
        let expected: Vec<String> = (1..=CLICKS + 1).map(|n| format!("click {n}")).collect();
        w.wait_for_texts("#clicks li", &as_strs(&expected)).await?;
        w.wait_for_text("#status", "connected").await?;
        w.screenshot("example-clicks").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn example_remote_opened_alone_says_it_is_not_in_an_iframe() -> Result<()> {
    World::run_examples("example_remote_opened_alone_says_it_is_not_in_an_iframe", async |w| {
        w.goto(&format!("{}/", w.config().example_remote_origin())).await?;
        w.wait_for_text("#status", "closed: not in an iframe: open the host page instead")
            .await?;
        // The click channel never arrives, so the button stays disabled.
        let disabled = w
            .evaluate("return document.querySelector('#click').disabled;", vec![])
            .await?;
        if disabled != serde_json::Value::Bool(true) {
            return Err(Error::contract(format!("#click.disabled is {disabled}, not true")));
        }
        Ok(())
    })
    .await
}

/// Opens the host page and waits until both pages show the session as connected.
async fn open_connected(w: &World) -> Result<()> {
    w.goto(&w.example_host_url()).await?;
    w.wait_for_text("#status", "connected").await?;
    w.wait_for_enabled("#ping").await?;
    w.in_frame(FRAME, async |w| {
        w.wait_for_text("#status", "connected").await?;
        w.wait_for_text("#last-ping", "none").await?;
        // Enabled once the host's first message brought the click channel.
        w.wait_for_enabled("#click").await
    })
    .await
}

fn as_strs(texts: &[String]) -> Vec<&str> {
    texts.iter().map(String::as_str).collect()
}
