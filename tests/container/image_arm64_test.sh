#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs image_arm64_test.py with Debian's python3 (args: the tarballs, binary).
exec /usr/bin/python3 "${TEST_SRCDIR}/sysstream/tests/container/image_arm64_test.py" "$@"
