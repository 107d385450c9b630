//! The binary series (`BENCHMARKS.md`, "Binary payloads"): per size, each variant's µs per
//! round trip and its ratio to the transfer floor, how much a round trip grows from the
//! smallest size to the largest, and memory over many 16 MiB round trips; its part of the
//! printed table and of `results.json`.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::report::{kib, median, paired_ratios, signed_kib, verdict, Checkpoint, Summary, HEAP_NOISE_BYTES};

/// The variants, in the table's order; the page's sample keys are `{variant}/binary/{size}`.
pub const VARIANTS: [&str; 4] = ["transfer", "penpal", "messenger", "messenger-copy"];
/// The floor every ratio is taken to.
const FLOOR: &str = "transfer";
/// The target: the messenger (JsBytes) ≤ this × the transfer floor ...
pub const MAX_RATIO_TO_TRANSFER: f64 = 1.2;
/// ... for sizes from this many bytes (1 MiB and 16 MiB).
pub const JUDGED_FROM_BYTES: u64 = 1 << 20;

/// One size's figures.
#[derive(Debug)]
struct Row {
    name: String,
    bytes: u64,
    chunk: u64,
    /// Per variant, in the order of `VARIANTS`: one figure (µs per round trip) per round.
    samples: [Vec<f64>; 4],
    summaries: [Summary; 4],
}

fn index(variant: &str) -> usize {
    VARIANTS
        .iter()
        .position(|v| *v == variant)
        .unwrap_or_else(|| panic!("{variant} is not one of the binary variants"))
}

impl Row {
    /// `over` ÷ `under`, the median over rounds of the per-round ratios.
    fn ratio(&self, over: &str, under: &str) -> f64 {
        median(&paired_ratios(&self.samples[index(over)], &self.samples[index(under)]))
    }

    /// The key in `results.json`: `binary/64KiB`.
    fn key(&self) -> String {
        format!("binary/{}", self.name)
    }
}

/// The memory snapshots around the binary round trips and what they came to.
#[derive(Debug)]
struct Flatness {
    listeners_and_ports: bool,
    wasm: bool,
    /// JS heap growth (`performance.memory`) from the first snapshot to the last, host and iframe.
    heap_growth: [f64; 2],
    /// The host's V8 heap (`Runtime.getHeapUsage.usedSize`) and ArrayBuffer backing stores
    /// (`backingStorageSize`) growth, when the runner could read them.
    host_used_growth: Option<f64>,
    host_backing_growth: Option<f64>,
}

impl Flatness {
    fn heap(&self) -> bool {
        let within = |growth: f64| growth <= HEAP_NOISE_BYTES;
        self.heap_growth.iter().all(|g| within(*g))
            && self.host_used_growth.is_none_or(within)
            && self.host_backing_growth.is_none_or(within)
    }

    fn ok(&self) -> bool {
        self.listeners_and_ports && self.wasm && self.heap()
    }
}

/// A figure of the host's DevTools heap usage in a snapshot.
fn cdp(checkpoint: &Checkpoint, key: &str) -> Option<f64> {
    checkpoint.raw["host"]["cdpHeapUsage"][key].as_f64()
}

fn flatness(checkpoints: &[Checkpoint]) -> Option<Flatness> {
    let (first, last) = (checkpoints.first()?, checkpoints.last()?);
    if checkpoints.len() < 2 {
        return None;
    }
    let counts = |c: &Checkpoint| (c.host.listeners, c.host.ports, c.remote.listeners, c.remote.ports);
    let growth = |key: &str| Some(cdp(last, key)? - cdp(first, key)?);
    Some(Flatness {
        listeners_and_ports: checkpoints.windows(2).all(|w| counts(&w[0]) == counts(&w[1])),
        wasm: first.host.wasm == last.host.wasm && first.remote.wasm == last.remote.wasm,
        heap_growth: [last.host.heap - first.host.heap, last.remote.heap - first.remote.heap],
        host_used_growth: growth("usedSize"),
        host_backing_growth: growth("backingStorageSize"),
    })
}

/// The binary series of one run.
#[derive(Debug)]
pub struct Binary {
    rows: Vec<Row>,
    checkpoints: Vec<Checkpoint>,
    flatness: Option<Flatness>,
    /// The smallest step of the host page's `performance.now()`, in ms.
    clock_step_ms: Option<f64>,
    /// The bytes of each memory round trip.
    memory_bytes: Option<u64>,
    /// Whose round trips those were (the messenger's but in a diagnostic run).
    memory_variant: String,
    /// Where the transfer floor's time went, by size: the page's `transferSplits`.
    splits: Value,
}

impl Binary {
    /// The series from the page's result object (none when the page ran no binary sizes).
    pub fn read(page: &Value) -> Result<Binary, String> {
        let mut rows = Vec::new();
        for size in page["config"]["binarySizes"].as_array().into_iter().flatten() {
            let name = size["name"].as_str().ok_or("a binary size without a name")?.to_owned();
            let samples: Vec<Vec<f64>> = VARIANTS
                .iter()
                .map(|variant| {
                    let key = format!("{variant}/binary/{name}");
                    crate::report::floats(&page["samples"][&key]).map_err(|e| format!("samples {key}: {e}"))
                })
                .collect::<Result<_, _>>()?;
            let samples: [Vec<f64>; 4] = samples
                .try_into()
                .map_err(|_| "one sample list per binary variant".to_owned())?;
            let rounds = samples[0].len();
            if rounds == 0 || samples.iter().any(|variant| variant.len() != rounds) {
                return Err(format!("uneven or missing binary samples for {name}"));
            }
            rows.push(Row {
                bytes: size["bytes"].as_u64().unwrap_or(0),
                chunk: size["chunk"].as_u64().unwrap_or(0),
                summaries: samples.each_ref().map(|variant| Summary::of(variant)),
                samples,
                name,
            });
        }
        let checkpoints = page["binaryCheckpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Checkpoint::read)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Binary {
            flatness: flatness(&checkpoints),
            rows,
            checkpoints,
            clock_step_ms: page["clockStepMs"].as_f64(),
            memory_bytes: page["config"]["binaryMemoryBytes"].as_u64(),
            splits: page["transferSplits"].clone(),
            memory_variant: page["config"]["binaryMemoryVariant"]
                .as_str()
                .unwrap_or("messenger")
                .to_owned(),
        })
    }

    /// Whether live listeners and open ports were the same at every binary memory snapshot (true
    /// when there were none).
    pub fn listeners_and_ports_constant(&self) -> bool {
        self.flatness.as_ref().is_none_or(|flat| flat.listeners_and_ports)
    }

    /// `variant`'s growth from the first size to the last (the median of the per-round ratios).
    fn growth(&self, variant: &str) -> Option<f64> {
        let (first, last) = (self.rows.first()?, self.rows.last()?);
        if self.rows.len() < 2 {
            return None;
        }
        let i = index(variant);
        Some(median(&paired_ratios(&last.samples[i], &first.samples[i])))
    }

    fn growth_label(&self) -> String {
        match (self.rows.first(), self.rows.last()) {
            (Some(first), Some(last)) => format!("{}_to_{}", first.name, last.name),
            _ => String::new(),
        }
    }

    /// The series' part of the printed report.
    pub fn table(&self, out: &mut String) {
        if self.rows.is_empty() && self.checkpoints.is_empty() {
            return;
        }
        let step = self
            .clock_step_ms
            .map_or_else(|| "?".to_owned(), |ms| format!("{:.1}", ms * 1000.0));
        let _ = writeln!(
            out,
            "\nBinary payloads, bytes both ways (EchoBytes → EchoedBytes, the same bytes back), new bytes per round trip; \
             timed per round trip from the request's send to the reply in hand, making and checking the bytes outside it \
             (performance.now() step {step} µs):\n"
        );
        let _ = writeln!(
            out,
            "| size | variant | µs/round trip, median | min | max | × transfer |"
        );
        let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | ---: |");
        for row in &self.rows {
            for (i, variant) in VARIANTS.iter().enumerate() {
                let s = row.summaries[i];
                let ratio = match *variant {
                    FLOOR => String::new(),
                    "messenger" => format!("**{:.2}**", row.ratio(variant, FLOOR)),
                    _ => format!("{:.2}", row.ratio(variant, FLOOR)),
                };
                let size = match i {
                    0 => format!("{} ({} B, {}/chunk)", row.name, row.bytes, row.chunk),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| {size} | {variant} | {:.1} | {:.1} | {:.1} | {ratio} |",
                    s.median, s.min, s.max
                );
            }
        }
        if let (Some(first), Some(last)) = (self.rows.first(), self.rows.last()) {
            let growth: Vec<String> = VARIANTS
                .iter()
                .filter_map(|variant| Some(format!("{variant} {:.2} ×", self.growth(variant)?)))
                .collect();
            if !growth.is_empty() {
                let _ = writeln!(
                    out,
                    "\nµs per round trip, {} ÷ {} (median of the per-round ratios): {}",
                    last.name,
                    first.name,
                    growth.join(", ")
                );
            }
            let copy: Vec<String> = self
                .rows
                .iter()
                .map(|row| format!("{} {:.2}", row.name, row.ratio("messenger-copy", "messenger")))
                .collect();
            let _ = writeln!(
                out,
                "messenger-copy ÷ messenger (the copies into and out of wasm): {}",
                copy.join(", ")
            );
        }
        self.split_table(out);
        if self.checkpoints.is_empty() {
            return;
        }
        let bytes = self.memory_bytes.unwrap_or(0);
        let variant = match self.memory_variant.as_str() {
            "messenger" => "messenger (JsBytes)",
            other => other,
        };
        let _ = writeln!(
            out,
            "\nMemory over {variant} round trips of {bytes} bytes, after a forced GC on both sides \
             (V8 used and ArrayBuffer backing stores: the host's, by Runtime.getHeapUsage):\n"
        );
        let _ = writeln!(
            out,
            "| snapshot | host JS heap | host V8 used | host ArrayBuffer stores | host wasm | host listeners | host ports | iframe JS heap | iframe wasm | iframe listeners | iframe ports |"
        );
        let _ = writeln!(
            out,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        let maybe = |value: Option<f64>| value.map_or_else(|| "?".to_owned(), kib);
        for c in &self.checkpoints {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.label,
                kib(c.host.heap),
                maybe(cdp(c, "usedSize")),
                maybe(cdp(c, "backingStorageSize")),
                kib(c.host.wasm),
                c.host.listeners,
                c.host.ports,
                kib(c.remote.heap),
                kib(c.remote.wasm),
                c.remote.listeners,
                c.remote.ports
            );
        }
    }

    /// Where the transfer floor's round trip goes, per size, in µs per round trip.
    fn split_table(&self, out: &mut String) {
        let rows: Vec<(&Row, [f64; 4])> = self
            .rows
            .iter()
            .filter_map(|row| {
                let split = &self.splits[&row.name];
                let count = split["roundTrips"].as_f64().filter(|n| *n > 0.0)?;
                let per = |key: &str| split[key].as_f64().map(|ms| ms * 1000.0 / count);
                let (total, post, data) = (per("totalMs")?, per("postMs")?, per("dataMs")?);
                Some((row, [total, post, data, total - post - data]))
            })
            .collect();
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nWhere the transfer floor's round trip goes (mean µs per round trip over the timed rounds; the host's \
             postMessage copies the request's bytes into the message, its event.data deserialises the reply):\n"
        );
        let _ = writeln!(out, "| size | round trip | host postMessage | host event.data | the rest: the iframe's part, between the processes, waiting |");
        let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: |");
        for (row, [total, post, data, rest]) in rows {
            let _ = writeln!(out, "| {} | {total:.1} | {post:.1} | {data:.1} | {rest:.1} |", row.name);
        }
    }

    /// The series' lines under "Targets:".
    pub fn targets(&self, out: &mut String) {
        for row in self.rows.iter().filter(|row| row.bytes >= JUDGED_FROM_BYTES) {
            let ratio = row.ratio("messenger", FLOOR);
            let _ = writeln!(
                out,
                "  binary: messenger ≤ {MAX_RATIO_TO_TRANSFER:.2} × transfer, {:<5}  {ratio:.2}  {}",
                row.name,
                verdict(ratio <= MAX_RATIO_TO_TRANSFER)
            );
        }
        if let Some(growth) = self.growth("messenger") {
            let _ = writeln!(
                out,
                "  binary: messenger's round trip, {} ÷ {}: {growth:.2} × (transfer floor {:.2} ×)",
                self.rows.last().map_or("", |r| r.name.as_str()),
                self.rows.first().map_or("", |r| r.name.as_str()),
                self.growth(FLOOR).unwrap_or(f64::NAN)
            );
        }
        if let Some(flat) = &self.flatness {
            let maybe = |value: Option<f64>| value.map_or_else(|| "?".to_owned(), signed_kib);
            let _ = writeln!(
                out,
                "  binary memory flat               listeners and ports {}, wasm memory {}, JS heap host {} / iframe {}, \
                 host V8 used {}, ArrayBuffer stores {} (noise ≤ {})  {}",
                if flat.listeners_and_ports { "constant" } else { "CHANGED" },
                if flat.wasm { "constant" } else { "GREW" },
                signed_kib(flat.heap_growth[0]),
                signed_kib(flat.heap_growth[1]),
                maybe(flat.host_used_growth),
                maybe(flat.host_backing_growth),
                kib(HEAP_NOISE_BYTES),
                verdict(flat.ok())
            );
        }
    }

    /// The series in `results.json`: `timings` keyed `binary/64KiB`, `binary/1MiB`,
    /// `binary/16MiB`, each with every variant's figures and its ratio to the transfer floor.
    pub fn json(&self) -> Value {
        let timings: serde_json::Map<String, Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut variants = serde_json::Map::new();
                let mut ratios = serde_json::Map::new();
                for (i, variant) in VARIANTS.iter().enumerate() {
                    let mut summary = row.summaries[i].json();
                    summary["samples_us"] = json!(row.samples[i]);
                    variants.insert((*variant).to_owned(), summary);
                    if *variant != FLOOR {
                        ratios.insert((*variant).to_owned(), json!(row.ratio(variant, FLOOR)));
                    }
                }
                let timing = json!({
                    "data_bytes": row.bytes,
                    "round_trips_per_chunk": row.chunk,
                    "us_per_round_trip": variants,
                    "ratio_to_transfer": ratios,
                    "ratio_messenger_copy_to_messenger": row.ratio("messenger-copy", "messenger"),
                });
                (row.key(), timing)
            })
            .collect();
        let growth: serde_json::Map<String, Value> = VARIANTS
            .iter()
            .filter_map(|variant| Some(((*variant).to_owned(), json!(self.growth(variant)?))))
            .collect();
        let flat = self.flatness.as_ref();
        json!({
            "what_is_timed": "per round trip, from just before the request is sent (for the messenger: encoded) \
                              until the reply's bytes are in the host's hands (decoded); the request's new bytes are \
                              made before and the reply's checked after, outside the clock; bytes both ways, the \
                              iframe echoing the bytes it received",
            "clock_step_us": self.clock_step_ms.map(|ms| ms * 1000.0),
            "transfer_split_ms": self.splits,
            "timings": timings,
            format!("growth_{}", self.growth_label()): growth,
            "memory": {
                "round_trip_bytes": self.memory_bytes,
                "variant": self.memory_variant,
                "snapshots": self.checkpoints.iter().map(|c| c.raw.clone()).collect::<Vec<_>>(),
                "listeners_and_ports_constant": flat.map(|f| f.listeners_and_ports),
                "wasm_memory_constant": flat.map(|f| f.wasm),
                "js_heap_growth_bytes": flat.map(|f| json!({ "host": f.heap_growth[0], "iframe": f.heap_growth[1] })),
                "host_v8_used_growth_bytes": flat.and_then(|f| f.host_used_growth),
                "host_array_buffer_stores_growth_bytes": flat.and_then(|f| f.host_backing_growth),
                "noise_bytes": HEAP_NOISE_BYTES,
                "flat": flat.map(Flatness::ok),
            },
        })
    }

    /// The series' targets in `results.json`.
    pub fn targets_json(&self) -> Value {
        let met: serde_json::Map<String, Value> = self
            .rows
            .iter()
            .filter(|row| row.bytes >= JUDGED_FROM_BYTES)
            .map(|row| (row.key(), json!(row.ratio("messenger", FLOOR) <= MAX_RATIO_TO_TRANSFER)))
            .collect();
        json!({
            "messenger_to_transfer_max": MAX_RATIO_TO_TRANSFER,
            "judged_from_bytes": JUDGED_FROM_BYTES,
            "ratio_met": met,
            "memory_flat": self.flatness.as_ref().map(Flatness::ok),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page result's binary part: two rounds, every variant 100 µs per round trip except as
    /// `samples` says, and `checkpoints`.
    fn page(samples: &[(&str, [f64; 2])], checkpoints: Value) -> Value {
        let mut by_key = serde_json::Map::new();
        for size in ["64KiB", "1MiB", "16MiB"] {
            for variant in VARIANTS {
                let key = format!("{variant}/binary/{size}");
                let values = samples
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or([100.0, 100.0], |(_, v)| *v);
                by_key.insert(key, json!(values));
            }
        }
        json!({
            "config": {
                "binarySizes": [
                    { "name": "64KiB", "bytes": 65536, "chunk": 2 },
                    { "name": "1MiB", "bytes": 1048576, "chunk": 2 },
                    { "name": "16MiB", "bytes": 16777216, "chunk": 1 },
                ],
                "binaryMemoryBytes": 16777216,
            },
            "samples": by_key,
            "binaryCheckpoints": checkpoints,
            "clockStepMs": 0.1,
            "transferSplits": {
                "16MiB": { "roundTrips": 4, "totalMs": 400.0, "postMs": 100.0, "dataMs": 60.0 },
            },
        })
    }

    fn snapshot(round_trips: u64, heap: f64, wasm: f64, backing: f64, ports: i64) -> Value {
        let side = json!({ "jsHeapBytes": heap, "wasmMemoryBytes": wasm, "listeners": 3, "openPorts": ports });
        let mut host = side.clone();
        host["cdpHeapUsage"] = json!({ "usedSize": heap, "totalSize": 2.0 * heap, "backingStorageSize": backing });
        json!({ "label": format!("after {round_trips}"), "roundTrips": round_trips, "host": host, "remote": side })
    }

    #[test]
    fn ratios_to_the_transfer_floor_and_growth_per_size() {
        let binary = Binary::read(&page(
            &[
                ("transfer/binary/64KiB", [400.0, 500.0]),
                ("messenger/binary/64KiB", [480.0, 550.0]),
                ("transfer/binary/16MiB", [440.0, 600.0]),
                ("messenger/binary/16MiB", [528.0, 660.0]),
                ("messenger-copy/binary/16MiB", [40_000.0, 50_000.0]),
            ],
            json!([]),
        ))
        .unwrap();
        let json = binary.json();
        let timings = &json["timings"];
        for key in ["binary/64KiB", "binary/1MiB", "binary/16MiB"] {
            for variant in VARIANTS {
                assert!(
                    timings[key]["us_per_round_trip"][variant]["median"].is_number(),
                    "{key} {variant}"
                );
            }
        }
        assert_eq!(
            timings["binary/64KiB"]["us_per_round_trip"]["messenger"]["median"],
            json!(515.0)
        );
        let ratio = |key: &str, variant: &str| timings[key]["ratio_to_transfer"][variant].as_f64().unwrap();
        assert!((ratio("binary/64KiB", "messenger") - (1.2 + 1.1) / 2.0).abs() < 1e-12);
        assert!((ratio("binary/16MiB", "messenger") - (1.2 + 1.1) / 2.0).abs() < 1e-12);
        assert!(timings["binary/16MiB"]["ratio_to_transfer"]["transfer"].is_null());
        // 16 MiB ÷ 64 KiB per round: 528/480 and 660/550.
        let growth = json["growth_64KiB_to_16MiB"]["messenger"].as_f64().unwrap();
        assert!((growth - (528.0 / 480.0 + 660.0 / 550.0) / 2.0).abs() < 1e-12);
        let targets = binary.targets_json();
        assert_eq!(targets["ratio_met"]["binary/1MiB"], json!(true));
        assert_eq!(targets["ratio_met"]["binary/16MiB"], json!(true));
        assert!(targets["ratio_met"]["binary/64KiB"].is_null(), "64 KiB is not judged");

        let mut table = String::new();
        binary.table(&mut table);
        assert!(
            table.contains("|  | messenger | 594.0 | 528.0 | 660.0 | **1.15** |"),
            "{table}"
        );
        assert!(
            table.contains("| 16MiB (16777216 B, 1/chunk) | transfer | 520.0 |"),
            "{table}"
        );
        assert!(table.contains("performance.now() step 100.0 µs"), "{table}");
        assert!(
            table.contains("| 16MiB | 100000.0 | 25000.0 | 15000.0 | 60000.0 |"),
            "{table}"
        );
        assert!(!table.contains("| 64KiB | "), "no split without round trips: {table}");
        let mut targets = String::new();
        binary.targets(&mut targets);
        assert!(
            targets.contains("binary: messenger ≤ 1.20 × transfer, 16MiB  1.15  met"),
            "{targets}"
        );
    }

    #[test]
    fn a_messenger_above_the_floor_misses() {
        let binary = Binary::read(&page(&[("messenger/binary/1MiB", [130.0, 125.0])], json!([]))).unwrap();
        assert_eq!(binary.targets_json()["ratio_met"]["binary/1MiB"], json!(false));
        let mut targets = String::new();
        binary.targets(&mut targets);
        assert!(targets.contains("1MiB   1.27  MISSED"), "{targets}");
    }

    #[test]
    fn memory_is_flat_only_without_growth_of_any_kind() {
        let flat = |last: Value| {
            let binary = Binary::read(&page(&[], json!([snapshot(0, 2.0e6, 5.0e7, 1.0e3, 8), last]))).unwrap();
            binary.json()["memory"]["flat"].as_bool().unwrap()
        };
        assert!(flat(snapshot(1000, 2.0e6 + 1000.0, 5.0e7, 1.0e3, 8)));
        assert!(!flat(snapshot(1000, 2.0e6, 5.0e7, 1.0e3, 9)), "a port more");
        assert!(!flat(snapshot(1000, 2.0e6, 5.1e7, 1.0e3, 8)), "wasm memory grew");
        assert!(!flat(snapshot(1000, 3.0e6, 5.0e7, 1.0e3, 8)), "JS heap grew");
        assert!(!flat(snapshot(1000, 2.0e6, 5.0e7, 1.6e7, 8)), "a 16 MiB buffer kept");
        let binary = Binary::read(&page(&[], json!([]))).unwrap();
        assert!(binary.listeners_and_ports_constant());
        assert!(binary.json()["memory"]["flat"].is_null());
    }

    #[test]
    fn uneven_binary_samples_fail_the_run() {
        let mut uneven = page(&[], json!([]));
        uneven["samples"]["penpal/binary/16MiB"] = json!([1.0]);
        assert_eq!(
            Binary::read(&uneven).unwrap_err(),
            "uneven or missing binary samples for 16MiB"
        );
        let mut missing = page(&[], json!([]));
        missing["samples"]
            .as_object_mut()
            .unwrap()
            .remove("messenger-copy/binary/1MiB");
        assert!(Binary::read(&missing)
            .unwrap_err()
            .starts_with("samples messenger-copy/binary/1MiB"));
    }
}
