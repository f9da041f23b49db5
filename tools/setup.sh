#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything sysstream's build, tests and benchmarks need on Debian 12
# (bookworm), from Debian's own repositories. Idempotent: run it again any
# time. Needs root (apt-get).
set -euo pipefail

PACKAGES=(
  # Bazel 4.2.3 and the rule sets the offline workspace points at.
  bazel-bootstrap bazel-rules-cc bazel-rules-java bazel-platforms bazel-skylib
  # C++ toolchain and the BPF compiler (clang -target bpf, llvm-strip).
  build-essential clang llvm python3
  # libFuzzer and the sanitizer runtimes for clang (tests/fuzz/run.sh);
  # gcc's libasan/libubsan (--config=asan/ubsan) come with build-essential.
  libclang-rt-14-dev
  # bpftool: vmlinux.h from kernel BTF and the skeleton.
  bpftool
  # Static libraries linked into the binary; uapi headers for syscall tables.
  libbpf-dev libelf-dev zlib1g-dev libabsl-dev linux-libc-dev
  # Kernel headers of Debian's current kernel ABI, for the syscall argument
  # signatures (cc/syscalls/gen_signatures.py): the metapackage depends on
  # linux-headers-<abi>-amd64 (generated x86 syscall table, autoconf.h), which
  # depends on linux-headers-<abi>-common (include/linux/syscalls.h). Naming
  # the metapackage, not 6.1.0-NN, keeps this list valid across ABI bumps;
  # third_party/repositories.bzl finds the installed directories.
  linux-headers-amd64
  # JSON of container runtimes (header-only).
  nlohmann-json3-dev
  # Tests.
  googletest libgtest-dev libgmock-dev util-linux procps
  # Benchmarks (tools/bench/compare.sh): the tracers sysstream is compared
  # with, and gnuplot for the charts. strace is also needed by
  # //tools/bench:bench_smoke_test.
  strace linux-perf bpftrace gnuplot-nox
  # Container tests (tests/container): engines that load and run the image.
  podman runc docker.io
  # Kubernetes manifests (tests/k8s): the 1.22 API models to validate them
  # offline, and the pause binary `podman kube play` builds its pods from.
  python3-kubernetes python3-yaml catatonit
  # Kernel matrix (tests/vm): qemu (TCG) and a static busybox for the
  # initramfs; Debian kernels are fetched by tools/vm/fetch-kernels.sh.
  qemu-system-x86 busybox-static
  # arm64 (issue 8): the cross compiler for bazel build --config=arm64 (its
  # glibc and libstdc++ come along: libc6-dev-arm64-cross,
  # libstdc++-12-dev-arm64-cross) and qemu for the arm64 kernel matrix. The
  # arm64 libraries are fetched by third_party/toolchains/arm64/fetch-sysroot.sh.
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-system-arm
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup.sh: all packages present"
fi

# Facts the build relies on; say plainly if the machine lacks them.
command -v bazel >/dev/null || { echo "setup.sh: bazel not on PATH" >&2; exit 1; }
[ -x /usr/sbin/bpftool ] || { echo "setup.sh: bpftool missing" >&2; exit 1; }
abi=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 | sed -n 's/^linux-headers-\([^ ,]*\)-amd64.*/\1/p')
[ -r "/usr/src/linux-headers-$abi-common/include/linux/syscalls.h" ] ||
  { echo "setup.sh: no /usr/src/linux-headers-$abi-common/include/linux/syscalls.h (linux-headers-amd64 -> '$abi')" >&2; exit 1; }
if [ ! -r /sys/kernel/btf/vmlinux ] && [ -z "${SYSSTREAM_BTF:-}" ]; then
  echo "setup.sh: warning: no /sys/kernel/btf/vmlinux; build with --action_env=SYSSTREAM_BTF=/path/to/vmlinux" >&2
fi
echo "setup.sh: ready"
