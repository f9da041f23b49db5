#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Sets docker and podman up on this machine (engines.sh: installs them if
# missing, test-local podman config, a private dockerd it stops again), then
# runs container_test.py (or --script=NAME.py, first) against both.
# Other arguments: the script's.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PYTHONDONTWRITEBYTECODE=1  # resolve_test.py imports container_test.py

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the container tests need root (container engines, BPF)"
  exit 0
fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "SKIP: no kernel BTF (/sys/kernel/btf/vmlinux): sysstream cannot attach"
  exit 0
fi

# shellcheck source=tests/container/engines.sh
source tests/container/engines.sh
trap engines_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

script=container_test.py
case "${1:-}" in
  --script=*) script="${1#--script=}"; shift ;;
esac

start=$SECONDS
# An engine that cannot work fails its tests with the reason (ENGINE_ERROR_*).
engines_setup docker podman
echo "container_test: engines ready: ${ENGINES_READY:-none} ($((SECONDS - start)) s)"

# Bounded well inside Bazel's timeout, so the EXIT trap always runs.
timeout --kill-after=10 600 /usr/bin/python3 -u "tests/container/$script" "$@"
rc=$?
echo "container_test: done in $((SECONDS - start)) s"
exit "$rc"
