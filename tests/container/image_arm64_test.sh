#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs image_arm64_test.py (or --script=NAME.py, first) with Debian's
# python3; the other arguments (tarballs, binary) are the script's.
script=image_arm64_test.py
case "${1:-}" in
  --script=*) script="${1#--script=}"; shift ;;
esac
exec /usr/bin/python3 "${TEST_SRCDIR}/sysstream/tests/container/${script}" "$@"
