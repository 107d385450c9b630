#!/usr/bin/env bash
# Builds and serves the demo's three apps with `trunk serve`, rebuilding on change:
#
#   host-app     (Phosphorescence)  http://localhost:8080/   embeds the remote in an iframe
#   remote-app   (Eos)              http://localhost:8081/
#   intruder-app (Intruder)         http://localhost:8082/   a third origin that attacks both
#
# Environment (all optional):
#   HOST_PORT, REMOTE_PORT, INTRUDER_PORT        ports to serve on (default 8080, 8081, 8082)
#   HOST_ORIGIN, REMOTE_ORIGIN, INTRUDER_ORIGIN  the apps' origins (default
#                               http://localhost:<port>); given alone, an origin also sets
#                               the port. Example, to put the iframe on another *site*:
#                               REMOTE_ORIGIN=http://127.0.0.1:8081 ./serve.sh
#
# The origins are compiled into the apps: host-app reads PHOS_REMOTE_ORIGIN, remote-app
# EOS_HOST_ORIGIN, intruder-app both (option_env!), which this script exports. No app is told
# the intruder's origin: it is only where the intruder is served. Ctrl-C stops all three.
#
# On a fresh machine it first compiles wasm-bindgen-cli and trunk (scripts/tools.sh), and
# meanwhile the apps' wasm, which needs neither; a numbered line says what each step waits for
# and about how long it takes. The apps' addresses are printed when all three answer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
# shellcheck source=scripts/tools.sh
source scripts/tools.sh

usage() {
  sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}
case "${1:-}" in
  "") ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

# port_of ORIGIN: the explicit port of an http(s) origin, or nothing.
port_of() {
  if [[ $1 =~ ^https?://[^/:]+:([0-9]+)$ ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  fi
}

# resolve NAME DEFAULT_PORT: sets NAME_PORT and NAME_ORIGIN from each other or defaults.
resolve() {
  local name=$1 default_port=$2 port_var="${1}_PORT" origin_var="${1}_ORIGIN"
  local port="${!port_var:-}" origin="${!origin_var:-}"
  if [[ -n $origin ]]; then
    [[ $origin =~ ^https?://[^/]+$ ]] ||
      die "$origin_var=$origin is not an origin (scheme://host:port, no path or trailing slash)"
    local origin_port
    origin_port="$(port_of "$origin")"
    [[ -n $origin_port ]] || die "$origin_var=$origin needs an explicit port"
    port="${port:-$origin_port}"
    [[ $port == "$origin_port" ]] ||
      say "warning: $origin_var=$origin but $name is served on port $port (fine behind a proxy)"
  fi
  port="${port:-$default_port}"
  [[ $port =~ ^[0-9]+$ ]] || die "$port_var=$port is not a port number"
  origin="${origin:-http://localhost:$port}"
  printf -v "$port_var" '%s' "$port"
  printf -v "$origin_var" '%s' "$origin"
}

resolve HOST 8080
resolve REMOTE 8081
resolve INTRUDER 8082
[[ $HOST_PORT != "$REMOTE_PORT" ]] || die "HOST_PORT and REMOTE_PORT are both $HOST_PORT"
[[ $INTRUDER_PORT != "$HOST_PORT" && $INTRUDER_PORT != "$REMOTE_PORT" ]] ||
  die "INTRUDER_PORT=$INTRUDER_PORT is the host's or the remote's port"
[[ $INTRUDER_ORIGIN != "$HOST_ORIGIN" && $INTRUDER_ORIGIN != "$REMOTE_ORIGIN" ]] ||
  die "INTRUDER_ORIGIN=$INTRUDER_ORIGIN must be a third origin"

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
for port in "$HOST_PORT" "$REMOTE_PORT" "$INTRUDER_PORT"; do
  if port_in_use "$port"; then
    die "port $port is already in use (another ./serve.sh?); choose others with HOST_PORT / REMOTE_PORT / INTRUDER_PORT"
  fi
done

export PHOS_REMOTE_ORIGIN="$REMOTE_ORIGIN"
export EOS_HOST_ORIGIN="$HOST_ORIGIN"
APPS=(host-app remote-app intruder-app)
STARTED=$SECONDS
PIDS=()
TOOLS_PID=""
WATCHER_PID=""
TOOLS_LOG="$ROOT/target/serve-tools.log"

# step N TEXT: the numbered progress line of step N of 4, with the time so far.
step() {
  say "[$1/4 at $((SECONDS - STARTED)) s] $2"
}

# What building and serving the apps needs; the browsers are the tests' (./test.sh installs them).
step 1 "the wasm target and wasm-opt (seconds; scripts/tools.sh)"
install_wasm_target
install_wasm_opt

# wasm-bindgen-cli and trunk compile in their own target folder (target/tools/) while cargo
# compiles the apps' wasm in target/: the two never wait for each other's lock.
mkdir -p "$ROOT/target"
: >"$TOOLS_LOG"
# (Replaced by stop_servers' traps once the servers start.)
trap '[[ -z $TOOLS_PID ]] || kill_tree "$TOOLS_PID"' EXIT
step 2 "wasm-bindgen-cli and trunk, in the background (when missing, compiled: about $(tool_minutes wasm-bindgen-cli) + $(tool_minutes trunk) on 2 cores; cargo's output: ${TOOLS_LOG#"$ROOT"/})"
TOOLS_QUIET="$TOOLS_LOG" install_tools --trunk &
TOOLS_PID=$!

# The apps' wasm as `trunk serve` asks cargo for it (a debug build for wasm32 of each app's
# manifest, with the origins above in the environment), so that trunk's first build finds
# it compiled.
step 3 "the three apps' wasm: compiling it (about 2 minutes the first time, seconds after)"
for app in "${APPS[@]}"; do
  cargo build --target=wasm32-unknown-unknown --manifest-path "$ROOT/$app/Cargo.toml"
done
if kill -0 "$TOOLS_PID" 2>/dev/null; then
  say "waiting for wasm-bindgen-cli and trunk (${TOOLS_LOG#"$ROOT"/})"
fi
wait "$TOOLS_PID" || die "installing wasm-bindgen-cli or trunk failed (${TOOLS_LOG#"$ROOT"/})"
TOOLS_PID=""

# shellcheck disable=SC2317 # only reached through the traps below
# Stops the servers: each runs in its own session (setsid), so killing the process group
# by the server's PID also ends the cargo and rustc it may be running.
stop_servers() {
  local pid
  # A second INT or TERM (Ctrl-C twice, a timeout after a kill) must not cut this short.
  trap "" INT TERM
  trap - EXIT
  [[ -z $TOOLS_PID ]] || kill_tree "$TOOLS_PID"
  [[ -z $WATCHER_PID ]] || kill "$WATCHER_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap 'stop_servers; exit 130' INT
trap 'stop_servers; exit 143' TERM
trap stop_servers EXIT

# sed_replacement TEXT: TEXT escaped for the right-hand side of a sed `s#...#...#`.
sed_replacement() {
  printf '%s' "$1" | sed -e 's/[\\&#]/\\&/g'
}

# serve_config APP: writes APP's Trunk.toml for this run as APP/.serve.Trunk.toml and prints its
# path. Trunk.toml's security headers ([serve.headers]) name the default origins,
# http://localhost:8080 (the host) and http://localhost:8081 (Eos); here they become this run's
# HOST_ORIGIN and REMOTE_ORIGIN, the origins compiled into the apps, as the e2e servers do with
# theirs. The copy sits beside Trunk.toml because trunk reads paths relative to its config.
serve_config() {
  local app=$1 config="$ROOT/$1/.serve.Trunk.toml"
  sed -E \
    -e 's#http://localhost:8080([^0-9]|$)#@HOST_ORIGIN@\1#g' \
    -e 's#http://localhost:8081([^0-9]|$)#@REMOTE_ORIGIN@\1#g' \
    -e "s#@HOST_ORIGIN@#$(sed_replacement "$HOST_ORIGIN")#g" \
    -e "s#@REMOTE_ORIGIN@#$(sed_replacement "$REMOTE_ORIGIN")#g" \
    "$ROOT/$app/Trunk.toml" >"$config"
  printf '%s' "$config"
}

# serve APP PORT: trunk serve in the app's folder (its Trunk.toml also watches the shared
# crates) in a new session, with the security headers for this run's origins.
serve() {
  local app=$1 port=$2 config
  config="$(serve_config "$app")"
  (cd "$ROOT/$app" && exec setsid trunk serve --config "$config" --port "$port" --disable-address-lookup) &
  PIDS+=("$!")
}

step 4 "trunk serve: each app's first build (wasm-bindgen, about half a minute), then serving"
serve host-app "$HOST_PORT"
serve remote-app "$REMOTE_PORT"
serve intruder-app "$INTRUDER_PORT"

# announce_when_ready: prints the apps' addresses once all three answer.
announce_when_ready() {
  local port
  for port in "$HOST_PORT" "$REMOTE_PORT" "$INTRUDER_PORT"; do
    until app_answers "$port"; do
      sleep 1
    done
  done
  say "ready after $((SECONDS - STARTED)) s"
  cat <<EOF

  Phosphorescence (host-app):  http://localhost:$HOST_PORT/   (origin $HOST_ORIGIN, embeds $REMOTE_ORIGIN)
  Eos (remote-app):            http://localhost:$REMOTE_PORT/   (origin $REMOTE_ORIGIN, accepts $HOST_ORIGIN)
  Intruder (intruder-app):     http://localhost:$INTRUDER_PORT/   (origin $INTRUDER_ORIGIN, attacks both; see docs/TRY-TO-BREAK-IT.md)

  Open the host page. The apps rebuild when their sources, messenger/ or shared-proto/
  change: reload the page then (trunk's reload script is inline, which the apps'
  Content-Security-Policy refuses). Ctrl-C stops all three.

EOF
}
if command -v curl >/dev/null; then
  announce_when_ready &
  WATCHER_PID=$!
else
  say "the apps: http://localhost:$HOST_PORT/ (the host), :$REMOTE_PORT/ (Eos), :$INTRUDER_PORT/ (the intruder), once trunk says it serves them"
fi

# Return as soon as any server exits (a build that cannot start, a port taken):
# the others are then stopped by the EXIT trap.
status=0
wait -n "${PIDS[@]}" || status=$?
say "a trunk server exited (status $status); stopping the others"
exit "$status"
