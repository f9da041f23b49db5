#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# sysstream overhead benchmark: a getppid loop (a) untraced, (b) under an
# empty raw_tp/sys_enter hook (the floor every syscall tracer pays) and
# (c) under sysstream, interleaved in each round so that the ratios compare
# runs made side by side. Prints ns/call, the ratios, records captured vs
# calls made and records lost, as a Markdown table (also written to
# results/bench-<date>.md), then a verdict on the target:
#   sysstream/floor <= 1.25 (median of the rounds), every call captured,
#   nothing lost.
#
# Usage: tools/bench/run.sh [--rounds R] [--calls N] [--quick]
#   --rounds R  rounds of (a)(b)(c) (default 5)
#   --calls N   getppid calls per run (default 5000000)
#   --quick     smoke run: 200000 calls, 1 round (later options still apply)
#
# Needs root (BPF) and bazel. Exits 0 whether or not the target is met;
# non-zero only if a build or a run failed or the counts are inconsistent.
set -euo pipefail

readonly TARGET_RATIO=1.25

die() {
  echo "run.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '/^# Usage:/,/^#   --quick/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

rounds=5
calls=5000000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds|--calls)
      [[ $# -ge 2 ]] || { usage >&2; die "$1 needs a value"; }
      is_count "$2" || die "$1 '$2': must be a positive integer"
      if [[ "$1" == --rounds ]]; then rounds="$2"; else calls="$2"; fi
      shift 2
      ;;
    --rounds=*|--calls=*)
      value="${1#*=}"
      is_count "${value}" || die "${1%%=*} '${value}': must be a positive integer"
      if [[ "$1" == --rounds=* ]]; then rounds="${value}"; else calls="${value}"; fi
      shift
      ;;
    --quick)
      rounds=1
      calls=200000
      shift
      ;;
    -h|--help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument '$1'"
      ;;
  esac
done
(( calls <= 4000000000 )) || die "--calls ${calls}: at most 4000000000"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${ROOT}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sysstream-bench.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build
echo "run.sh: building with bazel ..." >&2
TARGETS=(//:sysstream //tools/bench:getppid_loop //tools/bench:floor_hook
         //tools/bench:count_records)
if ! bazel build "${TARGETS[@]}" >"${WORK}/build.log" 2>&1; then
  grep -v 'linux-sandbox' "${WORK}/build.log" | tail -n 40 >&2
  die "bazel build failed"
fi
BIN="$(bazel info bazel-bin 2>/dev/null)" || BIN="${ROOT}/bazel-bin"
# Private copies: a rebuild by someone else mid-run must not change them.
mkdir -p "${WORK}/bin"
for f in sysstream tools/bench/getppid_loop tools/bench/floor_hook \
         tools/bench/count_records; do
  [[ -x "${BIN}/${f}" ]] || die "missing build output ${BIN}/${f}"
  cp "${BIN}/${f}" "${WORK}/bin/"
done
SYSSTREAM="${WORK}/bin/sysstream"
LOOP="${WORK}/bin/getppid_loop"
FLOOR="${WORK}/bin/floor_hook"
COUNT="${WORK}/bin/count_records"

# Generous: 5M calls take a few seconds even traced.
TIMEOUT=$(( 60 + calls / 20000 ))
run_limited() { timeout --kill-after=10 "${TIMEOUT}" "$@"; }

# Other sys_enter hooks on the machine slow every variant down (noted only).
foreign_hooks() {
  if command -v bpftool >/dev/null 2>&1; then
    bpftool link list 2>/dev/null | grep -c "tp 'sys_enter'" || true
  else
    echo "unknown"
  fi
}

# Parses a getppid_loop line from file $1 into LOOP_NS, LOOP_PID, LOOP_NR.
LOOP_RE='^calls=([0-9]+) ns_per_call=([0-9]+(\.[0-9]+)?) pid=([0-9]+) syscall_nr=([0-9]+)$'
parse_loop() {
  local file="$1" what="$2" line found=0
  while IFS= read -r line; do
    if [[ "${line}" =~ ${LOOP_RE} ]]; then
      found=$((found + 1))
      [[ "${BASH_REMATCH[1]}" == "${calls}" ]] ||
        die "${what}: loop reports ${BASH_REMATCH[1]} calls, expected ${calls}"
      LOOP_NS="${BASH_REMATCH[2]}"
      LOOP_PID="${BASH_REMATCH[4]}"
      LOOP_NR="${BASH_REMATCH[5]}"
    fi
  done <"${file}"
  [[ ${found} -eq 1 ]] || {
    cat "${file}" >&2
    die "${what}: expected one getppid_loop result line, found ${found}"
  }
}

show_failure() {
  local what="$1" rc="$2"; shift 2
  for f in "$@"; do [[ -s "${f}" ]] && tail -n 20 "${f}" >&2; done
  if [[ "${rc}" -eq 124 || "${rc}" -eq 137 ]]; then
    die "${what}: timed out after ${TIMEOUT} s"
  fi
  die "${what}: exit status ${rc}"
}

# ---------------------------------------------------------------- rounds
declare -a U_NS F_NS S_NS CAPTURED LOST_LOG LOST_SUM PID_RECS EVENTS
hooks_before="$(foreign_hooks)"
load_before="$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "run.sh: ${rounds} round(s) of ${calls} getppid calls: untraced, floor, sysstream" >&2

# Warm-up (discarded): page cache, CPU frequency.
"${LOOP}" 100000 >/dev/null

for ((r = 1; r <= rounds; r++)); do
  # (a) untraced
  rc=0
  run_limited "${LOOP}" "${calls}" >"${WORK}/a.out" 2>"${WORK}/a.err" || rc=$?
  [[ ${rc} -eq 0 ]] || show_failure "round ${r} untraced" "${rc}" "${WORK}/a.err"
  parse_loop "${WORK}/a.out" "round ${r} untraced"
  U_NS[r]="${LOOP_NS}"

  # (b) under the empty hook
  rc=0
  run_limited "${FLOOR}" -- "${LOOP}" "${calls}" >"${WORK}/b.out" 2>"${WORK}/b.err" || rc=$?
  [[ ${rc} -eq 0 ]] || show_failure "round ${r} floor_hook" "${rc}" "${WORK}/b.err"
  parse_loop "${WORK}/b.out" "round ${r} floor_hook"
  F_NS[r]="${LOOP_NS}"

  # (c) under sysstream
  log="${WORK}/x.log"
  rm -f "${log}"
  rc=0
  run_limited "${SYSSTREAM}" -q --force -f "${log}" -- "${LOOP}" "${calls}" \
    >"${WORK}/c.out" 2>"${WORK}/c.err" || rc=$?
  [[ ${rc} -eq 0 ]] || show_failure "round ${r} sysstream" "${rc}" "${WORK}/c.out" "${WORK}/c.err"
  parse_loop "${WORK}/c.out" "round ${r} sysstream"
  S_NS[r]="${LOOP_NS}"
  pid="${LOOP_PID}"
  nr="${LOOP_NR}"

  summary="$(grep -E '^sysstream: [0-9]+ events written to ' "${WORK}/c.err" || true)"
  SUM_RE='^sysstream: ([0-9]+) events written to .*, ([0-9]+) lost, [0-9.]+ s \((.*)\)$'
  [[ "${summary}" =~ ${SUM_RE} ]] || {
    cat "${WORK}/c.err" >&2
    die "round ${r}: no summary line from sysstream"
  }
  sum_events="${BASH_REMATCH[1]}"
  LOST_SUM[r]="${BASH_REMATCH[2]}"
  [[ "${BASH_REMATCH[3]}" == "all targets exited" ]] ||
    die "round ${r}: sysstream stopped for another reason: ${BASH_REMATCH[3]}"

  counts="$("${COUNT}" "${log}" "${pid}" "${nr}")" ||
    die "round ${r}: cannot count the records of ${log}"
  COUNT_RE='^records=([0-9]+) events=([0-9]+) gap_markers=([0-9]+) lost=([0-9]+) pid_records=([0-9]+) matched=([0-9]+)$'
  [[ "${counts}" =~ ${COUNT_RE} ]] || die "round ${r}: bad count_records output: ${counts}"
  EVENTS[r]="${BASH_REMATCH[2]}"
  LOST_LOG[r]="${BASH_REMATCH[4]}"
  PID_RECS[r]="${BASH_REMATCH[5]}"
  CAPTURED[r]="${BASH_REMATCH[6]}"
  rm -f "${log}"

  # Consistency: the log, the summary line and the loop must agree.
  [[ "${EVENTS[r]}" == "${sum_events}" ]] ||
    die "round ${r}: inconsistent: log has ${EVENTS[r]} events, summary says ${sum_events}"
  [[ "${LOST_LOG[r]}" == "${LOST_SUM[r]}" ]] ||
    die "round ${r}: inconsistent: gap markers count ${LOST_LOG[r]} lost, summary says ${LOST_SUM[r]}"
  (( CAPTURED[r] <= calls )) ||
    die "round ${r}: inconsistent: ${CAPTURED[r]} getppid records for pid ${pid}, only ${calls} calls made"
  (( PID_RECS[r] > CAPTURED[r] )) ||
    die "round ${r}: inconsistent: no record of pid ${pid} besides getppid (its execve should be there)"
  # Lost syscalls are reported by gap markers; anything missing beyond them
  # vanished silently.
  (( CAPTURED[r] + LOST_LOG[r] >= calls )) ||
    die "round ${r}: inconsistent: ${CAPTURED[r]} of ${calls} calls captured but only ${LOST_LOG[r]} reported lost"

  printf 'run.sh: round %d/%d: untraced %s, floor %s, sysstream %s ns/call; captured %s of %s, lost %s\n' \
    "${r}" "${rounds}" "${U_NS[r]}" "${F_NS[r]}" "${S_NS[r]}" "${CAPTURED[r]}" \
    "${calls}" "${LOST_LOG[r]}" >&2
done
hooks_after="$(foreign_hooks)"

# ---------------------------------------------------------------- report
# One line per round for awk: round untraced floor sysstream captured lost_log lost_sum
for ((r = 1; r <= rounds; r++)); do
  echo "${r} ${U_NS[r]} ${F_NS[r]} ${S_NS[r]} ${CAPTURED[r]} ${LOST_LOG[r]} ${LOST_SUM[r]}"
done >"${WORK}/rounds.txt"

stamp="$(date '+%Y-%m-%d %H:%M:%S %Z')"
commit="$(git -C "${ROOT}" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "${ROOT}" status --porcelain 2>/dev/null || true)" ]]; then
  commit="${commit} (with local changes)"
fi

awk -v calls="${calls}" -v rounds="${rounds}" -v target="${TARGET_RATIO}" \
    -v stamp="${stamp}" -v commit="${commit}" -v kernel="$(uname -r)" \
    -v cpus="$(nproc)" -v hooks_before="${hooks_before}" \
    -v hooks_after="${hooks_after}" -v load="${load_before}" '
function median(a, n,    i, j, t, b) {
  for (i = 1; i <= n; i++) b[i] = a[i]
  for (i = 2; i <= n; i++) {          # insertion sort, n is small
    t = b[i]
    for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]
    b[j + 1] = t
  }
  return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
{
  n++
  u[n] = $2; f[n] = $3; s[n] = $4; cap[n] = $5; ll[n] = $6; ls[n] = $7
  sf[n] = s[n] / f[n]; fu[n] = f[n] / u[n]
  tcap += $5; tlost += $6; tcalls += calls
}
END {
  printf "# sysstream benchmark, %s\n\n", stamp
  printf "getppid loop, %d calls per run, %d round(s), each round runs untraced, ", calls, rounds
  printf "under the empty raw_tp/sys_enter hook (floor) and under `sysstream -q -f FILE -- getppid_loop`, side by side.\n\n"
  printf "Commit %s; kernel %s; %d CPUs; load average at start %s; other sys_enter hooks attached: %s at start, %s at end.\n\n", \
    commit, kernel, cpus, load, hooks_before, hooks_after
  printf "| round | untraced ns/call | floor ns/call | sysstream ns/call | sysstream/floor | floor/untraced | captured / made | lost (gaps / summary) |\n"
  printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
  for (i = 1; i <= n; i++)
    printf "| %d | %.1f | %.1f | %.1f | %.3f | %.3f | %d / %d | %d / %d |\n", \
      i, u[i], f[i], s[i], sf[i], fu[i], cap[i], calls, ll[i], ls[i]
  msf = median(sf, n)
  printf "| **median** | %.1f | %.1f | %.1f | **%.3f** | %.3f | | |\n", \
    median(u, n), median(f, n), median(s, n), msf, median(fu, n)
  printf "| **total** | | | | | | %d / %d | %d |\n\n", tcap, tcalls, tlost
  all = (tcap == tcalls && tlost == 0)
  if (msf <= target + 1e-9 && all)
    printf "target ratio<=%s with all captured: MET\n", target
  else
    printf "target ratio<=%s with all captured: NOT MET (ratio %.3f, captured %d of %d, lost %d)\n", \
      target, msf, tcap, tcalls, tlost
}' "${WORK}/rounds.txt" >"${WORK}/report.md"

mkdir -p "${ROOT}/results"
out="${ROOT}/results/bench-$(date '+%Y-%m-%d-%H%M%S').md"
cp "${WORK}/report.md" "${out}"
echo
cat "${WORK}/report.md"
echo
echo "run.sh: results written to ${out#"${ROOT}"/}" >&2
