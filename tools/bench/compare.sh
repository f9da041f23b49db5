#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# sysstream against the tools users would pick instead. Each workload
#   getppid    the 5,000,000-call getppid loop
#   threads    the same calls over 2 threads
#   gzip       gzip -9 of 64 MiB of pseudo-random data (fixed seed)
#   forkstorm  2,000 x fork+execve /bin/true
# runs, side by side in every round, untraced, under the empty
# raw_tp/sys_enter hook (the floor), under sysstream, strace -f, perf trace
# and a bpftrace one-liner writing the same records; then sysstream alone
# scales over event rate, PIDs in the filter and ring buffer size. Writes a
# Markdown report, the raw runs (TSV) and two gnuplot charts to results/.
# BENCHMARKS.md explains the method and shows the latest published run.
#
# Usage: tools/bench/compare.sh [--smoke] [--publish] [--bin-dir DIR]
#                               [compare.py options...]
#   --rounds R        rounds (default 3); medians and min-max are reported
#   --calls N         getppid calls untraced/floor/sysstream (default 5000000)
#   --peer-calls N    getppid calls under strace/perf/bpftrace (default 500000)
#   --tracers LIST    subset of untraced,floor,sysstream,strace,perf,bpftrace
#   --workloads LIST  subset of getppid,threads,gzip,forkstorm
#   --no-scaling      skip the sysstream scaling runs
#   --no-chart        no PNG
#   --smoke           quick check: 20000 calls, 1 round, getppid only,
#                     untraced/floor/sysstream/strace, no scaling, no chart
#   --publish         also copy the charts to tools/bench/charts/ and the
#                     report into BENCHMARKS.md (between its markers)
#   --bin-dir DIR     use the binaries in DIR (sysstream floor_hook load_loop
#                     spawn count_records) instead of building them; no
#                     package installation either (the smoke test uses it)
#   --out-dir DIR     where the results go (default results/)
#   --help            all options of tools/bench/compare.py
#
# Needs root. Without --bin-dir it runs tools/setup.sh if a peer tracer or
# gnuplot is missing, and builds with bazel. bpftrace and perf trace need
# tracefs: it is mounted at /sys/kernel/tracing (and left mounted) when it is
# missing, as on a fresh machine, with a line saying so. Exits 0 when every run worked
# (whether or not the targets are met), 1 if a run failed.
set -euo pipefail

die() {
  echo "compare.sh: $*" >&2
  exit 1
}

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/../.." && pwd)"

bin_dir=""
out_dir=""
publish=0
pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin-dir) [[ $# -ge 2 ]] || die "--bin-dir needs a value"; bin_dir="$2"; shift 2 ;;
    --bin-dir=*) bin_dir="${1#*=}"; shift ;;
    --out-dir) [[ $# -ge 2 ]] || die "--out-dir needs a value"; out_dir="$2"; shift 2 ;;
    --out-dir=*) out_dir="${1#*=}"; shift ;;
    --publish) publish=1; shift ;;
    -h|--help)
      sed -n '/^# Usage:/,/^#   --help/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      echo
      exec python3 "${HERE}/compare.py" --help
      ;;
    *) pass+=("$1"); shift ;;
  esac
done
[[ "$(id -u)" -eq 0 ]] || die "run as root (BPF, perf, ptrace)"
command -v python3 >/dev/null || die "python3 missing (tools/setup.sh installs it)"
[[ -n "${out_dir}" ]] || out_dir="${ROOT}/results"

WORK=""
cleanup() { [[ -z "${WORK}" ]] || rm -rf "${WORK}"; }
trap cleanup EXIT

if [[ -z "${bin_dir}" ]]; then
  for tool in strace perf bpftrace gnuplot; do
    if ! command -v "${tool}" >/dev/null; then
      echo "compare.sh: ${tool} missing: running tools/setup.sh" >&2
      bash "${ROOT}/tools/setup.sh" >&2
      break
    fi
  done
  echo "compare.sh: building with bazel ..." >&2
  cd "${ROOT}"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/sysstream-compare-bin.XXXXXX")"
  TARGETS=(//:sysstream //tools/bench:floor_hook //tools/bench:load_loop
           //tools/bench:spawn //tools/bench:count_records)
  if ! bazel build "${TARGETS[@]}" >"${WORK}/build.log" 2>&1; then
    grep -v 'linux-sandbox' "${WORK}/build.log" | tail -n 40 >&2
    die "bazel build failed"
  fi
  BIN="$(bazel info bazel-bin 2>/dev/null)" || BIN="${ROOT}/bazel-bin"
  # Private copies: a rebuild by someone else mid-run must not change them.
  bin_dir="${WORK}/bin"
  mkdir -p "${bin_dir}"
  for f in sysstream tools/bench/floor_hook tools/bench/load_loop \
           tools/bench/spawn tools/bench/count_records; do
    [[ -x "${BIN}/${f}" ]] || die "missing build output ${BIN}/${f}"
    cp "${BIN}/${f}" "${bin_dir}/"
  done
else
  # Bazel data deps may be symlinks into runfiles: resolve them.
  bin_dir="$(cd "${bin_dir}" && pwd -P)"
fi

args=(--bin-dir "${bin_dir}" --out-dir "${out_dir}")
[[ ${publish} -eq 0 ]] || args+=(--publish "${ROOT}")
python3 "${HERE}/compare.py" "${args[@]}" "${pass[@]+"${pass[@]}"}"
