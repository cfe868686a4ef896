#!/usr/bin/env bash
# Timed libFuzzer run of the protocol fuzz target.
#
#   scripts/fuzz.sh [SECONDS]       (default 300)
#
# Builds tests/fuzz/fuzz-protocol.c with clang -fsanitize=fuzzer,address,
# undefined straight from the sources (no meson tree needed), runs it for
# SECONDS on a scratch copy of the seed corpus, and writes any crashing
# input to tests/fuzz/crashes/. Exits non-zero if it found one.
set -euo pipefail

seconds="${1:-300}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FUZZ_BUILD:-$root/build-fuzz}"
cc="${FUZZ_CC:-clang}"
mkdir -p "$out/corpus-protocol"

pkgs="glib-2.0 gobject-2.0 gio-2.0 json-glib-1.0 libjwt sqlite3"
# shellcheck disable=SC2046
"$cc" -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DG_LOG_DOMAIN='"convene"' \
  -I"$root/orchestrator/lib" $(pkg-config --cflags $pkgs) \
  "$root"/orchestrator/lib/*.c "$root/tests/fuzz/fuzz-protocol.c" \
  $(pkg-config --libs $pkgs) \
  -o "$out/fuzz-protocol"

before="$(ls "$root/tests/fuzz/crashes" | wc -l)"
set +e
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$out/fuzz-protocol" \
  -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$root/tests/fuzz/crashes/fuzz-protocol-" \
  "$out/corpus-protocol" "$root/tests/fuzz/corpus/protocol" \
  2>&1 | tee "$out/fuzz-protocol.log" | grep -E '^(#[0-9]+ +(DONE|INIT)|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' || true
status="${PIPESTATUS[0]}"
set -e
after="$(ls "$root/tests/fuzz/crashes" | wc -l)"
if [ "$status" -ne 0 ] || [ "$after" -ne "$before" ]; then
  echo "fuzz.sh: fuzz-protocol found a problem (exit $status); see $out/fuzz-protocol.log and tests/fuzz/crashes/" >&2
  exit 1
fi
echo "fuzz.sh: fuzz-protocol ran ${seconds}s without a crash"

# sfurouter's RTP/RTCP target (tests/fuzz/sfu), same budget, glib only.
# shellcheck disable=SC2046
"$cc" -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/plugins/sfu" $(pkg-config --cflags glib-2.0) \
  "$root"/plugins/sfu/sfu-*.c "$root/tests/fuzz/sfu/fuzz-sfu-rtp.c" \
  $(pkg-config --libs glib-2.0) -o "$out/fuzz-sfu-rtp"
mkdir -p "$out/corpus-sfu-rtp"
sfu_crashes="$root/tests/fuzz/sfu/crashes"
before="$(ls "$sfu_crashes" | wc -l)"
set +e
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$out/fuzz-sfu-rtp" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$sfu_crashes/fuzz-sfu-rtp-" \
  "$out/corpus-sfu-rtp" "$root/tests/fuzz/sfu/corpus" \
  2>&1 | tee "$out/fuzz-sfu-rtp.log" | grep -E '^(#[0-9]+ +(DONE|INIT)|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' || true
status="${PIPESTATUS[0]}"
set -e
if [ "$status" -ne 0 ] || [ "$(ls "$sfu_crashes" | wc -l)" -ne "$before" ]; then
  echo "fuzz.sh: fuzz-sfu-rtp found a problem (exit $status); see $out/fuzz-sfu-rtp.log and tests/fuzz/sfu/crashes/" >&2
  exit 1
fi
echo "fuzz.sh: fuzz-sfu-rtp ran ${seconds}s without a crash"
