#!/usr/bin/env bash
# Tool installation shared by ./test.sh and ./serve.sh (source it, do not run it).
#
# Every install_* function is idempotent: it checks first, says what it found, and installs
# only what is missing or has the wrong version. Nothing is downloaded from outside the
# package registries (crates.io, npm, Debian) and rustup, because that is all these machines
# reach: trunk's own download of wasm-bindgen / wasm-opt is never used.
#
#   install_wasm_target        rustup target wasm32-unknown-unknown
#   install_trunk              trunk 0.21.14 into ~/.cargo/bin (cargo install)
#   install_wasm_bindgen_cli   wasm-bindgen + wasm-bindgen-test-runner, the Cargo.lock version
#   install_wasm_opt           wasm-opt (binaryen 132 from npm) into .tools/binaryen
#   install_browser            chromium + chromedriver (Debian packages)
#   install_engines ENGINE...  the browsers and drivers of the named engines (chromium,
#                              firefox, webkit): Debian packages in one apt call, geckodriver
#                              0.37.1 with cargo install
#   install_tools [--trunk] [ENGINE...]
#                              wasm-bindgen-cli, trunk when asked, and the named engines: apt
#                              fetches and installs the browsers while cargo compiles the tools
#   install_all                all of the above, for every engine
#   tools_env                  PATH and the variables the tools need (run by sourcing)
#
# The Rust tools (trunk, wasm-bindgen-cli, geckodriver) can only be compiled here: the machines
# reach no prebuilt binaries. Three choices make that fast (scripts/fresh-timing.sh measures
# it; the README has the figures):
#   - one target folder for all of them (target/tools/), so what they have in common, and a
#     reinstall, is compiled once;
#   - a build profile of their own (TOOL_PROFILE below): without the link-time optimisation
#     and the single codegen unit their own release profiles ask for, and optimised as much as
#     each tool's work here needs (tool_opt_level);
#   - only the features the project uses: no TLS (trunk serves and wasm-bindgen's runner
#     drives its browser over plain http on localhost; neither downloads anything here) and no
#     update check.
#
#   engines_from_env           the engines in $BROWSERS (comma-separated; default all three)
#   with_engine ENGINE CMD...  runs CMD with that engine's WebDriver variable set (and only
#                              that one) and, for webkit, a virtual display (xvfb-run)
set -euo pipefail

TOOLS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
GECKODRIVER_VERSION="0.37.1"
EMOJI_FONT=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
# Every engine the tests run in, in the order they run.
ALL_ENGINES=(chromium firefox webkit)
BINARYEN_VERSION="132.0.0"
BINARYEN_DIR="$TOOLS_ROOT/.tools/binaryen"
# Where cargo install builds the Rust tools: one folder for all of them.
TOOLS_TARGET_DIR="$TOOLS_ROOT/target/tools"
# The tools' build profile, as cargo's environment overrides of [profile.release]: no LTO, 256
# codegen units and no debug info, where their own release profiles ask for fat LTO and one
# codegen unit. The optimisation level is each tool's own (tool_opt_level).
TOOL_PROFILE=(CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
  CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_INCREMENTAL=false)

# tool_opt_level CRATE: its opt-level, chosen by what it does here (scripts/tool-speed.sh
# measures it; docs/TESTING.md, "Installing the tools", has the figures). wasm-bindgen
# transforms every wasm the builds and the browser tests make: at opt-level 1 it took 27 %
# longer on the web tests' wasm, so it keeps 3. trunk mostly waits for the programs it runs
# (cargo, wasm-bindgen, wasm-opt) and compiles alone in 149 s at opt-level 0, against 290 s at 1
# and 307 s at 3: it gets 0. geckodriver relays every e2e command to Firefox: 1.
tool_opt_level() {
  case $1 in
    wasm-bindgen-cli) echo 3 ;;
    trunk) echo 0 ;;
    *) echo 1 ;;
  esac
}

# Where cargo install puts binaries.
CARGO_BIN_DIR="${CARGO_HOME:-$HOME/.cargo}/bin"

# Bold and red only on a terminal, so CI logs stay plain text.
if [[ -t 2 ]]; then
  BOLD=$'\033[1m' RED=$'\033[1;31m' PLAIN=$'\033[0m'
else
  BOLD="" RED="" PLAIN=""
fi

# say MESSAGE...: one announced step, on stderr so it never mixes into captured output.
say() {
  printf '%s==> %s%s\n' "$BOLD" "$*" "$PLAIN" >&2
}

die() {
  printf '%serror: %s%s\n' "$RED" "$*" "$PLAIN" >&2
  exit 1
}

# Runs a command as root: directly when we are root (CI is), else through sudo.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "'$*' needs root and sudo is not available"
  fi
}

# kill_tree PID: PID and every process under it (a background install's cargo and rustc).
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    kill_tree "$child"
  done
  kill "$1" 2>/dev/null || true
}

prepend_path() {
  case ":$PATH:" in
    *":$1:"*) ;;
    *) PATH="$1:$PATH" ;;
  esac
}

# PATH and environment for every tool below. Safe to call more than once.
tools_env() {
  # cargo install puts trunk and wasm-bindgen here; .tools/ holds wasm-opt and comes first,
  # so an older wasm-opt elsewhere on PATH (Debian's binaryen 108 cannot read what rustc
  # 1.95 emits) is never picked.
  prepend_path "$CARGO_BIN_DIR"
  prepend_path "$BINARYEN_DIR/node_modules/.bin"
  export PATH
  # Stops trunk asking crates.io whether a newer trunk exists on every run.
  export TRUNK_SKIP_VERSION_CHECK=true
  command -v cargo >/dev/null || die "cargo is not on PATH: install Rust with rustup first"
}

install_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "wasm32-unknown-unknown target: installed"
    return
  fi
  say "wasm32-unknown-unknown target: adding it with rustup (the apps and the browser tests compile to it)"
  rustup target add wasm32-unknown-unknown
}

install_trunk() {
  local found
  found="$(trunk --version 2>/dev/null || true)"
  if [[ $found == "trunk $TRUNK_VERSION" ]]; then
    say "trunk $TRUNK_VERSION: installed ($(command -v trunk))"
    return
  fi
  say "trunk $TRUNK_VERSION: ${found:-not found}; compiling it with cargo install (builds and serves the apps; about $(tool_minutes trunk) on 2 cores)"
  # 0.22.x needs a newer rustc than these machines have. No default features: they are TLS
  # (serving https, downloading tools) and the update check.
  cargo_install_tool trunk "$TRUNK_VERSION" --locked --no-default-features
}

# Rough compile times on a 2-core machine with the tools' profile when nothing else compiles, for
# the progress lines (scripts/fresh-timing.sh measures them; alongside the project's builds they
# take up to twice as long).
tool_minutes() {
  case $1 in
    trunk) echo "2.5 minutes" ;;
    wasm-bindgen-cli) echo "2 minutes" ;;
    geckodriver) echo "1.5 minutes" ;;
  esac
}

# cargo_install_tool CRATE VERSION ARGS...: cargo install of CRATE at exactly VERSION, into
# CARGO_BIN_DIR, built in TOOLS_TARGET_DIR with TOOL_PROFILE. With TOOLS_QUIET set, cargo's
# output goes to that file instead of the terminal (test.sh compiles the tools while its native
# layer prints).
cargo_install_tool() {
  local crate=$1 version=$2 started=$SECONDS status=0
  shift 2
  local command=(env "CARGO_TARGET_DIR=$TOOLS_TARGET_DIR" "${TOOL_PROFILE[@]}"
    "CARGO_PROFILE_RELEASE_OPT_LEVEL=$(tool_opt_level "$crate")"
    cargo install "$crate" --version "=$version" "$@")
  if [[ -n ${TOOLS_QUIET:-} ]]; then
    "${command[@]}" >>"$TOOLS_QUIET" 2>&1 || status=$?
  else
    "${command[@]}" || status=$?
  fi
  if [[ $status -ne 0 ]]; then
    [[ -z ${TOOLS_QUIET:-} ]] || tail -n 40 "$TOOLS_QUIET" >&2
    die "cargo install $crate $version failed (status $status)"
  fi
  say "$crate $version: compiled and installed in $((SECONDS - started)) s ($CARGO_BIN_DIR)"
}

# The wasm-bindgen version the workspace is locked to; the CLI must match it exactly.
wasm_bindgen_lock_version() {
  local lock="$TOOLS_ROOT/Cargo.lock"
  if [[ ! -f $lock ]]; then
    say "Cargo.lock: missing; resolving the workspace to create it"
    (cd "$TOOLS_ROOT" && cargo metadata --format-version 1 >/dev/null)
  fi
  awk '
    $0 == "[[package]]" { name = "" }
    $1 == "name" && $3 == "\"wasm-bindgen\"" { name = "wasm-bindgen" }
    name == "wasm-bindgen" && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
  ' "$lock"
}

install_wasm_bindgen_cli() {
  local version found runner
  version="$(wasm_bindgen_lock_version)"
  [[ -n $version ]] || die "no wasm-bindgen package in Cargo.lock"
  found="$(wasm-bindgen --version 2>/dev/null || true)"
  runner="$(wasm-bindgen-test-runner --version 2>/dev/null || true)"
  if [[ $found == "wasm-bindgen $version" && $runner == *"$version"* ]]; then
    say "wasm-bindgen-cli $version: installed, matches Cargo.lock ($(command -v wasm-bindgen))"
    return
  fi
  say "wasm-bindgen-cli $version: ${found:-not found}; compiling it with cargo install (must equal Cargo.lock's wasm-bindgen; about $(tool_minutes wasm-bindgen-cli) on 2 cores)"
  # No --locked: the CLI's own lockfile pins a webpki-roots release the registry no longer
  # serves. No default features: they are TLS, which the test runner's plain http to its
  # local WebDriver never uses.
  cargo_install_tool wasm-bindgen-cli "$version" --no-default-features
}

install_wasm_opt() {
  local wasm_opt="$BINARYEN_DIR/node_modules/.bin/wasm-opt" found
  found="$("$wasm_opt" --version 2>/dev/null || true)"
  if [[ $found == *"version ${BINARYEN_VERSION%%.*}"* ]]; then
    say "wasm-opt ${BINARYEN_VERSION%%.*}: installed ($wasm_opt)"
    return
  fi
  if ! command -v npm >/dev/null; then
    say "npm: not found; installing Debian's npm to fetch binaryen"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y npm
  fi
  say "wasm-opt: ${found:-not found}; installing binaryen@$BINARYEN_VERSION from npm into .tools/binaryen (trunk runs it on release builds; Debian's binaryen is too old)"
  npm install --prefix "$BINARYEN_DIR" --no-save --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
  "$wasm_opt" --version >/dev/null || die "wasm-opt from binaryen@$BINARYEN_VERSION does not run"
}

# The Debian packages an engine needs, and the file that shows they are installed.
engine_packages() {
  case $1 in
    chromium) echo "chromium chromium-driver" ;;
    firefox) echo "firefox-esr" ;;
    # WebKitGTK has no headless mode: it draws into a virtual X display (xvfb-run needs xauth).
    webkit) echo "webkit2gtk-driver xvfb xauth" ;;
  esac
}

engine_ready() {
  case $1 in
    chromium) [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] ;;
    firefox) [[ -x /usr/bin/firefox-esr ]] ;;
    webkit) [[ -x /usr/bin/WebKitWebDriver ]] && command -v xvfb-run >/dev/null && command -v xauth >/dev/null ;;
  esac
}

install_geckodriver() {
  local found
  found="$(geckodriver --version 2>/dev/null | head -n 1 || true)"
  if [[ $found == "geckodriver $GECKODRIVER_VERSION"* ]]; then
    say "geckodriver $GECKODRIVER_VERSION: installed ($(command -v geckodriver))"
    return
  fi
  say "geckodriver $GECKODRIVER_VERSION: ${found:-not found}; compiling it with cargo install (Firefox's WebDriver; about $(tool_minutes geckodriver) on 2 cores)"
  cargo_install_tool geckodriver "$GECKODRIVER_VERSION" --locked
}

# install_engines ENGINE...: what the named engines need, one apt call for all of them, then
# geckodriver for firefox.
install_engines() {
  install_engine_packages "$@"
  check_engines "$@"
}

# check_engines ENGINE...: every named engine is ready; geckodriver is installed for firefox.
check_engines() {
  local engine
  for engine in "$@"; do
    engine_ready "$engine" || die "$engine: still missing after installing $(engine_packages "$engine")"
    [[ $engine != firefox ]] || install_geckodriver
  done
}

# install_tools [--trunk] [ENGINE...]: wasm-bindgen-cli, what the named engines need, then trunk
# with --trunk. The Debian packages are fetched and installed in the background while cargo
# compiles the Rust tools one after the other (in one target folder, so they cannot build at
# once); apt's output goes to target/test-logs/apt.log. With BROWSER_TOOLS_READY set, that file
# is created once everything but trunk is in place (the browser tests need no trunk).
install_tools() {
  local with_trunk=false
  if [[ ${1:-} == --trunk ]]; then
    with_trunk=true
    shift
  fi
  local apt_pid="" apt_log="$TOOLS_ROOT/target/test-logs/apt.log" status=0
  if [[ -n $(missing_engine_packages "$@") ]]; then
    mkdir -p "$(dirname "$apt_log")"
    say "browsers: fetching and installing their Debian packages in the background (${apt_log#"$TOOLS_ROOT"/}; about 1 minute)"
    install_engine_packages "$@" >"$apt_log" 2>&1 &
    apt_pid=$!
  fi
  install_wasm_bindgen_cli
  if [[ -n $apt_pid ]]; then
    wait "$apt_pid" || status=$?
    if [[ $status -ne 0 ]]; then
      tail -n 20 "$apt_log" >&2
      die "installing the browsers' Debian packages failed (status $status; ${apt_log#"$TOOLS_ROOT"/})"
    fi
    say "browsers: Debian packages installed"
  fi
  [[ $# -eq 0 ]] || check_engines "$@"
  [[ -z ${BROWSER_TOOLS_READY:-} ]] || : >"$BROWSER_TOOLS_READY"
  ! $with_trunk || install_trunk
}

# missing_engine_packages ENGINE...: the Debian packages the named engines still need, one per
# line, and the emoji font every engine draws the wire's 👋 🤝 👂 with (demo and screenshots).
missing_engine_packages() {
  local engine
  for engine in "$@"; do
    engine_ready "$engine" || engine_packages "$engine" | tr ' ' '\n'
  done
  [[ -f $EMOJI_FONT ]] || echo fonts-noto-color-emoji
}

# app_answers PORT: the app served on localhost:PORT serves its page (trunk serves it only once
# its first build is done, and the page names its wasm).
app_answers() {
  [[ $(curl -sf --max-time 2 "http://localhost:$1/" 2>/dev/null) == *_bg.wasm* ]]
}

# install_engine_packages ENGINE...: the Debian packages of the named engines that are missing,
# in one apt call.
install_engine_packages() {
  local engine missing=() names=()
  for engine in "$@"; do
    if engine_ready "$engine"; then
      names+=("$engine: installed")
    else
      names+=("$engine: missing")
    fi
  done
  [[ -f $EMOJI_FONT ]] || names+=("emoji font: missing")
  mapfile -t missing < <(missing_engine_packages "$@")
  say "browsers: ${names[*]}"
  if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
}

install_browser() {
  install_engines chromium
}

# The engines named in $BROWSERS (comma-separated), or all of them; unknown names are an error.
engines_from_env() {
  local list="${BROWSERS:-}" engine known
  if [[ -z ${list// /} ]]; then
    echo "${ALL_ENGINES[*]}"
    return
  fi
  local chosen=()
  IFS=',' read -r -a requested <<<"$list"
  for engine in "${requested[@]}"; do
    engine="${engine// /}"
    [[ -n $engine ]] || continue
    known=""
    for candidate in "${ALL_ENGINES[@]}"; do
      [[ $candidate == "$engine" ]] && known=1
    done
    [[ -n $known ]] || die "BROWSERS: unknown engine '$engine' (known: ${ALL_ENGINES[*]})"
    chosen+=("$engine")
  done
  [[ ${#chosen[@]} -gt 0 ]] || die "BROWSERS='$list' names no engine"
  echo "${chosen[*]}"
}

# with_engine ENGINE CMD...: CMD with exactly one WebDriver variable, the one wasm-bindgen-test-
# runner and the e2e harness read for that engine (the runner picks whichever is set), and
# E2E_BROWSER for the e2e harness.
with_engine() {
  local engine=$1
  shift
  local vars=(-u CHROMEDRIVER -u GECKODRIVER -u SAFARIDRIVER "E2E_BROWSER=$engine")
  case $engine in
    chromium) env "${vars[@]}" CHROMEDRIVER=/usr/bin/chromedriver "$@" ;;
    firefox) env "${vars[@]}" GECKODRIVER="$(command -v geckodriver)" "$@" ;;
    # -a: a free display number, so parallel runs do not collide. The server is stopped with
    # the command.
    webkit) env "${vars[@]}" SAFARIDRIVER=/usr/bin/WebKitWebDriver xvfb-run -a -s "-screen 0 1280x1024x24" "$@" ;;
    *) die "unknown engine '$engine'" ;;
  esac
}

# own_network_prefix: prints the command that runs a program in a network namespace of its own
# (`unshare --net`, or with a user namespace where this user may not make one directly), or
# nothing when neither works here (no unshare, no `ip`, or namespaces refused).
own_network_prefix() {
  command -v unshare >/dev/null && command -v ip >/dev/null || return 0
  local prefix
  for prefix in "unshare --net" "unshare --map-root-user --net"; do
    # shellcheck disable=SC2086 # the prefix is words
    if $prefix ip link set lo up 2>/dev/null; then
      echo "$prefix"
      return
    fi
  done
}

# in_own_network CMD...: CMD (a program or a function of this file) in a network namespace of
# its own, with only the loopback interface, up. Each engine's browser tests run in one, so that
# the engines run at once while each serves the apps on the same ports (the ports are compiled
# into the apps' e2e builds). Cargo is told it is offline there: everything was fetched before.
# OWN_NETWORK is own_network_prefix's answer (test.sh asks once).
in_own_network() {
  [[ -n ${OWN_NETWORK:-} ]] || die "in_own_network: no network namespaces here"
  # shellcheck disable=SC2086 # the prefix is words
  $OWN_NETWORK env CARGO_NET_OFFLINE=true bash -c \
    'ip link set lo up && source "$1" && shift && "$@"' bash "$TOOLS_ROOT/scripts/tools.sh" "$@"
}

install_all() {
  install_wasm_target
  install_engines "${ALL_ENGINES[@]}"
  install_wasm_opt
  install_wasm_bindgen_cli
  install_trunk
}

tools_env
