#!/usr/bin/env bash
# Runs every test layer:
#
#   native  cargo test of messenger, shared-proto, the apps and the examples on the host
#           (the protocol core, the reducers, doc tests); the library's docs (warnings denied)
#           and its package (`cargo package`, built from its own tarball)
#   web     the wasm-bindgen tests of messenger and of messenger-yew's hooks, in each browser
#           engine
#   e2e     release builds of the three apps and of the two examples served on their origins, every
#           test driven through WebDriver in each browser engine; then the benchmark in
#           miniature (Chromium)
#
# Usage: ./test.sh [native|web|e2e]   (no argument: all three, in that order)
#
# Engines: Chromium, Firefox ESR and WebKitGTK (under a virtual display). BROWSERS=chromium
# (or any comma-separated subset of chromium,firefox,webkit) runs fewer, for quick local loops;
# the default, and CI, run all three.
#
# Engines run at once, each in a network namespace of its own (scripts/tools.sh,
# in_own_network), where the machine allows one (root, or user namespaces); else one after the
# other. PARALLEL_ENGINES=0 asks for one after the other.
#
# Installs the tools a layer needs (scripts/tools.sh) while the work that needs none of them
# goes on: the native layer, and the wasm and native builds of the other two, run while
# wasm-bindgen-cli, trunk and geckodriver compile and apt fetches the browsers (their output:
# target/test-logs/tools.log and apt.log); a layer waits for the tools only where it first
# runs one. Logs go to target/test-logs/,
# e2e screenshots to target/e2e-screenshots/<engine>/. A layer prints one count line per engine
# and test binary, "web[firefox]: N passed, N failed, N skipped" and "hooks[firefox]: ..." (the
# native layer: "native: ..."), every engine runs even when an earlier one failed, and the run
# ends with "total: ...". The run stops after the first layer that failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
# shellcheck source=scripts/tools.sh
source scripts/tools.sh

usage() {
  sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

LAYERS=(native web e2e)
case "${1:-all}" in
  all) ;;
  native | web | e2e) LAYERS=("$1") ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }
read -r -a ENGINES <<<"$(engines_from_env)"
# The network namespace prefix the engines run in at once, or empty: one after the other.
OWN_NETWORK=""
if [[ ${PARALLEL_ENGINES:-1} != 0 && ${#ENGINES[@]} -gt 1 ]]; then
  OWN_NETWORK="$(own_network_prefix)"
fi
export OWN_NETWORK

# The e2e origins. They differ from serve.sh's 8080/8081 so both can run at once.
export E2E_HOST_PORT="${E2E_HOST_PORT:-18080}"
export E2E_REMOTE_PORT="${E2E_REMOTE_PORT:-18081}"
export E2E_ATTACKER_PORT="${E2E_ATTACKER_PORT:-18082}"
export E2E_INTRUDER_PORT="${E2E_INTRUDER_PORT:-18083}"
export E2E_EXAMPLE_HOST_PORT="${E2E_EXAMPLE_HOST_PORT:-18090}"
export E2E_EXAMPLE_REMOTE_PORT="${E2E_EXAMPLE_REMOTE_PORT:-18091}"
E2E_DIST="$ROOT/target/e2e-dist"
export E2E_HOST_DIST="$E2E_DIST/host"
export E2E_REMOTE_DIST="$E2E_DIST/remote"
export E2E_INTRUDER_DIST="$E2E_DIST/intruder"
export E2E_EXAMPLE_HOST_DIST="$E2E_DIST/example-host"
export E2E_EXAMPLE_REMOTE_DIST="$E2E_DIST/example-remote"
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

# run_step NAME LOG COMMAND...: runs the command with its output on the terminal and appended
# to LOG; on failure, records it in FAILURES (the part's summary then fails).
run_step() {
  local name=$1 log=$2
  shift 2
  [[ $1 == build_app ]] || say "$name: $*"
  local status=0
  "$@" 2>&1 | tee -a "$log" || status=$?
  if [[ $status -ne 0 ]]; then
    FAILURES+=("$name: '$*' exited with status $status (log: ${log#"$ROOT"/})")
  fi
  return $status
}

# summarise NAME LOG: prints "NAME: N passed, N failed, N skipped" for LOG, adds it to the
# totals, and records a failure when the part failed or ran no test at all.
summarise() {
  local name=$1 log=$2 passed failed skipped
  read -r passed failed skipped < <(count_results "$log")
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
  SUMMARY+=("$(printf '%s: %d passed, %d failed, %d skipped' "$name" "$passed" "$failed" "$skipped")")
  printf '\n%s\n' "${SUMMARY[-1]}"
  if [[ $failed -eq 0 && $passed -eq 0 ]]; then
    FAILURES+=("$name: ran no test (log: ${log#"$ROOT"/})")
  elif [[ $failed -gt 0 ]]; then
    FAILURES+=("$name: $failed failed (log: ${log#"$ROOT"/})")
  fi
}

# finish_layer LAYER: ends the layer; exits the run when any part of it failed.
finish_layer() {
  local layer=$1
  if [[ ${#FAILURES[@]} -gt 0 ]]; then
    printf '%s%s layer failed:%s\n' "$RED" "$layer" "$PLAIN" >&2
    printf '  %s\n' "${FAILURES[@]}" >&2
    print_total
    exit 1
  fi
  printf '%s layer passed in %ds\n' "$layer" "$((SECONDS - LAYER_STARTED))"
}

print_total() {
  printf '\n'
  [[ ${#SUMMARY[@]} -eq 0 ]] || printf '%s\n' "${SUMMARY[@]}"
  printf 'total: %d passed, %d failed, %d skipped\n' "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
}

SUMMARY=()
start_layer() {
  LAYER_STARTED=$SECONDS
  FAILURES=()
  printf '\n%s=== %s ===%s\n' "$BOLD" "$2" "$PLAIN" >&2
}

# new_log NAME: an empty log file target/test-logs/NAME.log, printed.
new_log() {
  local log="$LOG_DIR/$1.log"
  : >"$log"
  printf '%s' "$log"
}

# ---------------------------------------------------------------------------------------
# The layers.

layer_native() {
  start_layer native "native: the crates' own tests on the host"
  local log
  log="$(new_log native)"
  # --exclude e2e here and -p e2e in the e2e layer. Feature unification differs between any
  # two cargo selections, so some dependencies get built twice from an empty target/; this
  # pair builds 255 units (measured: 38 s + 43 s on 2 cores), `--workspace` here with
  # `--workspace --test browser` there 294 units (125 s + 46 s). Warm, neither rebuilds.
  # bench-runner depends on e2e, so it goes with the e2e layer's selection as well.
  run_step native "$log" cargo test --workspace --exclude e2e --exclude bench-runner || true
  summarise native "$log"
  # The library's docs with warnings denied (a broken intra-doc link fails the run), and the
  # package as crates.io would take it: `cargo package` builds the library from its own tarball.
  log="$(new_log docs)"
  run_step docs "$log" env RUSTDOCFLAGS="-D warnings" cargo doc -p secure-messenger --no-deps || true
  log="$(new_log package)"
  run_step package "$log" cargo package -p secure-messenger --allow-dirty || true
  finish_layer native
}

# How long a browser test binary's page may take to start its first test before the attempt is
# ended as a page that never started, and how many attempts an engine gets when no test ran at
# all. A page normally starts within 1-3 s in every engine. The runner's server can leave one of
# several connections opened at once unanswered (docs/TESTING.md, "Where the engines differ"); the tests'
# JavaScript is one module so that a page opens no such burst, and Firefox's page loads, which
# were seen to stall for about 2 min and then go on, are waited out by the deadline.
WEB_START_DEADLINE=150
WEB_ATTEMPTS=3

layer_web() {
  start_layer web "web: the wasm-bindgen tests (messenger, messenger-yew's hooks) in ${ENGINES[*]}"
  local engine log
  # Compiled once each, before waiting for the tools (compiling needs none); each engine then
  # runs the same test binaries: messenger/tests/web/ and messenger-yew/tests/hooks/.
  log="$(new_log web-build)"
  # Line tables only: full DWARF made the one browser binary's wasm 38 MB (32 MB of it debug
  # sections), and headless Chromium then sometimes never finished loading the page's scripts.
  WEB_TESTS=(env CARGO_PROFILE_DEV_DEBUG=line-tables-only
    cargo test -p secure-messenger --target wasm32-unknown-unknown --test web)
  WEB_HOOKS=(env CARGO_PROFILE_DEV_DEBUG=line-tables-only
    cargo test -p messenger-yew --target wasm32-unknown-unknown --test hooks)
  run_step web "$log" "${WEB_TESTS[@]}" --no-run || finish_layer web
  run_step web "$log" "${WEB_HOOKS[@]}" --no-run || finish_layer web
  await_tools browsers
  for_each_engine web_engine
  for engine in "${ENGINES[@]}"; do
    record_result web "$engine"
    record_result hooks "$engine"
  done
  finish_layer web
}

# web_engine ENGINE: both browser test binaries in ENGINE.
web_engine() {
  run_web_binary web "$1" "${WEB_TESTS[@]}"
  run_web_binary hooks "$1" "${WEB_HOOKS[@]}"
}

# ---------------------------------------------------------------------------------------
# Engines at once. Each engine's part of a layer runs as a job that keeps its result in a file
# (LABEL-ENGINE.result: the status and the log), which the layer then counts in engine order.

# for_each_engine FUNCTION: FUNCTION ENGINE for every engine: all at once, each line of their
# output behind "[ENGINE] ", when OWN_NETWORK is set (the function runs its browsers in a network
# namespace of its own); else one after the other.
for_each_engine() {
  local function=$1 engine pids=() pid
  rm -f "$LOG_DIR"/*.result
  if [[ -z $OWN_NETWORK ]]; then
    for engine in "${ENGINES[@]}"; do
      "$function" "$engine"
    done
    return
  fi
  say "${ENGINES[*]}: at once, each in a network namespace of its own"
  for engine in "${ENGINES[@]}"; do
    "$function" "$engine" > >(sed -u "s/^/[$engine] /") 2>&1 &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || true
  done
}

# write_result LABEL ENGINE STATUS LOG: the result of LABEL in ENGINE, for record_result.
write_result() {
  printf '%s %s\n' "$3" "$4" >"$LOG_DIR/$1-$2.result"
}

# record_result LABEL ENGINE: counts LABEL's run in ENGINE as "LABEL[ENGINE]" and records a
# failure when it exited with an error or left no result.
record_result() {
  local label=$1 engine=$2 status log file="$LOG_DIR/$1-$2.result"
  if [[ ! -f $file ]]; then
    FAILURES+=("$label[$engine]: left no result")
    return
  fi
  read -r status log <"$file"
  if [[ $status -ne 0 ]]; then
    FAILURES+=("$label[$engine]: exited with status $status (log: ${log#"$ROOT"/})")
  fi
  summarise "$label[$engine]" "$log"
}

# run_web_binary LABEL ENGINE COMMAND...: runs one browser test binary in ENGINE, for
# record_result LABEL ENGINE.
run_web_binary() {
  local label=$1 engine=$2 log attempt status name
  shift 2
  # The page of the test binary sometimes never starts its scripts: Chromium's page load then
  # hangs (WebDriver waits 300 s for the renderer), Firefox's stalls for about 2 min (cause not
  # found; see docs/TESTING.md, "Where the engines differ"). Such an attempt is ended after
  # WEB_START_DEADLINE and repeated, each in a log of its own; an attempt in which a test ran
  # is never repeated, whatever its result.
  for ((attempt = 1; attempt <= WEB_ATTEMPTS; attempt++)); do
    name="$label-$engine"
    [[ $attempt -eq 1 ]] || name="$label-$engine-attempt-$attempt"
    log="$(new_log "$name")"
    status=0
    run_web_attempt "$engine" "$log" "$LOG_DIR/$name-driver.log" "$@" || status=$?
    if [[ $status -eq 0 ]] || page_started "$log"; then
      break
    fi
    say "$label[$engine]: the page never started a test (${log#"$ROOT"/}, status $status)"
  done
  write_result "$label" "$engine" "$status" "$log"
}

# run_web_attempt ENGINE LOG DRIVER_LOG COMMAND...: runs the browser test binary once in ENGINE,
# its output on the terminal and in LOG. When no test has started within WEB_START_DEADLINE
# seconds, the whole attempt (cargo, the runner, the driver, the browser: one process group) is
# killed and the status is 124. For Chromium, chromedriver's verbose log with the browser's own
# output goes to DRIVER_LOG, so that a hang leaves a trace.
run_web_attempt() {
  local engine=$1 log=$2 driver_log=$3
  shift 3
  say "web[$engine]: $*"
  local args=()
  if [[ $engine == chromium ]]; then
    args=(env "CHROMEDRIVER_ARGS=--log-path=$driver_log --log-level=ALL --enable-chrome-logs")
    : >"$driver_log"
  fi
  # The runner (.cargo/config.toml) drives the engine whose driver variable is set, with the
  # capabilities in the crate's webdriver.json (messenger/, messenger-yew/); in a network
  # namespace of its own when the engines run at once. setsid: the attempt is a process group
  # of its own, which is what a hang's kill ends.
  local within=with_engine
  [[ -z $OWN_NETWORK ]] || within="in_own_network with_engine"
  setsid bash -c 'source "$1"; shift; $1 "${@:2}"' bash "$ROOT/scripts/tools.sh" \
    "$within" "$engine" "${args[@]}" "$@" > >(tee -a "$log") 2>&1 &
  local pid=$! waited=0 status=0 hung=false
  while kill -0 "$pid" 2>/dev/null; do
    if [[ $waited -ge $WEB_START_DEADLINE ]] && ! page_started "$log"; then
      hung=true
      kill -KILL -- "-$pid" 2>/dev/null || true
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  # (stderr: bash reports a killed job there; the line below says it plainly.)
  wait "$pid" 2>/dev/null || status=$?
  if $hung; then
    printf 'test.sh: no test started within %d s; the attempt was ended\n' "$WEB_START_DEADLINE" | tee -a "$log"
    return 124
  fi
  return "$status"
}

# page_started LOG: the browser test runner's page ran its tests ("running N tests").
page_started() {
  grep -qE '^running [0-9]+ tests?' "$1"
}

# build_app APP DIST ORIGIN_VAR: the release build trunk serves, as the e2e tests see it; the
# app reads its peer's origin from ORIGIN_VAR when it is compiled.
build_app() {
  local app=$1 dist=$2 origin_var=$3
  say "e2e: trunk build --release $app -> ${dist#"$ROOT"/} ($origin_var=${!origin_var})"
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
  start_layer e2e "e2e: the apps' and the examples' release builds on their origins, in ${ENGINES[*]}"
  local engine log app
  log="$(new_log e2e-build)"
  # Compile-time origins of the apps and the examples (read with option_env!): the e2e ports,
  # not serve.sh's (nor the examples' own defaults, 8090 and 8091).
  export PHOS_REMOTE_ORIGIN="http://localhost:$E2E_REMOTE_PORT"
  export EOS_HOST_ORIGIN="http://localhost:$E2E_HOST_PORT"
  export EXAMPLE_REMOTE_ORIGIN="http://localhost:$E2E_EXAMPLE_REMOTE_PORT"
  export EXAMPLE_HOST_ORIGIN="http://localhost:$E2E_EXAMPLE_HOST_PORT"
  # The apps' e2e builds take their application protocol version from the page's URL
  # (`?app-protocol-version=N`), for the tests of version skew; no other build does.
  export APP_VERSION_FROM_QUERY=1
  # First what needs no tool, while the tools may still be installing: the apps' wasm, compiled
  # as `trunk build --release` asks cargo for it (so trunk's own cargo call finds it done), and
  # the test harness.
  for app in "${E2E_APPS[@]}"; do
    run_step e2e "$log" cargo build --target=wasm32-unknown-unknown --manifest-path "$ROOT/$app/Cargo.toml" --release ||
      finish_layer e2e
  done
  # The harness's and bench-runner's own unit tests (--lib --bins) need no browser: they run
  # once, as "e2e[harness]". The browser tests (--test browser: the messenger's handshake and
  # origins; --test demo: the demo's flows; --test hostile: a misbehaving peer at the right
  # origin; --test examples: the plain wasm-bindgen examples; --test lifecycle: frozen, cached,
  # cut off and removed pages; --test lifecycle_apps: the apps' version skew, reply kinds and the
  # chosen Eos; --test lifecycle_start: start orders and slow starts; --test binary: files from
  # Eos to the host; --test headers: the apps' security headers; --test intruder: the intruder
  # app's attacks on a third origin) are `test = false`, so that a
  # plain `cargo test` without the builds does not run them, and run once per engine. One
  # package selection for both, so e2e's dependencies are built once.
  local selection=(-p e2e -p bench-runner)
  log="$(new_log e2e-harness)"
  run_step "e2e[harness]" "$log" cargo test "${selection[@]}" --lib --bins || true
  summarise "e2e[harness]" "$log"
  [[ ${#FAILURES[@]} -eq 0 ]] || finish_layer e2e
  E2E_TESTS=(cargo test "${selection[@]}" --test browser --test demo --test hostile --test examples
    --test lifecycle --test lifecycle_apps --test lifecycle_start --test binary --test headers --test intruder)
  log="$LOG_DIR/e2e-build.log"
  run_step e2e "$log" "${E2E_TESTS[@]}" --no-run || finish_layer e2e

  await_tools
  run_step e2e "$log" build_app host-app "$E2E_HOST_DIST" PHOS_REMOTE_ORIGIN || finish_layer e2e
  run_step e2e "$log" build_app remote-app "$E2E_REMOTE_DIST" EOS_HOST_ORIGIN || finish_layer e2e
  # The intruder attacks both apps: it reads both variables.
  run_step e2e "$log" build_app intruder-app "$E2E_INTRUDER_DIST" PHOS_REMOTE_ORIGIN || finish_layer e2e
  run_step e2e "$log" build_app examples/iframe-host "$E2E_EXAMPLE_HOST_DIST" EXAMPLE_REMOTE_ORIGIN || finish_layer e2e
  run_step e2e "$log" build_app examples/iframe-remote "$E2E_EXAMPLE_REMOTE_DIST" EXAMPLE_HOST_ORIGIN || finish_layer e2e

  rm -rf "$ROOT/target/e2e-screenshots" "$ROOT/target/e2e-logs"
  E2E_PROFILE_ROOT="$ROOT/target/e2e-profiles/run-$$"
  mkdir -p "$E2E_PROFILE_ROOT"
  export E2E_PROFILE_ROOT
  # From here on, every process the layer starts carries this run's id (see cleanup_e2e).
  export E2E_RUN_ID
  for_each_engine e2e_engine
  for engine in "${ENGINES[@]}"; do
    record_result e2e "$engine"
  done
  # The benchmark in miniature, so it cannot rot: every variant and figure runs and every
  # reply is checked; no timing is asserted (BENCHMARKS.md has the real run). It measures
  # Chromium's renderers, so it runs when Chromium is among the engines, after the others.
  if [[ " ${ENGINES[*]} " == *" chromium "* ]]; then
    log="$(new_log bench-smoke)"
    run_step "bench smoke" "$log" scripts/bench.sh --smoke || true
  fi
  finish_layer e2e
  say "e2e screenshots: target/e2e-screenshots/<engine>/"
}

# The apps and examples the e2e tests serve, built by build_app.
E2E_APPS=(host-app remote-app intruder-app examples/iframe-host examples/iframe-remote)

# e2e_engine ENGINE: every browser test binary in ENGINE, for record_result e2e ENGINE.
e2e_engine() {
  local engine=$1 log status=0
  log="$(new_log "e2e-$engine")"
  local command=(with_engine "$engine" "${E2E_TESTS[@]}" --no-fail-fast)
  [[ -z $OWN_NETWORK ]] || command=(in_own_network "${command[@]}")
  say "e2e[$engine]: ${command[*]}"
  "${command[@]}" 2>&1 | tee -a "$log" || status=$?
  write_result e2e "$engine" "$status" "$log"
}

# ---------------------------------------------------------------------------------------
# The tools, installed in the background while the work that needs none of them goes on.

TOOLS_PID=""
TOOLS_LOG="$LOG_DIR/tools.log"
# Created by the tools' job once the browser tests have what they need (all but trunk).
BROWSER_TOOLS_READY="$LOG_DIR/browser-tools.ready"

# start_tools: install_tools for the chosen layers and engines, as a background job whose
# announcements ("==>" lines) show behind "[tools] " and whose cargo output goes to TOOLS_LOG.
start_tools() {
  local args=()
  [[ -z ${NEEDED[trunk]:-} ]] || args+=(--trunk)
  args+=("${ENGINES[@]}")
  : >"$TOOLS_LOG"
  rm -f "$BROWSER_TOOLS_READY"
  (TOOLS_QUIET="$TOOLS_LOG" BROWSER_TOOLS_READY="$BROWSER_TOOLS_READY" install_tools "${args[@]}") \
    2> >(sed -u 's/^/[tools] /' >&2) &
  TOOLS_PID=$!
}

# await_tools [browsers]: waits for start_tools' job to end, or with `browsers` only until the
# browser tests have their tools (it may then go on compiling trunk); the run ends when the job
# failed.
await_tools() {
  [[ -n $TOOLS_PID ]] || return 0
  local started=$SECONDS status=0 what="the tools"
  [[ ${1:-} != browsers ]] || what="the browsers and wasm-bindgen-cli"
  if kill -0 "$TOOLS_PID" 2>/dev/null; then
    say "waiting for $what (target/test-logs/tools.log, apt.log)"
  fi
  if [[ ${1:-} == browsers ]]; then
    while [[ ! -e $BROWSER_TOOLS_READY ]] && kill -0 "$TOOLS_PID" 2>/dev/null; do
      sleep 1
    done
    if [[ -e $BROWSER_TOOLS_READY ]]; then
      say "tools: ready for the browser tests (waited $((SECONDS - started)) s)"
      return
    fi
  fi
  wait "$TOOLS_PID" || status=$?
  TOOLS_PID=""
  [[ $status -eq 0 ]] || die "installing the tools failed (status $status; target/test-logs/tools.log, apt.log)"
  say "tools: ready (waited $((SECONDS - started)) s)"
}

# On any exit: the tools' job when it is still running, and what the e2e tests left.
on_exit() {
  [[ -z $TOOLS_PID ]] || kill_tree "$TOOLS_PID"
  cleanup_e2e
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------

say "installing what is missing (scripts/tools.sh)"
declare -A NEEDED=()
for layer in "${LAYERS[@]}"; do
  case $layer in
    web) NEEDED[target]=1 NEEDED[browsers]=1 NEEDED[bindgen]=1 ;;
    e2e) NEEDED[target]=1 NEEDED[browsers]=1 NEEDED[bindgen]=1 NEEDED[wasm_opt]=1 NEEDED[trunk]=1 ;;
  esac
done
# Seconds each, and the builds that go on while the rest installs need the wasm target.
[[ -z ${NEEDED[target]:-} ]] || install_wasm_target
[[ -z ${NEEDED[wasm_opt]:-} ]] || install_wasm_opt
if [[ -n ${NEEDED[browsers]:-} ]]; then
  start_tools
else
  say "native layer only: no extra tools needed"
fi

for layer in "${LAYERS[@]}"; do
  "layer_$layer"
done
print_total
