#!/usr/bin/env bash
# How fast builds of wasm-bindgen and trunk do this project's work, to compare tool profiles:
#
#   scripts/tool-speed.sh BIN_DIR...
#
# Each BIN_DIR holds a wasm-bindgen and maybe a trunk (for example ~/.cargo/bin, and a second
# `cargo install --root DIR` of the same versions with another profile). For each, the median
# of RUNS (default 5) wall-clock runs, in seconds:
#   wasm-bindgen  on the web tests' wasm (messenger/tests/web, the largest input the tests give
#                 it) and on the host app's release wasm, as test.sh and trunk run it;
#   trunk         `trunk build --release` of the host app with cargo's part already done: what
#                 remains is trunk itself, wasm-bindgen and wasm-opt.
# Run ./test.sh first (or its web and e2e builds), so that both wasm files exist.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/tools.sh
source scripts/tools.sh
RUNS="${RUNS:-5}"
[[ $# -gt 0 ]] || { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

web_wasm="$(ls -t target/wasm32-unknown-unknown/debug/deps/web-*.wasm 2>/dev/null | head -n 1)"
app_wasm="target/wasm32-unknown-unknown/release/host-app.wasm"
[[ -f $web_wasm && -f $app_wasm ]] || die "run ./test.sh first: the web tests' wasm or host-app.wasm is missing"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# median_seconds COMMAND...: the median wall-clock time of RUNS runs of COMMAND.
median_seconds() {
  local times=() i start
  for ((i = 0; i < RUNS; i++)); do
    start=${EPOCHREALTIME/./}
    "$@" >/dev/null 2>&1 || die "failed: $*"
    times+=($((${EPOCHREALTIME/./} - start)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "%.2f", t[int((NR + 1) / 2)] / 1e6 }'
}

# The e2e layer's origin and switch, so that this is test.sh's release build, already compiled.
export PHOS_REMOTE_ORIGIN="${PHOS_REMOTE_ORIGIN:-http://localhost:18081}" APP_VERSION_FROM_QUERY=1
cargo build -q --release --target=wasm32-unknown-unknown --manifest-path host-app/Cargo.toml
printf '%-40s %14s %14s %14s\n' "tools" "bindgen web" "bindgen app" "trunk release"
for dir in "$@"; do
  [[ -x $dir/wasm-bindgen ]] || die "$dir has no wasm-bindgen"
  web="$(median_seconds "$dir/wasm-bindgen" --target web --out-dir "$scratch/web" "$web_wasm")s"
  app="$(median_seconds "$dir/wasm-bindgen" --target web --out-dir "$scratch/app" "$app_wasm")s"
  release="-"
  if [[ -x $dir/trunk ]]; then
    # trunk runs the wasm-bindgen it finds on PATH: this folder's.
    release="$(PATH="$dir:$PATH" median_seconds bash -c "cd host-app && trunk build --release --dist '$scratch/dist'")s"
  fi
  printf '%-40s %14s %14s %14s\n' "$dir" "$web" "$app" "$release"
done
