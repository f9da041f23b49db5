#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer binaries (//tests/fuzz:fuzzers: clang++,
# -fsanitize=fuzzer,address,undefined) and fuzzes each target for SECONDS
# (default 60), starting from its seed corpus in tests/fuzz/corpus/<target>/.
# New interesting inputs go to a scratch corpus (not into the tree); a crash
# is saved into tests/fuzz/corpus/<target>/ as crash-<sha1>, where
# //tests/fuzz:<target>_regression_test replays it from then on (keep it
# there once fixed). Prints one line per target: executions, exec/s, corpus
# growth, crashes; exits 1 if any target crashed. With MERGE=1, the inputs
# that add coverage are merged into tests/fuzz/corpus/<target>/ (libFuzzer
# -merge=1, files named by their sha1) so that the regression tests replay
# them too: hundreds to thousands of files per target, so for local
# campaigns; the tree keeps the hand-made seeds and the crashers.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
#   MERGE=1 bash tests/fuzz/run.sh 300
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_TARGET=${1:-60}
shift || true
ALL=(options_fuzzer oci_fuzzer docker_fuzzer cgroup_fuzzer proc_status_fuzzer
     raw_decode_fuzzer decode_fuzzer)
TARGETS=("$@")
[ "$#" -gt 0 ] || TARGETS=("${ALL[@]}")

declare -A DICT=(
  [options_fuzzer]=options.dict [oci_fuzzer]=json.dict
  [docker_fuzzer]=json.dict [decode_fuzzer]=decode.dict
  [raw_decode_fuzzer]=decode.dict
)

if ! bazel build --noshow_progress --ui_event_filters=-info //tests/fuzz:fuzzers \
    2> >(grep -v linux-sandbox >&2); then
  echo "run.sh: building the fuzzers failed" >&2
  exit 2
fi
BIN=$(bazel info bazel-bin 2>/dev/null)/tests/fuzz
WORK=$(mktemp -d /tmp/sysstream-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

printf '%-20s %8s %12s %10s %9s %9s %8s\n' TARGET SECONDS EXECUTIONS EXEC/S \
  SEEDS CORPUS CRASHES
failed=0
for t in "${TARGETS[@]}"; do
  seeds=tests/fuzz/corpus/$t
  mkdir -p "$WORK/$t"
  dict=()
  [ -n "${DICT[$t]:-}" ] && dict=("-dict=tests/fuzz/${DICT[$t]}")
  before=$(ls "$seeds" | grep -vc '^crash-' || true)
  set +e
  "$BIN/$t" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" \
    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$seeds/" "$WORK/$t" "$seeds" >"$WORK/$t.log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$t.log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$WORK/$t.log" | tail -1)
  [ -n "$secs" ] || secs=$SECONDS_PER_TARGET
  rate=$(( ${execs:-0} / (secs > 0 ? secs : 1) ))
  after=$(ls "$WORK/$t" | wc -l)
  crashes=0
  if [ "$rc" -ne 0 ]; then
    crashes=$(grep -c '^artifact_prefix=.*; Test unit written to' "$WORK/$t.log" || true)
    [ "$crashes" -gt 0 ] || crashes=1
    failed=1
    grep -m1 -e '^==[0-9]*==ERROR' -e 'runtime error' -e 'deadly signal' \
      "$WORK/$t.log" >&2 || true
    grep 'Test unit written to' "$WORK/$t.log" >&2 || true
    cp "$WORK/$t.log" "/tmp/sysstream-fuzz-$t.log"
    echo "  (full log: /tmp/sysstream-fuzz-$t.log)" >&2
  fi
  if [ "${MERGE:-0}" = 1 ] && [ "$rc" -eq 0 ]; then
    "$BIN/$t" -merge=1 "$seeds" "$WORK/$t" >"$WORK/$t.merge.log" 2>&1 || true
  fi
  printf '%-20s %8s %12s %10s %9s %9s %8s\n' "$t" "$secs" "${execs:-?}" \
    "$rate" "$before" "$after" "$crashes"
done
exit "$failed"
