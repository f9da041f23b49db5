#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The k8s/ manifests run for real with `podman kube play`, on this machine
# made to look like a CRI-O node, then k8s_test.py. Arguments: k8s_test.py's.
#
# The "node": podman (set up by tests/container/engines.sh, test-local
# containers.conf) keeps its containers in the default places a CRI-O node
# has, /run/containers/storage and /var/lib/containers/storage, and the
# pods' hostPath /var/log/sysstream is the node's. So that neither the
# machine's own podman store nor its /var/log is touched, all of this runs
# in a private mount namespace where those three paths are bind mounts of
# this test's own directories.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the Kubernetes tests need root (podman, BPF, mount namespaces)"
  exit 0
fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "SKIP: no kernel BTF (/sys/kernel/btf/vmlinux): sysstream cannot attach"
  exit 0
fi

# This test's own engine directories: never those of tests/container.
export SYSSTREAM_ENGINES_RUN=/run/sysstream-k8s-test
export SYSSTREAM_ENGINES_DATA=/var/lib/sysstream-k8s-test
# shellcheck source=tests/container/engines.sh
source tests/container/engines.sh
trap engines_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

start=$SECONDS
# podman kube play builds its pods' infra image from catatonit.
ENGINES_PACKAGES+=(catatonit python3-kubernetes)
if ! engines_setup podman; then
  echo "k8s_test: podman does not work here: ${ENGINE_ERROR_podman:-?}" >&2
  exit 1
fi
for f in /usr/bin/catatonit /usr/libexec/podman/catatonit; do
  [ -x "$f" ] && break
done
if [ ! -x "$f" ]; then
  echo "k8s_test: catatonit is not installed (podman kube play needs it): run tools/setup.sh" >&2
  exit 1
fi

run="$SYSSTREAM_ENGINES_RUN/podman"
data="$SYSSTREAM_ENGINES_DATA/podman"
mkdir -p "$run/node-runroot" "$data/node-graphroot"
# containers/storage's defaults, i.e. a CRI-O node's layout.
cat >"$run/storage-node.conf" <<'EOF'
# SPDX-License-Identifier: Apache-2.0
# Written by tests/k8s/k8s_test.sh: podman's store in a CRI-O node's places
# (bind mounts of the test's own directories, in its mount namespace).
[storage]
driver = "overlay"
graphroot = "/var/lib/containers/storage"
runroot = "/run/containers/storage"
EOF
# podman 4.3's kube play ignores a Pod's hostPID: the harness gives the
# pods whose manifest asks for it the host's PID namespace through this
# containers.conf (k8s_test.py checks the manifest asks first).
sed 's/^\[containers\]$/[containers]\npidns = "host"/' "$CONTAINERS_CONF" >"$run/containers-hostpid.conf"
grep -q '^pidns = "host"$' "$run/containers-hostpid.conf" || {
  echo "k8s_test: cannot derive a host-PID containers.conf from $CONTAINERS_CONF" >&2
  exit 1
}
export CONTAINERS_STORAGE_CONF="$run/storage-node.conf"
export K8S_TEST_HOSTPID_CONF="$run/containers-hostpid.conf"

# Mount points (podman's own default directories; left empty on the host).
mkdir -p /run/containers/storage /var/lib/containers/storage
varlog=$(mktemp -d "${TEST_TMPDIR:-/tmp}/node-var-log-XXXXXX")
echo "k8s_test: podman ready ($((SECONDS - start)) s); node /var/log is $varlog"

# Bounded well inside Bazel's timeout, so the EXIT trap always runs.
timeout --kill-after=10 780 unshare --mount --propagation private -- /bin/bash -c '
  set -e
  mount --bind "$1" /run/containers/storage
  mount --bind "$2" /var/lib/containers/storage
  mount --bind "$3" /var/log
  shift 3
  exec /usr/bin/python3 -u tests/k8s/k8s_test.py "$@"
' k8s_test "$run/node-runroot" "$data/node-graphroot" "$varlog" "$@"
rc=$?
rm -rf "$varlog"
echo "k8s_test: done in $((SECONDS - start)) s (exit $rc)"
exit "$rc"
