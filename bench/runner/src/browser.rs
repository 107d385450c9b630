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

/// The host page's V8 heap by the DevTools protocol (`Runtime.getHeapUsage`: `usedSize`,
/// `totalSize` and, where Chromium reports them, `embedderHeapUsedSize` and
/// `backingStorageSize`, the bytes of ArrayBuffer backing stores, which
/// `performance.memory` does not count).
pub async fn heap_usage(client: &Client) -> Result<Value, String> {
    client
        .issue_cmd(Cdp {
            method: "Runtime.getHeapUsage",
            params: json!({}),
        })
        .await
        .map_err(|e| format!("Runtime.getHeapUsage: {e}"))
}

/// Shared by the three wasm variants: the wasm-bindgen glue (`bench_pages.js`) and the generic
/// Rust in their one wasm (futures, closures, the allocator), which name none of them.
pub const EITHER_WASM: &str = "wasm (messenger, wasm-fresh or wasm-typed)";
/// wasm-fresh's helpers (`bench_pages::wasm_fresh::...` but its two entry points), which
/// wasm-typed calls too.
pub const FRESH_OR_TYPED: &str = "wasm (wasm-fresh or wasm-typed)";
/// The messenger's codec and the accounting it uses, which wasm-typed calls too.
pub const MESSENGER_OR_TYPED: &str = "wasm (messenger or wasm-typed)";

/// The binary series' bytes being made before and checked after each timed round trip
/// (`freshBytes`, `bytesRight`), which no variant's clock counts.
pub const BYTES_MADE_AND_CHECKED: &str = "binary bytes made and checked (untimed)";

/// The variants that are the bench's one wasm.
const WASM_VARIANTS: [&str; 3] = ["messenger", "wasm-fresh", "wasm-typed"];

/// The variants a shared stack ([`variant_of`]'s three shared labels) may belong to; `None` for
/// a stack that names its variant, or none.
fn shared_by(label: &str) -> Option<&'static [&'static str]> {
    match label {
        EITHER_WASM => Some(&WASM_VARIANTS),
        FRESH_OR_TYPED => Some(&["wasm-fresh", "wasm-typed"]),
        MESSENGER_OR_TYPED => Some(&["messenger", "wasm-typed"]),
        _ => None,
    }
}

/// The messenger's code that wasm-typed calls as well: the codec (`messenger::decode` and
/// `messenger::encode` and what they run) and the limits it judges by.
const CODEC_PREFIXES: [&str; 6] = [
    "messenger::web::codec::",
    "messenger::web::decode::",
    "messenger::web::encode::",
    "messenger::protocol::budget::",
    "messenger::protocol::limits::",
    "messenger::error::",
];

/// The variant a stack of frames (innermost first: function name, script URL) works for, so
/// that a browser built-in (`postMessage`, `close`, ...) counts for the variant whose code
/// called it.
///
/// * The JavaScript variants: the innermost frame that names one decides (their functions in
///   `bench.js`; Penpal's module and the bench's page for it).
/// * The three wasm variants share one wasm, so any frame of the stack that names one alone
///   decides: `bench_pages::wasm_typed::...` is wasm-typed; wasm-fresh's entry points
///   (`bench_pages::wasm_fresh::serve_wasm_fresh`, `WasmFresh`) are wasm-fresh; the rest of
///   the messenger's Rust (`messenger::...`, and the bench's `bench_pages::...` around it) is
///   the messenger. A stack with wasm-fresh's other helpers only is [`FRESH_OR_TYPED`], with
///   the messenger's codec only [`MESSENGER_OR_TYPED`], with glue and generic Rust only
///   [`EITHER_WASM`]: [`profile_by_variant`] hands those out by time.
/// * A stack that names nothing at all (`(program)`, the garbage collector, idle) is
///   "unattributed".
pub fn variant_of<'a>(frames: impl IntoIterator<Item = (&'a str, &'a str)>) -> &'static str {
    let frames: Vec<(&str, &str)> = frames
        .into_iter()
        .map(|(function, url)| {
            let file = url.rsplit('/').next().unwrap_or(url);
            (function, file.split('?').next().unwrap_or(file))
        })
        .collect();
    let wasm: Vec<&str> = frames
        .iter()
        .filter(|(_, file)| *file == "bench_pages_bg.wasm")
        .map(|(function, _)| *function)
        .collect();
    let codec = |f: &str| CODEC_PREFIXES.iter().any(|prefix| f.starts_with(prefix));
    if wasm.iter().any(|f| f.contains("wasm_typed")) {
        return "wasm-typed";
    }
    // The binary series' messenger with `ByteBuf` (while its future is polled; what the driver
    // does for it on a port's event names the messenger only).
    if wasm.iter().any(|f| f.contains("binary::") && f.contains("run_copied")) {
        return "messenger-copy";
    }
    if wasm
        .iter()
        .any(|f| f.contains("wasm_fresh::serve_wasm_fresh") || f.contains("wasm_fresh::WasmFresh"))
    {
        return "wasm-fresh";
    }
    if wasm.iter().any(|f| {
        (f.starts_with("messenger::") || f.starts_with("bench_pages::")) && !codec(f) && !f.contains("wasm_fresh")
    }) {
        return "messenger";
    }
    if wasm.iter().any(|f| f.contains("wasm_fresh")) {
        return FRESH_OR_TYPED;
    }
    if wasm.iter().any(|f| codec(f)) {
        return MESSENGER_OR_TYPED;
    }
    let mut glue = !wasm.is_empty();
    for (function, file) in frames {
        match (file, function) {
            ("bench_pages.js", _) => glue = true,
            ("penpal.mjs" | "penpal-bench.js", _) => return "penpal",
            ("bench.js", "freshBytes" | "bytesRight") => return BYTES_MADE_AND_CHECKED,
            (
                "bench.js",
                "runTransfer"
                | "serveTransfer"
                | "listenForTransfer"
                | "incoming.onmessage"
                | "replyPort.onmessage"
                | "echoBytes",
            ) => return "transfer",
            ("bench.js", "runFresh" | "send" | "own.onmessage" | "listenOnFresh" | "serveFresh") => {
                return "fresh-port"
            }
            ("bench.js", "runRaw" | "port.onmessage" | "serveRaw") => return "raw",
            _ => {}
        }
    }
    if glue {
        EITHER_WASM
    } else {
        "unattributed"
    }
}

/// How far in time a shared wasm sample ([`shared_by`]) looks for a sample that names one of
/// the variants it may belong to. A chunk of one variant's round trips lasts tens of
/// milliseconds and each wasm variant names itself several times per round trip, so the nearest
/// such sample is of the chunk the sample belongs to.
const EITHER_WASM_REACH_US: f64 = 5_000.0;

/// Self time by the variant it worked for ([`variant_of`]; a shared wasm sample goes to the
/// nearest sample in time that names one of the variants it may belong to), and each wasm
/// variant's `top` functions by self time: with `--same-process` both sides' work is in one
/// profile, so this is the CPU each variant costs, built-ins included.
pub fn profile_by_variant(profile: &Value, top: usize) -> String {
    use std::collections::HashMap;
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let mut frames: HashMap<u64, (String, String)> = HashMap::new();
    let mut parent: HashMap<u64, u64> = HashMap::new();
    for node in &nodes {
        let Some(id) = node["id"].as_u64() else { continue };
        let frame = &node["callFrame"];
        let function = frame["functionName"].as_str().unwrap_or("").to_owned();
        let url = frame["url"].as_str().unwrap_or("").to_owned();
        frames.insert(id, (function, url));
        for child in node["children"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
        {
            parent.insert(child, id);
        }
    }
    let stack = |mut id: u64| {
        let mut stack = Vec::new();
        while let Some((function, url)) = frames.get(&id) {
            stack.push((function.as_str(), url.as_str()));
            match parent.get(&id) {
                Some(up) => id = *up,
                None => break,
            }
        }
        stack
    };
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"].as_array().cloned().unwrap_or_default();
    /// A sample: when it was taken (µs), how long it stands for, its stack and its variant.
    struct Sample<'a> {
        at: f64,
        delta: f64,
        frames: Vec<(&'a str, &'a str)>,
        variant: &'static str,
    }
    let mut at = 0.0;
    let mut sampled: Vec<Sample> = samples
        .iter()
        .enumerate()
        .map(|(i, sample)| {
            at += deltas.get(i).and_then(Value::as_f64).unwrap_or(0.0);
            let frames = sample.as_u64().map(stack).unwrap_or_default();
            Sample {
                at,
                delta: deltas.get(i + 1).and_then(Value::as_f64).unwrap_or(0.0),
                variant: variant_of(frames.iter().copied()),
                frames,
            }
        })
        .collect();
    let named: Vec<(f64, &'static str)> = sampled
        .iter()
        .filter(|sample| WASM_VARIANTS.contains(&sample.variant))
        .map(|sample| (sample.at, sample.variant))
        .collect();
    for sample in &mut sampled {
        let Some(candidates) = shared_by(sample.variant) else {
            continue;
        };
        let at = sample.at;
        let next = named.partition_point(|(t, _)| *t < at);
        // Both scans stop at the reach; this picks the first sample of a variant that may own it.
        let may_own = |(_, variant): &&(f64, &str)| candidates.contains(variant);
        let before = named[..next]
            .iter()
            .rev()
            .take_while(|(t, _)| at - t <= EITHER_WASM_REACH_US)
            .find(may_own);
        let after = named[next..]
            .iter()
            .take_while(|(t, _)| t - at <= EITHER_WASM_REACH_US)
            .find(may_own);
        let nearest = [before, after]
            .into_iter()
            .flatten()
            .min_by(|a, b| (a.0 - at).abs().total_cmp(&(b.0 - at).abs()));
        if let Some((_, name)) = nearest {
            sample.variant = name;
        }
    }
    let mut by_variant: HashMap<&str, f64> = HashMap::new();
    let mut self_time: HashMap<(&str, String), f64> = HashMap::new();
    let mut total = 0.0;
    for Sample {
        delta, frames, variant, ..
    } in &sampled
    {
        *by_variant.entry(variant).or_default() += delta;
        total += delta;
        if !WASM_VARIANTS.contains(variant) {
            continue; // only the wasm variants have their functions listed
        }
        if let Some((function, url)) = frames.first() {
            let file = url.rsplit('/').next().unwrap_or(url);
            let name = if function.is_empty() { "(anonymous)" } else { function };
            *self_time.entry((variant, format!("{name}  {file}"))).or_default() += delta;
        }
    }
    let mut out = format!("self time by variant, of {:.0} ms sampled:\n", total / 1000.0);
    for variant in [
        "raw",
        "fresh-port",
        "wasm-fresh",
        "wasm-typed",
        "messenger",
        "penpal",
        "transfer",
        "messenger-copy",
        BYTES_MADE_AND_CHECKED,
        EITHER_WASM,
        FRESH_OR_TYPED,
        MESSENGER_OR_TYPED,
        "unattributed",
    ] {
        let micros = by_variant.get(variant).copied().unwrap_or(0.0);
        out.push_str(&format!(
            "{:>8.1} ms {:>5.1}%  {variant}\n",
            micros / 1000.0,
            100.0 * micros / total.max(1.0)
        ));
    }
    for variant in WASM_VARIANTS {
        let mut rows: Vec<(&String, f64)> = self_time
            .iter()
            .filter(|((v, _), _)| *v == variant)
            .map(|((_, name), micros)| (name, *micros))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        out.push_str(&format!("{variant}'s self time, top {top}:\n"));
        for (name, micros) in rows.into_iter().take(top) {
            out.push_str(&format!("{:>8.1} ms  {name}\n", micros / 1000.0));
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_in_counts_for_the_variant_that_called_it() {
        let host = "http://127.0.0.1:1/";
        let wasm = "http://h/pkg/bench_pages_bg.wasm";
        assert_eq!(
            variant_of([
                ("postMessage", ""),
                ("__wbg_postMessage_1", "http://h/pkg/bench_pages.js"),
                ("messenger::web::perform::perform::h1", wasm),
            ]),
            "messenger"
        );
        assert_eq!(
            variant_of([("close", ""), ("own.onmessage", "http://h/bench.js")]),
            "fresh-port"
        );
        assert_eq!(
            variant_of([("postMessage", ""), ("runTransfer", "http://h/bench.js")]),
            "transfer"
        );
        assert_eq!(
            variant_of([("close", ""), ("replyPort.onmessage", "http://h/bench.js")]),
            "transfer"
        );
        assert_eq!(
            variant_of([
                ("freshBytes", "http://h/bench.js"),
                ("runTransfer", "http://h/bench.js")
            ]),
            BYTES_MADE_AND_CHECKED
        );
        assert_eq!(
            variant_of([
                ("messenger::web::driver::drive::h1", wasm),
                (
                    "bench_pages::binary::<impl bench_pages::Knocker>::run_copied::{{closure}}::h2",
                    wasm
                ),
            ]),
            "messenger-copy"
        );
        assert_eq!(
            variant_of([
                ("messenger::web::driver::drive::h1", wasm),
                (
                    "bench_pages::binary::<impl bench_pages::Knocker>::run_bytes::{{closure}}::h2",
                    wasm
                ),
            ]),
            "messenger"
        );
        assert_eq!(
            variant_of([("postMessage", ""), ("port.onmessage", "http://h/bench.js")]),
            "raw"
        );
        assert_eq!(variant_of([("sendMessage", "http://h/penpal.mjs")]), "penpal");
        assert_eq!(
            variant_of([("(garbage collector)", ""), ("(root)", host)]),
            "unattributed"
        );
        // wasm-fresh shares the messenger's wasm and glue; one of its entry points decides ...
        assert_eq!(
            variant_of([
                ("close", ""),
                ("__wbg_close_1", "http://h/pkg/bench_pages.js"),
                ("bench_pages::wasm_fresh::post_and_close::h1", wasm),
                (
                    "bench_pages::wasm_fresh::serve_wasm_fresh::{{closure}}::{{closure}}::h8",
                    wasm
                ),
                ("wasm_bindgen::convert::closures::invoke::h2", wasm),
            ]),
            "wasm-fresh"
        );
        // ... while its helpers alone may be wasm-typed's, and so may the messenger's codec.
        assert_eq!(
            variant_of([
                ("close", ""),
                ("bench_pages::wasm_fresh::FreshHost::round_trip::{{closure}}::h9", wasm),
                ("js_sys::futures::future_to_promise::{{closure}}::h10", wasm),
            ]),
            FRESH_OR_TYPED
        );
        assert_eq!(
            variant_of([
                ("encodeInto", ""),
                ("messenger::web::decode::walk::Walk::read_string::h11", wasm),
                ("messenger::web::codec::decode::h12", wasm),
            ]),
            MESSENGER_OR_TYPED
        );
        // The messenger's own code around its codec decides.
        assert_eq!(
            variant_of([
                ("messenger::web::codec::decode::h12", wasm),
                ("messenger::web::session::Receiver::receive::{{closure}}::h13", wasm),
            ]),
            "messenger"
        );
        // wasm-typed calls wasm-fresh's helpers and the messenger's codec: its frame anywhere
        // in the stack decides.
        assert_eq!(
            variant_of([
                ("postMessage", ""),
                ("bench_pages::wasm_fresh::post_and_close::h1", wasm),
                ("bench_pages::wasm_fresh::answer_request::h4", wasm),
                (
                    "bench_pages::wasm_typed::serve_wasm_typed::{{closure}}::{{closure}}::h5",
                    wasm
                ),
            ]),
            "wasm-typed"
        );
        assert_eq!(
            variant_of([
                ("messenger::web::decode::decode::h6", wasm),
                ("bench_pages::wasm_typed::WasmTyped::run::{{closure}}::h7", wasm),
            ]),
            "wasm-typed"
        );
        // Glue and generic Rust alone name no wasm variant.
        assert_eq!(
            variant_of([
                ("postMessage", ""),
                ("__wbg_postMessage_1", "http://h/pkg/bench_pages.js"),
                ("js_sys::futures::queue::Queue::new::{{closure}}::h3", wasm),
            ]),
            EITHER_WASM
        );
    }

    #[test]
    fn self_time_is_summed_by_variant() {
        // root -> own.onmessage -> close (fresh-port); root -> glue -> postMessage (either wasm
        // variant), taken 1 ms after a sample in the messenger's Rust and 20 ms before one in
        // wasm-fresh's, so it is the messenger's.
        let wasm = "http://h/pkg/bench_pages_bg.wasm";
        let profile = json!({
            "nodes": [
                { "id": 1, "callFrame": { "functionName": "(root)", "url": "" }, "children": [2, 4, 6, 7] },
                { "id": 2, "callFrame": { "functionName": "own.onmessage", "url": "http://h/bench.js" }, "children": [3] },
                { "id": 3, "callFrame": { "functionName": "close", "url": "" } },
                { "id": 4, "callFrame": { "functionName": "__wbg_x", "url": "http://h/pkg/bench_pages.js" }, "children": [5] },
                { "id": 5, "callFrame": { "functionName": "postMessage", "url": "" } },
                { "id": 6, "callFrame": { "functionName": "messenger::web::driver::drive::h1", "url": wasm } },
                { "id": 7, "callFrame": { "functionName": "bench_pages::wasm_fresh::WasmFresh::run::{{closure}}::h2", "url": wasm } }
            ],
            "samples": [3, 6, 5, 5, 7, 1],
            "timeDeltas": [0, 1000, 1000, 1000, 20000, 1000]
        });
        let summary = profile_by_variant(&profile, 5);
        assert!(summary.contains("     1.0 ms   4.2%  fresh-port"), "{summary}");
        assert!(summary.contains("    22.0 ms  91.7%  messenger"), "{summary}");
        assert!(summary.contains("     1.0 ms   4.2%  wasm-fresh"), "{summary}");
        assert!(
            summary.contains("     0.0 ms   0.0%  wasm (messenger, wasm-fresh or wasm-typed)"),
            "{summary}"
        );
        assert!(summary.contains("    21.0 ms  postMessage  "), "{summary}");
    }

    #[test]
    fn shared_wasm_samples_go_to_the_nearest_variant_they_may_belong_to() {
        // At 0 ms wasm-typed names itself, at 4 ms the messenger. wasm-fresh's helper at 1 ms
        // goes to wasm-typed (the messenger never runs it); the codec at 3 ms to the nearer of
        // the two that run it, the messenger; glue at 30 ms is further than 5 ms from any
        // named sample and stays shared.
        let wasm = "http://h/pkg/bench_pages_bg.wasm";
        let profile = json!({
            "nodes": [
                { "id": 1, "callFrame": { "functionName": "(root)", "url": "" }, "children": [2, 3, 4, 5, 6] },
                { "id": 2, "callFrame": { "functionName": "bench_pages::wasm_typed::serve_wasm_typed::{{closure}}::h1", "url": wasm } },
                { "id": 3, "callFrame": { "functionName": "bench_pages::wasm_fresh::post_and_close::h2", "url": wasm } },
                { "id": 4, "callFrame": { "functionName": "messenger::web::codec::encode::h3", "url": wasm } },
                { "id": 5, "callFrame": { "functionName": "messenger::web::driver::drive::h4", "url": wasm } },
                { "id": 6, "callFrame": { "functionName": "__wbg_x", "url": "http://h/pkg/bench_pages.js" } }
            ],
            "samples": [2, 3, 4, 5, 6],
            "timeDeltas": [0, 1000, 2000, 1000, 26000, 1000]
        });
        let summary = profile_by_variant(&profile, 5);
        assert!(summary.contains("     3.0 ms   9.7%  wasm-typed"), "{summary}");
        assert!(summary.contains("    27.0 ms  87.1%  messenger"), "{summary}");
        assert!(
            summary.contains("     1.0 ms   3.2%  wasm (messenger, wasm-fresh or wasm-typed)"),
            "{summary}"
        );
        assert!(
            summary.contains("     0.0 ms   0.0%  wasm (wasm-fresh or wasm-typed)"),
            "{summary}"
        );
        assert!(
            summary.contains("     0.0 ms   0.0%  wasm (messenger or wasm-typed)"),
            "{summary}"
        );
    }
}
