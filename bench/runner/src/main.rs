//! The messenger benchmark's runner (`scripts/bench.sh` builds the pages and runs this).
//!
//! It builds nothing itself. It serves the built pages (`target/bench/site`) from two in-process
//! static servers that are two different *sites* — the host page on `http://127.0.0.1:P1`, the
//! iframe on `http://localhost:P2`, so Chromium puts the iframe in its own renderer process —
//! opens headless Chromium through chromedriver (both from the e2e harness) with
//! `--js-flags=--expose-gc` and precise memory figures, waits for the host page's result
//! object, and prints the table and writes the JSON (`target/bench/results.json`).
//!
//! ```text
//! bench-runner [--smoke] [--site DIR] [--size-wasm FILE] [--out FILE]
//!              [--rounds N] [--handshakes N] [--memory N,N] [--timeout SECS]
//! ```
//!
//! `--smoke` does a handful of round trips only (for `./test.sh`): it checks that every page,
//! variant and figure works and every reply is right, and asserts no timing.

#[cfg(not(target_arch = "wasm32"))]
mod binary;
#[cfg(not(target_arch = "wasm32"))]
mod browser;
#[cfg(not(target_arch = "wasm32"))]
mod report;
#[cfg(not(target_arch = "wasm32"))]
mod run;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    run::main()
}

// Native only: on wasm32 there is nothing to run.
#[cfg(target_arch = "wasm32")]
fn main() {}
