//! Statistics, the targets, the printed table and the JSON, from the page's result object.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::binary::Binary;

/// The targets: messenger ÷ fresh-port per round trip for small and 1 KB payloads ...
pub const MAX_RATIO_TO_FRESH: f64 = 1.10;
/// ... and for payloads of 64 KB and more.
pub const MAX_RATIO_TO_FRESH_LARGE: f64 = 1.5;
/// Payloads of this many bytes and more are large.
pub const LARGE_PAYLOAD_BYTES: u64 = 64 * 1024;
/// 60 KB of gzip, counted as 60 × 1024 bytes.
pub const MAX_GZIP_BYTES: u64 = 60 * 1024;

/// The target ratio for a payload of `bytes` bytes.
pub fn max_ratio_to_fresh(bytes: u64) -> f64 {
    match bytes >= LARGE_PAYLOAD_BYTES {
        true => MAX_RATIO_TO_FRESH_LARGE,
        false => MAX_RATIO_TO_FRESH,
    }
}
/// JS heap growth between the first and the last memory snapshot that still counts as noise:
/// whichever is larger of this many bytes and [`HEAP_NOISE_FRACTION`] of the heap.
pub const HEAP_NOISE_BYTES: f64 = 256.0 * 1024.0;
/// See [`HEAP_NOISE_BYTES`].
pub const HEAP_NOISE_FRACTION: f64 = 0.02;

/// The variants, in the table's order: the page's sample keys are `{variant}/{payload}`.
const VARIANTS: [&str; 6] = ["raw", "fresh", "wasm-fresh", "wasm-typed", "messenger", "penpal"];

/// Where and how the run happened, besides what the page reports.
#[derive(Debug)]
pub struct Environment {
    pub browser_version: Option<String>,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    pub iframe_out_of_process: Option<bool>,
    pub command: String,
}

/// A wasm file's size, plain and gzipped (`gzip -9`).
#[derive(Debug, Clone, Copy)]
pub struct WasmSize {
    pub bytes: u64,
    pub gzip_bytes: u64,
}

/// Measures `path`: its length and the length of `gzip -9 -c` of it.
pub fn wasm_size(path: &Path) -> Result<WasmSize, String> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e} (scripts/bench.sh builds it)", path.display()))?
        .len();
    let output = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("running gzip: {e}"))?;
    if !output.status.success() {
        return Err(format!("gzip -9 -c {} failed: {}", path.display(), output.status));
    }
    Ok(WasmSize {
        bytes,
        gzip_bytes: output.stdout.len() as u64,
    })
}

/// Median, minimum and maximum of some samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

impl Summary {
    pub fn of(values: &[f64]) -> Summary {
        Summary {
            median: median(values),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    pub(crate) fn json(&self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// Per-round ratios `a[i] / b[i]` of samples taken in the same rounds.
pub fn paired_ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a / b).collect()
}

/// One payload size's figures.
#[derive(Debug)]
struct SizeRow {
    name: String,
    bytes: u64,
    chunk: u64,
    /// Per variant, in the order of `VARIANTS`: one figure per round.
    samples: [Vec<f64>; 6],
    summaries: [Summary; 6],
}

/// The ratios `results.json` keeps per payload, as `ratio_{over}_to_{under}`: among them
/// wasm-fresh ÷ fresh-port (what calling the browser from wasm costs at this rhythm),
/// wasm-typed ÷ fresh-port (the same with typed payloads), messenger ÷ wasm-fresh and
/// messenger ÷ wasm-typed (what the messenger costs over those floors).
const RATIOS: [(&str, &str); 10] = [
    ("messenger", "fresh"),
    ("messenger", "raw"),
    ("fresh", "raw"),
    ("penpal", "fresh"),
    ("penpal", "raw"),
    ("messenger", "penpal"),
    ("wasm-fresh", "fresh"),
    ("messenger", "wasm-fresh"),
    ("wasm-typed", "fresh"),
    ("messenger", "wasm-typed"),
];

impl SizeRow {
    /// `over` ÷ `under`: the median over rounds of the per-round ratios (the two were timed in
    /// the same rounds, which cancels most of a shared machine's drift).
    fn ratio(&self, over: &str, under: &str) -> f64 {
        let samples = |variant: &str| {
            let i = VARIANTS.iter().position(|v| *v == variant).expect("one of VARIANTS");
            &self.samples[i]
        };
        median(&paired_ratios(samples(over), samples(under)))
    }
}

/// One side's state at a memory snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Side {
    pub(crate) heap: f64,
    pub(crate) wasm: f64,
    pub(crate) listeners: i64,
    pub(crate) ports: i64,
}

impl Side {
    fn read(value: &Value) -> Result<Side, String> {
        let number = |key: &str| {
            value[key]
                .as_f64()
                .ok_or_else(|| format!("snapshot without {key}: {value}"))
        };
        Ok(Side {
            heap: number("jsHeapBytes")?,
            wasm: number("wasmMemoryBytes")?,
            listeners: number("listeners")? as i64,
            ports: number("openPorts")? as i64,
        })
    }
}

#[derive(Debug)]
pub(crate) struct Checkpoint {
    pub(crate) label: String,
    pub(crate) round_trips: u64,
    pub(crate) host: Side,
    pub(crate) remote: Side,
    pub(crate) raw: Value,
}

impl Checkpoint {
    /// One of the page's memory snapshots.
    pub(crate) fn read(checkpoint: &Value) -> Result<Checkpoint, String> {
        Ok(Checkpoint {
            label: checkpoint["label"].as_str().unwrap_or("?").to_owned(),
            round_trips: checkpoint["roundTrips"].as_u64().unwrap_or(0),
            host: Side::read(&checkpoint["host"])?,
            remote: Side::read(&checkpoint["remote"])?,
            raw: checkpoint.clone(),
        })
    }
}

/// What "flat" came to.
#[derive(Debug)]
struct Flatness {
    listeners_and_ports: bool,
    wasm: bool,
    heap: bool,
    heap_growth: [f64; 2],
    heap_tolerance: [f64; 2],
}

impl Flatness {
    fn ok(&self) -> bool {
        self.listeners_and_ports && self.wasm && self.heap
    }
}

/// Everything the run found.
#[derive(Debug)]
pub struct Results {
    page: Value,
    environment: Environment,
    machine: Value,
    sizes: Vec<SizeRow>,
    rounds: u64,
    warmup_rounds: u64,
    handshake: Summary,
    handshake_load: Summary,
    handshake_knocks: Vec<u64>,
    penpal_handshake: Summary,
    penpal_handshake_load: Summary,
    penpal_handshake_connected: Summary,
    checkpoints: Vec<Checkpoint>,
    flatness: Option<Flatness>,
    binary: Binary,
    size: WasmSize,
    pages_size: Option<WasmSize>,
}

pub(crate) fn floats(value: &Value) -> Result<Vec<f64>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("expected an array of numbers, got {value}"))?
        .iter()
        .map(|v| v.as_f64().ok_or_else(|| format!("not a number: {v}")))
        .collect()
}

impl Results {
    /// Computes every figure from the page's result object.
    pub fn new(
        page: Value,
        environment: Environment,
        size: WasmSize,
        pages_size: Option<WasmSize>,
    ) -> Result<Self, String> {
        let config = &page["config"];
        let mut sizes = Vec::new();
        for size in config["sizes"].as_array().ok_or("result without config.sizes")? {
            let name = size["name"].as_str().ok_or("a size without a name")?.to_owned();
            let samples: Vec<Vec<f64>> = VARIANTS
                .iter()
                .map(|variant| {
                    let key = format!("{variant}/{name}");
                    floats(&page["samples"][&key]).map_err(|e| format!("samples {key}: {e}"))
                })
                .collect::<Result<_, _>>()?;
            let samples: [Vec<f64>; 6] = samples.try_into().expect("one per variant");
            let rounds = samples[0].len();
            if rounds == 0 || samples.iter().any(|variant| variant.len() != rounds) {
                return Err(format!("uneven or missing samples for {name}"));
            }
            sizes.push(SizeRow {
                bytes: size["bytes"].as_u64().unwrap_or(0),
                chunk: size["chunk"].as_u64().unwrap_or(0),
                summaries: samples.each_ref().map(|variant| Summary::of(variant)),
                samples,
                name,
            });
        }
        let handshakes = page["handshakes"].as_array().ok_or("result without handshakes")?;
        let pick = |key: &str| -> Vec<f64> { handshakes.iter().filter_map(|h| h[key].as_f64()).collect() };
        let handshake_knocks = handshakes.iter().filter_map(|h| h["knocks"].as_u64()).collect();
        // Penpal's handshakes: as many as the messenger's, each one timed.
        let penpal_handshakes = page["penpalHandshakes"]
            .as_array()
            .ok_or("result without penpalHandshakes")?;
        let penpal_pick =
            |key: &str| -> Vec<f64> { penpal_handshakes.iter().filter_map(|h| h[key].as_f64()).collect() };
        let penpal_ms = penpal_pick("ms");
        if handshakes.is_empty() || penpal_ms.len() != handshakes.len() {
            return Err(format!(
                "{} messenger handshakes but {} timed Penpal handshakes",
                handshakes.len(),
                penpal_ms.len()
            ));
        }
        let checkpoints = page["checkpoints"]
            .as_array()
            .ok_or("result without checkpoints")?
            .iter()
            .map(Checkpoint::read)
            .collect::<Result<Vec<_>, _>>()?;
        let flatness = flatness(&checkpoints);
        let binary = Binary::read(&page)?;
        Ok(Results {
            rounds: config["rounds"].as_u64().unwrap_or(0),
            warmup_rounds: config["warmupRounds"].as_u64().unwrap_or(0),
            handshake: Summary::of(&pick("ms")),
            handshake_load: Summary::of(&pick("loadMs")),
            handshake_knocks,
            penpal_handshake: Summary::of(&penpal_ms),
            penpal_handshake_load: Summary::of(&penpal_pick("loadMs")),
            penpal_handshake_connected: Summary::of(&penpal_pick("connectedMs")),
            machine: machine(),
            page,
            environment,
            sizes,
            checkpoints,
            flatness,
            binary,
            size,
            pages_size,
        })
    }

    /// Whether live listeners and open ports were the same at every memory snapshot, on both
    /// sides: exact counts, not timings, so the smoke run can insist on it.
    pub fn listeners_and_ports_constant(&self) -> bool {
        self.flatness.as_ref().is_some_and(|flat| flat.listeners_and_ports)
            && self.binary.listeners_and_ports_constant()
    }

    /// The printed report.
    pub fn table(&self, smoke: bool) -> String {
        let mut out = String::new();
        let browser = self.environment.browser_version.as_deref().unwrap_or("?");
        let oop = match self.environment.iframe_out_of_process {
            Some(true) => "a renderer process other than the host's",
            Some(false) => "NOT all out of the host's renderer process",
            None => "a process the driver could not tell",
        };
        let _ = writeln!(out);
        if smoke {
            let _ = writeln!(
                out,
                "SMOKE RUN: a handful of round trips; the figures below are not measurements."
            );
        }
        let _ = writeln!(
            out,
            "Chromium {browser}; host {}, iframes {} (bench.html, penpal.html) in {oop}",
            self.page["hostOrigin"].as_str().unwrap_or("?"),
            self.page["remoteOrigin"].as_str().unwrap_or("?"),
        );
        let _ = writeln!(
            out,
            "{} ({} cores); load average {} before, {} after",
            self.machine["cpu"].as_str().unwrap_or("?"),
            self.machine["cores"],
            fmt_load(self.environment.load_before),
            fmt_load(self.environment.load_after),
        );
        let _ = writeln!(
            out,
            "{} timed rounds (after {} warm-up), variants interleaved in rotating order; per round one chunk of round trips per variant\n",
            self.rounds, self.warmup_rounds
        );
        let _ = writeln!(
            out,
            "| payload | variant | µs/round trip, median | min | max | × raw | × fresh-port |"
        );
        let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for row in &self.sizes {
            for (i, variant) in VARIANTS.iter().enumerate() {
                let s = row.summaries[i];
                let (to_raw, to_fresh) = match *variant {
                    "raw" => (String::new(), String::new()),
                    "fresh" => (format!("{:.2}", row.ratio("fresh", "raw")), String::new()),
                    "wasm-fresh" | "wasm-typed" => (String::new(), format!("{:.2}", row.ratio(variant, "fresh"))),
                    "penpal" => (
                        format!("{:.2}", row.ratio("penpal", "raw")),
                        format!("{:.2}", row.ratio("penpal", "fresh")),
                    ),
                    _ => (
                        format!("{:.2}", row.ratio("messenger", "raw")),
                        format!("**{:.2}**", row.ratio("messenger", "fresh")),
                    ),
                };
                let payload = if i == 0 {
                    format!("{} ({} B data, {}/chunk)", row.name, row.bytes, row.chunk)
                } else {
                    String::new()
                };
                let variant = if *variant == "fresh" { "fresh-port" } else { variant };
                let _ = writeln!(
                    out,
                    "| {payload} | {variant} | {:.1} | {:.1} | {:.1} | {to_raw} | {to_fresh} |",
                    s.median, s.min, s.max
                );
            }
        }
        let by_size = |ratio: fn(&SizeRow) -> f64| -> String {
            let figures: Vec<String> = self
                .sizes
                .iter()
                .map(|row| format!("{} {:.2}", row.name, ratio(row)))
                .collect();
            figures.join(", ")
        };
        let _ = writeln!(
            out,
            "\nmessenger ÷ penpal, median of the per-round ratios: {}",
            by_size(|row| row.ratio("messenger", "penpal"))
        );
        let _ = writeln!(
            out,
            "messenger ÷ wasm-fresh (the same browser calls made from wasm, nothing else): {}",
            by_size(|row| row.ratio("messenger", "wasm-fresh"))
        );
        let _ = writeln!(
            out,
            "messenger ÷ wasm-typed (the same, with typed payloads decoded and encoded, no protocol): {}",
            by_size(|row| row.ratio("messenger", "wasm-typed"))
        );
        let knocks: Vec<String> = self.handshake_knocks.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "\nHandshake, iframe inserted → messenger's first reply: median {:.1} ms (min {:.1}, max {:.1}) over {} iframes; \
             of which until the iframe's load event: median {:.1} ms; knocks per handshake: {}",
            self.handshake.median,
            self.handshake.min,
            self.handshake.max,
            self.handshake_knocks.len(),
            self.handshake_load.median,
            knocks.join(", ")
        );
        let _ = writeln!(
            out,
            "Handshake, iframe inserted → Penpal's first reply:    median {:.1} ms (min {:.1}, max {:.1}) over {} iframes; \
             of which until the iframe's load event: median {:.1} ms; until connection.promise resolved: median {:.1} ms",
            self.penpal_handshake.median,
            self.penpal_handshake.min,
            self.penpal_handshake.max,
            self.page["penpalHandshakes"].as_array().map_or(0, Vec::len),
            self.penpal_handshake_load.median,
            self.penpal_handshake_connected.median,
        );
        let _ = writeln!(out, "\nMemory after a forced GC on both sides (listeners = live addEventListener registrations; ports = open MessagePorts created minus closed, per page):\n");
        let _ = writeln!(out, "| snapshot | host JS heap | host wasm | host listeners | host ports | iframe JS heap | iframe wasm | iframe listeners | iframe ports |");
        let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for c in &self.checkpoints {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.label,
                kib(c.host.heap),
                kib(c.host.wasm),
                c.host.listeners,
                c.host.ports,
                kib(c.remote.heap),
                kib(c.remote.wasm),
                c.remote.listeners,
                c.remote.ports
            );
        }
        self.binary.table(&mut out);
        let _ = writeln!(
            out,
            "\nMessenger-only wasm (bench/size, release, wasm-opt -Oz): {} bytes, {} gzip -9 ({:.1} KiB)",
            thousands(self.size.bytes),
            thousands(self.size.gzip_bytes),
            self.size.gzip_bytes as f64 / 1024.0
        );
        if let Some(pages) = self.pages_size {
            let _ = writeln!(
                out,
                "(the benchmark's own wasm, bench/pages: {} bytes, {} gzip)",
                thousands(pages.bytes),
                thousands(pages.gzip_bytes)
            );
        }
        if smoke {
            let _ = writeln!(
                out,
                "\nsmoke: every variant (raw, fresh-port, wasm-fresh, wasm-typed, messenger, penpal) and payload ran, both handshakes too, and every reply was right; \
                 the binary series too (transfer, penpal, messenger, messenger-copy; every reply's bytes checked); listeners and ports {} over {} memory snapshots and {} binary ones; no timing is judged.",
                if self.listeners_and_ports_constant() { "constant" } else { "CHANGED" },
                self.checkpoints.len(),
                self.page["binaryCheckpoints"].as_array().map_or(0, Vec::len)
            );
            return out;
        }
        let _ = writeln!(out, "\nTargets:");
        for row in &self.sizes {
            let max = max_ratio_to_fresh(row.bytes);
            let ratio = row.ratio("messenger", "fresh");
            let _ = writeln!(
                out,
                "  messenger ≤ {max:.2} × fresh-port, {:<5}  {ratio:.2}  {}",
                row.name,
                verdict(ratio <= max)
            );
        }
        match &self.flatness {
            Some(flat) => {
                let _ = writeln!(
                    out,
                    "  memory flat                      listeners and ports {}, wasm memory {}, JS heap growth host {} / iframe {} (noise ≤ {} / {})  {}",
                    if flat.listeners_and_ports { "constant" } else { "CHANGED" },
                    if flat.wasm { "constant" } else { "GREW" },
                    signed_kib(flat.heap_growth[0]),
                    signed_kib(flat.heap_growth[1]),
                    kib(flat.heap_tolerance[0]),
                    kib(flat.heap_tolerance[1]),
                    verdict(flat.ok())
                );
            }
            None => {
                let _ = writeln!(out, "  memory flat                      not enough snapshots to judge");
            }
        }
        let _ = writeln!(
            out,
            "  messenger-only wasm ≤ {} KiB gzip {:.1} KiB  {}",
            MAX_GZIP_BYTES / 1024,
            self.size.gzip_bytes as f64 / 1024.0,
            verdict(self.size.gzip_bytes <= MAX_GZIP_BYTES)
        );
        self.binary.targets(&mut out);
        out
    }

    /// The JSON written to `results.json`: the summary, the verdicts and every raw sample.
    pub fn json(&self) -> Value {
        let timings: Vec<Value> = self
            .sizes
            .iter()
            .map(|row| {
                let mut variants = serde_json::Map::new();
                for (i, variant) in VARIANTS.iter().enumerate() {
                    let mut summary = row.summaries[i].json();
                    summary["samples_us"] = json!(row.samples[i]);
                    variants.insert((*variant).to_owned(), summary);
                }
                let mut timing = json!({
                    "payload": row.name,
                    "data_bytes": row.bytes,
                    "round_trips_per_chunk": row.chunk,
                    "us_per_round_trip": variants,
                });
                for (over, under) in RATIOS {
                    let key = format!("ratio_{}_to_{}", over.replace('-', "_"), under.replace('-', "_"));
                    timing[key] = json!(row.ratio(over, under));
                }
                timing
            })
            .collect();
        let flat = self.flatness.as_ref();
        json!({
            "command": self.environment.command,
            "machine": self.machine,
            "browser": {
                "version": self.environment.browser_version,
                "user_agent": self.page["userAgent"],
                "iframe_out_of_process": self.environment.iframe_out_of_process,
            },
            "load_average": { "before": self.environment.load_before, "after": self.environment.load_after },
            "origins": { "host": self.page["hostOrigin"], "iframe": self.page["remoteOrigin"] },
            "page_config": self.page["config"],
            "rounds": self.rounds,
            "warmup_rounds": self.warmup_rounds,
            "timings": timings,
            "medians_us_by_variant": self.page["quickMedians"],
            "handshake_ms": {
                "inserted_to_first_reply": self.handshake.json(),
                "inserted_to_load": self.handshake_load.json(),
                "samples": self.page["handshakes"],
                "penpal_inserted_to_first_reply": self.penpal_handshake.json(),
                "penpal_inserted_to_connected": self.penpal_handshake_connected.json(),
                "penpal_inserted_to_load": self.penpal_handshake_load.json(),
                "penpal_samples": self.page["penpalHandshakes"],
            },
            "memory": {
                "snapshots": self.checkpoints.iter().map(|c| c.raw.clone()).collect::<Vec<_>>(),
                "listeners_and_ports_constant": flat.map(|f| f.listeners_and_ports),
                "wasm_memory_constant": flat.map(|f| f.wasm),
                "js_heap_growth_bytes": flat.map(|f| json!({ "host": f.heap_growth[0], "iframe": f.heap_growth[1] })),
                "js_heap_noise_bytes": flat.map(|f| json!({ "host": f.heap_tolerance[0], "iframe": f.heap_tolerance[1] })),
                "flat": flat.map(Flatness::ok),
            },
            "binary": self.binary.json(),
            "messenger_only_wasm": { "bytes": self.size.bytes, "gzip_bytes": self.size.gzip_bytes },
            "bench_pages_wasm": self.pages_size.map(|s| json!({ "bytes": s.bytes, "gzip_bytes": s.gzip_bytes })),
            "targets": {
                "messenger_to_fresh_max": MAX_RATIO_TO_FRESH,
                "messenger_to_fresh_max_by_payload": self.sizes.iter().map(|r| (r.name.clone(), json!(max_ratio_to_fresh(r.bytes)))).collect::<serde_json::Map<_, _>>(),
                "ratio_met": self.sizes.iter().map(|r| (r.name.clone(), json!(r.ratio("messenger", "fresh") <= max_ratio_to_fresh(r.bytes)))).collect::<serde_json::Map<_, _>>(),
                "memory_flat": flat.map(Flatness::ok),
                "gzip_max_bytes": MAX_GZIP_BYTES,
                "size_met": self.size.gzip_bytes <= MAX_GZIP_BYTES,
                "binary": self.binary.targets_json(),
            },
        })
    }
}

/// Flat means: listeners and ports the same at every snapshot on both sides, and between the
/// first and the last of the snapshots taken after round trips (100k and 200k) no wasm memory
/// growth and JS heap growth within noise.
fn flatness(checkpoints: &[Checkpoint]) -> Option<Flatness> {
    let measured: Vec<&Checkpoint> = checkpoints.iter().filter(|c| c.round_trips > 0).collect();
    let (first, last) = (measured.first()?, measured.last()?);
    if measured.len() < 2 {
        return None;
    }
    let counts = |c: &Checkpoint| (c.host.listeners, c.host.ports, c.remote.listeners, c.remote.ports);
    let listeners_and_ports = checkpoints.windows(2).all(|w| counts(&w[0]) == counts(&w[1]));
    let wasm = first.host.wasm == last.host.wasm && first.remote.wasm == last.remote.wasm;
    let growth = [last.host.heap - first.host.heap, last.remote.heap - first.remote.heap];
    let tolerance = [
        HEAP_NOISE_BYTES.max(HEAP_NOISE_FRACTION * first.host.heap),
        HEAP_NOISE_BYTES.max(HEAP_NOISE_FRACTION * first.remote.heap),
    ];
    Some(Flatness {
        listeners_and_ports,
        wasm,
        heap: growth[0] <= tolerance[0] && growth[1] <= tolerance[1],
        heap_growth: growth,
        heap_tolerance: tolerance,
    })
}

pub(crate) fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

pub(crate) fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

pub(crate) fn signed_kib(bytes: f64) -> String {
    format!("{:+.1} KiB", bytes / 1024.0)
}

fn fmt_load(load: Option<f64>) -> String {
    load.map_or_else(|| "?".to_owned(), |l| format!("{l:.2}"))
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The machine: CPU model, cores, memory, OS and kernel, from /proc and /etc.
fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map(|model| model.trim().to_owned());
    let meminfo = read("/proc/meminfo");
    let memory_kib = meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<u64>().ok());
    let os = read("/etc/os-release")
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim_matches('"').to_owned());
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "memory_gib": memory_kib.map(|kib| (kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        "os": os,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn summary_and_paired_ratios() {
        let summary = Summary::of(&[5.0, 1.0, 9.0]);
        assert_eq!(
            summary,
            Summary {
                median: 5.0,
                min: 1.0,
                max: 9.0
            }
        );
        assert_eq!(paired_ratios(&[2.0, 3.0], &[1.0, 2.0]), vec![2.0, 1.5]);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    fn checkpoint(round_trips: u64, heap: f64, wasm: f64, ports: i64) -> Checkpoint {
        let side = Side {
            heap,
            wasm,
            listeners: 3,
            ports,
        };
        Checkpoint {
            label: String::new(),
            round_trips,
            host: side,
            remote: side,
            raw: Value::Null,
        }
    }

    #[test]
    fn flat_memory_is_judged_between_the_measured_snapshots() {
        let flat = flatness(&[
            checkpoint(0, 1.0e6, 1.0e6, 4),
            checkpoint(100, 2.0e6, 2.0e6, 4),
            checkpoint(200, 2.0e6 + 1000.0, 2.0e6, 4),
        ])
        .unwrap();
        assert!(flat.ok(), "{flat:?}");

        let leaking_ports = flatness(&[checkpoint(100, 2.0e6, 2.0e6, 4), checkpoint(200, 2.0e6, 2.0e6, 6)]).unwrap();
        assert!(!leaking_ports.listeners_and_ports);
        let growing_wasm = flatness(&[checkpoint(100, 2.0e6, 2.0e6, 4), checkpoint(200, 2.0e6, 2.1e6, 4)]).unwrap();
        assert!(!growing_wasm.wasm);
        let growing_heap = flatness(&[checkpoint(100, 2.0e6, 2.0e6, 4), checkpoint(200, 3.0e6, 2.0e6, 4)]).unwrap();
        assert!(!growing_heap.heap);
        assert!(flatness(&[checkpoint(100, 1.0, 1.0, 1)]).is_none());
    }

    /// A page result as bench.js reports it: two rounds, every variant 10 µs per round trip
    /// except as `samples` says, two handshakes of each kind.
    fn page(samples: &[(&str, [f64; 2])]) -> Value {
        let mut by_key = serde_json::Map::new();
        for size in ["small", "1KB", "64KB"] {
            for variant in VARIANTS {
                let key = format!("{variant}/{size}");
                let values = samples
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or([10.0, 10.0], |(_, v)| *v);
                by_key.insert(key, json!(values));
            }
        }
        let quick: serde_json::Map<String, Value> = by_key
            .iter()
            .map(|(key, values)| (key.clone(), json!(median(&floats(values).unwrap()))))
            .collect();
        let side = json!({ "jsHeapBytes": 1.0e6, "wasmMemoryBytes": 1.0e6, "listeners": 3, "openPorts": 10 });
        json!({
            "hostOrigin": "http://127.0.0.1:1",
            "remoteOrigin": "http://localhost:2",
            "config": {
                "rounds": 2,
                "warmupRounds": 0,
                "sizes": [
                    { "name": "small", "bytes": 16, "chunk": 5 },
                    { "name": "1KB", "bytes": 1024, "chunk": 5 },
                    { "name": "64KB", "bytes": 65536, "chunk": 2 },
                ],
            },
            "handshakes": [
                { "ms": 250.0, "loadMs": 50.0, "knocks": 2 },
                { "ms": 270.0, "loadMs": 60.0, "knocks": 2 },
            ],
            "penpalHandshakes": [
                { "ms": 80.0, "connectedMs": 78.0, "loadMs": 55.0 },
                { "ms": 100.0, "connectedMs": 97.0, "loadMs": 65.0 },
            ],
            "samples": by_key,
            "quickMedians": quick,
            "checkpoints": [
                { "label": "after 50 round trips", "roundTrips": 50, "host": side, "remote": side },
                { "label": "after 100 round trips", "roundTrips": 100, "host": side, "remote": side },
            ],
        })
    }

    fn results(page: Value) -> Result<Results, String> {
        let environment = Environment {
            browser_version: Some("1.2.3".to_owned()),
            load_before: None,
            load_after: None,
            iframe_out_of_process: Some(true),
            command: "test".to_owned(),
        };
        let size = WasmSize {
            bytes: 1000,
            gzip_bytes: 500,
        };
        Results::new(page, environment, size, None)
    }

    #[test]
    fn penpal_is_a_variant_with_its_ratios_and_handshake() {
        let results = results(page(&[
            ("raw/small", [100.0, 200.0]),
            ("fresh/small", [150.0, 300.0]),
            ("messenger/small", [300.0, 500.0]),
            ("penpal/small", [200.0, 400.0]),
            ("wasm-fresh/small", [120.0, 240.0]),
            ("wasm-typed/small", [200.0, 250.0]),
        ]))
        .unwrap();
        let json = results.json();

        let medians = &json["medians_us_by_variant"];
        for key in [
            "penpal/small",
            "penpal/1KB",
            "penpal/64KB",
            "messenger/small",
            "raw/64KB",
        ] {
            assert!(medians[key].is_number(), "{key} missing in {medians}");
        }
        assert_eq!(medians["penpal/small"], json!(300.0));

        let small = &json["timings"][0];
        assert_eq!(small["payload"], "small");
        assert_eq!(small["us_per_round_trip"]["penpal"]["median"], json!(300.0));
        assert_eq!(
            small["us_per_round_trip"]["penpal"]["samples_us"],
            json!([200.0, 400.0])
        );
        assert_eq!(small["ratio_penpal_to_raw"], json!(2.0));
        assert_eq!(small["ratio_penpal_to_fresh"], json!(4.0 / 3.0));
        assert_eq!(small["ratio_messenger_to_penpal"], json!(1.375));
        // The existing fields are still there, unchanged.
        assert_eq!(small["ratio_messenger_to_fresh"], json!(1.8333333333333335));
        assert_eq!(small["ratio_messenger_to_raw"], json!(2.75));
        assert_eq!(small["ratio_fresh_to_raw"], json!(1.5));
        assert_eq!(json["timings"][2]["ratio_penpal_to_fresh"], json!(1.0));
        // wasm-fresh: 120 and 240 µs against fresh-port's 150 and 300, the messenger's 300 and 500.
        assert_eq!(small["us_per_round_trip"]["wasm-fresh"]["median"], json!(180.0));
        assert!((small["ratio_wasm_fresh_to_fresh"].as_f64().unwrap() - 0.8).abs() < 1e-12);
        let expected = (300.0 / 120.0 + 500.0 / 240.0) / 2.0;
        assert!((small["ratio_messenger_to_wasm_fresh"].as_f64().unwrap() - expected).abs() < 1e-12);
        assert!(medians["wasm-fresh/64KB"].is_number());
        // wasm-typed: 200 and 250 µs.
        assert_eq!(small["us_per_round_trip"]["wasm-typed"]["median"], json!(225.0));
        let expected = (200.0 / 150.0 + 250.0 / 300.0) / 2.0;
        assert!((small["ratio_wasm_typed_to_fresh"].as_f64().unwrap() - expected).abs() < 1e-12);
        assert_eq!(small["ratio_messenger_to_wasm_typed"], json!(1.75));
        assert!(medians["wasm-typed/1KB"].is_number());

        let handshake = &json["handshake_ms"];
        assert_eq!(
            handshake["inserted_to_first_reply"],
            json!({ "median": 260.0, "min": 250.0, "max": 270.0 })
        );
        assert_eq!(
            handshake["penpal_inserted_to_first_reply"],
            json!({ "median": 90.0, "min": 80.0, "max": 100.0 })
        );
        assert_eq!(handshake["penpal_inserted_to_connected"]["median"], json!(87.5));
        assert_eq!(handshake["penpal_inserted_to_load"]["median"], json!(60.0));
        assert_eq!(handshake["penpal_samples"].as_array().map(Vec::len), Some(2));

        let table = results.table(false);
        assert!(
            table.contains("|  | penpal | 300.0 | 200.0 | 400.0 | 2.00 | 1.33 |"),
            "{table}"
        );
        assert!(
            table.contains("|  | messenger | 400.0 | 300.0 | 500.0 | 2.75 | **1.83** |"),
            "{table}"
        );
        assert!(
            table.contains("messenger ÷ penpal, median of the per-round ratios: small 1.38, 1KB 1.00, 64KB 1.00"),
            "{table}"
        );
        assert!(
            table.contains("iframe inserted → messenger's first reply: median 260.0 ms"),
            "{table}"
        );
        assert!(
            table.contains(
                "iframe inserted → Penpal's first reply:    median 90.0 ms (min 80.0, max 100.0) over 2 iframes"
            ),
            "{table}"
        );
        assert!(results
            .table(true)
            .contains("every variant (raw, fresh-port, wasm-fresh, wasm-typed, messenger, penpal)"));
        assert!(
            table.contains("|  | wasm-typed | 225.0 | 200.0 | 250.0 |  | 1.08 |"),
            "{table}"
        );
        assert!(
            table.contains(
                "messenger ÷ wasm-typed (the same, with typed payloads decoded and encoded, no protocol): small 1.75,"
            ),
            "{table}"
        );
    }

    #[test]
    fn a_missing_penpal_variant_or_handshake_fails_the_run() {
        let mut no_samples = page(&[]);
        no_samples["samples"].as_object_mut().unwrap().remove("penpal/1KB");
        assert_eq!(
            results(no_samples).unwrap_err(),
            "samples penpal/1KB: expected an array of numbers, got null"
        );

        let mut uneven = page(&[]);
        uneven["samples"]["penpal/64KB"] = json!([10.0]);
        assert_eq!(results(uneven).unwrap_err(), "uneven or missing samples for 64KB");

        let mut no_handshakes = page(&[]);
        no_handshakes.as_object_mut().unwrap().remove("penpalHandshakes");
        assert_eq!(results(no_handshakes).unwrap_err(), "result without penpalHandshakes");

        let mut fewer = page(&[]);
        fewer["penpalHandshakes"] = json!([{ "ms": 80.0 }]);
        assert_eq!(
            results(fewer).unwrap_err(),
            "2 messenger handshakes but 1 timed Penpal handshakes"
        );
    }
}
