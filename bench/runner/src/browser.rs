//! One headless Chromium session for the benchmark.
//!
//! The e2e harness's `Browser` opens sessions with a fixed flag list; the benchmark needs three
//! more flags, so it opens its own session on the harness's `Chromedriver`, with the harness's
//! flags plus those.

use std::path::Path;

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// What the benchmark adds: `gc()` for forced collections, exact (not bucketed)
/// `performance.memory` figures, and a separate process per site made explicit (it is
/// Chromium's desktop default).
const BENCH_ARGS: &[&str] = &[
    "--js-flags=--expose-gc",
    "--enable-precise-memory-info",
    "--site-per-process",
];

/// Opens a session on the chromedriver at `driver_url` with a fresh profile in `profile`;
/// `same_process` turns site isolation off (a diagnostic: the iframe then shares the host's
/// renderer process).
pub async fn open(
    driver_url: &str,
    chrome_bin: Option<&Path>,
    profile: &Path,
    same_process: bool,
) -> Result<Client, String> {
    let mut args: Vec<String> = e2e::CHROMIUM_ARGS
        .iter()
        .chain(BENCH_ARGS)
        .map(|arg| arg.to_string())
        .collect();
    if same_process {
        args.retain(|arg| arg != "--site-per-process");
        args.push("--disable-site-isolation-trials".to_owned());
    }
    args.push(format!("--user-data-dir={}", profile.display()));
    let (width, height) = e2e::WINDOW_SIZE;
    args.push(format!("--window-size={width},{height}"));
    let mut chrome_options = json!({ "args": args });
    if let Some(binary) = chrome_bin {
        chrome_options["binary"] = json!(binary.display().to_string());
    }
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": chrome_options,
        "goog:loggingPrefs": { "browser": "ALL" },
        "timeouts": { "pageLoad": 30_000, "script": 30_000, "implicit": 0 },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("an object literal")
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(driver_url)
        .await
        .map_err(|e| format!("cannot open a Chromium session through chromedriver: {e}"))
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`: one Chrome DevTools Protocol command
/// on the page's target.
#[derive(Debug)]
pub struct Cdp {
    /// The method, e.g. `Target.getTargets`.
    pub method: &'static str,
    /// Its parameters.
    pub params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        (
            Method::POST,
            Some(json!({ "cmd": self.method, "params": self.params }).to_string()),
        )
    }
}

/// The browser console so far, one line per entry (empty when the driver does not offer it).
pub async fn console(client: &Client) -> Vec<String> {
    e2e::console_of(client).await
}

/// Whether the iframes showing each of `pages` on `remote_origin` run out of the host's process
/// (Chromium lists an out-of-process iframe as a target of type `iframe`); `None` when the
/// driver cannot say.
pub async fn iframes_out_of_process(client: &Client, remote_origin: &str, pages: &[&str]) -> Option<bool> {
    let targets = client
        .issue_cmd(Cdp {
            method: "Target.getTargets",
            params: json!({}),
        })
        .await
        .ok()?;
    let infos = targets["targetInfos"].as_array()?;
    Some(pages.iter().all(|page| {
        let prefix = format!("{remote_origin}/{page}");
        infos.iter().any(|info| {
            info["type"].as_str() == Some("iframe") && info["url"].as_str().is_some_and(|url| url.starts_with(&prefix))
        })
    }))
}

/// Starts the V8 sampling profiler on the host page (every 50 µs).
pub async fn start_profiler(client: &Client) -> Result<(), String> {
    for (method, params) in [
        ("Profiler.enable", json!({})),
        ("Profiler.setSamplingInterval", json!({ "interval": 50 })),
        ("Profiler.start", json!({})),
    ] {
        client
            .issue_cmd(Cdp { method, params })
            .await
            .map_err(|e| format!("{method}: {e}"))?;
    }
    Ok(())
}

/// Stops the profiler; the profile in Chrome's `.cpuprofile` form.
pub async fn stop_profiler(client: &Client) -> Result<Value, String> {
    let stopped = client
        .issue_cmd(Cdp {
            method: "Profiler.stop",
            params: json!({}),
        })
        .await
        .map_err(|e| format!("Profiler.stop: {e}"))?;
    Ok(stopped["profile"].clone())
}

/// The `top` functions by self time, as lines of text.
pub fn profile_summary(profile: &Value, top: usize) -> String {
    use std::collections::HashMap;
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let names: HashMap<u64, String> = nodes
        .iter()
        .filter_map(|node| {
            let frame = &node["callFrame"];
            let name = frame["functionName"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or("(anonymous)");
            let url = frame["url"].as_str().unwrap_or("");
            let file = url.rsplit('/').next().unwrap_or(url);
            Some((node["id"].as_u64()?, format!("{name}  {file}")))
        })
        .collect();
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"].as_array().cloned().unwrap_or_default();
    let mut self_time: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    // A sample's time is the delta to the next sample.
    for (i, sample) in samples.iter().enumerate() {
        let delta = deltas.get(i + 1).and_then(Value::as_f64).unwrap_or(0.0);
        let name = sample
            .as_u64()
            .and_then(|id| names.get(&id))
            .map_or("?", String::as_str);
        *self_time.entry(name).or_default() += delta;
        total += delta;
    }
    let mut rows: Vec<(&str, f64)> = self_time.into_iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut out = format!("self time, top {top} of {:.0} ms sampled:\n", total / 1000.0);
    for (name, micros) in rows.into_iter().take(top) {
        out.push_str(&format!(
            "{:>8.1} ms {:>5.1}%  {name}\n",
            micros / 1000.0,
            100.0 * micros / total.max(1.0)
        ));
    }
    out
}
