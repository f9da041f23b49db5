# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the Python test scripts (tests/container, tests/k8s).

The scripts run from Bazel's runfiles; each puts this directory on sys.path
(see their imports) and lists //tests/common:testutil.py in its data.
Python 3 standard library only.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import time

# The upper 32 bits of a gap marker in sysstream's raw log; its lower 32 bits
# count the system calls lost.
GAP_PID = 0xFFFFFFFF

# The syscall tables sysstream is built with (//cc/syscalls:syscall_tables,
# generated from the uapi headers), in the runfiles: a script that calls
# syscall_numbers() lists that target in its data.
SYSCALL_TABLES = "cc/syscalls/syscall_tables.inc"
_TABLE_START_RE = re.compile(r"^constexpr SyscallEntry k(\w+)ByNumber\[\] = \{$")
_TABLE_ENTRY_RE = re.compile(r'^\s*\{(\d+), "(\w+)"\},$')
_TABLE_IDENT = {"x86_64": "X86_64", "arm64": "Arm64", "i386": "I386"}


def syscall_numbers(arch=None, path=SYSCALL_TABLES):
    """{name: number} of the syscalls of `arch` ("x86_64", "arm64" or "i386";
    default: this machine's), from the generated tables."""
    if arch is None:
        arch = "arm64" if platform.machine() == "aarch64" else platform.machine()
    ident = _TABLE_IDENT[arch]
    numbers, table = {}, None
    with open(path) as f:
        for line in f:
            start = _TABLE_START_RE.match(line)
            if start:
                table = start.group(1)
                continue
            entry = _TABLE_ENTRY_RE.match(line)
            if entry and table == ident:
                numbers[entry.group(2)] = int(entry.group(1))
    if not numbers:
        raise AssertionError("no %s syscall table in %s" % (arch, path))
    return numbers


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
