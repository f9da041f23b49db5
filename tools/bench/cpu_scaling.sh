#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# CPU-scaling benchmark of sysstream's rings: T threads, each pinned to a
# CPU of its own and making N getppid calls at the same time (pinned_loop),
# for T = 1, 2, 4, ... up to the CPUs this script may use (at most 8), run
# (a) untraced, (b) under the empty raw_tp/sys_enter hook (the floor) and
# (c) under sysstream, and with --baseline (d) under a second sysstream
# binary (e.g. the single-ring build), all interleaved in each round (order
# rotated from round to round) so that every ratio compares runs made side
# by side. For each thread count it prints ns per call (the loop threads'
# own CPU time, and wall time), sysstream's added ns/event over the floor,
# that cost against the 1-thread one, sysstream/floor, records captured vs
# calls made, lost, and the consumer's CPU time per event (the sysstream
# process itself, not the traced loop: /proc/PID/schedstat once it has
# exited, before it is reaped, by self_cpu; also net of its start-up cost,
# measured each round on a 1-call loop). Medians of the rounds, as a
# Markdown table (also written to results/cpu-scaling-<date>.md, the raw
# runs to .tsv), then a verdict on each target, on the CPU-time figures
# (what other load takes from the CPUs does not count; wall time beside):
#   2-thread added cost <= 1.25 x the 1-thread added cost (median of the
#     per-round costs, each against the floor of its round);
#   1-thread sysstream/floor <= 1.10 (median of the per-round ratios);
#   consumer CPU per event <= the baseline's, at every thread count
#     (median of the per-round ratios; only with --baseline);
#   every call captured, nothing lost.
#
# Usage: tools/bench/cpu_scaling.sh [--rounds R] [--calls N] [--threads LIST]
#                                   [--baseline BIN] [--sysstream BIN]
#                                   [--bin-dir DIR] [--out-dir DIR] [--quick]
#   --rounds R      rounds (default 21)
#   --calls N       getppid calls per thread in each run (default 1000000)
#   --threads LIST  thread counts, comma-separated, e.g. 1,2 (default: 1, 2,
#                   4, ... below the CPU count, then the CPU count; at most 8)
#   --baseline BIN  also run this sysstream binary in every round, side by
#                   side (e.g. /tmp/sysstream-single-ring, built from the
#                   commit before the per-CPU rings; BENCHMARKS.md)
#   --sysstream BIN measure this sysstream binary instead of the one built
#                   from the checkout (e.g. a build of an older commit)
#   --bin-dir DIR   take sysstream, floor_hook, pinned_loop, self_cpu and
#                   count_records from DIR instead of building them
#   --out-dir DIR   where the report goes (default results/)
#   --quick         smoke run: 1 round, 100000 calls per thread (later
#                   options still apply)
#
# Needs root (BPF) and, without --bin-dir, bazel. Logs go to a tmpfs
# (/dev/shm) when there is one. Exits 0 whether or not the targets are met;
# 1 if a build or a run failed or the counts are inconsistent; 2 on a usage
# error.
set -euo pipefail

readonly TARGET_SCALING=1.25  # 2-thread added cost / 1-thread added cost
readonly TARGET_FLOOR=1.10    # 1-thread sysstream / floor

die() {
  echo "cpu_scaling.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '/^# Usage:/,/^#                   options still apply)/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

usage_error() {
  usage >&2
  echo "cpu_scaling.sh: $*" >&2
  exit 2
}

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

rounds=21
calls=1000000
threads_arg=""
baseline=""
sysstream_arg=""
bin_dir=""
out_dir=""
while [[ $# -gt 0 ]]; do
  opt="$1"
  value=""
  case "${opt}" in
    --rounds=*|--calls=*|--threads=*|--baseline=*|--sysstream=*|--bin-dir=*|--out-dir=*)
      value="${opt#*=}"
      opt="${opt%%=*}"
      shift
      ;;
    --rounds|--calls|--threads|--baseline|--sysstream|--bin-dir|--out-dir)
      [[ $# -ge 2 ]] || usage_error "${opt} needs a value"
      value="$2"
      shift 2
      ;;
    --quick)
      rounds=1
      calls=100000
      shift
      continue
      ;;
    -h|--help)
      usage
      exit 0
      ;;
    *)
      usage_error "unknown argument '${opt}'"
      ;;
  esac
  case "${opt}" in
    --rounds|--calls)
      is_count "${value}" || usage_error "${opt} '${value}': must be a positive integer"
      if [[ "${opt}" == --rounds ]]; then rounds="${value}"; else calls="${value}"; fi
      ;;
    --threads)
      [[ "${value}" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
        usage_error "--threads '${value}': expected positive integers separated by commas, e.g. 1,2"
      threads_arg="${value}"
      ;;
    --baseline|--sysstream)
      [[ -n "${value}" ]] || usage_error "${opt} needs a file"
      [[ -f "${value}" && -x "${value}" ]] || usage_error "${opt} '${value}': not an executable file"
      value="$(cd "$(dirname "${value}")" && pwd -P)/$(basename "${value}")"
      if [[ "${opt}" == --baseline ]]; then baseline="${value}"; else sysstream_arg="${value}"; fi
      ;;
    --bin-dir)
      [[ -d "${value}" ]] || usage_error "--bin-dir '${value}': not a directory"
      bin_dir="$(cd "${value}" && pwd -P)"
      ;;
    --out-dir)
      [[ -n "${value}" ]] || usage_error "--out-dir needs a directory"
      out_dir="${value}"
      ;;
  esac
done
(( calls <= 1000000000 )) || usage_error "--calls ${calls}: at most 1000000000 per thread"
(( rounds <= 1000 )) || usage_error "--rounds ${rounds}: at most 1000"
[[ "$(id -u)" -eq 0 ]] || die "run as root (BPF)"

# The CPUs this process may use (the loop pins its threads among them).
ncpus="$(nproc)"
if [[ -n "${threads_arg}" ]]; then
  IFS=, read -r -a THREADS <<<"${threads_arg}"
  for t in "${THREADS[@]}"; do
    (( t <= ncpus )) || usage_error "--threads ${t}: only ${ncpus} CPU(s) available"
  done
  [[ "${THREADS[0]}" == 1 ]] ||
    usage_error "--threads '${threads_arg}': must start with 1 (the costs are compared to the 1-thread run)"
else
  max=$(( ncpus < 8 ? ncpus : 8 ))
  THREADS=()
  for ((t = 1; t < max; t *= 2)); do THREADS+=("${t}"); done
  THREADS+=("${max}")
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/../.." && pwd)"
[[ -n "${out_dir}" ]] || out_dir="${ROOT}/results"

# Logs can be large (about 17 bytes per call): a tmpfs keeps the disk out of
# the measurement.
tmp_base="${TMPDIR:-/tmp}"
[[ -d /dev/shm && -w /dev/shm ]] && tmp_base=/dev/shm
WORK="$(mktemp -d "${tmp_base}/sysstream-cpu-scaling.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- binaries
PROGS=(sysstream floor_hook pinned_loop self_cpu count_records)
mkdir -p "${WORK}/bin"
if [[ -z "${bin_dir}" ]]; then
  echo "cpu_scaling.sh: building with bazel ..." >&2
  cd "${ROOT}"
  targets=(//tools/bench:floor_hook //tools/bench:pinned_loop
           //tools/bench:self_cpu //tools/bench:count_records)
  outputs=(tools/bench/floor_hook tools/bench/pinned_loop tools/bench/self_cpu
           tools/bench/count_records)
  if [[ -z "${sysstream_arg}" ]]; then
    targets+=(//:sysstream)
    outputs+=(sysstream)
  fi
  if ! bazel build "${targets[@]}" >"${WORK}/build.log" 2>&1; then
    grep -v 'linux-sandbox' "${WORK}/build.log" | tail -n 40 >&2
    die "bazel build failed"
  fi
  BIN="$(bazel info bazel-bin 2>/dev/null)" || BIN="${ROOT}/bazel-bin"
  # Private copies: a rebuild by someone else mid-run must not change them.
  for f in "${outputs[@]}"; do
    [[ -x "${BIN}/${f}" ]] || die "missing build output ${BIN}/${f}"
    cp "${BIN}/${f}" "${WORK}/bin/"
  done
else
  for f in "${PROGS[@]}"; do
    [[ -x "${bin_dir}/${f}" ]] || die "--bin-dir ${bin_dir}: no executable ${f}"
    cp -L "${bin_dir}/${f}" "${WORK}/bin/"
  done
fi
[[ -z "${sysstream_arg}" ]] || cp "${sysstream_arg}" "${WORK}/bin/sysstream"
# What is measured, named now (the checkout may move on during the run).
commit="$(git -C "${ROOT}" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "${ROOT}" status --porcelain -- cc bpf BUILD.bazel WORKSPACE 2>/dev/null || true)" ]]; then
  commit="${commit} (with local changes in cc/ or bpf/)"
fi
[[ -z "${bin_dir}" ]] || commit="binaries of ${bin_dir}"
[[ -z "${sysstream_arg}" ]] || commit="${sysstream_arg}"
if [[ -n "${baseline}" ]]; then
  cp "${baseline}" "${WORK}/bin/sysstream-baseline"
  cmp -s "${WORK}/bin/sysstream" "${WORK}/bin/sysstream-baseline" &&
    echo "cpu_scaling.sh: note: --baseline is the same file as the sysstream under test" >&2
fi
SYSSTREAM="${WORK}/bin/sysstream"
FLOOR="${WORK}/bin/floor_hook"
LOOP="${WORK}/bin/pinned_loop"
SELF_CPU="${WORK}/bin/self_cpu"
COUNT="${WORK}/bin/count_records"

VARIANTS=(untraced floor sysstream)
[[ -z "${baseline}" ]] || VARIANTS+=(baseline)

# Generous: 2 x 2M calls take a few seconds even under the single ring.
TIMEOUT=$(( 60 + calls / 10000 ))
run_limited() { timeout --kill-after=10 "${TIMEOUT}" "$@"; }

show_failure() {
  local what="$1" rc="$2"; shift 2
  for f in "$@"; do [[ -s "${f}" ]] && tail -n 20 "${f}" >&2; done
  if [[ "${rc}" -eq 124 || "${rc}" -eq 137 ]]; then
    die "${what}: timed out after ${TIMEOUT} s"
  fi
  die "${what}: exit status ${rc}"
}

# Parses the pinned_loop line of file $1 into L_WALL, L_CPU, L_PID, L_NR.
LOOP_RE='^calls=([0-9]+) threads=([0-9]+) calls_per_thread=([0-9]+) wall_ns=[0-9]+ ns_per_call=([0-9.]+) cpu_ns_per_call=([0-9.]+) max_thread_ns=[0-9]+ cpus=[0-9,]+ pid=([0-9]+) syscall_nr=([0-9]+) user_us=[0-9]+ sys_us=[0-9]+$'
parse_loop() {
  local file="$1" what="$2" threads="$3" line found=0
  while IFS= read -r line; do
    if [[ "${line}" =~ ${LOOP_RE} ]]; then
      found=$((found + 1))
      [[ "${BASH_REMATCH[2]}" == "${threads}" && "${BASH_REMATCH[3]}" == "${calls}" ]] ||
        die "${what}: loop reports ${BASH_REMATCH[2]} x ${BASH_REMATCH[3]} calls, expected ${threads} x ${calls}"
      L_WALL="${BASH_REMATCH[4]}"
      L_CPU="${BASH_REMATCH[5]}"
      L_PID="${BASH_REMATCH[6]}"
      L_NR="${BASH_REMATCH[7]}"
    fi
  done <"${file}"
  [[ ${found} -eq 1 ]] || {
    cat "${file}" >&2
    die "${what}: expected one pinned_loop result line, found ${found}"
  }
}

SUM_RE='^sysstream: ([0-9]+) events written to .*, ([0-9]+) lost, [0-9.]+ s \((.*)\)$'
COUNT_RE='^records=([0-9]+) events=([0-9]+) gap_markers=([0-9]+) lost=([0-9]+) pid_records=([0-9]+) matched=([0-9]+)$'
SELF_RE='^self_ns=([0-9]+) stat_ns=([0-9]+) pid=[0-9]+$'

# One run of variant $1 with $2 threads in round $3; appends a line to
# runs.tsv: round threads variant wall_ns cpu_ns made events captured lost
# consumer_ns consumer_stat_ns (- where it does not apply).
run_variant() {
  local variant="$1" threads="$2" r="$3"
  local what="round ${r} ${variant} ${threads} thread(s)"
  local out="${WORK}/run.out" err="${WORK}/run.err" log="${WORK}/run.log"
  local rep="${WORK}/run.cpu" bin rc=0
  local made=$(( threads * calls ))
  local loop=("${LOOP}" --threads "${threads}" "${calls}")
  rm -f "${out}" "${err}" "${log}" "${rep}"
  case "${variant}" in
    untraced) run_limited "${loop[@]}" >"${out}" 2>"${err}" || rc=$? ;;
    floor) run_limited "${FLOOR}" -- "${loop[@]}" >"${out}" 2>"${err}" || rc=$? ;;
    sysstream|baseline)
      bin="${SYSSTREAM}"
      [[ "${variant}" == sysstream ]] || bin="${WORK}/bin/sysstream-baseline"
      run_limited "${SELF_CPU}" "${rep}" -- "${bin}" -q --force -f "${log}" -- \
        "${loop[@]}" >"${out}" 2>"${err}" || rc=$?
      ;;
  esac
  [[ ${rc} -eq 0 ]] || show_failure "${what}" "${rc}" "${out}" "${err}"
  parse_loop "${out}" "${what}" "${threads}"
  if [[ "${variant}" == untraced || "${variant}" == floor ]]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\n' "${r}" "${threads}" \
      "${variant}" "${L_WALL}" "${L_CPU}" "${made}" >>"${WORK}/runs.tsv"
    R_SUMMARY="${variant} ${L_CPU}/${L_WALL}"
    return
  fi

  local summary sum_events sum_lost counts events lost pid_recs captured
  summary="$(grep -E '^sysstream: [0-9]+ events written to ' "${err}" || true)"
  [[ "${summary}" =~ ${SUM_RE} ]] || { cat "${err}" >&2; die "${what}: no summary line from sysstream"; }
  sum_events="${BASH_REMATCH[1]}"
  sum_lost="${BASH_REMATCH[2]}"
  [[ "${BASH_REMATCH[3]}" == "all targets exited" ]] ||
    die "${what}: sysstream stopped for another reason: ${BASH_REMATCH[3]}"
  counts="$("${COUNT}" "${log}" "${L_PID}" "${L_NR}")" || die "${what}: cannot count the records of the log"
  [[ "${counts}" =~ ${COUNT_RE} ]] || die "${what}: bad count_records output: ${counts}"
  events="${BASH_REMATCH[2]}"
  lost="${BASH_REMATCH[4]}"
  pid_recs="${BASH_REMATCH[5]}"
  captured="${BASH_REMATCH[6]}"
  rm -f "${log}"
  [[ "$(<"${rep}")" =~ ${SELF_RE} ]] || die "${what}: bad self_cpu report: $(<"${rep}")"
  local self_ns="${BASH_REMATCH[1]}" stat_ns="${BASH_REMATCH[2]}"
  # Other threads of sysstream would be missing from self_ns (the main
  # thread's): stat_ns (all threads, 10 ms ticks) says if there were any.
  (( stat_ns <= self_ns + self_ns / 5 + 20000000 )) ||
    echo "cpu_scaling.sh: ${what}: note: all threads used ${stat_ns} ns, the main thread ${self_ns} ns" >&2

  # Consistency: the log, the summary line and the loop must agree.
  [[ "${events}" == "${sum_events}" ]] ||
    die "${what}: inconsistent: log has ${events} events, summary says ${sum_events}"
  [[ "${lost}" == "${sum_lost}" ]] ||
    die "${what}: inconsistent: gap markers count ${lost} lost, summary says ${sum_lost}"
  (( captured <= made )) ||
    die "${what}: inconsistent: ${captured} getppid records for pid ${L_PID}, only ${made} calls made"
  (( pid_recs > captured )) ||
    die "${what}: inconsistent: no record of pid ${L_PID} besides getppid (its execve should be there)"
  (( captured + lost >= made )) ||
    die "${what}: inconsistent: ${captured} of ${made} calls captured but only ${lost} reported lost"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${r}" "${threads}" \
    "${variant}" "${L_WALL}" "${L_CPU}" "${made}" "${events}" "${captured}" \
    "${lost}" "${self_ns}" "${stat_ns}" >>"${WORK}/runs.tsv"
  R_SUMMARY="${variant} ${L_CPU}/${L_WALL} (${captured}/${made}, lost ${lost}, consumer $(( self_ns / 1000000 )) ms)"
}

# The consumer's fixed cost (start-up: BPF load, ring creation and mapping;
# exit), to tell it from the cost per event: sysstream variant $1 tracing a
# loop of one call in round $2; appends "round variant consumer_ns events" to
# startup.tsv.
run_startup() {
  local variant="$1" r="$2" bin="${SYSSTREAM}" rc=0
  local out="${WORK}/start.out" err="${WORK}/start.err" log="${WORK}/start.log"
  local rep="${WORK}/start.cpu"
  [[ "${variant}" == sysstream ]] || bin="${WORK}/bin/sysstream-baseline"
  rm -f "${out}" "${err}" "${log}" "${rep}"
  run_limited "${SELF_CPU}" "${rep}" -- "${bin}" -q --force -f "${log}" -- \
    "${LOOP}" 1 >"${out}" 2>"${err}" || rc=$?
  [[ ${rc} -eq 0 ]] || show_failure "round ${r} ${variant} start-up" "${rc}" "${out}" "${err}"
  [[ "$(<"${rep}")" =~ ${SELF_RE} ]] || die "round ${r} ${variant} start-up: bad self_cpu report: $(<"${rep}")"
  local self_ns="${BASH_REMATCH[1]}" summary
  summary="$(grep -E '^sysstream: [0-9]+ events written to ' "${err}" || true)"
  [[ "${summary}" =~ ${SUM_RE} ]] || { cat "${err}" >&2; die "round ${r} ${variant} start-up: no summary line"; }
  printf '%s\t%s\t%s\t%s\n' "${r}" "${variant}" "${self_ns}" "${BASH_REMATCH[1]}" >>"${WORK}/startup.tsv"
  rm -f "${log}"
}

# Hooks on sys_enter/sys_exit of anyone else (another tracer, a sysstream
# tracing every process) run for every call of every variant, and a tracer
# of getppid records the loops too: the report names them.
foreign_hooks() {
  if command -v bpftool >/dev/null 2>&1; then
    bpftool link list 2>/dev/null | grep -cE "tp '(sys_enter|sys_exit)'" || true
  else
    echo "unknown"
  fi
}

# ---------------------------------------------------------------- rounds
hooks_before="$(foreign_hooks)"
if [[ "${hooks_before}" != 0 ]]; then
  echo "cpu_scaling.sh: WARNING: ${hooks_before} other sys_enter/sys_exit BPF hook(s) attached (bpftool link list): every run pays them; the figures are not clean" >&2
fi
load_before="$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
start_s=${SECONDS}
echo "cpu_scaling.sh: ${rounds} round(s); threads ${THREADS[*]}; ${calls} getppid calls per thread; ${VARIANTS[*]}" >&2
: >"${WORK}/runs.tsv"
: >"${WORK}/startup.tsv"
"${LOOP}" 100000 >/dev/null  # warm-up (discarded): page cache, CPU frequency

nv=${#VARIANTS[@]}
for ((r = 1; r <= rounds; r++)); do
  for t in "${THREADS[@]}"; do
    line=""
    for ((k = 0; k < nv; k++)); do
      v="${VARIANTS[(k + r - 1) % nv]}"  # rotated: each variant leads in turn
      run_variant "${v}" "${t}" "${r}"
      line+="${line:+; }${R_SUMMARY}"
    done
    echo "cpu_scaling.sh: round ${r}/${rounds}, ${t} thread(s), CPU/wall ns/call: ${line}" >&2
  done
  for v in "${VARIANTS[@]}"; do
    if [[ "${v}" == sysstream || "${v}" == baseline ]]; then run_startup "${v}" "${r}"; fi
  done
done
load_after="$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
hooks_after="$(foreign_hooks)"
elapsed=$(( SECONDS - start_s ))

# ---------------------------------------------------------------- report
stamp="$(date -u '+%Y-%m-%d %H:%M UTC')"
base_desc="none"
[[ -z "${baseline}" ]] || base_desc="${baseline}"

# The report: medians over the rounds of each figure and of the per-round
# ratios (awk, one program).
read -r -d '' REPORT_AWK <<'EOF_AWK' || true
function median(a, n,    i, j, t, b) {
  for (i = 1; i <= n; i++) b[i] = a[i]
  for (i = 2; i <= n; i++) {          # insertion sort, n is small
    t = b[i]
    for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]
    b[j + 1] = t
  }
  return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
# Median of V[round, key] over the rounds where it is defined ("" if
# none); MED_N, MED_MIN, MED_MAX describe them.
function med(key,    r, n, a, i) {
  n = 0
  for (r = 1; r <= rounds; r++) if ((r SUBSEP key) in V) a[++n] = V[r, key]
  MED_N = n
  if (n == 0) return ""
  MED_MIN = a[1]; MED_MAX = a[1]
  for (i = 2; i <= n; i++) {
    if (a[i] < MED_MIN) MED_MIN = a[i]
    if (a[i] > MED_MAX) MED_MAX = a[i]
  }
  return median(a, n)
}
# The median as `fmt`, or "—".
function cell(key, fmt,    m) {
  m = med(key)
  return m == "" ? "—" : sprintf(fmt, m)
}
# The median with (min–max), and the rounds it covers when some are left
# out.
function spread(key, fmt,    m, s) {
  m = med(key)
  if (m == "") return "—"
  s = sprintf(fmt, m)
  if (MED_N > 1) s = s sprintf(" (" fmt "–" fmt ")", MED_MIN, MED_MAX)
  if (MED_N < rounds) s = s sprintf(" [%d of %d rounds]", MED_N, rounds)
  return s
}
function commas(n,    s, neg) {
  s = sprintf("%d", n); neg = ""
  if (s ~ /^-/) { neg = "-"; s = substr(s, 2) }
  while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([^0-9]|$)/, ",&", s)
  return neg s
}
function k3(t, v, what) { return t SUBSEP v SUBSEP what }
# The median added cost (`what`: add, CPU, or addw, wall) of t threads over
# the 1-thread one: a ratio of medians, each cost taken against the floor
# of its own round ("" if the 1-thread cost is not above 0).
function xone(t, v, what,    a1, at) {
  a1 = med(k3(1, v, what)); at = med(k3(t, v, what))
  return (a1 == "" || at == "" || a1 <= 0) ? "" : at / a1
}
function fmt_or_dash(x, fmt) { return x == "" ? "—" : sprintf(fmt, x) }
FILENAME ~ /startup\.tsv$/ {           # round variant consumer_ns events
  V[$1, "start", $2] = $3 / 1e6
  next
}
{                                      # a run of runs.tsv
  r = $1; t = $2; v = $3
  V[r, t, v, "wall"] = $4
  V[r, t, v, "cpu"] = $5
  if ($7 != "-") {
    EV[r, t, v] = $7
    CONS[r, t, v] = $10
    V[r, t, v, "cons"] = $10 / $7      # consumer ns per event
    MADE[t, v] += $6; CAP[t, v] += $8; LOST[t, v] += $9
  }
}
END {
  nt = split(threads_list, T, " ")
  nv = split(have_base ? "untraced floor sysstream baseline" : "untraced floor sysstream", VS, " ")
  for (k = 3; k <= nv; k++) START[VS[k]] = med("start" SUBSEP VS[k])
  # Per-round figures: each against the floor and the 1-thread run of its
  # own round.
  for (r = 1; r <= rounds; r++) {
    for (i = 1; i <= nt; i++) {
      t = T[i]
      for (k = 3; k <= nv; k++) {
        v = VS[k]
        if (!((r SUBSEP k3(t, v, "cpu")) in V)) continue
        V[r, t, v, "add"] = V[r, t, v, "cpu"] - V[r, t, "floor", "cpu"]
        V[r, t, v, "addw"] = V[r, t, v, "wall"] - V[r, t, "floor", "wall"]
        V[r, t, v, "xfloor"] = V[r, t, v, "cpu"] / V[r, t, "floor", "cpu"]
        V[r, t, v, "xfloorw"] = V[r, t, v, "wall"] / V[r, t, "floor", "wall"]
        net = CONS[r, t, v] - START[v] * 1e6
        V[r, t, v, "net"] = (net > 0 ? net : 0) / EV[r, t, v]
        if (t != 1) {
          # Per round too (shown beside the ratio of medians); a 1-thread
          # cost at or below the floor (noise) has no ratio.
          a1 = V[r, 1, v, "cpu"] - V[r, 1, "floor", "cpu"]
          if (a1 > 0) V[r, t, v, "xone"] = V[r, t, v, "add"] / a1
        }
      }
      if (have_base) {
        V[r, t, "cons_vs_base"] = V[r, t, "sysstream", "cons"] / V[r, t, "baseline", "cons"]
        if (V[r, t, "baseline", "net"] > 0)
          V[r, t, "net_vs_base"] = V[r, t, "sysstream", "net"] / V[r, t, "baseline", "net"]
      }
    }
  }
  label["untraced"] = "untraced"; label["floor"] = "floor (empty hook)"
  label["sysstream"] = "**sysstream**"; label["baseline"] = "baseline"

  printf "# sysstream CPU scaling, %s\n\n", stamp
  printf "`pinned_loop --threads T %d`: T threads, each pinned to a CPU of its own, each making %s getppid calls, all at the same time. ", calls, commas(calls)
  printf "%d round(s); each runs every thread count untraced, under the empty raw_tp/sys_enter hook (floor) and under `sysstream -q --force -f LOG -- pinned_loop ...`%s, side by side (order rotated from round to round).\n\n", \
    rounds, have_base ? " and the same under the baseline binary" : ""
  printf "sysstream: %s; baseline: %s. Kernel %s, %d CPUs; load average %s at start, %s at end; other sys_enter/sys_exit BPF hooks attached: %s at start, %s at end; run time %d min %d s.\n\n", \
    commit, base_desc, kernel, cpus, load_before, load_after, hooks_before, hooks_after, int(elapsed / 60), elapsed % 60
  if (hooks_before != "0" || hooks_after != "0")
    printf "**Warning:** other BPF hooks were attached to sys_enter/sys_exit during this run: every variant paid them, and a tracer of getppid recorded the loops too. The figures are not clean.\n\n"
  printf "Medians of the rounds. *CPU ns/call*: the loop threads' own CPU time (user + system, the BPF programs included) per call: what other processes take from the CPUs does not count. "
  printf "*wall ns/call*: one thread's wall time per call while all run. "
  printf "*added*: minus the floor of the same round, per event. *× 1-thread added*: the median added CPU cost over the median 1-thread one. *× floor*: CPU time over the floor's. "
  printf "*consumer*: CPU time of the sysstream process itself (draining, merging, writing the log; the BPF programs run in the loop threads), per event written; *net* leaves out its start-up and exit cost (a run tracing a 1-call loop).\n\n"
  printf "| threads | variant | CPU ns/call | wall ns/call | added ns/event (CPU) | added ns/event (wall) | × 1-thread added | × floor | captured / made | lost | consumer ns/event | consumer net ns/event |\n"
  printf "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
  for (i = 1; i <= nt; i++) {
    t = T[i]
    for (k = 1; k <= nv; k++) {
      v = VS[k]
      tr = (k >= 3)
      printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t, label[v], \
        cell(k3(t, v, "cpu"), "%.1f"), cell(k3(t, v, "wall"), "%.1f"), \
        tr ? cell(k3(t, v, "add"), "%.1f") : "—", \
        tr ? cell(k3(t, v, "addw"), "%.1f") : "—", \
        (tr && t != 1) ? fmt_or_dash(xone(t, v, "add"), "%.2f") : (tr ? "1" : "—"), \
        tr ? cell(k3(t, v, "xfloor"), "%.3f") : ((k == 2) ? "1" : "—"), \
        tr ? commas(CAP[t, v]) " / " commas(MADE[t, v]) : "—", \
        tr ? commas(LOST[t, v]) : "—", \
        tr ? cell(k3(t, v, "cons"), "%.1f") : "—", \
        tr ? cell(k3(t, v, "net"), "%.1f") : "—"
    }
  }
  printf "\ncaptured / made and lost: totals over the rounds. Consumer start-up and exit (median): sysstream %.1f ms", START["sysstream"]
  if (have_base) printf ", baseline %.1f ms", START["baseline"]
  printf ".\n\n"

  printf "## Targets\n\n"
  printf "Verdicts on the CPU-time figures (the loop threads' own time: other load on the machine does not inflate them); the wall-time figures of the same runs are given beside them.\n\n"
  printf "| target | measured (median of the rounds, min–max) | verdict |\n|---|---|---|\n"
  if (nt >= 2 && T[2] == 2) {
    m = xone(2, "sysstream", "add")
    desc = sprintf("CPU: %s× (%s vs %s ns/event; per-round ratios %s); wall: %s× (%s vs %s)", \
      fmt_or_dash(m, "%.2f"), cell(k3(2, "sysstream", "add"), "%.0f"), cell(k3(1, "sysstream", "add"), "%.0f"), \
      spread(k3(2, "sysstream", "xone"), "%.2f"), fmt_or_dash(xone(2, "sysstream", "addw"), "%.2f"), \
      cell(k3(2, "sysstream", "addw"), "%.0f"), cell(k3(1, "sysstream", "addw"), "%.0f"))
    if (have_base) desc = desc sprintf("; baseline CPU: %s× (%s vs %s), wall: %s×", fmt_or_dash(xone(2, "baseline", "add"), "%.2f"), \
      cell(k3(2, "baseline", "add"), "%.0f"), cell(k3(1, "baseline", "add"), "%.0f"), fmt_or_dash(xone(2, "baseline", "addw"), "%.2f"))
    printf "| 2-thread added cost ≤ %s × the 1-thread one | %s | **%s** |\n", t_scale, desc, \
      (m == "") ? "NOT MEASURED" : ((m <= t_scale + 1e-9) ? "MET" : "NOT MET")
  } else {
    printf "| 2-thread added cost ≤ %s × the 1-thread one | not run (%d CPU(s), or --threads without 2) | **NOT MEASURED** |\n", t_scale, cpus
  }
  for (i = 3; i <= nt; i++) {
    desc = sprintf("CPU: %s× (%s ns/event); wall: %s×", fmt_or_dash(xone(T[i], "sysstream", "add"), "%.2f"), \
      cell(k3(T[i], "sysstream", "add"), "%.0f"), fmt_or_dash(xone(T[i], "sysstream", "addw"), "%.2f"))
    if (have_base) desc = desc sprintf("; baseline CPU: %s×", fmt_or_dash(xone(T[i], "baseline", "add"), "%.2f"))
    printf "| (no target) %d-thread added cost / 1-thread | %s | — |\n", T[i], desc
  }
  m = med(k3(1, "sysstream", "xfloor"))
  desc = sprintf("CPU: %s; wall: %s", spread(k3(1, "sysstream", "xfloor"), "%.3f"), spread(k3(1, "sysstream", "xfloorw"), "%.3f"))
  if (have_base) desc = desc sprintf("; baseline CPU: %s, wall: %s", cell(k3(1, "baseline", "xfloor"), "%.3f"), cell(k3(1, "baseline", "xfloorw"), "%.3f"))
  printf "| 1-thread sysstream/floor ≤ %s | %s | **%s** |\n", t_floor, desc, (m <= t_floor + 1e-9) ? "MET" : "NOT MET"
  if (have_base) {
    desc = ""; ok = 1
    for (i = 1; i <= nt; i++) {
      t = T[i]
      m = med(t SUBSEP "cons_vs_base")
      if (m > 1 + 1e-9) ok = 0
      desc = desc sprintf("%s%d thread(s): %s vs %s ns/event, ratio %s; net of start-up %s vs %s, ratio %s", \
        (i > 1) ? "; " : "", t, cell(k3(t, "sysstream", "cons"), "%.1f"), cell(k3(t, "baseline", "cons"), "%.1f"), \
        spread(t SUBSEP "cons_vs_base", "%.2f"), cell(k3(t, "sysstream", "net"), "%.1f"), \
        cell(k3(t, "baseline", "net"), "%.1f"), cell(t SUBSEP "net_vs_base", "%.2f"))
    }
    printf "| consumer CPU per event ≤ the baseline's (every thread count) | %s | **%s** |\n", desc, ok ? "MET" : "NOT MET"
  } else {
    printf "| consumer CPU per event ≤ the baseline's | no --baseline given | **NOT MEASURED** |\n"
  }
  made = 0; cap = 0; lost = 0
  for (i = 1; i <= nt; i++) { made += MADE[T[i], "sysstream"]; cap += CAP[T[i], "sysstream"]; lost += LOST[T[i], "sysstream"] }
  desc = sprintf("captured %s of %s, lost %s", commas(cap), commas(made), commas(lost))
  if (have_base) {
    bm = 0; bc = 0; bl = 0
    for (i = 1; i <= nt; i++) { bm += MADE[T[i], "baseline"]; bc += CAP[T[i], "baseline"]; bl += LOST[T[i], "baseline"] }
    desc = desc sprintf("; baseline captured %s of %s, lost %s", commas(bc), commas(bm), commas(bl))
  }
  printf "| every call captured, nothing lost | %s | **%s** |\n", desc, (cap == made && lost == 0) ? "MET" : "NOT MET"
}
EOF_AWK

awk -F'\t' -v rounds="${rounds}" -v calls="${calls}" -v threads_list="${THREADS[*]}" \
    -v have_base="$([[ -n "${baseline}" ]] && echo 1 || echo 0)" \
    -v t_scale="${TARGET_SCALING}" -v t_floor="${TARGET_FLOOR}" \
    -v stamp="${stamp}" -v commit="${commit}" -v kernel="$(uname -r)" \
    -v cpus="${ncpus}" -v load_before="${load_before}" -v load_after="${load_after}" \
    -v base_desc="${base_desc}" -v elapsed="${elapsed}" \
    -v hooks_before="${hooks_before}" -v hooks_after="${hooks_after}" \
    "${REPORT_AWK}" "${WORK}/startup.tsv" "${WORK}/runs.tsv" >"${WORK}/report.md"

mkdir -p "${out_dir}"
base="${out_dir}/cpu-scaling-$(date '+%Y-%m-%d-%H%M%S')"
cp "${WORK}/report.md" "${base}.md"
{
  printf 'round\tthreads\tvariant\twall_ns_per_call\tcpu_ns_per_call\tmade\tevents\tcaptured\tlost\tconsumer_ns\tconsumer_stat_ns\n'
  cat "${WORK}/runs.tsv"
} >"${base}.tsv"
echo
cat "${WORK}/report.md"
echo
echo "cpu_scaling.sh: report ${base}.md, runs ${base}.tsv" >&2
