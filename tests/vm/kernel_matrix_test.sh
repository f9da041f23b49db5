#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bazel test //tests/vm:kernel_matrix_test
#   args: RUN_MATRIX SYSSTREAM VM_WORKLOAD INIT (runfiles paths)
# Boots bullseye 5.10, bookworm 6.1, trixie 6.12 and sid under qemu and runs
# the guest scenarios with the static sysstream binary (tools/vm/run-matrix.sh).
# Fails (never skips) when the kernels are neither cached nor downloadable.
set -euo pipefail
if [ "$(id -u)" -ne 0 ] && [ -z "${SYSSTREAM_VM_CACHE:-}" ]; then
  # The default cache, /var/cache/sysstream-vm, needs root.
  export SYSSTREAM_VM_CACHE=${HOME:-/tmp}/.cache/sysstream-vm
fi
# The default scenarios plus "seccomp" (denied calls recorded at sys_exit)
# and "compat" (ia32 calls through int $0x80; out-of-range numbers).
export SYSSTREAM_VM_SCENARIOS=${SYSSTREAM_VM_SCENARIOS:-seq follow gap preempt sigterm ret seccomp compat pod podns}
exec bash "$1" "$2" "$3" "$4"
