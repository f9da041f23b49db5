#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: Apache-2.0
# /init of the kernel-matrix initramfs (tools/vm/mkinitramfs.sh): mounts what
# sysstream needs, runs every scenario of /vm_workload against /sysstream and
# prints one line per scenario on the serial console:
#   SYSSTREAM-KERNEL release=<uname -r> btf=<0|1> ...
#   SYSSTREAM-RESULT name=<scenario> ok=<0|1> detail=<text>
#   SYSSTREAM-DONE
# then powers the machine off. Scenarios come from the kernel command line
# (sysstream.scenarios=a,b,c), default all ten.
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s
# The initramfs may have been built without /dev/console (not root).
[ -c /dev/console ] && exec 0</dev/console 1>/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mkdir -p /sys/fs/bpf /sys/kernel/tracing /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

scenarios="seq follow gap preempt sigterm ret seccomp compat pod podns"
# shellcheck disable=SC2013  # words, not lines
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    sysstream.scenarios=*) scenarios=$(echo "${arg#*=}" | tr ',' ' ') ;;
  esac
done

echo
btf=0
[ -r /sys/kernel/btf/vmlinux ] && btf=1
echo "SYSSTREAM-KERNEL release=$(uname -r) btf=$btf cpus=$(nproc) memlock=$(ulimit -l) version=$(tr ' ' '_' </proc/version)"

failed=0
failed_names=
for s in $scenarios; do
  # The driver bounds every step itself; this is a last resort.
  if ! timeout 240 /vm_workload scenario "$s" /sysstream; then
    failed=1
    failed_names="$failed_names $s"
  fi
done
# On any failure, one run with libbpf's log for the report.
[ "$failed" = 1 ] && /vm_workload debug /sysstream
case "$failed_names" in *nores*) /vm_workload debug /sysstream nores ;; esac
echo "SYSSTREAM-DONE failed=$failed"
sync
poweroff -f
