//! The demo apps under their security headers (issue 25): the headers on every file both servers
//! send, the apps working under them without a single violation, Trusted Types where the engine
//! enforces them, and framing by a third origin refused (`frame-ancestors`).
//!
//! The servers send each app's `[serve.headers]` from its `Trunk.toml` (as `trunk serve` does),
//! with the e2e origins in place of the default ones (`SecurityHeaders`). The probe
//! `e2e/fixtures/csp-probe.js` records every `securitypolicyviolation` in the pages.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use e2e::{csp_directive, Engine, Error, Probe, Result, SecurityHeaders, StaticServer, World};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The iframe that shows Eos on the host page.
const FRAME: &str = "#remote-frame";
/// The probe that records violations, on each app's origin.
const PROBE: &str = "/fixtures/csp-probe.js";
/// How long a framed page that the browser refused is watched for requests it should not make.
const REFUSED_WATCH: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------------------------
// The headers, over HTTP.

/// Every file of both builds (the page, its boot script, the app's JavaScript and wasm, the
/// styles, the icon) comes with its app's headers; the policies say what the README promises;
/// the pages hold no inline script or style for them to allow.
#[tokio::test]
async fn headers_on_every_served_file() -> Result<()> {
    World::run("headers_on_every_served_file", async |w| {
        let config = w.config();
        let (host, remote) = (config.host_origin(), config.remote_origin());

        let host_headers = config.host_headers()?;
        let policy = expect_header(&host_headers, "Content-Security-Policy")?;
        expect_directive(policy, "default-src", &["'self'"])?;
        expect_directive(policy, "script-src", &["'self'", "'wasm-unsafe-eval'"])?;
        expect_directive(policy, "style-src", &["'self'"])?;
        expect_directive(policy, "frame-src", &[remote.as_str()])?;
        expect_directive(policy, "frame-ancestors", &["'none'"])?;
        expect_directive(policy, "object-src", &["'none'"])?;
        expect_directive(policy, "require-trusted-types-for", &["'script'"])?;
        expect_directive(policy, "trusted-types", &["'none'"])?;
        expect_value(&host_headers, "Cross-Origin-Opener-Policy", "same-origin-allow-popups")?;
        expect_value(&host_headers, "X-Content-Type-Options", "nosniff")?;
        expect_value(&host_headers, "Referrer-Policy", "no-referrer")?;

        let remote_headers = config.remote_headers()?;
        let policy = expect_header(&remote_headers, "Content-Security-Policy")?;
        expect_directive(policy, "default-src", &["'self'"])?;
        expect_directive(policy, "script-src", &["'self'", "'wasm-unsafe-eval'"])?;
        expect_directive(policy, "style-src", &["'self'"])?;
        expect_directive(policy, "frame-ancestors", &[host.as_str()])?;
        expect_directive(policy, "require-trusted-types-for", &["'script'"])?;
        expect_directive(policy, "trusted-types", &["'none'"])?;
        expect_value(&remote_headers, "Cross-Origin-Opener-Policy", "unsafe-none")?;
        expect_value(&remote_headers, "X-Content-Type-Options", "nosniff")?;
        expect_value(&remote_headers, "Referrer-Policy", "no-referrer")?;

        let host_files = served_files(w.host_server()?, &config.host_dist, &host_headers).await?;
        let remote_files = served_files(w.remote_server()?, &config.remote_dist, &remote_headers).await?;
        eprintln!("headers: checked {host_files} host files and {remote_files} Eos files");

        for dist in [&config.host_dist, &config.remote_dist] {
            let path = dist.join("index.html");
            let page = std::fs::read_to_string(&path)
                .map_err(|source| Error::io(format!("reading {}", path.display()), source))?;
            no_inline_script_or_style(&page)
                .map_err(|problem| Error::contract(format!("{}: {problem}", path.display())))?;
        }
        Ok(())
    })
    .await
}

/// Gets `/` and every file in `dist` from `server` and checks that each answer is a 200 with
/// every header of `expected`, as it stands; returns how many files it checked.
async fn served_files(server: &StaticServer, dist: &std::path::Path, expected: &SecurityHeaders) -> Result<usize> {
    let mut paths = vec!["/".to_owned()];
    let entries = std::fs::read_dir(dist).map_err(|source| Error::io(format!("listing {}", dist.display()), source))?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::io(format!("listing {}", dist.display()), source))?;
        if entry.path().is_file() {
            paths.push(format!("/{}", entry.file_name().to_string_lossy()));
        }
    }
    let kinds = ["/", ".html", ".js", "_bg.wasm", ".css", ".svg"];
    for kind in kinds {
        if !paths.iter().any(|path| path.ends_with(kind)) {
            return Err(Error::contract(format!(
                "{} has no file ending in {kind}: {paths:?}",
                dist.display()
            )));
        }
    }
    for path in &paths {
        let head = get_head(server.port(), path).await?;
        if !head.starts_with("http/1.1 200") && !head.starts_with("http/1.0 200") {
            return Err(Error::contract(format!("{path} was answered {head}")));
        }
        for (name, value) in expected.iter() {
            let line = format!("\r\n{}: {}", name.to_ascii_lowercase(), value.to_ascii_lowercase());
            if !head.contains(&line) {
                return Err(Error::contract(format!(
                    "{path} lacks {name}: {value}; its head:\n{head}"
                )));
            }
        }
    }
    Ok(paths.len())
}

/// A whole HTTP/1.0 GET of `path` on `127.0.0.1:port`, returning the response head in lower
/// case.
async fn get_head(port: u16, path: &str) -> Result<String> {
    let io = |source| Error::io(format!("GET {path} on port {port}"), source);
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(io)?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.map_err(io)?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.split("\r\n\r\n").next().unwrap_or_default().to_lowercase())
}

/// Fails on a `<script>` without `src`, a `<style>` element, a `style` attribute or an inline
/// event handler (`onclick=`...): what `script-src 'self'` and `style-src 'self'` refuse.
fn no_inline_script_or_style(page: &str) -> std::result::Result<(), String> {
    let lower = page.to_lowercase();
    for (at, _) in lower.match_indices("<script") {
        let tag = &lower[at..at + lower[at..].find('>').unwrap_or(lower.len() - at)];
        if !tag.contains(" src=") {
            return Err(format!("an inline script: {tag}>"));
        }
    }
    if lower.contains("<style") {
        return Err("a <style> element".to_owned());
    }
    for attribute in [" style=", " onload=", " onclick=", " onerror="] {
        if lower.contains(attribute) {
            return Err(format!("an inline{attribute}... attribute"));
        }
    }
    Ok(())
}

fn expect_header<'a>(headers: &'a SecurityHeaders, name: &str) -> Result<&'a str> {
    headers
        .get(name)
        .ok_or_else(|| Error::contract(format!("no {name} among {headers:?}")))
}

fn expect_value(headers: &SecurityHeaders, name: &str, expected: &str) -> Result<()> {
    match expect_header(headers, name)? {
        value if value == expected => Ok(()),
        value => Err(Error::contract(format!("{name} is {value:?}, expected {expected:?}"))),
    }
}

fn expect_directive(policy: &str, name: &str, expected: &[&str]) -> Result<()> {
    match csp_directive(policy, name) {
        Some(sources) if sources == expected => Ok(()),
        other => Err(Error::contract(format!(
            "{name} is {other:?}, expected {expected:?}, in {policy:?}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// The apps under the headers.

/// Both apps, with the probe in front, run a round trip in the iframe and one in a window the
/// host opened (the host's `same-origin-allow-popups` keeps its link to Eos's `unsafe-none`
/// window) without a single violation in the host, the iframe's Eos or the window's Eos besides
/// the probe's two controls, which prove that the policy is enforced there (`new Function`
/// refused) with Trusted Types (a plain string for `innerHTML` refused) and that the listener
/// sees what is refused.
#[tokio::test]
async fn headers_a_demo_round_trip_has_no_violation() -> Result<()> {
    World::run("headers_a_demo_round_trip_has_no_violation", async |w| {
        w.host_server()?.inject_script(PROBE);
        w.remote_server()?.inject_script(PROBE);
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-state", "connected").await?;
        w.wait_for_text("#last-message", "hello from Eos").await?;
        w.in_frame(FRAME, async |w| {
            w.wait_for_text("#connection-state", "connected").await?;
            w.click("#notes button.note[data-id=\"2\"]").await?;
            w.wait_for_text("#note-title", "Groceries").await
        })
        .await?;

        let known = w.windows().await?;
        w.click("#open-window").await?;
        let popup = w.wait_for_new_window(&known).await?;
        w.wait_for_text("#window-state", "connected").await?;
        let engine = w.config().engine;
        let popup_violations = w
            .in_window(&popup, async |w| {
                w.wait_for_attribute(".eos", "data-place", "window").await?;
                w.wait_for_text("#connection-state", "connected").await?;
                w.click("#notes button.note[data-id=\"1\"]").await?;
                w.wait_for_text("#note-title", "Welcome to Phosphorescence").await?;
                unexpected_violations(w, engine, "Eos in the window").await
            })
            .await?;

        let host_violations = unexpected_violations(w, engine, "the host").await?;
        let frame_violations = w
            .in_frame(FRAME, async |w| {
                unexpected_violations(w, engine, "Eos in the iframe").await
            })
            .await?;
        for (page, found) in [
            ("the host", &host_violations),
            ("Eos in the iframe", &frame_violations),
            ("Eos in the window", &popup_violations),
        ] {
            if !found.is_empty() {
                return Err(Error::contract(format!("{page} reported violations: {found:?}")));
            }
        }

        w.screenshot("host-after-round-trips").await.map(drop)
    })
    .await
}

/// The violations the probe recorded in the current page.
async fn violations(w: &World) -> Result<Vec<Value>> {
    match w
        .evaluate("return window.__csp ? window.__csp.violations : null;", vec![])
        .await?
    {
        Value::Array(found) => Ok(found),
        other => Err(Error::contract(format!(
            "the probe is not in {} (it found {other}): was it refused?",
            w.context()
        ))),
    }
}

/// The probe's controls (run as the page loaded) as the engine enforces them, and every other
/// violation of the page since: none is expected.
///
/// Chromium 156, Firefox ESR 153 and WebKitGTK 2.50 behave alike: each implements Trusted Types
/// (Firefox since 145, WebKit since the engine of Safari 26) and refuses a plain string for
/// `innerHTML` with a TypeError, and `new Function` with an EvalError; each reports both as
/// `require-trusted-types-for` violations (the string given to `Function` is a Trusted Types
/// sink, judged before `script-src`), with the samples `Element innerHTML|...` and
/// `Function|...`.
async fn unexpected_violations(w: &World, engine: Engine, page: &str) -> Result<Vec<Value>> {
    let controls = w.evaluate("return window.__csp.controls;", vec![]).await?;
    let mut found = violations(w).await?;
    eprintln!("{engine}: headers: {page}: controls {controls}, violations {found:?}");
    let expected = json!({
        "trustedTypes": true,
        "eval": "refused: EvalError",
        "sink": "refused: TypeError",
    });
    if controls != expected {
        return Err(Error::contract(format!(
            "{page}: the probe's controls gave {controls}, expected {expected}"
        )));
    }
    for sample in ["Function|", "Element innerHTML|"] {
        let control = |violation: &Value| {
            violation["directive"] == json!("require-trusted-types-for")
                && violation["sample"]
                    .as_str()
                    .is_some_and(|text| text.starts_with(sample))
        };
        match found.iter().position(control) {
            Some(at) => drop(found.remove(at)),
            None => {
                return Err(Error::contract(format!(
                    "{page}: the control {sample}... was not reported: {found:?}"
                )))
            }
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Framing.

/// Eos framed by the third origin does not load: the browser fetches its page and, seeing
/// `frame-ancestors`, renders none of it (no script, style or wasm is ever asked for and the
/// frame holds no Eos); the host page, framed by the third origin, likewise
/// (`frame-ancestors 'none'`). The control: the host's own frame of Eos loads Eos.
#[tokio::test]
async fn headers_framing_by_a_third_origin_is_refused() -> Result<()> {
    World::run("headers_framing_by_a_third_origin_is_refused", async |w| {
        let engine = w.config().engine;
        refused_in_a_third_origin_frame(w, engine, "Eos", w.remote_server()?, &w.remote_url()).await?;
        refused_in_a_third_origin_frame(w, engine, "the host", w.host_server()?, &w.host_url()).await?;

        // The control: framed by the host, Eos loads and connects.
        let before = w.remote_server()?.requests().len();
        w.goto(&w.host_url()).await?;
        w.wait_for_text("#connection-state", "connected").await?;
        w.in_frame(FRAME, async |w| {
            w.wait_for_attribute(".eos", "data-place", "frame").await?;
            w.wait_for_text("#connection-state", "connected").await
        })
        .await?;
        let fetched = w.remote_server()?.requests()[before..].to_vec();
        if !fetched.iter().any(|line| line.contains("_bg.wasm -> 200")) {
            return Err(Error::contract(format!(
                "Eos in the host's frame fetched no wasm: {fetched:?}"
            )));
        }
        Ok(())
    })
    .await
}

/// Opens the third origin's `attacker.html` framing `url` (served by `server`) and checks that
/// the browser fetched the page and nothing it refers to, and that the frame shows none of it.
async fn refused_in_a_third_origin_frame(
    w: &World,
    engine: Engine,
    what: &str,
    server: &StaticServer,
    url: &str,
) -> Result<()> {
    let before = server.requests().len();
    let page = url::Url::parse_with_params(&w.attacker_url("attacker.html"), [("remote", url)])
        .map_err(|error| Error::contract(format!("building the fixture URL: {error}")))?;
    w.goto(page.as_str()).await?;
    let label = format!("{what}'s page fetched for the third origin's frame");
    w.wait_until(&label, async |_| {
        let fetched = server.requests()[before..].to_vec();
        Ok(match fetched.iter().any(|line| line.starts_with("GET / -> 200")) {
            true => Probe::Ready(()),
            false => Probe::NotYet(format!("{fetched:?}")),
        })
    })
    .await?;
    // What a page that loaded would ask for next comes within milliseconds; give it seconds.
    tokio::time::sleep(REFUSED_WATCH).await;
    let fetched = server.requests()[before..].to_vec();
    if fetched.len() != 1 {
        return Err(Error::contract(format!(
            "{what} framed by the third origin was fetched, then asked for more: {fetched:?}"
        )));
    }
    let frame = w
        .in_frame("#target-frame", async |w| {
            let title = w.evaluate("return document.title;", vec![]).await?;
            let url = w.evaluate("return String(location.href);", vec![]).await?;
            let app = w.count(".eos, #connection-state").await?;
            Ok((title, url, app))
        })
        .await;
    eprintln!("{engine}: headers: {what} in the third origin's frame: {frame:?}, fetched {fetched:?}");
    let (title, location, app) = frame?;
    if app != 0 {
        return Err(Error::contract(format!(
            "{what} framed by the third origin shows {app} app element(s): title {title}, {location}"
        )));
    }
    // What each engine puts in the frame instead: Chromium its error page, Firefox its "Blocked
    // Page" at the refused address, WebKitGTK an empty document at that address.
    let url = json!(url);
    let (expected_title, expected_location) = match engine {
        Engine::Chromium => (json!("localhost"), json!("chrome-error://chromewebdata/")),
        Engine::Firefox => (json!("Blocked Page"), url),
        Engine::Webkit => (json!(""), url),
    };
    if (&title, &location) != (&expected_title, &expected_location) {
        return Err(Error::contract(format!(
            "{what} framed by the third origin: the frame holds {title} at {location}, expected {expected_title} at {expected_location} in {engine}"
        )));
    }
    w.screenshot(&format!("{}-refused-in-third-origin-frame", what.replace(' ', "-")))
        .await
        .map(drop)
}
