#!/usr/bin/env bash
# Times the README's two commands as a newcomer meets them:
#
#   scripts/fresh-timing.sh serve   ./serve.sh from a fresh state, until all three apps answer
#   scripts/fresh-timing.sh test    ./test.sh from a fresh state, until its last line
#   scripts/fresh-timing.sh warm    ./test.sh in this checkout as it is (warm target/, tools
#                                   installed), until its last line
#
# Options (before the mode):
#   --purge-browsers   also purge the browsers, their drivers' packages and everything apt
#                      installed with them, apt's package lists and its cache, so that the run
#                      fetches them all again (needs root; the run then reinstalls them).
#                      Without it the Debian browsers are taken as installed.
#   --keep             keep the fresh state's folder (FRESH_DIR) afterwards
#
# The fresh state, in FRESH_DIR (default /tmp/fresh-timing), is what a machine with nothing
# but Rust and Node has:
#   - a clone of this repository's HEAD (commit first: the working tree's changes are not in it),
#     so an empty target/ and no .tools/ (wasm-opt);
#   - an empty HOME, so an empty CARGO_HOME (no crates downloaded, no cargo-installed trunk,
#     wasm-bindgen or geckodriver) and an empty npm cache; its ~/.cargo/bin holds only rustup's
#     cargo, rustc, rustdoc and rustup;
#   - a RUSTUP_HOME with this machine's default toolchain (hard links, so it costs no copy and
#     the original is never written) without the wasm32-unknown-unknown target, which the run
#     adds with rustup as a newcomer would.
#
# Every line of the command's output is printed with the time since the start, [mm:ss], and
# saved in FRESH_DIR/<mode>.log; the run ends with the steps' lines (tools.sh's "==>", the
# layers' starts and ends, the counts) with their times, and the total.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRESH_DIR="${FRESH_DIR:-/tmp/fresh-timing}"
PURGE_BROWSERS=false
KEEP=false

usage() {
  sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --purge-browsers) PURGE_BROWSERS=true ;;
    --keep) KEEP=true ;;
    -h | --help) usage; exit 0 ;;
    serve | test | warm) break ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ $# -eq 1 ]] || { usage >&2; exit 2; }
MODE=$1

# shellcheck source=scripts/tools.sh
source "$ROOT/scripts/tools.sh"  # app_answers; its say and die are replaced below
say() { printf '==> fresh-timing: %s\n' "$*" >&2; }
die() { printf 'error: fresh-timing: %s\n' "$*" >&2; exit 1; }

START=${EPOCHREALTIME/./}
# cpu_ticks: the machine's busy and total CPU ticks so far (/proc/stat), as "busy total".
cpu_ticks() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  local busy=$((user + nice + system + irq + softirq))
  echo "$busy $((busy + idle + iowait + steal))"
}

# elapsed: the time since START as mm:ss.
elapsed() {
  local now=${EPOCHREALTIME/./} seconds
  seconds=$(((now - START) / 1000000))
  printf '%02d:%02d' $((seconds / 60)) $((seconds % 60))
}

# stamp LOG: copies its input to the terminal and to LOG, each line behind its [mm:ss].
stamp() {
  local line
  while IFS= read -r line; do
    printf '[%s] %s\n' "$(elapsed)" "$line"
  done | tee -a "$1"
}

# purge_browsers: the browsers' Debian packages and what apt installed with them, gone.
purge_browsers() {
  [[ $(id -u) -eq 0 ]] || die "--purge-browsers needs root"
  say "purging the browsers' packages, what came with them, apt's lists and cache"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -q --autoremove \
    chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth fonts-noto-color-emoji \
    >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/*
}

# fresh_rustup DIR: a RUSTUP_HOME at DIR with the default toolchain of this machine's rustup,
# hard-linked, without the wasm32 target. Every file rustup rewrites when it adds a target is
# a copy of its own, so the real toolchain is never written.
fresh_rustup() {
  local dir=$1 real toolchain source
  real="${RUSTUP_HOME:-$HOME/.rustup}"
  toolchain="$(rustup show active-toolchain | awk '{print $1}')"
  source="$(cd "$real/toolchains/$toolchain" && pwd -P)"
  mkdir -p "$dir/toolchains" "$dir/downloads" "$dir/tmp" "$dir/update-hashes"
  cp -al "$source" "$dir/toolchains/$toolchain"
  printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\nauto_self_update = "disable"\n\n[overrides]\n' \
    "$toolchain" >"$dir/settings.toml"
  local rustlib="$dir/toolchains/$toolchain/lib/rustlib"
  rm -rf "$rustlib/wasm32-unknown-unknown" "$rustlib/manifest-rust-std-wasm32-unknown-unknown"
  # New files in place of the hard links, so a rewrite never reaches the original: the list of
  # installed components, and the config's [[components]] entry of the target.
  grep -vx 'rust-std-wasm32-unknown-unknown' "$rustlib/components" >"$rustlib/components.new" || true
  awk -v RS= -v ORS='\n\n' '!/target = "wasm32-unknown-unknown"/' "$rustlib/multirust-config.toml" \
    >"$rustlib/multirust-config.toml.new"
  local file
  for file in components multirust-config.toml; do
    mv -f "$rustlib/$file.new" "$rustlib/$file"
  done
  for file in multirust-channel-manifest.toml rust-installer-version; do
    cp --remove-destination "$source/lib/rustlib/$file" "$rustlib/$file"
  done
}

# fresh_state: FRESH_DIR with a clone, an empty HOME and a RUSTUP_HOME without the wasm target;
# sets RUN_ENV, the environment the command runs in.
fresh_state() {
  say "building a fresh state in $FRESH_DIR"
  rm -rf "$FRESH_DIR"
  mkdir -p "$FRESH_DIR/home/.cargo/bin"
  git clone -q "$ROOT" "$FRESH_DIR/repo"
  say "clone of $(git -C "$FRESH_DIR/repo" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo ' (uncommitted changes of the working tree are not in it)')"
  local rustup_bin tool
  rustup_bin="$(command -v rustup)" || die "rustup is not on PATH"
  rustup_bin="$(readlink -f "$rustup_bin")"
  for tool in rustup cargo rustc rustdoc; do
    ln -s "$rustup_bin" "$FRESH_DIR/home/.cargo/bin/$tool"
  done
  fresh_rustup "$FRESH_DIR/rustup"
  # This environment (its certificate settings are how this machine reaches the registries)
  # with a fresh HOME, PATH without any cargo bin folder, and nothing pointing at cargo's or
  # rustup's state elsewhere.
  local path="$FRESH_DIR/home/.cargo/bin" entry
  local -a entries
  IFS=':' read -r -a entries <<<"$PATH"
  for entry in "${entries[@]}"; do
    [[ $entry == */.cargo/bin || $entry == */.tools/* || -z $entry ]] || path+=":$entry"
  done
  RUN_ENV=(env -u CARGO_HOME -u CARGO_TARGET_DIR -u RUSTUP_TOOLCHAIN -u RUSTFLAGS
    -u CARGO_BUILD_TARGET_DIR -u npm_config_cache
    "HOME=$FRESH_DIR/home" "PATH=$path" "RUSTUP_HOME=$FRESH_DIR/rustup")
  # Nothing of the project's tools may be found in the fresh state.
  for tool in trunk wasm-bindgen wasm-bindgen-test-runner geckodriver wasm-opt; do
    if "${RUN_ENV[@]}" bash -c "command -v $tool" >/dev/null; then
      die "$tool is on the fresh state's PATH ($("${RUN_ENV[@]}" bash -c "command -v $tool"))"
    fi
  done
  if "${RUN_ENV[@]}" rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    die "the fresh RUSTUP_HOME still has the wasm32 target"
  fi
}

# summary LOG: the steps' lines of LOG, with their times, cut at 100 characters.
summary() {
  printf '\n==== steps (time since the start) ====\n'
  grep -E '^\[[0-9:]+\] (\[tools\] )?(==> \[[0-9]/4|.*compiled and installed in|.*Debian packages installed|==> tools: ready|[a-z0-9]+ layer (passed in|failed)|total: |fresh-timing: |==> ready after)' "$1" |
    cut -c 1-100 || true
}

LOG="$FRESH_DIR/$MODE.log"
case $MODE in
  serve | test)
    if $PURGE_BROWSERS; then purge_browsers; fi
    fresh_state
    START=${EPOCHREALTIME/./}
    read -r BUSY0 TOTAL0 < <(cpu_ticks)
    DIR="$FRESH_DIR/repo"
    ;;
  warm)
    mkdir -p "$FRESH_DIR"
    $PURGE_BROWSERS && die "--purge-browsers is for a fresh state (serve, test)"
    DIR="$ROOT"
    RUN_ENV=(env)
    read -r BUSY0 TOTAL0 < <(cpu_ticks)
    ;;
esac
: >"$LOG"

status=0
case $MODE in
  serve)
    for port in 8080 8081 8082; do
      ! app_answers "$port" || die "something already answers on port $port (another ./serve.sh?)"
    done
    printf '[%s] fresh-timing: ./serve.sh started\n' "$(elapsed)" | tee -a "$LOG"
    # Its own session, so that stopping it stops trunk and the cargo it runs.
    (cd "$DIR" && exec setsid "${RUN_ENV[@]}" ./serve.sh) > >(stamp "$LOG") 2>&1 &
    SERVE_PID=$!
    declare -A ANSWERED=()
    while [[ ${#ANSWERED[@]} -lt 3 ]]; do
      kill -0 "$SERVE_PID" 2>/dev/null || { status=1; break; }
      for port in 8080 8081 8082; do
        if [[ -z ${ANSWERED[$port]:-} ]] && app_answers "$port"; then
          ANSWERED[$port]=1
          printf '[%s] fresh-timing: http://localhost:%s/ answers\n' "$(elapsed)" "$port" | tee -a "$LOG"
        fi
      done
      sleep 1
    done
    if [[ $status -eq 0 ]]; then
      printf '[%s] fresh-timing: all three apps answer\n' "$(elapsed)" | tee -a "$LOG"
    else
      printf '[%s] fresh-timing: ./serve.sh exited before the apps answered\n' "$(elapsed)" | tee -a "$LOG"
    fi
    # TERM: an asynchronous command of a script ignores INT, so serve.sh could not trap it.
    kill -TERM "$SERVE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
    ;;
  test | warm)
    printf '[%s] fresh-timing: ./test.sh started\n' "$(elapsed)" | tee -a "$LOG"
    (cd "$DIR" && "${RUN_ENV[@]}" ./test.sh) > >(stamp "$LOG") 2>&1 || status=$?
    # Let the stamping of the last lines finish.
    sleep 1
    printf '[%s] fresh-timing: ./test.sh exited with status %d\n' "$(elapsed)" "$status" | tee -a "$LOG"
    ;;
esac

summary "$LOG"
read -r BUSY1 TOTAL1 < <(cpu_ticks)
# How busy the cores were: near 100 % means the run was bound by the CPU, not by waiting.
printf '\n%s: %s in all, the CPU busy %d %% of it (%s)\n' "$MODE" "$(elapsed)" \
  $((100 * (BUSY1 - BUSY0) / (TOTAL1 - TOTAL0))) "$LOG"
if ! $KEEP && [[ $MODE != warm ]]; then
  cp "$LOG" "${TMPDIR:-/tmp}/fresh-timing-$MODE.log"
  rm -rf "$FRESH_DIR"
  printf '(the fresh state is removed; its log is kept as %s)\n' "${TMPDIR:-/tmp}/fresh-timing-$MODE.log"
fi
exit "$status"
