# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Python test scripts (tests/container, tests/k8s).

The scripts run from Bazel's runfiles; each puts this directory on sys.path
(see their imports) and lists //tests/common:testutil.py in its data.
Python 3 standard library only.
"""

import argparse
import os
import re
import subprocess
import sys
import time

# The upper 32 bits of a gap marker in sysstream's raw log; its lower 32 bits
# count the system calls lost.
GAP_PID = 0xFFFFFFFF


def parse_args(*required):
    """Parses --NAME VALUE for each NAME in `required` (all required); returns
    (those options, argv for unittest.main: the other arguments, verbose)."""
    ap = argparse.ArgumentParser()
    for name in required:
        ap.add_argument("--" + name, required=True)
    args, rest = ap.parse_known_args()
    return args, [sys.argv[0], "-v"] + rest


def run(cmd, timeout=60, check=True, env=None, **kwargs):
    """Runs cmd; on failure (or timeout) raises with everything it printed.
    `env`: variables to set on top of this process's environment."""
    if env is not None:
        env = dict(os.environ, **env)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                           **kwargs)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("timed out after %ss: %s\nstdout: %s\nstderr: %s" %
                             (timeout, " ".join(cmd), e.stdout, e.stderr))
    if check and p.returncode != 0:
        raise AssertionError("exit %d: %s\nstdout: %s\nstderr: %s" %
                             (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p


def wait_until(what, predicate, timeout=30.0, interval=0.05):
    """Polls `predicate` until it returns a true value, and returns that;
    raises once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def parse_log(text, empty_ok=False):
    """Raw log text -> [(pid, nr)]; asserts every record is whole and well
    formed. An empty text is an error unless `empty_ok` (then [])."""
    if empty_ok and not text:
        return []
    assert text.endswith("\t"), "log does not end with the delimiter: %r" % text[-40:]
    records = []
    for i, f in enumerate(text.split("\t")[:-1]):
        assert re.fullmatch(r"[0-9a-f]{1,16}", f), "record %d is malformed: %r" % (i, f)
        v = int(f, 16)
        records.append((v >> 32, v & 0xFFFFFFFF))
    return records
