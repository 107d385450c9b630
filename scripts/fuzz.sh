#!/usr/bin/env bash
# Fuzzes the messenger's pure protocol core with cargo-fuzz (libFuzzer): every target in
# fuzz/fuzz_targets/ for SECONDS each, then a summary of executions and crashes per target.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#
#   SECONDS   fuzzing time per target (default 300); the build comes on top the first time
#   TARGET    only these targets (default: all, see `cargo +nightly fuzz list`)
#
#   FUZZ_SANITIZER=address scripts/fuzz.sh ...   builds with AddressSanitizer (cargo-fuzz's own
#             default). The default here is `none`: the fuzzed code is safe Rust, and without
#             ASan the targets run about twice as fast. Debug assertions and overflow checks are
#             on either way.
#
# Installs what is missing first, idempotently: a nightly toolchain (rustup, profile minimal;
# cargo-fuzz needs nightly for -Zsanitizer and the coverage instrumentation) and cargo-fuzz
# (cargo install --locked, into ~/.cargo/bin). The corpus grows in fuzz/corpus/TARGET across
# runs; a crash is written to fuzz/artifacts/TARGET/ (reproduce it with
# `cargo +nightly fuzz run -s none TARGET fuzz/artifacts/TARGET/crash-...`), and each run's
# full libFuzzer output to fuzz/artifacts/logs/TARGET.log. Exits non-zero if any target crashed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/tools.sh
source scripts/tools.sh

case "${1:-}" in
  -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

SECONDS_PER_TARGET="${1:-300}"
[[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive whole number, not '$SECONDS_PER_TARGET'"
shift $(($# > 0 ? 1 : 0))
SANITIZER="${FUZZ_SANITIZER:-none}"

tools_env

install_nightly() {
  if rustup run nightly rustc --version >/dev/null 2>&1; then
    say "nightly toolchain: installed ($(rustup run nightly rustc --version))"
    return
  fi
  say "nightly toolchain: not found; installing it with rustup (profile minimal)"
  rustup toolchain install nightly --profile minimal
}

install_cargo_fuzz() {
  if cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz: installed ($(cargo fuzz --version))"
    return
  fi
  say "cargo-fuzz: not found; installing it with cargo install --locked into ~/.cargo/bin"
  cargo install cargo-fuzz --locked
}

install_nightly
install_cargo_fuzz

if (($# > 0)); then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
((${#targets[@]} > 0)) || die "no fuzz targets found in fuzz/fuzz_targets"

say "building ${targets[*]} (sanitizer: $SANITIZER)"
for target in "${targets[@]}"; do
  cargo +nightly fuzz build --sanitizer "$SANITIZER" "$target"
done

LOGS="$ROOT/fuzz/artifacts/logs"
mkdir -p "$LOGS"
declare -A executions rate verdict
crashed=0
for target in "${targets[@]}"; do
  log="$LOGS/$target.log"
  say "fuzzing $target for ${SECONDS_PER_TARGET}s (log: ${log#"$ROOT"/})"
  status=0
  cargo +nightly fuzz run --sanitizer "$SANITIZER" "$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 >"$log" 2>&1 || status=$?
  # libFuzzer's final statistics; after a crash they may be missing, so fall back to the last
  # "#N" status line (N = executions so far).
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  [[ -n $runs ]] || runs="$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)"
  executions[$target]="${runs:-0}"
  rate[$target]="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  if ((status == 0)); then
    verdict[$target]="no crash"
  else
    crashed=1
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    verdict[$target]="CRASH (exit $status)${artifact:+: $artifact}"
    grep -m 1 -A 1 "panicked at" "$log" >&2 || tail -n 20 "$log" >&2
  fi
  say "$target: ${executions[$target]} executions, ${verdict[$target]}"
done

printf '\n%-20s %8s %14s %10s  %s\n' target seconds executions "exec/s" result
for target in "${targets[@]}"; do
  printf '%-20s %8s %14s %10s  %s\n' "$target" "$SECONDS_PER_TARGET" "${executions[$target]}" \
    "${rate[$target]:--}" "${verdict[$target]}"
done
((crashed == 0)) || die "a fuzz target crashed: see the artifacts above"
