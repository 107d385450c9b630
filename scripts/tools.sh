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
#   install_all                all of the above, for every engine
#   tools_env                  PATH and the variables the tools need (run by sourcing)
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
  prepend_path "$HOME/.cargo/bin"
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
  say "trunk $TRUNK_VERSION: ${found:-not found}; installing with cargo install into ~/.cargo/bin (builds and serves the apps; takes ~7 minutes)"
  # 0.22.x needs a newer rustc than these machines have. No LTO and 16 codegen units make
  # the install ~30% faster; trunk's speed does not matter here.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install trunk --version "=$TRUNK_VERSION" --locked
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
  say "wasm-bindgen-cli $version: ${found:-not found}; installing with cargo install into ~/.cargo/bin (must equal Cargo.lock's wasm-bindgen; takes ~4 minutes)"
  # No --locked: the CLI's own lockfile pins a webpki-roots release the registry no longer
  # serves.
  cargo install wasm-bindgen-cli --version "=$version"
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
  say "geckodriver $GECKODRIVER_VERSION: ${found:-not found}; installing with cargo install into ~/.cargo/bin (Firefox's WebDriver; takes ~4 minutes)"
  cargo install geckodriver --version "=$GECKODRIVER_VERSION" --locked
}

# install_engines ENGINE...: what the named engines need, one apt call for all of them.
install_engines() {
  local engine missing=() names=()
  for engine in "$@"; do
    if engine_ready "$engine"; then
      names+=("$engine: installed")
    else
      # shellcheck disable=SC2207 # the package lists are single words
      missing+=($(engine_packages "$engine"))
      names+=("$engine: missing")
    fi
  done
  # Every engine draws the wire's 👋 🤝 👂 with it, in the demo and its screenshots.
  if [[ ! -f $EMOJI_FONT ]]; then
    missing+=(fonts-noto-color-emoji)
    names+=("emoji font: missing")
  fi
  say "browsers: ${names[*]}"
  if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
  for engine in "$@"; do
    engine_ready "$engine" || die "$engine: still missing after installing $(engine_packages "$engine")"
    [[ $engine != firefox ]] || install_geckodriver
  done
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

install_all() {
  install_wasm_target
  install_engines "${ALL_ENGINES[@]}"
  install_wasm_opt
  install_wasm_bindgen_cli
  install_trunk
}

tools_env
