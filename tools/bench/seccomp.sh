#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# What recording seccomp-denied calls costs (issue 11 §2.3). Such calls
# never reach raw_tp/sys_enter; two routes see them:
#   exit   raw_tp/sys_exit with a 2-bit per-thread state (what sysstream
#          does): every syscall of every process pays a second hook.
#   fexit  fexit/__secure_computing: only processes under a seccomp filter
#          pay, but it needs BPF trampolines (fentry/fexit).
# Each round runs, side by side, the getppid loop of tools/bench (a)
# untraced, (b) under the empty raw_tp/sys_enter hook (the floor),
# (c) under sysstream without its sys_exit hook (SYSSTREAM_BENCH_NO_EXIT_HOOK:
# sysstream before this change; denied calls not recorded) and (d) under
# sysstream as built (denied calls recorded); all four once as is and once
# under a seccomp filter (a container-style allow list: getgid denied,
# everything else allowed). It prints ns/call, the ratios (d)/(c) and
# (d)/(b), and whether an empty fexit program on __secure_computing can be
# loaded on this kernel at all.
#
# Usage: tools/bench/seccomp.sh [--rounds R] [--calls N] [--quick]
set -euo pipefail

rounds=5
calls=2000000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --calls) calls="$2"; shift 2 ;;
    --quick) rounds=1; calls=200000; shift ;;
    -h|--help) sed -n '/^# What/,/^# Usage/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "seccomp.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ "${rounds}" =~ ^[1-9][0-9]*$ && "${calls}" =~ ^[1-9][0-9]*$ ]] || {
  echo "seccomp.sh: --rounds and --calls take positive integers" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${ROOT}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sysstream-seccomp.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT

echo "seccomp.sh: building ..." >&2
if ! bazel build //:sysstream //tools/bench:getppid_loop //tools/bench:floor_hook \
    >"${WORK}/build.log" 2>&1; then
  grep -v linux-sandbox "${WORK}/build.log" | tail -n 30 >&2
  exit 1
fi
BIN="$(bazel info bazel-bin 2>/dev/null)"
mkdir -p "${WORK}/bin"
for f in sysstream tools/bench/getppid_loop tools/bench/floor_hook; do
  cp "${BIN}/${f}" "${WORK}/bin/"
done
S="${WORK}/bin/sysstream"
LOOP="${WORK}/bin/getppid_loop"
FLOOR="${WORK}/bin/floor_hook"

# Runs "$@" under a seccomp filter that denies getgid (EACCES) and allows
# the rest, installed by python3 through prctl(2), then exec.
cat >"${WORK}/seccomp_exec.py" <<'PY'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NR_GETGID = 104 if os.uname().machine == "x86_64" else 176
def stmt(code, k): return struct.pack("HBBI", code, 0, 0, k)
def jump(code, k, jt, jf): return struct.pack("HBBI", code, jt, jf, k)
prog = b"".join([stmt(0x20, 0),                        # ld [nr]
                 jump(0x15, NR_GETGID, 0, 1),          # jeq getgid
                 stmt(0x06, 0x00050000 | 13),          # ret ERRNO(EACCES)
                 stmt(0x06, 0x7fff0000)])              # ret ALLOW
buf = ctypes.create_string_buffer(prog)
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog) // 8, ctypes.addressof(buf))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0:
    sys.exit("seccomp_exec: prctl: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
PY
SEC=(python3 "${WORK}/seccomp_exec.py")

ns() { sed -n 's/^calls=[0-9]* ns_per_call=\([0-9.]*\) .*/\1/p' "$1"; }

# fexit route: does an empty fexit/__secure_computing load here?
fexit_status="not checked (no clang)"
if command -v clang >/dev/null && [[ -r "${BIN}/bpf/vmlinux.h" ]]; then
  cp "${BIN}/bpf/vmlinux.h" "${WORK}/"
  cat >"${WORK}/fexit.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "Dual BSD/GPL";
SEC("fexit/__secure_computing")
int BPF_PROG(on_verdict) { return 0; }
C
  if clang -O2 -g -target bpf -c "${WORK}/fexit.bpf.c" -o "${WORK}/fexit.o" 2>"${WORK}/clang.err"; then
    if bpftool prog load "${WORK}/fexit.o" /sys/fs/bpf/sysstream-bench-fexit \
        >"${WORK}/fexit.err" 2>&1; then
      fexit_status="loads (not timed: bpftool 7.1 cannot attach it)"
      rm -f /sys/fs/bpf/sysstream-bench-fexit
    else
      fexit_status="cannot load here: $(grep -m1 -o 'failed to load: .*\|Operation not permitted\|Invalid argument' "${WORK}/fexit.err" | head -1)"
    fi
  fi
fi

declare -A SUM
variants=(u f s0 s1 uS fS s0S s1S)
for v in "${variants[@]}"; do SUM[$v]=""; done
"${LOOP}" 100000 >/dev/null
for ((r = 1; r <= rounds; r++)); do
  for v in "${variants[@]}"; do
    pre=()
    [[ "${v}" == *S ]] && pre=("${SEC[@]}")
    case "${v%S}" in
      u) "${pre[@]}" "${LOOP}" "${calls}" >"${WORK}/o" ;;
      f) "${FLOOR}" -- "${pre[@]}" "${LOOP}" "${calls}" >"${WORK}/o" ;;
      s0) SYSSTREAM_BENCH_NO_EXIT_HOOK=1 "${S}" -q --force -f "${WORK}/x.log" \
            -- "${pre[@]}" "${LOOP}" "${calls}" >"${WORK}/o" 2>/dev/null ;;
      s1) "${S}" -q --force -f "${WORK}/x.log" -- "${pre[@]}" "${LOOP}" "${calls}" \
            >"${WORK}/o" 2>/dev/null ;;
    esac
    SUM[$v]+="$(ns "${WORK}/o") "
  done
  echo "seccomp.sh: round ${r}/${rounds} done" >&2
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | grep . | sort -g | head -1; }
echo
echo "getppid loop, ${calls} calls, ${rounds} rounds; $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
# On a shared machine the median moves with other people's load; the
# minimum of the rounds is each variant's least disturbed run.
for stat in median minimum; do
  echo
  echo "${stat} ns/call:"
  echo
  echo "| process | untraced | floor (empty sys_enter) | sysstream, sys_enter only | sysstream + sys_exit route | route / sys_enter only | route − sys_enter only (ns) | route / floor |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for sfx in "" S; do
    u=$(echo "${SUM[u$sfx]}" | ${stat}); f=$(echo "${SUM[f$sfx]}" | ${stat})
    s0=$(echo "${SUM[s0$sfx]}" | ${stat}); s1=$(echo "${SUM[s1$sfx]}" | ${stat})
    name="no seccomp filter"; [[ -n "${sfx}" ]] && name="under a seccomp filter"
    awk -v n="${name}" -v u="$u" -v f="$f" -v a="$s0" -v b="$s1" 'BEGIN {
      printf "| %s | %.0f | %.0f | %.0f | %.0f | %.3f | %+.0f | %.3f |\n", n, u, f, a, b, b / a, b - a, b / f }'
  done
done
echo
echo "fexit/__secure_computing route: ${fexit_status}"
