#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Boots Debian's amd64 (or arm64) kernels under qemu (TCG, no KVM) with an
# initramfs that holds the static sysstream binary, runs the guest scenarios and prints a
# kernel x scenario table. Exit 0 only if every scenario passed on every
# kernel.
#
#   tools/vm/run-matrix.sh SYSSTREAM VM_WORKLOAD [INIT]
#   e.g. bazel build //:sysstream //tests/vm:vm_workload &&
#        tools/vm/run-matrix.sh bazel-bin/sysstream bazel-bin/tests/vm/vm_workload
#
# Environment:
#   SYSSTREAM_VM_ARCH       amd64 (default: qemu-system-x86_64) or arm64
#                           (qemu-system-aarch64 -M virt -cpu cortex-a57; the
#                           binaries must be aarch64 and SYSSTREAM_VM_BUSYBOX
#                           an arm64 static busybox, see mkinitramfs.sh)
#   SYSSTREAM_VM_RELEASES   Debian releases to boot (default
#                           "bullseye bookworm trixie sid")
#   SYSSTREAM_VM_SCENARIOS  guest scenarios (default "seq follow gap sigterm ret pod podns";
#                           also "nores": seq with CAP_SYS_RESOURCE dropped)
#   SYSSTREAM_VM_TIMEOUT    seconds per boot (default 150)
#   SYSSTREAM_VM_SMP        guest CPUs (default 4: more rings than the two
#                           of this project's machines)
#   SYSSTREAM_VM_ACCEL      qemu -accel value (default tcg,thread=single; never
#                           kvm: /dev/kvm here cannot run stock kernels)
#   SYSSTREAM_VM_OUT        where serial logs go (default: a temp dir, or
#                           $TEST_UNDECLARED_OUTPUTS_DIR under bazel test)
#   plus fetch-kernels.sh's SYSSTREAM_VM_CACHE, _MIRROR, _FLAVOUR, _REFRESH.
# Exit status: 0 all passed; 1 a scenario failed or a boot went wrong; 2 usage;
# 3 kernels missing and not downloadable (from fetch-kernels.sh); 4 fetch error.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '8,10p' "$0" | cut -c3- >&2
  exit 2
fi
sysstream=$1 workload=$2
init=${3:-$here/../../tests/vm/init.sh}
releases=${SYSSTREAM_VM_RELEASES:-bullseye bookworm trixie sid}
scenarios=${SYSSTREAM_VM_SCENARIOS:-seq follow gap preempt sigterm ret pod podns}
boot_timeout=${SYSSTREAM_VM_TIMEOUT:-150}
smp=${SYSSTREAM_VM_SMP:-4}
# Single-threaded TCG (both vCPUs on one host thread, interleaved): with
# thread=multi, sid's 7.x kernels hit "Oops: int3" in code being live-patched
# (text_poke), or hang before /init: 3 of ~50 sid boots here (5.10-6.12 were
# fine); with thread=single 0 of ~100 boots, at about the same speed.
accel=${SYSSTREAM_VM_ACCEL:-tcg,thread=single}

arch=${SYSSTREAM_VM_ARCH:-amd64}
export SYSSTREAM_VM_ARCH=$arch  # for fetch-kernels.sh
case "$arch" in
  amd64)
    qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86 elf_machine='X86-64'
    qemu_machine=(-cpu max) console=ttyS0 ;;
  arm64)
    qemu=qemu-system-aarch64 qemu_pkg=qemu-system-arm elf_machine='AArch64'
    qemu_machine=(-M virt -cpu cortex-a57) console=ttyAMA0 ;;
  *) echo "run-matrix: SYSSTREAM_VM_ARCH=$arch: amd64 or arm64" >&2; exit 2 ;;
esac
command -v "$qemu" >/dev/null || {
  echo "run-matrix: $qemu missing: apt-get install $qemu_pkg" >&2
  exit 1
}
for f in "$sysstream" "$workload"; do
  m=$(readelf -h "$f" 2>/dev/null | sed -n 's/^ *Machine: *//p')
  case "$m" in
    *"$elf_machine"*) ;;
    *) echo "run-matrix: $f is not a $arch binary (ELF machine: ${m:-none})" >&2; exit 2 ;;
  esac
done

out=${SYSSTREAM_VM_OUT:-${TEST_UNDECLARED_OUTPUTS_DIR:-}}
if [ -z "$out" ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/sysstream-vm.XXXXXX")
fi
mkdir -p "$out"
t0=$(date +%s)

# 1. Kernels (cached, or downloaded now).
set +e
# shellcheck disable=SC2086  # a list of release names
kernels=$(bash "$here/fetch-kernels.sh" $releases)
rc=$?
set -e
if [ $rc -ne 0 ]; then
  if [ $rc -eq 3 ]; then
    echo "run-matrix: FAIL: kernels not cached and not downloadable (see above)." >&2
  else
    echo "run-matrix: FAIL: fetch-kernels.sh exited $rc (see above)." >&2
  fi
  exit $rc
fi
t_fetch=$(date +%s)

# 2. The initramfs.
initrd=$out/initrd.cpio.gz
bash "$here/mkinitramfs.sh" "$sysstream" "$workload" "$init" "$initrd"
echo "run-matrix: initramfs $(du -h "$initrd" | cut -f1), kernels ready after $((t_fetch - t0)) s"

# 3. One boot per kernel.
declare -A result detail seconds krel_of
failures=0
while IFS=$'\t' read -r rel krel pkg vmlinuz; do
  [ -n "$rel" ] || continue
  krel_of[$rel]=$krel
  serial=$out/serial-$rel.log
  echo "run-matrix: booting $rel ($krel, $pkg; -accel $accel)"
  b0=$(date +%s.%N)
  set +e
  timeout -k 5 "$boot_timeout" "$qemu" \
    -accel "$accel" "${qemu_machine[@]}" -smp "$smp" -m 1G \
    -nographic -no-reboot -nic none \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append "console=$console panic=-1 quiet sysstream.scenarios=${scenarios// /,}" \
    </dev/null >"$serial" 2>&1
  qrc=$?
  set -e
  seconds[$rel]=$(awk -v a="$b0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  tr -d '\r' <"$serial" >"$serial.txt" && mv "$serial.txt" "$serial"
  # The guest's lines, wherever they start (firmware escapes may precede).
  lines=$(grep -oE 'SYSSTREAM-(KERNEL|RESULT|DONE) .*' "$serial" || true)
  done_line=$(grep -m1 '^SYSSTREAM-DONE' <<<"$lines" || true)
  guest_krel=$(sed -n 's/^SYSSTREAM-KERNEL release=\([^ ]*\).*/\1/p' <<<"$lines" | head -1)
  for s in $scenarios; do
    line=$(grep -m1 "^SYSSTREAM-RESULT name=$s " <<<"$lines" || true)
    if [ -z "$line" ]; then
      result[$rel,$s]=MISSING
      if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
        detail[$rel,$s]="no result: the boot timed out after ${boot_timeout} s"
      elif [ -z "$guest_krel" ]; then
        detail[$rel,$s]="no result: the guest never reached /init (qemu exit $qrc)"
      else
        detail[$rel,$s]="no result line (qemu exit $qrc)"
      fi
    elif [[ $line == *" ok=1 "* ]]; then
      result[$rel,$s]=PASS
      detail[$rel,$s]=${line#* detail=}
    else
      result[$rel,$s]=FAIL
      detail[$rel,$s]=${line#* detail=}
    fi
    [ "${result[$rel,$s]}" = PASS ] || failures=$((failures + 1))
  done
  if [ -n "$guest_krel" ] && [ "$guest_krel" != "$krel" ]; then
    echo "run-matrix: $rel: guest says uname -r = $guest_krel, expected $krel" >&2
    failures=$((failures + 1))
  fi
  if [ -z "$done_line" ] || ! grep -q '^SYSSTREAM-DONE failed=0' <<<"$done_line"; then
    echo "---- $rel: serial console ($serial), last 60 lines:"
    tail -n 60 "$serial"
    if grep -q '^SYSSTREAM-DEBUG-BEGIN' "$serial"; then
      echo "---- $rel: sysstream with SYSSTREAM_DEBUG=1 (libbpf log):"
      # Without libbpf's relocation chatter (the whole log is in $serial).
      sed -n '/^SYSSTREAM-DEBUG-BEGIN/,/^SYSSTREAM-DEBUG-END/p' "$serial" |
        grep -vE "relo #|found (data )?map|CO-RE relocating|elf: section|: found (type|key|value|max_entries)|found program|collecting relocation" || true
    fi
    echo "----"
  fi
done <<<"$kernels"

# 4. The table, then the details.
printf '\n%-10s %-28s %6s' release kernel boot_s
for s in $scenarios; do printf ' %-8s' "$s"; done
printf '\n'
while IFS=$'\t' read -r rel _; do
  [ -n "$rel" ] || continue
  printf '%-10s %-28s %6s' "$rel" "${krel_of[$rel]}" "${seconds[$rel]}"
  for s in $scenarios; do printf ' %-8s' "${result[$rel,$s]}"; done
  printf '\n'
done <<<"$kernels"
printf '\n'
while IFS=$'\t' read -r rel _; do
  [ -n "$rel" ] || continue
  for s in $scenarios; do
    printf '%-10s %-8s %-7s %s\n' "$rel" "$s" "${result[$rel,$s]}" "${detail[$rel,$s]}"
  done
done <<<"$kernels"
echo
echo "run-matrix: $failures failure(s); serial logs in $out; total $(( $(date +%s) - t0 )) s"
[ $failures -eq 0 ]
