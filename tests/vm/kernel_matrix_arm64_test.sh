#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bazel test //tests/vm:kernel_matrix_arm64_test
#   args: RUN_MATRIX SYSSTREAM VM_WORKLOAD INIT BUSYBOX (runfiles paths; the
#   binaries are aarch64, built through tests/vm's arm64_binary transition)
# Boots Debian's cloud-arm64 kernels (bullseye 5.10, bookworm 6.1, trixie 6.12,
# sid) under qemu-system-aarch64 and runs the guest scenarios, plus "ret"
# (--ret: sys_exit's syscall number from arm64's pt_regs.syscallno, through
# the CO-RE flavour type in bpf/sysstream.bpf.c), via tools/vm/run-matrix.sh.
# Fails (never skips) when the kernels are neither cached nor downloadable.
set -euo pipefail
if [ "$(id -u)" -ne 0 ] && [ -z "${SYSSTREAM_VM_CACHE:-}" ]; then
  export SYSSTREAM_VM_CACHE=${HOME:-/tmp}/.cache/sysstream-vm
fi
export SYSSTREAM_VM_ARCH=arm64
export SYSSTREAM_VM_RELEASES=${SYSSTREAM_VM_RELEASES:-bullseye bookworm trixie sid}
# An absolute path: run-matrix.sh hands it to mkinitramfs.sh.
SYSSTREAM_VM_BUSYBOX=$(readlink -f "$5")
export SYSSTREAM_VM_BUSYBOX
# The default scenarios plus "seccomp" (denied calls recorded at sys_exit).
export SYSSTREAM_VM_SCENARIOS=${SYSSTREAM_VM_SCENARIOS:-seq follow gap preempt sigterm ret seccomp pod podns}
exec bash "$1" "$2" "$3" "$4"
