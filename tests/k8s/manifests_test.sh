#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# k8s/ checked without a cluster (manifests_test.py): Debian's python3 with
# python3-yaml and python3-kubernetes (tools/setup.sh installs them).
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if ! /usr/bin/python3 -c 'import yaml, kubernetes.client' 2>/dev/null; then
  echo "manifests_test: python3-yaml or python3-kubernetes is missing: run tools/setup.sh" >&2
  exit 1
fi
exec /usr/bin/python3 -u tests/k8s/manifests_test.py "$@"
