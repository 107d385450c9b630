#!/usr/bin/env bash
# Runs every test layer, stopping at the first failure:
#
#   native  cargo test of messenger, shared-proto, host-app and remote-app on the host
#           (the protocol core, the reducers, doc tests)
#   web     messenger's wasm-bindgen tests in headless Chromium
#   e2e     release builds of both apps served on three origins, driven through chromedriver
#
# Usage: ./test.sh [native|web|e2e]   (no argument: all three, in that order)
#
# Installs the tools a layer needs first (scripts/tools.sh). Logs go to target/test-logs/,
# e2e screenshots to target/e2e-screenshots/. Each layer ends with a line
# "<layer>: N passed, N failed, N skipped" and the run with "total: ...".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
# shellcheck source=scripts/tools.sh
source scripts/tools.sh

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

LAYERS=(native web e2e)
case "${1:-all}" in
  all) ;;
  native | web | e2e) LAYERS=("$1") ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }

# The e2e origins. They differ from serve.sh's 8080/8081 so both can run at once.
export E2E_HOST_PORT="${E2E_HOST_PORT:-18080}"
export E2E_REMOTE_PORT="${E2E_REMOTE_PORT:-18081}"
export E2E_ATTACKER_PORT="${E2E_ATTACKER_PORT:-18082}"
E2E_DIST="$ROOT/target/e2e-dist"
export E2E_HOST_DIST="$E2E_DIST/host"
export E2E_REMOTE_DIST="$E2E_DIST/remote"
LOG_DIR="$ROOT/target/test-logs"
mkdir -p "$LOG_DIR"

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0

# ---------------------------------------------------------------------------------------
# Counting: every libtest-style runner (cargo test, wasm-bindgen-test-runner) ends each
# test binary with "test result: ok. 3 passed; 0 failed; 1 ignored; ...". A layer's count
# is the sum of those lines in its log.

count_results() {
  local log=$1
  sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
    /^test result: / {
      for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed;?$/) passed += $i
        if ($(i + 1) ~ /^failed;?$/) failed += $i
        if ($(i + 1) ~ /^ignored;?$/) ignored += $i
      }
    }
    END { printf "%d %d %d\n", passed, failed, ignored }'
}

# run_layer_step LAYER LOG COMMAND...: runs the command with its output on the terminal
# and appended to LOG, adds its test counts to the layer's, and fails the run if the
# command failed.
run_layer_step() {
  local layer=$1 log=$2
  shift 2
  [[ $1 == build_app ]] || say "$layer: $*"
  local status=0
  "$@" 2>&1 | tee -a "$log" || status=$?
  if [[ $status -ne 0 ]]; then
    finish_layer "$layer" "$log" "failed: '$*' exited with status $status"
  fi
}

# finish_layer LAYER LOG [FAILURE]: prints the layer's summary line and adds it to the
# totals; exits the run on failure, or when the layer ran no test at all.
finish_layer() {
  local layer=$1 log=$2 failure=${3:-} passed failed skipped
  read -r passed failed skipped < <(count_results "$log")
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
  printf '\n%s: %d passed, %d failed, %d skipped\n' "$layer" "$passed" "$failed" "$skipped"
  if [[ -z $failure && $failed -eq 0 && $passed -eq 0 ]]; then
    failure="ran no test"
  fi
  if [[ -n $failure ]]; then
    printf '%s%s layer %s (log: %s)%s\n' "$RED" "$layer" "$failure" "${log#"$ROOT"/}" "$PLAIN" >&2
    print_total
    exit 1
  fi
  printf '%s layer passed in %ds (log: %s)\n' "$layer" "$((SECONDS - LAYER_STARTED))" "${log#"$ROOT"/}"
}

print_total() {
  printf '\ntotal: %d passed, %d failed, %d skipped\n' "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
}

start_layer() {
  LAYER_STARTED=$SECONDS
  : >"$LOG_DIR/$1.log"
  printf '\n%s=== %s ===%s\n' "$BOLD" "$2" "$PLAIN" >&2
}

# ---------------------------------------------------------------------------------------
# The layers.

layer_native() {
  start_layer native "native: the crates' own tests on the host"
  local log="$LOG_DIR/native.log"
  # --exclude e2e here and -p e2e in the e2e layer. Feature unification differs between any
  # two cargo selections, so some dependencies get built twice from an empty target/; this
  # pair builds 255 units (measured: 38 s + 43 s on 2 cores), `--workspace` here with
  # `--workspace --test browser` there 294 units (125 s + 46 s). Warm, neither rebuilds.
  # bench-runner depends on e2e, so it goes with the e2e layer's selection as well.
  run_layer_step native "$log" cargo test --workspace --exclude e2e --exclude bench-runner
  finish_layer native "$log"
}

layer_web() {
  start_layer web "web: messenger's wasm-bindgen tests in headless Chromium"
  local log="$LOG_DIR/web.log"
  # The runner (.cargo/config.toml) uses $CHROMEDRIVER and messenger/webdriver.json.
  run_layer_step web "$log" cargo test -p messenger --target wasm32-unknown-unknown
  finish_layer web "$log"
}

# build_app APP DIST: the release build trunk serves, as the e2e tests see it.
build_app() {
  local app=$1 dist=$2
  say "e2e: trunk build --release $app -> ${dist#"$ROOT"/} (PHOS_REMOTE_ORIGIN=$PHOS_REMOTE_ORIGIN EOS_HOST_ORIGIN=$EOS_HOST_ORIGIN)"
  rm -rf "$dist"
  (cd "$ROOT/$app" && trunk build --release --dist "$dist")
}

E2E_PROFILE_ROOT=""
# Every process the e2e tests start inherits E2E_RUN_ID=<this id> (and nothing else has it).
E2E_RUN_ID="test.sh-$$-$(date +%s)"

# Ends anything the e2e tests started that outlived them (possible only when the test binary
# itself was killed, since its own teardown stops chromedriver and Chromium): such processes
# are found by this run's E2E_RUN_ID in their environment and killed by PID.
cleanup_e2e() {
  local environ pid pids=()
  for environ in /proc/[0-9]*/environ; do
    pid="${environ//[^0-9]/}"
    if tr '\0' '\n' 2>/dev/null <"$environ" | grep -qxF "E2E_RUN_ID=$E2E_RUN_ID"; then
      pids+=("$pid")
    fi
  done
  if [[ ${#pids[@]} -gt 0 ]]; then
    say "e2e: stopping processes left over from this run: ${pids[*]}"
    kill "${pids[@]}" 2>/dev/null || true
    # Give them a moment to exit (and stop writing into the profile), then insist.
    local tries=0
    while kill -0 "${pids[@]}" 2>/dev/null && [[ $tries -lt 50 ]]; do
      sleep 0.1
      tries=$((tries + 1))
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  [[ -z $E2E_PROFILE_ROOT ]] || rm -rf "$E2E_PROFILE_ROOT" 2>/dev/null || true
}

layer_e2e() {
  start_layer e2e "e2e: both apps' release builds on three origins in headless Chromium"
  local log="$LOG_DIR/e2e.log"
  # Compile-time origins of the apps (read with option_env!): the e2e ports, not serve.sh's.
  export PHOS_REMOTE_ORIGIN="http://localhost:$E2E_REMOTE_PORT"
  export EOS_HOST_ORIGIN="http://localhost:$E2E_HOST_PORT"
  run_layer_step e2e "$log" build_app host-app "$E2E_HOST_DIST"
  run_layer_step e2e "$log" build_app remote-app "$E2E_REMOTE_DIST"

  rm -rf "$ROOT/target/e2e-screenshots" "$ROOT/target/e2e-logs"
  E2E_PROFILE_ROOT="$ROOT/target/e2e-profiles/run-$$"
  mkdir -p "$E2E_PROFILE_ROOT"
  export E2E_PROFILE_ROOT
  trap cleanup_e2e EXIT
  # --lib: the harness's own unit tests; --test browser and --test demo: the browser tests
  # (the messenger's handshake and origins; the demo's flows), which are `test = false` so
  # that a plain `cargo test` without the builds does not run them.
  # bench-runner's own unit tests ride along (same selection, no second build of e2e's deps).
  run_layer_step e2e "$log" env E2E_RUN_ID="$E2E_RUN_ID" \
    cargo test -p e2e -p bench-runner --lib --bins --test browser --test demo
  # The benchmark in miniature, so it cannot rot: every variant and figure runs and every
  # reply is checked; no timing is asserted (BENCHMARKS.md has the real run).
  run_layer_step e2e "$log" scripts/bench.sh --smoke
  finish_layer e2e "$log"
  say "e2e screenshots: target/e2e-screenshots/"
}

# ---------------------------------------------------------------------------------------

say "installing what is missing (scripts/tools.sh)"
declare -A NEEDED=()
for layer in "${LAYERS[@]}"; do
  case $layer in
    web) NEEDED[target]=1 NEEDED[browser]=1 NEEDED[bindgen]=1 ;;
    e2e) NEEDED[target]=1 NEEDED[browser]=1 NEEDED[bindgen]=1 NEEDED[wasm_opt]=1 NEEDED[trunk]=1 ;;
  esac
done
[[ -z ${NEEDED[target]:-} ]] || install_wasm_target
[[ -z ${NEEDED[browser]:-} ]] || install_browser
[[ -z ${NEEDED[wasm_opt]:-} ]] || install_wasm_opt
[[ -z ${NEEDED[bindgen]:-} ]] || install_wasm_bindgen_cli
[[ -z ${NEEDED[trunk]:-} ]] || install_trunk
[[ ${#NEEDED[@]} -gt 0 ]] || say "native layer only: no extra tools needed"

for layer in "${LAYERS[@]}"; do
  "layer_$layer"
done
print_total
