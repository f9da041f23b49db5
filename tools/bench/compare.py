#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""sysstream against the tools users would pick instead (driven by compare.sh).

Runs each workload untraced, under the empty raw_tp/sys_enter hook (the
floor), under sysstream, strace, perf trace and bpftrace, side by side in
every round, then sysstream's scaling runs (event rate, PIDs in the filter,
ring buffer size). Writes a Markdown report, the raw measurements (TSV) and,
with gnuplot, two PNG charts into the output directory; --publish also
copies the charts into tools/bench/charts/ and puts the report into
BENCHMARKS.md between its GENERATED markers.

Run it through compare.sh (which builds the binaries); see --help.
"""

import argparse
import datetime
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ALL_TRACERS = ["untraced", "floor", "sysstream", "strace", "perf", "bpftrace"]
ALL_WORKLOADS = ["getppid", "threads", "gzip", "forkstorm"]
PEERS = {"strace", "perf", "bpftrace"}
# Targets of issue 6 (sysstream on the getppid loop).
TARGET_FLOOR_RATIO = 1.25
TARGET_VS_BPFTRACE = 10.0
TARGET_VS_STRACE = 50.0

# The bpftrace one-liner: the same record as sysstream's raw format (pid in
# the upper 32 bits, syscall number in the lower), for the command bpftrace
# starts (-c, its pid is cpid) and, like sysstream --follow, every process it
# forks; forgotten when they exit.
BPFTRACE_SCRIPT = r"""
tracepoint:sched:sched_process_fork /pid == cpid || @t[pid]/ { @t[args->child_pid] = 1; }
tracepoint:sched:sched_process_exit /@t[args->pid]/ { delete(@t[args->pid]); }
tracepoint:raw_syscalls:sys_enter /pid == cpid || @t[pid]/ { printf("%lx\t", ((uint64)pid << 32) | (uint64)args->id); }
END { clear(@t); }
""".strip()

LOOP_RE = re.compile(
    r"^calls=(?P<calls>\d+) threads=(?P<threads>\d+) rate=(?P<rate>\d+) "
    r"wall_ns=(?P<wall_ns>\d+) ns_per_call=(?P<ns_per_call>[\d.]+) "
    r"in_call_ns=(?P<in_call_ns>[\d.]+) slow_calls=(?P<slow>\d+) achieved_rate=(?P<achieved>\d+) "
    r"pid=(?P<pid>\d+) syscall_nr=(?P<nr>\d+) user_us=(?P<user_us>\d+) "
    r"sys_us=(?P<sys_us>\d+) maxrss_kb=(?P<maxrss>\d+)$", re.M)
SPAWN_RE = re.compile(
    r"^spawned=(?P<spawned>\d+) failed=(?P<failed>\d+) wall_ns=(?P<wall_ns>\d+) "
    r"user_us=(?P<user_us>\d+) sys_us=(?P<sys_us>\d+) "
    r"maxrss_kb=(?P<maxrss>\d+) pid=(?P<pid>\d+)$", re.M)
SUMMARY_RE = re.compile(
    r"^sysstream: (\d+) events written to .*, (\d+) lost, [\d.]+ s \((.*)\)$",
    re.M)
COUNT_RE = re.compile(
    r"^records=(\d+) events=(\d+) gap_markers=(\d+) lost=(\d+) "
    r"pid_records=(\d+) matched=(\d+)$")
STRACE_ENTRY_RE = re.compile(rb"^\d+ +([a-z_0-9]+)\(", re.M)
PERF_ENTRY_RE = re.compile(rb"^ *\S+ \([^)]*\): \S+/\d+ +([a-z_0-9]+)\(", re.M)
PERF_LOST_RE = re.compile(rb"LOST (\d+) events!")
BPFTRACE_LOST_RE = re.compile(rb"Lost (\d+) events")


class BenchError(Exception):
    pass


def log(msg):
    print(f"compare: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ running

class Run:
    """One measured process: wall time, rusage of it and its reaped
    descendants, exit code, and its own peak RSS (VmHWM, sampled)."""

    def __init__(self):
        self.rc = None
        self.wall = 0.0
        self.cpu = 0.0  # user+sys of the process and its reaped children
        self.hwm_kb = 0  # the process's own VmHWM, last sample before exit
        self.self_cpu = None  # user+sys of the process alone (/proc, ticks)
        self.timed_out = False


CURRENT = {"pid": None}


def read_hwm(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def spawn(argv, out, err):
    with open(out, "wb") as fo, open(err, "wb") as fe:
        return os.posix_spawnp(
            argv[0], argv, os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, fo.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, fe.fileno(), 2),
            ],
            setsid=True)


def self_cpu(pid):
    """user+sys seconds of pid itself (all its threads, not its children),
    from /proc/PID/stat; pid must not be reaped yet."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            rest = f.read().rsplit(b")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def wait_measured(pid, t0, timeout, poll_ms=20, tick=None):
    """Waits for pid (spawned at t0), sampling its VmHWM (every ms at first,
    then every poll_ms); tick() is called at each sample. Kills its whole
    session on timeout."""
    r = Run()
    pidfd = os.pidfd_open(pid)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        wait_ms = 1
        while not poller.poll(wait_ms):
            wait_ms = min(poll_ms, wait_ms * 2)
            hwm = read_hwm(pid)
            if hwm:
                r.hwm_kb = hwm
            if tick is not None:
                tick()
            if time.monotonic() - t0 > timeout:
                r.timed_out = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break
        # Exited, not reaped yet: its own CPU time, whoever reaped (or did
        # not reap) its children.
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        r.self_cpu = self_cpu(pid)
        _, status, ru = os.wait4(pid, 0)
    finally:
        os.close(pidfd)
        CURRENT["pid"] = None
    r.wall = time.monotonic() - t0
    r.cpu = ru.ru_utime + ru.ru_stime
    r.rc = os.waitstatus_to_exitcode(status)
    if r.rc < 0:
        r.rc = 128 - r.rc
    return r


def run_measured(argv, out, err, timeout, tick=None):
    t0 = time.monotonic()
    pid = spawn(argv, out, err)
    CURRENT["pid"] = pid
    return wait_measured(pid, t0, timeout, tick=tick)


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    lines = [l for l in lines if "RLIMIT_MEMLOCK" not in l]
    return "\n".join(lines[-n:])


# ---------------------------------------------------------------- workloads

class Workload:
    def __init__(self, name, argv, kind, made, follow, peer_argv=None,
                 peer_made=None, label=""):
        self.name = name
        self.argv = argv            # untraced/floor/sysstream
        self.peer_argv = peer_argv or argv  # strace/perf/bpftrace
        self.kind = kind            # "loop" or "spawn"
        self.made = made            # known getppid calls (loop) or None
        self.peer_made = peer_made if peer_made is not None else made
        self.follow = follow
        self.label = label


def parse_workload(w, out_path, what):
    with open(out_path, "rb") as f:
        text = f.read().decode(errors="replace")
    rx = LOOP_RE if w.kind == "loop" else SPAWN_RE
    found = list(rx.finditer(text))
    if len(found) != 1:
        raise BenchError(f"{what}: expected one result line from the "
                         f"workload, found {len(found)}:\n{text[-2000:]}")
    m = found[0].groupdict()
    res = {k: (float(v) if "." in v else int(v)) for k, v in m.items()}
    if w.kind == "spawn" and res["failed"]:
        raise BenchError(f"{what}: {res['failed']} children failed")
    res["wl_cpu"] = (res["user_us"] + res["sys_us"]) / 1e6
    res["wl_sys"] = res["sys_us"] / 1e6
    return res


# ------------------------------------------------------------------ tracers

class Ctx:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.bin = {n: os.path.join(args.bin_dir, n) for n in (
            "sysstream", "floor_hook", "load_loop", "spawn", "count_records")}
        self.seq = 0

    def path(self, stem):
        self.seq += 1
        return os.path.join(self.work, f"{self.seq:05d}-{stem}")


def tracer_argv(ctx, tracer, w, logf, cmd, ring=None, pids=None):
    if tracer == "untraced":
        return cmd
    if tracer == "floor":
        return [ctx.bin["floor_hook"], "--"] + cmd
    if tracer == "sysstream":
        a = [ctx.bin["sysstream"], "-q", "--force", "-f", logf]
        if w is not None and w.follow:
            a.append("--follow")
        if ring:
            a += ["--ring-size", ring]
        if pids:
            a.append(",".join(str(p) for p in pids))
        return a + ["--"] + cmd
    if tracer == "strace":
        return ["strace", "-f", "-o", logf] + cmd
    if tracer == "perf":
        return ["perf", "trace", "-o", logf, "--"] + cmd
    if tracer == "bpftrace":
        return ["bpftrace", "-o", logf, "-e", BPFTRACE_SCRIPT,
                "-c", " ".join(cmd)]
    raise BenchError(f"unknown tracer {tracer}")


def count_log(ctx, tracer, logf, errf, pid, nr):
    """(events, matched, lost): records of the log, those that are getppid
    of pid, and losses the tracer reported."""
    if tracer == "sysstream":
        out = subprocess.run([ctx.bin["count_records"], logf, str(pid),
                              str(nr)], capture_output=True, text=True)
        m = COUNT_RE.match(out.stdout.strip())
        if out.returncode != 0 or not m:
            raise BenchError(f"count_records {logf}: {out.stderr.strip()}")
        with open(errf, "rb") as f:
            s = SUMMARY_RE.search(f.read().decode(errors="replace"))
        if not s:
            raise BenchError(f"no sysstream summary line:\n{tail(errf)}")
        events, lost, matched = int(m.group(2)), int(m.group(4)), int(m.group(6))
        if events != int(s.group(1)) or lost != int(s.group(2)):
            raise BenchError(
                f"sysstream log has {events} events/{lost} lost, summary "
                f"says {s.group(1)}/{s.group(2)}")
        return events, matched, lost
    with open(logf, "rb") as f:
        data = f.read()
    if tracer == "strace":
        names = STRACE_ENTRY_RE.findall(data)
        return len(names), names.count(b"getppid"), 0
    if tracer == "perf":
        names = PERF_ENTRY_RE.findall(data)
        lost = sum(int(x) for x in PERF_LOST_RE.findall(data))
        return len(names), names.count(b"getppid"), lost
    if tracer == "bpftrace":
        lost = sum(int(x) for x in BPFTRACE_LOST_RE.findall(data))
        data = BPFTRACE_LOST_RE.sub(b"", data)
        data = re.sub(rb"^Attaching \d+ probes?\.\.\.\n", b"", data)
        data = data.replace(b"\n", b"")
        recs = [r for r in data.split(b"\t") if r]
        want = b"%x" % ((pid << 32) | nr)
        bad = [r for r in recs[:1000] if not re.fullmatch(rb"[0-9a-f]+", r)]
        if bad:
            raise BenchError(f"bpftrace output has junk: {bad[:3]}")
        return len(recs), recs.count(want), lost
    raise BenchError(tracer)


def run_one(ctx, tracer, w, rnd, ring=None, pids=None, cmd=None,
            stop_after_loop=False):
    """Runs workload w under tracer once; returns a result dict."""
    is_peer = tracer in PEERS
    cmd = cmd or (w.peer_argv if is_peer else w.argv)
    stem = f"{w.name}-{tracer}-r{rnd}"
    logf = ctx.path(stem + ".log")
    out, err = ctx.path(stem + ".out"), ctx.path(stem + ".err")
    argv = tracer_argv(ctx, tracer, w, logf, cmd, ring=ring, pids=pids)
    timeout = ctx.args.timeout
    what = f"{w.name} round {rnd} {tracer}" + (f" ring {ring}" if ring else "") \
        + (f" pids {len(pids) + 1}" if pids else "")

    tick = None
    if stop_after_loop:
        # sysstream also traces idle sleepers: it would run until they
        # exit. Stop it with SIGINT once the loop has printed its line.
        state = {"sent": False}

        def tick():
            if state["sent"] or CURRENT["pid"] is None:
                return
            try:
                with open(out, "rb") as f:
                    if LOOP_RE.search(f.read().decode(errors="replace")):
                        os.kill(CURRENT["pid"], signal.SIGINT)
                        state["sent"] = True
            except OSError:
                pass
    r = run_measured(argv, out, err, timeout, tick=tick)
    if r.timed_out:
        raise BenchError(f"{what}: timed out after {timeout} s\n{tail(err)}")
    if r.rc != 0:
        raise BenchError(f"{what}: exit status {r.rc}\n{tail(out)}\n{tail(err)}")
    res = parse_workload(w, out, what)
    res.update(tracer=tracer, workload=w.name, round=rnd, ring=ring or "",
               npids=(len(pids) + 1) if pids else 1,
               tracer_wall=r.wall, total_cpu=r.cpu)
    res["metric"] = res["ns_per_call"] if w.kind == "loop" else res["wall_ns"] / 1e6
    if tracer == "untraced":
        res["tracer_cpu"] = None
        res["tracer_rss_kb"] = None
    else:
        res["tracer_cpu"] = r.self_cpu
        res["tracer_rss_kb"] = r.hwm_kb
    res["made"] = (w.peer_made if is_peer else w.made)
    if tracer in ("untraced", "floor"):
        res.update(events=None, matched=None, lost=None)
    else:
        pid = res.get("pid", 0)
        nr = res.get("nr", 110)
        ev, matched, lost = count_log(ctx, tracer, logf, err, pid, nr)
        res.update(events=ev, matched=matched, lost=lost)
    for f in (logf, out, err):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass
    return res


# ------------------------------------------------------------------ stats

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def fmt(x, nd=1):
    if x is None:
        return "—"
    if nd == 0:
        return f"{x:,.0f}"
    return f"{x:,.{nd}f}"


def fmt_ms(xs, nd=1):
    """median (min–max)"""
    m = med(xs)
    if m is None:
        return "—"
    lo, hi = spread(xs)
    if len([x for x in xs if x is not None]) == 1:
        return fmt(m, nd)
    return f"{fmt(m, nd)} ({fmt(lo, nd)}–{fmt(hi, nd)})"


def sig(x):
    """A ratio with sensible digits."""
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(xs):
    m = med(xs)
    if m is None:
        return "—"
    lo, hi = spread(xs)
    if len([x for x in xs if x is not None]) == 1:
        return sig(m)
    return f"{sig(m)} ({sig(lo)}–{sig(hi)})"


# ------------------------------------------------------------------ main


def machine_info():
    info = {"kernel": os.uname().release, "cpus": os.cpu_count()}
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["cpu_model"] = model
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1])
    except OSError:
        pass
    info["mem_gib"] = mem / 1024 / 1024
    try:
        with open("/etc/debian_version") as f:
            info["os"] = "Debian " + f.read().strip()
    except OSError:
        info["os"] = "unknown"
    return info


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def foreign_hooks():
    if not shutil.which("bpftool"):
        return "unknown"
    out = subprocess.run(["bpftool", "link", "list"], capture_output=True,
                         text=True).stdout
    return str(out.count("tp 'sys_enter'"))


def tool_version(tracer):
    cmds = {"strace": ["strace", "-V"], "perf": ["perf", "--version"],
            "bpftrace": ["bpftrace", "--version"]}
    if tracer not in cmds:
        return ""
    if not shutil.which(cmds[tracer][0]):
        return None
    out = subprocess.run(cmds[tracer], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip().splitlines()[0]


TRACEFS = "/sys/kernel/tracing"


def tracefs_mounted():
    """True if a tracefs is mounted where bpftrace and perf look for it."""
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if (len(fields) >= 3 and fields[2] == "tracefs"
                        and fields[1] in (TRACEFS, "/sys/kernel/debug/tracing")):
                    return True
    except OSError:
        pass
    return False


def ensure_tracefs():
    """bpftrace (tracepoint:sched:*) and perf trace need tracefs; a fresh
    machine may not have it mounted (sysstream does not need it). Mounts it
    when missing and says so; None if it is there, else why it is not."""
    if tracefs_mounted():
        return None
    r = subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS],
                       capture_output=True, text=True)
    if r.returncode != 0 or not tracefs_mounted():
        return (f"tracefs is not mounted and `mount -t tracefs nodev {TRACEFS}` "
                f"failed: {(r.stderr or r.stdout).strip()}")
    log(f"tracefs was not mounted: mounted it at {TRACEFS} "
        "(bpftrace and perf trace need it; it stays mounted)")
    return None


def perf_trace_works(ctx):
    """None if `perf trace` runs here, else the reason."""
    out, err, logf = (ctx.path("perfcheck.out"), ctx.path("perfcheck.err"),
                      ctx.path("perfcheck.log"))
    r = run_measured(["perf", "trace", "-o", logf, "--", "true"], out, err, 60)
    if r.rc != 0:
        return f"`perf trace -- true` exits {r.rc}: {tail(err, 3)}"
    with open(logf, "rb") as f:
        if not PERF_ENTRY_RE.search(f.read()):
            return "`perf trace -- true` printed no system call"
    return None


def make_data(path, mib, seed):
    import random
    rng = random.Random(seed)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(rng.randbytes(1 << 20))


def workloads(ctx):
    a = ctx.args
    ll, sp = ctx.bin["load_loop"], ctx.bin["spawn"]
    ws = {}
    ws["getppid"] = Workload(
        "getppid", [ll, str(a.calls)], "loop", a.calls, False,
        [ll, str(a.peer_calls)], a.peer_calls,
        f"getppid loop, {a.calls:,} calls (peers: {a.peer_calls:,})")
    ws["threads"] = Workload(
        "threads", [ll, "--threads", str(a.threads), str(a.calls)], "loop",
        a.calls, False,
        [ll, "--threads", str(a.threads), str(a.peer_calls)], a.peer_calls,
        f"{a.threads} threads of getppid, {a.calls:,} calls in all "
        f"(peers: {a.peer_calls:,})")
    if "gzip" in a.workloads:
        gz = shutil.which("gzip") or "/bin/gzip"
        data = os.path.join(ctx.work, "data.bin")
        make_data(data, a.gzip_mib, a.seed)
        ws["gzip"] = Workload(
            "gzip", [sp, "--stdout", "/dev/null", "--", gz, "-9", "-c", data],
            "spawn", None, True,
            label=f"`gzip -9` of {a.gzip_mib} MiB pseudo-random data (seed {a.seed})")
    tru = shutil.which("true") or "/bin/true"
    ws["forkstorm"] = Workload(
        "forkstorm", [sp, "--count", str(a.forks), "--", tru], "spawn", None,
        True, label=f"fork/exec storm, {a.forks:,} × fork+execve {tru}")
    return [ws[n] for n in a.workloads]


def compare(ctx, tracers, results, refs):
    a = ctx.args
    for w in workloads(ctx):
        log(f"workload {w.name}: {w.label}")
        # Warm-up (discarded): page cache, CPU frequency.
        run_one(ctx, "untraced", w, 0)
        for rnd in range(1, a.rounds + 1):
            order = tracers[(rnd - 1) % len(tracers):] + tracers[:(rnd - 1) % len(tracers)]
            line, this_round = [], []
            for t in order:
                res = run_one(ctx, t, w, rnd)
                this_round.append(res)
                line.append(f"{t} {res['metric']:.1f}")
            if w.kind == "spawn":
                # What the workload really made: strace's count of the same
                # round (ptrace stops it at every call: nothing is lost).
                ref = [r["events"] for r in this_round if r["tracer"] == "strace"]
                if ref:
                    refs.setdefault(w.name, []).append(ref[0])
                    for r in this_round:
                        r["made"] = ref[0]
            results.extend(this_round)
            unit = "ns/call" if w.kind == "loop" else "ms"
            log(f"  round {rnd}/{a.rounds} ({unit}): " + ", ".join(line))
        if w.kind == "spawn" and w.name not in refs:
            # No strace: sysstream's own count, from rounds it lost nothing.
            ok = [r["events"] for r in results if r["workload"] == w.name
                  and r["tracer"] == "sysstream" and r["lost"] == 0]
            if ok:
                refs[w.name] = ok
                refs[w.name + ":source"] = "sysstream's own count (rounds with nothing lost)"
            for r in results:
                if r["workload"] == w.name:
                    r["made"] = med(ok)


def scaling(ctx, sres):
    a = ctx.args
    ll = ctx.bin["load_loop"]
    loop = lambda argv, calls, name: Workload(name, argv, "loop", calls, False)
    # (a) event rate
    for rate in a.rates:
        calls = a.calls if rate == 0 else max(1000, int(rate * a.rate_seconds))
        argv = [ll, str(calls)] if rate == 0 else [ll, "--rate", str(rate), str(calls)]
        w = loop(argv, calls, f"rate-{rate or 'max'}")
        run_one(ctx, "untraced", w, 0)
        for rnd in range(1, a.rounds + 1):
            for t in ("untraced", "floor", "sysstream"):
                r = run_one(ctx, t, w, rnd)
                r.update(scale="rate", x=rate)
                sres.append(r)
        log(f"  scaling rate {rate or 'flat out'}: done")
    # (b) PIDs in the filter: N-1 idle sleepers + the loop
    sleepers = []
    try:
        need = max(a.pid_counts) - 1
        if need > 0:
            log(f"  starting {need} idle sleeping processes")
        for _ in range(need):
            sleepers.append(subprocess.Popen(
                ["sleep", "3600"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        w = loop([ll, str(a.calls)], a.calls, "pids")
        for rnd in range(1, a.rounds + 1):
            for t in ("untraced", "floor"):
                r = run_one(ctx, t, w, rnd)
                r.update(scale="pids", x=0)
                sres.append(r)
            for n in a.pid_counts:
                pids = [p.pid for p in sleepers[:n - 1]]
                r = run_one(ctx, "sysstream", w, rnd, pids=pids or None,
                            stop_after_loop=bool(pids))
                r.update(scale="pids", x=n)
                sres.append(r)
        log("  scaling pids: done")
    finally:
        for p in sleepers:
            p.kill()
        for p in sleepers:
            p.wait()
    # (c) ring buffer size
    w = loop([ll, str(a.calls)], a.calls, "ring")
    for rnd in range(1, a.rounds + 1):
        for t in ("untraced", "floor"):
            r = run_one(ctx, t, w, rnd)
            r.update(scale="ring", x=0)
            sres.append(r)
        for ring in a.rings:
            r = run_one(ctx, "sysstream", w, rnd, ring=ring)
            r.update(scale="ring", x=ring)
            sres.append(r)
    log("  scaling ring size: done")


# ------------------------------------------------------------------ report

def per_round(results, workload, tracer, fn):
    by_round = {}
    for r in results:
        if r["workload"] == workload:
            by_round.setdefault(r["round"], {})[r["tracer"]] = r
    out = []
    for rnd in sorted(by_round):
        d = by_round[rnd]
        if tracer in d:
            try:
                out.append(fn(d[tracer], d))
            except (KeyError, TypeError, ZeroDivisionError):
                out.append(None)
    return out


def overhead_per_event(r, d):
    """(traced − untraced) wall time per event of the workload, ns."""
    u = d["untraced"]
    if r["kind_loop"]:
        return r["ns_per_call"] - u["ns_per_call"]
    return (r["wall_ns"] - u["wall_ns"]) / r["made"]


def build_report(ctx, tracers, results, sres, refs, meta, chart_names):
    a = ctx.args
    L = []
    P = L.append
    P(f"Run of {meta['stamp']}: commit {meta['commit']}; {meta['os']}, kernel "
      f"{meta['kernel']}, {meta['cpus']} × {meta['cpu_model']}, "
      f"{meta['mem_gib']:.0f} GiB; load average {meta['load_start']} at start, "
      f"{meta['load_end']} at end; other sys_enter BPF hooks attached: "
      f"{meta['hooks_start']} at start, {meta['hooks_end']} at end. "
      f"{a.rounds} round(s); every figure is the median of the rounds with "
      f"(min–max); ratios are taken within each round, tracers side by side "
      f"(rotated order). Total run time {meta['duration']}.")
    P("")
    vers = ", ".join(f"{t}: {v}" for t, v in meta["versions"].items() if v)
    if vers:
        P(f"Peers: {vers}.")
        P("")
    for t, why in meta["skipped"].items():
        P(f"**{t} not measured:** {why}")
        P("")
    wls = []
    for r in results:
        if r["workload"] not in wls:
            wls.append(r["workload"])
    labels = {w.name: w.label for w in meta["workloads"]}
    kinds = {w.name: w.kind for w in meta["workloads"]}
    for r in results:
        r["kind_loop"] = kinds[r["workload"]] == "loop"
    for wname in wls:
        loopk = kinds[wname] == "loop"
        P(f"### {wname}: {labels[wname]}")
        P("")
        if loopk:
            P("captured/made counts the workload's getppid records (its pid, "
              "getppid's number) against the calls it made.")
        else:
            ref = refs.get(wname) or []
            src = refs.get(wname + ":source",
                           "`strace -f` in the same round (ptrace stops the "
                           "tracee at every call, so it loses nothing)")
            P(f"captured/made counts every record of the workload's processes "
              f"against the syscalls they made, as counted by {src}"
              f"{': ' + ', '.join(f'{x:,}' for x in ref) if ref else ''}.")
        P("")
        col = "ns/call" if loopk else "wall ms"
        P(f"| tracer | {col} | × untraced | × floor | overhead ns/event | "
          f"captured / made | lost (reported) | tracer CPU s | workload sys s | "
          f"tracer peak RSS MiB |")
        P("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for t in tracers:
            rows = [r for r in results if r["workload"] == wname and r["tracer"] == t]
            if not rows:
                continue
            metric = [r["metric"] for r in rows]
            ru = per_round(results, wname, t,
                           lambda r, d: r["metric"] / d["untraced"]["metric"])
            rf = per_round(results, wname, t,
                           lambda r, d: r["metric"] / d["floor"]["metric"])
            oh = per_round(results, wname, t, overhead_per_event) \
                if t != "untraced" else [None]
            if t in ("untraced", "floor"):
                cap, lost = "—", "—"
            else:
                caps = [(r["matched"] if loopk else r["events"]) for r in rows]
                made = rows[0]["made"]
                capm = med(caps)
                cap = f"{fmt(capm, 0)} / {fmt(made, 0)}"
                if min(caps) != max(caps):
                    cap = f"{fmt(min(caps), 0)}–{fmt(max(caps), 0)} / {fmt(made, 0)}"
                lost = fmt_ms([r["lost"] for r in rows], 0)
            P(f"| {t} | {fmt_ms(metric, 1)} | {fmt_ratio(ru)} | {fmt_ratio(rf)} | "
              f"{fmt_ms(oh, 1)} | {cap} | {lost} | "
              f"{fmt_ms([r['tracer_cpu'] for r in rows], 2)} | "
              f"{fmt_ms([r['wl_sys'] for r in rows], 2)} | "
              f"{fmt_ms([(r['tracer_rss_kb'] or 0) / 1024 if r['tracer_rss_kb'] is not None else None for r in rows], 1)} |")
        P("")

    # Targets
    if "getppid" in wls and "sysstream" in tracers:
        P("### Targets (sysstream, getppid loop)")
        P("")
        P("\"Faster\" = tracing overhead per event: (traced − untraced) ns per "
          "getppid call, each tracer against the untraced run of its own round; "
          "speed-up = the peer's median overhead / sysstream's median overhead.")
        P("")
        P("| target | measured | verdict |")
        P("|---|---|---|")
        rows = [r for r in results if r["workload"] == "getppid" and r["tracer"] == "sysstream"]
        rf = per_round(results, "getppid", "sysstream",
                       lambda r, d: r["metric"] / d["floor"]["metric"])
        caps = sum(r["matched"] for r in rows)
        made = sum(r["made"] for r in rows)
        lost = sum(r["lost"] for r in rows)
        ok = (med(rf) is not None and med(rf) <= TARGET_FLOOR_RATIO + 1e-9
              and caps == made and lost == 0)
        P(f"| sysstream/floor ≤ {TARGET_FLOOR_RATIO}, zero lost, every call "
          f"captured | {fmt_ratio(rf)}; captured {caps:,} of {made:,}; lost "
          f"{lost:,} | **{'MET' if ok else 'NOT MET'}** |")
        meta["verdicts"] = {"floor": ok, "floor_ratio": med(rf)}
        ss_oh = med(per_round(results, "getppid", "sysstream", overhead_per_event))
        for peer, tgt in (("bpftrace", TARGET_VS_BPFTRACE),
                          ("strace", TARGET_VS_STRACE), ("perf", None)):
            prow = [r for r in results if r["workload"] == "getppid" and r["tracer"] == peer]
            if not prow:
                continue
            p_oh = per_round(results, "getppid", peer, overhead_per_event)
            speed = med(p_oh) / ss_oh if ss_oh and ss_oh > 0 else None
            sp_rounds = [p / ss_oh for p in p_oh if p is not None] if ss_oh and ss_oh > 0 else []
            pl = sum(r["lost"] for r in prow)
            pc = sum(r["matched"] for r in prow)
            pm = sum(r["made"] for r in prow)
            same = (f"{peer} captured {pc:,} of {pm:,}, lost {pl:,}")
            if tgt is None:
                P(f"| (no target) faster than perf trace | {sig(speed)}× "
                  f"({fmt(med(p_oh), 0)} vs {fmt(ss_oh, 1)} ns/event); {same} | — |")
                continue
            met = speed is not None and speed >= tgt and lost == 0 and caps == made
            meta["verdicts"][peer] = met
            P(f"| ≥ {tgt:.0f}× faster than {peer} | {sig(speed)}× "
              f"(rounds {sig(min(sp_rounds)) if sp_rounds else '—'}–"
              f"{sig(max(sp_rounds)) if sp_rounds else '—'}; "
              f"{fmt(med(p_oh), 0)} vs {fmt(ss_oh, 1)} ns/event); {same} | "
              f"**{'MET' if met else 'NOT MET'}** |")
        P("")

    # Scaling
    if sres:
        P("### Scaling (sysstream, getppid loop)")
        P("")
        P("ns/call: flat out, the loop's wall time per call; throttled "
          "(`--rate`), the mean time inside one getppid call (timed with the "
          "vDSO clock, so one clock read is included in every variant). "
          "Overhead = sysstream − untraced of the same round; "
          "sysstream CPU = the user+sys time of the sysstream process itself "
          "(start-up, BPF load, draining, writing; /proc, 10 ms ticks), also "
          "per event; the BPF program's own time is in the loop's sys time.")
        P("")

        def scale_rows(scale, x):
            return [r for r in sres if r["scale"] == scale and r["x"] == x]

        def sm(r):
            return r["in_call_ns"] if r["rate"] else r["ns_per_call"]

        def rnd_map(scale, x, tracer):
            return {r["round"]: r for r in scale_rows(scale, x) if r["tracer"] == tracer}

        P("**(a) Event rate**")
        P("")
        P("| target rate | achieved calls/s | untraced ns/call | floor ns/call | "
          "sysstream ns/call | overhead ns/event | lost / made | sysstream CPU ms | CPU ns/event |")
        P("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        xs = sorted({r["x"] for r in sres if r["scale"] == "rate"},
                    key=lambda v: v or 1e18)
        meta["plot_rate"] = []
        for x in xs:
            u, f, s = (rnd_map("rate", x, t) for t in ("untraced", "floor", "sysstream"))
            oh = [sm(s[k]) - sm(u[k]) for k in s if k in u]
            lostp = [s[k]["lost"] / s[k]["made"] for k in s]
            cpu = [s[k]["tracer_cpu"] * 1e9 / max(1, s[k]["events"] + s[k]["lost"]) for k in s]
            cpu_ms = [s[k]["tracer_cpu"] * 1e3 for k in s]
            P(f"| {'flat out' if x == 0 else f'{x:,}/s'} | "
              f"{fmt_ms([s[k]['achieved'] for k in s], 0)} | "
              f"{fmt_ms([sm(v) for v in u.values()])} | {fmt_ms([sm(v) for v in f.values()])} | "
              f"{fmt_ms([sm(v) for v in s.values()])} | {fmt_ms(oh)} | "
              f"{fmt_ms([s[k]['lost'] for k in s], 0)} / {fmt(s[min(s)]['made'], 0)} | "
              f"{fmt_ms(cpu_ms, 0)} | {fmt_ms(cpu, 0)} |")
            meta["plot_rate"].append((med([s[k]["achieved"] for k in s]), med(oh),
                                      min(oh), max(oh), 100 * med(lostp),
                                      100 * min(lostp), 100 * max(lostp)))
        P("")
        P("**(b) PIDs in the filter** (N−1 idle `sleep` processes named on the "
          "command line plus the loop, `sysstream -f LOG pid,... -- load_loop`; "
          "stopped with SIGINT once the loop is done)")
        P("")
        P("| PIDs | sysstream ns/call | × untraced | × floor | overhead ns/event | lost | captured / made |")
        P("|---:|---:|---:|---:|---:|---:|---:|")
        u = rnd_map("pids", 0, "untraced")
        f = rnd_map("pids", 0, "floor")
        meta["plot_pids"] = []
        for x in sorted({r["x"] for r in sres if r["scale"] == "pids" and r["x"]}):
            s = rnd_map("pids", x, "sysstream")
            oh = [s[k]["ns_per_call"] - u[k]["ns_per_call"] for k in s if k in u]
            P(f"| {x:,} | {fmt_ms([v['ns_per_call'] for v in s.values()])} | "
              f"{fmt_ratio([s[k]['ns_per_call'] / u[k]['ns_per_call'] for k in s if k in u])} | "
              f"{fmt_ratio([s[k]['ns_per_call'] / f[k]['ns_per_call'] for k in s if k in f])} | "
              f"{fmt_ms(oh)} | {fmt_ms([v['lost'] for v in s.values()], 0)} | "
              f"{fmt(med([v['matched'] for v in s.values()]), 0)} / {fmt(s[min(s)]['made'], 0)} |")
            lp = [100 * v["lost"] / v["made"] for v in s.values()]
            meta["plot_pids"].append((x, med(oh), min(oh), max(oh), med(lp), min(lp), max(lp)))
        P("")
        P(f"untraced {fmt_ms([v['ns_per_call'] for v in u.values()])} ns/call, "
          f"floor {fmt_ms([v['ns_per_call'] for v in f.values()])} ns/call in the same rounds.")
        P("")
        P("**(c) Ring buffer size** (`--ring-size`, getppid loop flat out)")
        P("")
        P("| ring | sysstream ns/call | × floor | overhead ns/event | lost (gap-marker counts) | lost % | captured / made |")
        P("|---:|---:|---:|---:|---:|---:|---:|")
        u = rnd_map("ring", 0, "untraced")
        f = rnd_map("ring", 0, "floor")
        meta["plot_ring"] = []
        for x in a.rings:
            s = rnd_map("ring", x, "sysstream")
            if not s:
                continue
            oh = [s[k]["ns_per_call"] - u[k]["ns_per_call"] for k in s if k in u]
            lp = [100 * v["lost"] / v["made"] for v in s.values()]
            P(f"| {x} | {fmt_ms([v['ns_per_call'] for v in s.values()])} | "
              f"{fmt_ratio([s[k]['ns_per_call'] / f[k]['ns_per_call'] for k in s if k in f])} | "
              f"{fmt_ms(oh)} | {fmt_ms([v['lost'] for v in s.values()], 0)} | {fmt_ms(lp, 2)} | "
              f"{fmt(med([v['matched'] for v in s.values()]), 0)} / {fmt(s[min(s)]['made'], 0)} |")
            meta["plot_ring"].append((x, med(oh), min(oh), max(oh), med(lp), min(lp), max(lp)))
        P("")
    if chart_names:
        for title, name in chart_names:
            P(f"![{title}]({name})")
            P("")
    return "\n".join(L)


def write_tsv(path, results):
    keys = ["scale", "x", "workload", "tracer", "round", "ring", "npids",
            "metric", "ns_per_call", "in_call_ns", "wall_ns", "achieved",
            "made", "events", "matched", "lost", "tracer_cpu", "wl_cpu",
            "wl_sys", "tracer_rss_kb", "tracer_wall", "total_cpu"]
    with open(path, "w") as f:
        f.write("\t".join(keys) + "\n")
        for r in results:
            f.write("\t".join("" if r.get(k) is None else str(r.get(k, ""))
                              for k in keys) + "\n")


def charts(ctx, tracers, results, meta, out_dir, stamp):
    """Two PNGs via gnuplot; returns [(title, path)]."""
    if not shutil.which("gnuplot"):
        log("gnuplot not installed: no chart")
        return []
    made = []
    wls = [w.name for w in meta["workloads"]]
    dat = os.path.join(ctx.work, "compare.dat")
    with open(dat, "w") as f:
        f.write("workload " + " ".join(tracers) + "\n")
        for w in wls:
            vals = []
            for t in tracers:
                m = med(per_round(results, w, t,
                                  lambda r, d: r["metric"] / d["untraced"]["metric"]))
                vals.append("NaN" if m is None else f"{m:.4f}")
            f.write(f"{w} " + " ".join(vals) + "\n")
    png1 = os.path.join(out_dir, f"compare-{stamp}.png")
    gp = f"""
set terminal pngcairo size 1000,540 font "sans,10"
set output "{png1}"
set title "Slowdown of each workload under each tracer (median of {ctx.args.rounds} rounds; log scale; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [0.8:*]
set ylabel "time / untraced time"
set grid ytics
set key top right
plot for [i=2:{len(tracers) + 1}] "{dat}" using i:xtic(1) title columnheader(i)
"""
    if subprocess.run(["gnuplot"], input=gp, text=True).returncode == 0:
        made.append(("Slowdown per workload and tracer", png1))
    if meta.get("plot_rate") or meta.get("plot_ring"):
        rdat = os.path.join(ctx.work, "rate.dat")
        pdat = os.path.join(ctx.work, "pids.dat")
        gdat = os.path.join(ctx.work, "ring.dat")
        def dump(path, rows):
            with open(path, "w") as f:
                for row in rows:
                    f.write(" ".join(str(v) for v in row) + "\n")
        dump(rdat, meta.get("plot_rate", []))
        dump(pdat, meta.get("plot_pids", []))
        dump(gdat, meta.get("plot_ring", []))
        png2 = os.path.join(out_dir, f"scaling-{stamp}.png")
        gp = f"""
set terminal pngcairo size 1200,440 font "sans,10"
set output "{png2}"
set multiplot layout 1,3 title "sysstream scaling, getppid loop: median of {ctx.args.rounds} rounds, bars = min-max"
set grid
set ylabel "overhead ns/event (vs untraced)"
set y2label "lost %"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key below horizontal
set logscale x
set format x "%.0s%c"
set xrange [5000:2e7]
set xlabel "achieved event rate (calls/s)"
set title "(a) event rate"
plot "{rdat}" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "overhead ns/event", \\
     "{rdat}" using 1:5:6:7 axes x1y2 with yerrorlines lw 2 pt 9 title "lost %"
set xrange [0.7:1500]
set format x "%g"
set xlabel "PIDs in the filter"
set title "(b) traced PIDs"
plot "{pdat}" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "overhead ns/event", \\
     "{pdat}" using 1:5:6:7 axes x1y2 with yerrorlines lw 2 pt 9 title "lost %"
unset logscale x
set xrange [-0.5:{max(0, len(meta.get("plot_ring", [])) - 0.5)}]
set xlabel "ring buffer size (--ring-size)"
set title "(c) ring buffer size, flat out"
plot "{gdat}" using 0:2:3:4:xtic(1) with yerrorlines lw 2 pt 7 title "overhead ns/event", \\
     "{gdat}" using 0:5:6:7 axes x1y2 with yerrorlines lw 2 pt 9 title "lost %"
unset multiplot
"""
        if subprocess.run(["gnuplot"], input=gp, text=True).returncode == 0:
            made.append(("sysstream scaling: event rate, PIDs, ring size", png2))
    return made


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="compare.sh",
        description="sysstream against untraced, the floor, strace, perf "
        "trace and bpftrace on four workloads, plus sysstream scaling.")
    p.add_argument("--bin-dir", required=True,
                   help="directory holding sysstream, floor_hook, load_loop, "
                   "spawn, count_records")
    p.add_argument("--out-dir", required=True, help="where results go")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=5_000_000,
                   help="getppid calls for untraced/floor/sysstream (default 5000000)")
    p.add_argument("--peer-calls", type=int, default=500_000,
                   help="getppid calls under strace/perf/bpftrace, whose "
                   "cost per call does not depend on the count (default 500000)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gzip-mib", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--forks", type=int, default=2000)
    p.add_argument("--tracers", default=",".join(ALL_TRACERS))
    p.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    p.add_argument("--rates", default="10000,100000,1000000,0",
                   help="calls/s for the rate scaling; 0 = flat out")
    p.add_argument("--rate-seconds", type=float, default=2.0)
    p.add_argument("--pids", default="1,100,1000", dest="pid_counts")
    p.add_argument("--rings", default="64K,1M,8M,64M")
    p.add_argument("--no-scaling", action="store_true")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--timeout", type=int, default=600,
                   help="seconds any one run may take")
    p.add_argument("--smoke", action="store_true",
                   help="quick check: 20000 calls, 1 round, getppid only, "
                   "untraced/floor/sysstream/strace, no scaling, no chart")
    p.add_argument("--commit", help="what to report as the commit measured "
                   "(default: this checkout's HEAD, noting local changes)")
    p.add_argument("--publish", metavar="REPO",
                   help="copy the charts to REPO/tools/bench/charts/ and the "
                   "report into REPO/BENCHMARKS.md between its markers")
    a = p.parse_args(argv)
    if a.smoke:
        a.calls = a.peer_calls = 20000
        a.rounds = 1
        a.workloads = "getppid"
        a.tracers = "untraced,floor,sysstream,strace"
        a.no_scaling = a.no_chart = True
    a.tracers = [t for t in a.tracers.split(",") if t]
    a.workloads = [w for w in a.workloads.split(",") if w]
    for t in a.tracers:
        if t not in ALL_TRACERS:
            p.error(f"unknown tracer {t}")
    for w in a.workloads:
        if w not in ALL_WORKLOADS:
            p.error(f"unknown workload {w}")
    if "untraced" not in a.tracers or "floor" not in a.tracers:
        p.error("--tracers must include untraced and floor (the ratios' bases)")
    a.rates = [int(x) for x in a.rates.split(",")]
    a.pid_counts = [int(x) for x in a.pid_counts.split(",")]
    a.rings = [x for x in a.rings.split(",") if x]
    if a.rounds < 1 or a.calls < 1 or a.peer_calls < 1 or a.threads < 1:
        p.error("counts must be positive")
    return a


def main(argv):
    a = parse_args(argv)
    if os.geteuid() != 0:
        log("needs root (BPF, perf, strace of children)")
        return 1
    os.makedirs(a.out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="sysstream-compare.")
    ctx = Ctx(a, work)
    t_start = time.monotonic()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    meta = {"stamp": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "load_start": loadavg(), "hooks_start": foreign_hooks(),
            "versions": {}, "skipped": {}}
    meta.update(machine_info())
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    git = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    meta["commit"] = git.stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain"],
                           capture_output=True, text=True).stdout.strip()
    if git.returncode == 0 and dirty:
        meta["commit"] += " (with local changes)"
    if a.commit:
        meta["commit"] = a.commit

    tracefs_missing = None
    if {"perf", "bpftrace"} & set(a.tracers):
        tracefs_missing = ensure_tracefs()
    tracers = []
    for t in a.tracers:
        if t in ("perf", "bpftrace") and tracefs_missing:
            log(f"FAILED: {t} cannot run: {tracefs_missing}")
            return 1
        v = tool_version(t)
        if v is None:
            meta["skipped"][t] = f"`{t}` is not installed (tools/setup.sh installs it)"
            log(f"skipping {t}: not installed")
            continue
        if v:
            meta["versions"][t] = v
        if t == "perf":
            why = perf_trace_works(ctx)
            if why:
                meta["skipped"][t] = why
                log(f"skipping perf trace: {why}")
                continue
        tracers.append(t)

    results, sres, refs = [], [], {}
    rc = 0
    try:
        compare(ctx, tracers, results, refs)
        if not a.no_scaling and "sysstream" in tracers:
            log("scaling runs (sysstream)")
            scaling(ctx, sres)
    except BenchError as e:
        log(f"FAILED: {e}")
        rc = 1
    except KeyboardInterrupt:
        if CURRENT["pid"]:
            try:
                os.killpg(CURRENT["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
        log("interrupted")
        shutil.rmtree(work, ignore_errors=True)
        return 130
    meta["load_end"] = loadavg()
    meta["hooks_end"] = foreign_hooks()
    secs = time.monotonic() - t_start
    meta["duration"] = (f"{int(secs // 60)} min {int(secs % 60)} s"
                        if secs >= 60 else f"{secs:.1f} s")
    meta["workloads"] = workloads_meta(ctx)
    if not results:
        shutil.rmtree(work, ignore_errors=True)
        return rc or 1

    write_tsv(os.path.join(a.out_dir, f"compare-{stamp}.tsv"), results + sres)
    # A first pass fills meta's plot data; charts; then the final text.
    build_report(ctx, tracers, results, sres, refs, meta, [])
    chart_files = [] if a.no_chart else charts(ctx, tracers, results, meta,
                                                a.out_dir, stamp)
    names = [(t, os.path.basename(p)) for t, p in chart_files]
    report = build_report(ctx, tracers, results, sres, refs, meta, names)
    md = os.path.join(a.out_dir, f"compare-{stamp}.md")
    with open(md, "w") as f:
        f.write(f"# sysstream compared, {meta['stamp']}\n\n" + report + "\n")
    print(report)
    log(f"report written to {md}")
    if rc:
        log("the report is partial: a run failed (above)")
    if a.publish and not rc:
        publish(a.publish, report, chart_files)
    shutil.rmtree(work, ignore_errors=True)
    return rc


def workloads_meta(ctx):
    class W:
        pass
    out = []
    a = ctx.args
    labels = {
        "getppid": (f"getppid loop, {a.calls:,} calls (peers: {a.peer_calls:,})", "loop"),
        "threads": (f"{a.threads} threads of getppid, {a.calls:,} calls in all "
                    f"(peers: {a.peer_calls:,})", "loop"),
        "gzip": (f"`gzip -9 -c` of {a.gzip_mib} MiB of pseudo-random data "
                 f"(Python random, seed {a.seed}) to /dev/null, run by `spawn`", "spawn"),
        "forkstorm": (f"fork/exec storm: `spawn` runs {a.forks:,} × "
                      f"fork+execve {shutil.which('true') or '/bin/true'}, "
                      f"one after the other", "spawn"),
    }
    for n in a.workloads:
        w = W()
        w.name, (w.label, w.kind) = n, labels[n]
        out.append(w)
    return out


def publish(repo, report, chart_files):
    charts_dir = os.path.join(repo, "tools", "bench", "charts")
    os.makedirs(charts_dir, exist_ok=True)
    for _, p in chart_files:
        base = os.path.basename(p)
        stable = re.sub(r"-\d{4}-\d{2}-\d{2}-\d{6}", "", base)
        shutil.copy(p, os.path.join(charts_dir, stable))
        report = report.replace(f"({base})", f"(tools/bench/charts/{stable})")
    doc = os.path.join(repo, "BENCHMARKS.md")
    begin, end = "<!-- BEGIN GENERATED by tools/bench/compare.sh -->", \
        "<!-- END GENERATED -->"
    text = open(doc).read() if os.path.exists(doc) else f"# Benchmarks\n\n{begin}\n{end}\n"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        log(f"{doc}: no GENERATED markers; not updated")
        return
    text = text[:i + len(begin)] + "\n" + report + "\n" + text[j:]
    with open(doc, "w") as f:
        f.write(text)
    log(f"published: {doc} and {charts_dir}/")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
