#!/usr/bin/env bash
# The messenger benchmark, in one command: builds the benchmark pages and the messenger-only
# size module, serves the pages on two sites (host http://127.0.0.1:P1, iframe
# http://localhost:P2), runs them in headless Chromium and prints the table; the JSON goes to
# target/bench/results.json. See BENCHMARKS.md.
#
# Usage: scripts/bench.sh [--smoke] [runner options]
#
#   --smoke   a handful of round trips only (for ./test.sh): checks that every variant and
#             figure works and every reply is right (the binary series' every byte too);
#             asserts no timing; writes target/bench/smoke.json instead
#   runner options: --rounds N, --handshakes N, --memory N,N, --binary-memory N,N,
#             --out FILE, --timeout SECS, --profile FILE, --same-process, --payloads LIST
#             (scripts/bench.sh --help-runner explains them)
#
# Installs what is missing first (scripts/tools.sh): the wasm target, chromium and
# chromedriver, wasm-opt, wasm-bindgen-cli; and Penpal 7.0.6 from npm into .tools/penpal (the
# Penpal variant; never committed). Build output: target/bench/site (the pages),
# target/bench/size (the size module).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/tools.sh
source scripts/tools.sh

case "${1:-}" in
  -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --help-runner) exec cargo run --quiet -p bench-runner -- --help ;;
esac

# The library the messenger is compared with, pinned: Penpal's ES module build (dist/penpal.mjs,
# the package's "exports" import) is copied into the site as penpal.mjs.
PENPAL_VERSION="7.0.6"
PENPAL_DIR="$ROOT/.tools/penpal"
PENPAL_PKG="$PENPAL_DIR/node_modules/penpal"

install_penpal() {
  local found
  found="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$PENPAL_PKG/package.json" 2>/dev/null || true)"
  if [[ $found == "$PENPAL_VERSION" && -f $PENPAL_PKG/dist/penpal.mjs ]]; then
    say "penpal $PENPAL_VERSION: installed ($PENPAL_PKG)"
    return
  fi
  command -v npm >/dev/null || die "npm: not found (scripts/tools.sh's install_wasm_opt installs it)"
  say "penpal $PENPAL_VERSION: ${found:-not found}; installing penpal@$PENPAL_VERSION from npm into .tools/penpal (the benchmark's Penpal variant)"
  npm install --prefix "$PENPAL_DIR" --no-save --no-audit --no-fund "penpal@$PENPAL_VERSION"
  found="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$PENPAL_PKG/package.json" 2>/dev/null || true)"
  [[ $found == "$PENPAL_VERSION" && -f $PENPAL_PKG/dist/penpal.mjs ]] ||
    die "penpal: npm installed '${found:-nothing}', not $PENPAL_VERSION with dist/penpal.mjs"
}

install_wasm_target
install_browser
install_wasm_opt
install_wasm_bindgen_cli
install_penpal

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_DIR="$TARGET_DIR/wasm32-unknown-unknown/release"
SITE="$TARGET_DIR/bench/site"
SIZE="$TARGET_DIR/bench/size"

# bindgen_opt CRATE OUT_DIR [WASM_OPT_FLAGS...]: wasm-bindgen --target web, then wasm-opt -Oz
# as trunk does for the apps' release builds.
bindgen_opt() {
  local crate=$1 out=$2
  shift 2
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$WASM_DIR/$crate.wasm"
  wasm-opt -Oz "$@" --output="$out/${crate}_bg.wasm" "$out/${crate}_bg.wasm"
}

# A CPU profile (--profile) is only readable with function names: keep the name section then.
PAGES_OPT=()
for arg in "$@"; do
  [[ $arg == --profile ]] && PAGES_OPT=(-g)
done

say "bench: building the pages' wasm and the messenger-only size module (release, wasm32)"
cargo build --release --target wasm32-unknown-unknown -p bench-pages -p bench-size
bindgen_opt bench_pages "$SITE/pkg" "${PAGES_OPT[@]}"
cp bench/pages/static/bench.html bench/pages/static/bench.js \
  bench/pages/static/penpal.html bench/pages/static/penpal-bench.js "$SITE/"
cp "$PENPAL_PKG/dist/penpal.mjs" "$PENPAL_PKG/dist/penpal.mjs.map" "$SITE/"
bindgen_opt bench_size "$SIZE"

say "bench: running (bench-runner $*)"
BENCH_COMMAND="scripts/bench.sh${*:+ $*}" \
  cargo run -p bench-runner -- --site "$SITE" --size-wasm "$SIZE/bench_size_bg.wasm" "$@"
