#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the kernel-matrix initramfs: busybox (static) + /init + the static
# sysstream binary + the static guest workload, as a gzip'd newc cpio.
#
#   tools/vm/mkinitramfs.sh SYSSTREAM VM_WORKLOAD INIT OUT.cpio.gz
#
# Needs busybox-static (/bin/busybox, used for cpio too) and gzip.
# SYSSTREAM_VM_BUSYBOX: the guest's static busybox (default /bin/busybox; for
# an arm64 guest, Debian's arm64 busybox-static, which this host cannot run:
# the cpio archive is always written by the host's /bin/busybox).
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 SYSSTREAM VM_WORKLOAD INIT OUT.cpio.gz" >&2
  exit 2
fi
sysstream=$1 workload=$2 init=$3 out=$4

busybox=${SYSSTREAM_VM_BUSYBOX:-/bin/busybox}
host_busybox=/bin/busybox
# Nothing in the initramfs may need a dynamic loader or libc.
is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }
for b in "$busybox" "$host_busybox"; do
  if [ ! -x "$b" ] || ! is_static "$b"; then
    echo "mkinitramfs: no static $b: apt-get install busybox-static" >&2
    exit 1
  fi
done
for f in "$sysstream" "$workload"; do
  [ -r "$f" ] || { echo "mkinitramfs: $f missing" >&2; exit 1; }
  is_static "$f" || { echo "mkinitramfs: $f is not statically linked" >&2; exit 1; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/sysstream-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc}
install -m 0755 "$busybox" "$stage/bin/busybox"
install -m 0755 "$init" "$stage/init"
install -m 0755 "$sysstream" "$stage/sysstream"
install -m 0755 "$workload" "$stage/vm_workload"
# The kernel opens /dev/console before /init runs; as root we can make it
# (otherwise /init reopens the console after mounting devtmpfs).
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true
mknod -m 0666 "$stage/dev/null" c 1 3 2>/dev/null || true

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
  "$host_busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
