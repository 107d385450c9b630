//! Arguments, the servers, the browser, and waiting for the page's result.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use e2e::{Driver, Engine, StaticServer};
use fantoccini::Client;
use serde_json::Value;

use crate::{browser, report};

const USAGE: &str = "\
usage: bench-runner [--smoke] [--site DIR] [--size-wasm FILE] [--out FILE]
                    [--rounds N] [--handshakes N] [--memory N,N] [--binary-memory N,N]
                    [--binary-memory-bytes N] [--binary-memory-variant NAME]
                    [--timeout SECS] [--profile FILE] [--same-process] [--payloads NAME,NAME]

  --smoke          a handful of round trips only; checks that everything works, times nothing
  --site DIR       the built pages (default target/bench/site)
  --size-wasm FILE the messenger-only wasm whose gzip size is reported
                   (default target/bench/size/bench_size_bg.wasm)
  --out FILE       the JSON results (default target/bench/results.json; smoke: smoke.json)
  --rounds N       timed rounds (default 12)
  --handshakes N   handshakes measured (default 5)
  --memory N,N     messenger round trips before each memory snapshot (default 100000,200000)
  --binary-memory N,N
                   messenger round trips of 16 MiB (JsBytes) before each binary memory
                   snapshot (default 500,1000)
  --binary-memory-bytes N
                   diagnostic: the bytes of each of those round trips (default 16777216)
  --binary-memory-variant NAME
                   diagnostic: whose round trips those are (transfer, penpal, messenger,
                   messenger-copy; default messenger), e.g. to compare with the floor
  --timeout SECS   the whole run's limit (default 1200; smoke 180)
  --profile FILE   record a CPU profile of the host page during the timed rounds (the text
                   series'; the binary series' when --payloads names binary payloads only) (Chrome
                   DevTools Protocol), write it to FILE (.cpuprofile, opens in DevTools) and
                   print the functions with the most self time (the page's own process
                   only: with the iframe in its own process, that is the host's side);
                   the page waits after the timed rounds until the profiler has stopped,
                   so the profile holds the timed rounds and nothing after them
  --same-process   diagnostic, not the benchmark: lets Chromium keep the iframe in the host's
                   renderer process, so round trips cost CPU and scheduling but no
                   inter-process hop, and a --profile sees both sides' work
  --payloads LIST  diagnostic: time only these payloads (of small, 1KB, 64KB and the binary
                   series' 64KiB, 1MiB, 16MiB), e.g. to profile small messages alone

Ports: BENCH_HOST_PORT and BENCH_REMOTE_PORT (default: free ports).";

/// What the command line asked for.
#[derive(Debug)]
pub struct Options {
    pub smoke: bool,
    pub site: PathBuf,
    pub size_wasm: PathBuf,
    pub out: PathBuf,
    pub rounds: u32,
    pub handshakes: u32,
    pub memory: Vec<u64>,
    /// Binary round trips before each binary memory snapshot.
    pub binary_memory: Vec<u64>,
    /// The bytes of each of those round trips (`None`: the page's 16 MiB).
    pub binary_memory_bytes: Option<u64>,
    /// The variant of those round trips (`None`: the messenger).
    pub binary_memory_variant: Option<String>,
    pub timeout: Duration,
    pub profile: Option<PathBuf>,
    pub same_process: bool,
    /// The payloads timed (`--payloads`); empty: all of them.
    pub payloads: Vec<String>,
}

/// The workspace's `target/` folder (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn parse_options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let args: Vec<String> = args.collect();
    let smoke = args.iter().any(|arg| arg == "--smoke");
    let bench = target_dir().join("bench");
    let mut options = Options {
        smoke,
        site: bench.join("site"),
        size_wasm: bench.join("size/bench_size_bg.wasm"),
        out: bench.join(if smoke { "smoke.json" } else { "results.json" }),
        rounds: if smoke { 1 } else { 12 },
        handshakes: if smoke { 1 } else { 5 },
        memory: if smoke { vec![50, 100] } else { vec![100_000, 200_000] },
        binary_memory: if smoke { vec![2, 4] } else { vec![500, 1000] },
        binary_memory_bytes: None,
        binary_memory_variant: None,
        timeout: Duration::from_secs(if smoke { 180 } else { 1200 }),
        profile: None,
        same_process: false,
        payloads: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let number =
            |name: &str, text: String| text.parse::<u64>().map_err(|_| format!("{name}: not a number: {text}"));
        match arg.as_str() {
            "--smoke" => {}
            "--site" => options.site = value("--site")?.into(),
            "--size-wasm" => options.size_wasm = value("--size-wasm")?.into(),
            "--out" => options.out = value("--out")?.into(),
            "--rounds" => options.rounds = number("--rounds", value("--rounds")?)?.clamp(1, 1000) as u32,
            "--handshakes" => options.handshakes = number("--handshakes", value("--handshakes")?)?.clamp(1, 100) as u32,
            "--memory" => options.memory = checkpoints("--memory", &value("--memory")?, "100000,200000")?,
            "--binary-memory" => {
                options.binary_memory = checkpoints("--binary-memory", &value("--binary-memory")?, "500,1000")?
            }
            "--binary-memory-bytes" => {
                let bytes = number("--binary-memory-bytes", value("--binary-memory-bytes")?)?;
                if bytes == 0 || bytes % 4 != 0 || bytes > 1 << 30 {
                    return Err("--binary-memory-bytes: a multiple of 4, at most 1 GiB".to_owned());
                }
                options.binary_memory_bytes = Some(bytes);
            }
            "--binary-memory-variant" => {
                let variant = value("--binary-memory-variant")?;
                if !crate::binary::VARIANTS.contains(&variant.as_str()) {
                    return Err(format!(
                        "--binary-memory-variant: no variant {variant} (there are {})",
                        crate::binary::VARIANTS.join(", ")
                    ));
                }
                options.binary_memory_variant = Some(variant);
            }
            "--timeout" => options.timeout = Duration::from_secs(number("--timeout", value("--timeout")?)?),
            "--profile" => options.profile = Some(value("--profile")?.into()),
            "--same-process" => options.same_process = true,
            "--payloads" => {
                options.payloads = value("--payloads")?
                    .split(',')
                    .map(|name| name.trim().to_owned())
                    .collect();
                if let Some(unknown) = options.payloads.iter().find(|name| !PAYLOADS.contains(&name.as_str())) {
                    return Err(format!(
                        "--payloads: no payload {unknown} (there are {})",
                        PAYLOADS.join(", ")
                    ));
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// Increasing round-trip counts, `100,200`: when to take the memory snapshots.
fn checkpoints(name: &str, text: &str, example: &str) -> Result<Vec<u64>, String> {
    let counts: Vec<u64> = text
        .split(',')
        .map(|n| {
            n.trim()
                .parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {n}"))
        })
        .collect::<Result<_, _>>()?;
    if counts.is_empty() || counts[0] == 0 || counts.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("{name}: give increasing round-trip counts, e.g. {example}"));
    }
    Ok(counts)
}

/// The payloads the page times, by name: the text series' and the binary series'.
const PAYLOADS: &[&str] = &["small", "1KB", "64KB", "64KiB", "1MiB", "16MiB"];
/// The binary series' payloads.
const BINARY_PAYLOADS: &[&str] = &["64KiB", "1MiB", "16MiB"];

/// The page's phase a `--profile` records: the text series' timed rounds (`timing`), or the
/// binary series' (`binary`) when only binary payloads are timed.
fn profiled_phase(payloads: &[String]) -> &'static str {
    match !payloads.is_empty() && payloads.iter().all(|name| BINARY_PAYLOADS.contains(&name.as_str())) {
        true => "binary",
        false => "timing",
    }
}

/// The host page's query: what to run, and where the iframe lives.
fn host_query(options: &Options, remote_origin: &str) -> String {
    let memory: Vec<String> = options.memory.iter().map(u64::to_string).collect();
    let binary_memory: Vec<String> = options.binary_memory.iter().map(u64::to_string).collect();
    let mut pairs = vec![
        ("role", "host".to_owned()),
        ("remote", remote_origin.to_owned()),
        ("rounds", options.rounds.to_string()),
        ("handshakes", options.handshakes.to_string()),
        ("memory", memory.join(",")),
        ("binary_memory", binary_memory.join(",")),
        // The page waits at each binary memory snapshot for the runner's DevTools heap figures.
        ("cdp", "1".to_owned()),
    ];
    if !options.payloads.is_empty() {
        pairs.push(("sizes", options.payloads.join(",")));
    }
    if let Some(bytes) = options.binary_memory_bytes {
        pairs.push(("binary_memory_bytes", bytes.to_string()));
    }
    if let Some(variant) = &options.binary_memory_variant {
        pairs.push(("binary_memory_variant", variant.clone()));
    }
    if options.profile.is_some() {
        // The page then waits for `profilerStopped` before its memory phase.
        pairs.push(("profile", "1".to_owned()));
    }
    if options.smoke {
        pairs.extend([
            ("warmup", "0".to_owned()),
            ("chunk_small", "5".to_owned()),
            ("chunk_1k", "5".to_owned()),
            ("chunk_64k", "2".to_owned()),
            ("memory_chunk", "50".to_owned()),
            ("chunk_b64k", "2".to_owned()),
            ("chunk_b1m", "2".to_owned()),
            ("chunk_b16m", "1".to_owned()),
        ]);
    }
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
            )
        })
        .collect();
    encoded.join("&")
}

fn port_var(name: &'static str) -> Result<u16, String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value.parse().map_err(|_| format!("{name}={value:?} is not a port")),
        _ => Ok(0),
    }
}

pub fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("bench-runner: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench-runner: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("\nbench-runner: FAILED: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: &Options) -> Result<(), String> {
    let built = [
        "bench.html",
        "pkg/bench_pages_bg.wasm",
        "penpal.html",
        "penpal-bench.js",
        "penpal.mjs",
    ];
    if !built.iter().all(|file| options.site.join(file).is_file()) {
        return Err(format!(
            "the benchmark pages are not built in {} (scripts/bench.sh builds them)",
            options.site.display()
        ));
    }
    let harness = e2e::Config::from_env().map_err(|e| e.to_string())?;
    // One folder, two servers, two sites: the page decides its role from its query.
    let host = StaticServer::start(
        "bench host",
        &options.site,
        port_var("BENCH_HOST_PORT")?,
        "BENCH_HOST_PORT",
    )
    .await
    .map_err(|e| e.to_string())?;
    let remote = StaticServer::start(
        "bench remote",
        &options.site,
        port_var("BENCH_REMOTE_PORT")?,
        "BENCH_REMOTE_PORT",
    )
    .await
    .map_err(|e| e.to_string())?;
    let host_origin = format!("http://127.0.0.1:{}", host.port());
    let remote_origin = format!("http://localhost:{}", remote.port());

    let bench_dir = options
        .out
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&bench_dir).map_err(|e| format!("creating {}: {e}", bench_dir.display()))?;
    // The benchmark measures Chromium (its CPU profiles come from the DevTools protocol).
    if harness.engine != Engine::Chromium {
        return Err(format!(
            "the benchmark runs in Chromium only, not {} (unset E2E_BROWSER)",
            harness.engine
        ));
    }
    let driver_log = bench_dir.join("chromedriver.log");
    let driver = Driver::start(Engine::Chromium, &harness.driver, &driver_log)
        .await
        .map_err(|e| e.to_string())?;
    // The harness's profile folder (E2E_PROFILE_ROOT), so that ./test.sh's clean-up of stray
    // Chromium processes covers this run too.
    let profiles = &harness.profile_root;
    std::fs::create_dir_all(profiles).map_err(|e| format!("creating {}: {e}", profiles.display()))?;
    let profile = tempfile::Builder::new()
        .prefix("chromium-")
        .tempdir_in(profiles)
        .map_err(|e| format!("creating a browser profile: {e}"))?;
    let client = match browser::open(
        &driver.url(),
        harness.browser_bin.as_deref(),
        profile.path(),
        options.same_process,
    )
    .await
    {
        Ok(client) => client,
        Err(problem) => {
            driver.stop().await;
            return Err(format!("{problem} (chromedriver log: {})", driver_log.display()));
        }
    };

    let url = format!("{host_origin}/bench.html?{}", host_query(options, &remote_origin));
    eprintln!("bench: host {host_origin}, iframe {remote_origin}");
    eprintln!("bench: {url}");
    let load_before = loadavg();
    let outcome = tokio::time::timeout(
        options.timeout,
        drive(
            &client,
            &url,
            &remote_origin,
            options.profile.as_deref(),
            profiled_phase(&options.payloads),
        ),
    )
    .await;
    let load_after = loadavg();
    let console = browser::console(&client).await;
    let browser_version = client
        .capabilities()
        .and_then(|caps| caps.get("browserVersion"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let _ = client.close().await;
    driver.stop().await;
    drop(profile);

    let (page, out_of_process) = match outcome {
        Ok(Ok(page)) => page,
        Ok(Err(problem)) => return Err(with_console(problem, &console, &host, &remote)),
        Err(_) => {
            return Err(with_console(
                format!("no result within {:?}", options.timeout),
                &console,
                &host,
                &remote,
            ))
        }
    };
    let environment = report::Environment {
        browser_version,
        load_before,
        load_after,
        iframe_out_of_process: out_of_process,
        // scripts/bench.sh says how it was called; run directly, the runner's own arguments.
        command: std::env::var("BENCH_COMMAND").unwrap_or_else(|_| {
            std::iter::once("bench-runner".to_owned())
                .chain(std::env::args().skip(1))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    };
    let size = report::wasm_size(&options.size_wasm)?;
    let pages_size = report::wasm_size(&options.site.join("pkg/bench_pages_bg.wasm")).ok();
    let results = report::Results::new(page, environment, size, pages_size)?;
    println!("{}", results.table(options.smoke));
    let json = serde_json::to_string_pretty(&results.json()).map_err(|e| e.to_string())?;
    std::fs::write(&options.out, json + "\n").map_err(|e| format!("writing {}: {e}", options.out.display()))?;
    eprintln!("bench: results written to {}", options.out.display());
    if options.smoke && !results.listeners_and_ports_constant() {
        // Counts, not timings: a listener or port that outlives its message is a leak.
        return Err("live listeners or open ports changed between the memory snapshots (see the table)".to_owned());
    }
    Ok(())
}

/// The pages the host shows in iframes during the timed rounds: the messenger's and the
/// JavaScript variants' listener, and Penpal's.
const IFRAME_PAGES: &[&str] = &["bench.html", "penpal.html"];

/// Loads the host page and polls it until its result object is there.
async fn drive(
    client: &Client,
    url: &str,
    remote_origin: &str,
    profile: Option<&Path>,
    profiled_phase: &str,
) -> Result<(Value, Option<bool>), String> {
    client.goto(url).await.map_err(|e| format!("opening {url}: {e}"))?;
    let started = Instant::now();
    let mut last = String::new();
    let mut printed = Instant::now();
    let mut out_of_process = None;
    let mut profiling = false;
    loop {
        let state = client
            .execute(
                "const s = window.benchState; return s ? { phase: s.phase, progress: s.progress, done: s.done, error: s.error, \
                 heapUsageRequest: s.heapUsage && s.heapUsage[s.heapUsageRequest] ? null : s.heapUsageRequest } : null;",
                vec![],
            )
            .await
            .map_err(|e| format!("reading the page's state: {e}"))?;
        let phase = state["phase"].as_str().unwrap_or("loading");
        let line = format!("{phase}: {}", state["progress"].as_str().unwrap_or(""));
        // Every new phase, and progress within a phase at most every 5 s.
        let new_phase = !last.starts_with(&format!("{phase}:"));
        if line != last && (new_phase || printed.elapsed() >= Duration::from_secs(5)) {
            eprintln!("bench: [{:>5.1}s] {line}", started.elapsed().as_secs_f64());
            printed = Instant::now();
        }
        last = line;
        if out_of_process.is_none() && matches!(phase, "timing" | "binary" | "memory") {
            out_of_process = browser::iframes_out_of_process(client, remote_origin, IFRAME_PAGES).await;
        }
        // A binary memory snapshot waits for the host's V8 heap figures.
        if let Some(label) = state["heapUsageRequest"].as_str() {
            let usage = browser::heap_usage(client).await?;
            client
                .execute(
                    "const s = window.benchState; s.heapUsage = s.heapUsage || {}; s.heapUsage[arguments[0]] = arguments[1];",
                    vec![Value::from(label), usage],
                )
                .await
                .map_err(|e| format!("handing the page its heap figures: {e}"))?;
        }
        if let Some(path) = profile {
            // The text series' timed rounds; the binary series' when only binary payloads are
            // timed (`--payloads 1MiB,16MiB`).
            let timed_phase = phase == profiled_phase;
            if timed_phase && !last.contains("warm-up") && !profiling {
                browser::start_profiler(client).await?;
                profiling = true;
            } else if profiling && !timed_phase {
                let profile = browser::stop_profiler(client).await?;
                profiling = false;
                client
                    .execute("window.benchState.profilerStopped = true;", vec![])
                    .await
                    .map_err(|e| format!("telling the page the profiler stopped: {e}"))?;
                std::fs::write(path, profile.to_string()).map_err(|e| format!("writing {}: {e}", path.display()))?;
                eprintln!("bench: CPU profile of the host page written to {}", path.display());
                eprintln!("{}", browser::profile_summary(&profile, 30));
                eprintln!("{}", browser::profile_by_variant(&profile, 25));
            }
        }
        if state["done"].as_bool() == Some(true) {
            if let Some(error) = state["error"].as_str() {
                return Err(format!("the benchmark page failed: {error}"));
            }
            let result = client
                .execute("return window.benchState.result;", vec![])
                .await
                .map_err(|e| format!("reading the result: {e}"))?;
            return Ok((result, out_of_process));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn with_console(problem: String, console: &[String], host: &StaticServer, remote: &StaticServer) -> String {
    let mut text = problem;
    if !console.is_empty() {
        text.push_str("\n\nbrowser console:\n");
        text.push_str(&console.join("\n"));
    }
    text.push_str(&format!("\n\n{}\n\n{}", host.report(), remote.report()));
    text
}

/// The 1-minute load average, to show how busy the machine was.
fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_options(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn smoke_is_small_and_writes_its_own_file() {
        let options = parse(&["--smoke"]).unwrap();
        assert!(options.smoke);
        assert_eq!(options.rounds, 1);
        assert_eq!(options.memory, vec![50, 100]);
        assert_eq!(options.binary_memory, vec![2, 4]);
        assert!(options.out.ends_with("bench/smoke.json"));
        let query = host_query(&options, "http://localhost:1");
        assert!(query.contains("chunk_small=5"), "{query}");
        assert!(query.contains("chunk_b16m=1"), "{query}");
        assert!(query.contains("binary_memory=2%2C4"), "{query}");
    }

    #[test]
    fn the_full_run_is_the_default() {
        let options = parse(&[]).unwrap();
        assert!(!options.smoke);
        assert_eq!(options.memory, vec![100_000, 200_000]);
        assert_eq!(options.binary_memory, vec![500, 1000]);
        assert!(options.out.ends_with("bench/results.json"));
        let query = host_query(&options, "http://localhost:1234");
        assert!(query.contains("binary_memory=500%2C1000"), "{query}");
        assert!(query.contains("cdp=1"), "{query}");
        assert!(!query.contains("chunk_b"), "{query}");
        assert!(query.contains("remote=http%3A%2F%2Flocalhost%3A1234"), "{query}");
        assert!(!query.contains("chunk_small"), "{query}");
        assert!(!query.contains("sizes="), "{query}");
        assert!(!query.contains("profile="), "{query}");
    }

    #[test]
    fn payloads_and_profiling_reach_the_page() {
        let options = parse(&["--payloads", "small,1KB", "--profile", "/tmp/p.json"]).unwrap();
        assert_eq!(options.payloads, ["small", "1KB"]);
        let query = host_query(&options, "http://localhost:1");
        assert!(query.contains("sizes=small%2C1KB"), "{query}");
        assert!(query.contains("profile=1"), "{query}");
        assert!(parse(&["--payloads", "small,2KB"]).unwrap_err().contains("2KB"));
        let binary = parse(&["--payloads", "1MiB,16MiB"]).unwrap();
        assert!(host_query(&binary, "http://localhost:1").contains("sizes=1MiB%2C16MiB"));
        assert_eq!(profiled_phase(&binary.payloads), "binary");
        assert_eq!(profiled_phase(&options.payloads), "timing");
        assert_eq!(profiled_phase(&[]), "timing");
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(parse(&["--rounds"]).is_err());
        assert!(parse(&["--rounds", "x"]).is_err());
        assert!(parse(&["--memory", "200,100"]).is_err());
        assert!(parse(&["--binary-memory", "0,10"]).is_err());
        assert!(parse(&["--binary-memory-bytes", "6"]).is_err());
        let options = parse(&["--binary-memory-bytes", "65536"]).unwrap();
        assert!(host_query(&options, "http://localhost:1").contains("binary_memory_bytes=65536"));
        assert!(parse(&["--binary-memory-variant", "raw"]).is_err());
        let options = parse(&["--binary-memory-variant", "transfer"]).unwrap();
        assert!(host_query(&options, "http://localhost:1").contains("binary_memory_variant=transfer"));
        assert_eq!(
            parse(&["--binary-memory", "10,20"]).unwrap().binary_memory,
            vec![10, 20]
        );
        assert!(parse(&["--frobnicate"]).is_err());
        assert_eq!(parse(&["--help"]).unwrap_err(), "");
    }
}
