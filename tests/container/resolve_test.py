# SPDX-License-Identifier: Apache-2.0
"""sysstream's image resolving targets by name, with real engines.

In docker and in podman (set up by engines.sh, run by container_test.sh
--script=resolve_test.py): `run --privileged --pid=host ... sysstream`
  * --container NAME of a running container of the same engine: its process
    with its host pid, and a process started in it afterwards with `exec`
    (its exact syscalls);
  * --cgroup PATH of a cgroup the test creates, in the cgroup2 hierarchy (a
    process moved in after sysstream started is traced: the in-kernel filter)
    and in a v1 hierarchy (its current processes, with the documented note);
  * the error cases: unknown container (3), the same name in docker and
    podman (8), an unreachable DOCKER_HOST (9), malformed runtime state under
    --host-root (10): one line on stderr, nothing in the log directory;
  * the node's root at /host, as `kubectl debug node --profile=sysadmin`
    mounts it, found without --host-root.
This machine is a cgroup v1/v2 hybrid; runc (under docker and podman) gives
each container a cgroup of its own in the unified hierarchy too, so sysstream
filters on it in the kernel: `exec`'d processes are traced, and no v1 note is
printed for --container.
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest

import container_test  # puts tests/common (testutil) on sys.path too
from container_test import (CLOSE, EXIT_GROUP, GETPPID, NANOSLEEP, NR, OPENAT, EngineFixture,
                            Foreground, blocked_in_read)
from testutil import GAP_PID, parse_args, parse_log, run, wait_until

ARGS = None
EXECVE, READ = NR["execve"], NR["read"]
V1_NOTE = "no per-container cgroup v2 here (cgroup v1 or hybrid host)"

_reference = {}


def reference_seq(n):
    """The syscalls of `workload seq n` from its execve, as sysstream records
    it on the host (`-- COMMAND` starts at the execve): the same static binary
    is /workload in the target image."""
    if n not in _reference:
        log = os.path.join(os.environ.get("TEST_TMPDIR", "/tmp"), "reference-%d.log" % n)
        p = subprocess.run([ARGS.sysstream, "-q", "--force", "-f", log, "--", ARGS.workload,
                            "seq", str(n)], input=b"g", capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr.decode()
        with open(log) as f:
            records = parse_log(f.read())
        assert len({pid for pid, _ in records}) == 1, records
        seq = [nr for _, nr in records]
        assert seq[0] == EXECVE and seq[-(n + 4):] == [READ] + [GETPPID] * n + [
            OPENAT, CLOSE, EXIT_GROUP], seq
        _reference[n] = seq
    return _reference[n]


def find_workload(args):
    """Host pid of the process whose command line is `/workload ARGS...`,
    once it is blocked in read(2); 0 until then."""
    want = b"\0".join([b"/workload"] + [a.encode() for a in args]) + b"\0"
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if f.read() != want:
                    continue
        except OSError:
            continue
        if blocked_in_read(int(d)):
            return int(d)
    return 0


def proc_cgroup(pid):
    """The v2 ("0::") and v1 pids lines of /proc/PID/cgroup, and its parent's."""
    def lines(p):
        try:
            with open("/proc/%d/cgroup" % p) as f:
                return "; ".join(l for l in f.read().split("\n")
                                 if l.startswith("0::") or ":pids:" in l)
        except OSError as e:
            return str(e)
    try:
        with open("/proc/%d/stat" % pid) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return lines(pid)
    return "%s (parent %d: %s)" % (lines(pid), ppid, lines(ppid))


def cgroup_mounts():
    """[(mount point, fstype, super options)] of cgroup filesystems here."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fstype, _, sopts = right.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                out.append((left.split()[4], fstype, sopts))
    return out


def storage_conf():
    """(CONTAINERS_STORAGE_CONF, its graphroot): podman's test-local store."""
    conf = os.environ["CONTAINERS_STORAGE_CONF"]
    with open(conf) as f:
        graphroot = re.search(r'^graphroot\s*=\s*"([^"]+)"', f.read(), re.M).group(1)
    return conf, graphroot


def state_args(engine):
    """What `run` needs for sysstream to see `engine`'s containers by name:
    the host's /run (runtime state, sockets), and where the test-local
    engines keep theirs (the private dockerd's socket; podman's store)."""
    if engine == "docker":
        return ["-v", "/run:/run", "-e", "DOCKER_HOST=" + os.environ["DOCKER_HOST"]]
    conf, graphroot = storage_conf()
    return ["-v", "/run:/run", "-v", "%s:%s:ro" % (graphroot, graphroot),
            "-e", "CONTAINERS_STORAGE_CONF=" + conf]


class ResolveBase(EngineFixture):
    """--container, --cgroup, errors and /host in one engine (ENGINE)."""

    def start_tracer_named(self, what, logdir, args, extra=()):
        t = self.start_tracer(what, logdir, args, extra=extra)
        return t, self.containers[-1]

    def stop_tracer(self, t, name):
        """SIGTERM to sysstream (`kill -s TERM`, as `stop` sends): (code, stderr)."""
        self.engine(["kill", "-s", "TERM", name], timeout=30)
        return t.finish(timeout=30)

    def start_target(self, what, ms=20):
        """A target-image container ticking getppid+nanosleep every ms."""
        name = self.name(what)
        self.engine(["run", "-d", "--name", name, "--network=none", self.TARGET, "tick",
                     str(ms)])
        return name, int(self.inspect(name, "{{.State.Pid}}"))

    def host_workload(self, *args):
        w = subprocess.Popen([ARGS.workload] + [str(a) for a in args], stdin=subprocess.PIPE)
        self.procs.append(w)
        return w

    def make_cgroup(self, parent):
        path = os.path.join(parent, "%s%s-%d" % (self.prefix, self.ENGINE, len(self.containers)))
        os.mkdir(path)

        def remove():
            for _ in range(100):
                try:
                    os.rmdir(path)
                    return
                except FileNotFoundError:
                    return
                except OSError:  # still busy for a moment after the exit
                    time.sleep(0.05)
            os.rmdir(path)

        self.addCleanup(remove)
        return path

    def trace_container_and_exec(self, what, extra, n):
        """--container NAME with `extra` run options: records of the
        container's process, and of `exec NAME /workload seq n` started
        afterwards, compared exactly; nothing else in the log."""
        web, init = self.start_target(what)
        control = self.host_workload("tick", 20)  # on the host: never traced
        d = self.logdir(what)
        tracer, tname = self.start_tracer_named(what + "-tracer", d,
                                                ["-f", "web.log", "--container", web], extra)
        ex = subprocess.Popen([self.cli, "exec", "-i", web, "/workload", "seq", str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        self.procs.append(ex)
        pid = wait_until("the exec'd workload to block in read",
                         lambda: find_workload(["seq", str(n)]), timeout=30)
        cgroups = "init %d: %s\nexec'd %d: %s" % (init, proc_cgroup(init), pid, proc_cgroup(pid))
        ex.stdin.write(b"g")
        ex.stdin.close()
        self.assertEqual(ex.wait(timeout=30), 0, ex.stderr.read())
        time.sleep(0.3)  # a few more ticks
        code, err = self.stop_tracer(tracer, tname)
        self.assertEqual(code, 0, err)
        self.assertIn("stopped by SIGTERM", err)
        # The container's own cgroup v2 is filtered in the kernel, even here.
        self.assertIn("sysstream: tracing 1 cgroup into web.log", err)
        self.assertNotIn(V1_NOTE, err)
        self.assertEqual(len(err.strip().splitlines()), 2, err)
        with open(os.path.join(d, "web.log")) as f:
            records = parse_log(f.read())
        by_pid = {}
        for p, nr in records:
            by_pid.setdefault(p, []).append(nr)
        self.assertNotIn(GAP_PID, by_pid)
        self.assertNotIn(control.pid, by_pid, "a host process was traced")
        self.assertEqual(set(by_pid), {init, pid}, "pids: %s\n%s" % (sorted(by_pid), cgroups))
        ticks = by_pid[init]
        self.assertGreater(ticks.count(GETPPID), 10, cgroups)
        self.assertLessEqual(set(ticks), {GETPPID, NANOSLEEP})
        # The exec'd process: the runtime's set-up in it (runc init, Go),
        # its execve, then exactly what the workload binary does.
        ref = reference_seq(n)
        got = by_pid[pid]
        self.assertEqual(got[-(len(ref) - 1):], ref[1:], "exec'd %d: %s\nexpected: %s\n%s" % (
            pid, got, ref, cgroups))
        head = got[:-(len(ref) - 1)]
        self.assertIn(EXECVE, head)
        self.assertNotIn(GETPPID, head)
        print("%s: %s: %d ticks of %d, exec'd %d: %d records (%d from its execve)\n%s" % (
            self.ENGINE, what, ticks.count(GETPPID), init, pid, len(got), len(ref), cgroups),
            file=sys.stderr)

    # ---- --container

    def test_container_and_exec(self):
        self.trace_container_and_exec("web", state_args(self.ENGINE), 37)

    def test_host_root_mounted_at_host(self):
        # As `kubectl debug node --profile=sysadmin`: the node's root at /host,
        # no --host-root: sysstream finds /host and resolves through it.
        if self.ENGINE == "docker":
            # The private dockerd's socket where a node's dockerd has its
            # own: /run/docker.sock (/var/run -> /run on Debian: sysstream
            # must resolve /host/var/run/docker.sock inside /host). A tmpfs
            # over /host/run keeps the host's /run untouched.
            sock = os.environ["DOCKER_HOST"][len("unix://"):]
            extra = ["-v", "/:/host", "--mount", "type=tmpfs,destination=/host/run",
                     "-v", sock + ":/host/run/docker.sock"]
            self.assertEqual(os.readlink("/var/run"), "/run",
                             "this host's /var/run is not the usual symlink")
        else:
            conf, _ = storage_conf()
            extra = ["-v", "/:/host", "-e", "CONTAINERS_STORAGE_CONF=/host" + conf]
        self.trace_container_and_exec("hostroot", extra, 43)

    # ---- --cgroup

    def test_cgroup_v2_created_by_the_test(self):
        v2 = [m for m, fstype, _ in cgroup_mounts() if fstype == "cgroup2"]
        if not v2:
            self.skipTest("no cgroup2 hierarchy mounted (pure cgroup v1 host)")
        cg = self.make_cgroup(v2[0])
        w = self.host_workload("seq", 29)
        wait_until("the workload to block in read", lambda: blocked_in_read(w.pid), timeout=10)
        d = self.logdir("cgroup2")
        tracer, tname = self.start_tracer_named(
            "cgroup2", d, ["-f", "cg.log", "--cgroup", cg],
            ["-v", "/sys/fs/cgroup:/sys/fs/cgroup"])
        # Moved in after sysstream started: the kernel filter sees it.
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(w.pid))
        w.stdin.write(b"g")
        w.stdin.close()
        self.assertEqual(w.wait(timeout=10), 0)
        code, err = self.stop_tracer(tracer, tname)
        self.assertEqual(code, 0, err)
        self.assertIn("sysstream: tracing 1 cgroup into cg.log", err)
        self.assertNotIn(V1_NOTE, err)
        with open(os.path.join(d, "cg.log")) as f:
            records = parse_log(f.read())
        self.assertEqual(records, [(w.pid, GETPPID)] * 29 +
                         [(w.pid, OPENAT), (w.pid, CLOSE), (w.pid, EXIT_GROUP)])

    def test_cgroup_v1_created_by_the_test(self):
        v1 = [m for m, fstype, sopts in cgroup_mounts()
              if fstype == "cgroup" and "pids" in sopts.split(",")]
        if not v1:
            self.skipTest("no cgroup v1 pids hierarchy (pure cgroup v2 host)")
        cg = self.make_cgroup(v1[0])
        w = self.host_workload("seq", 31)
        wait_until("the workload to block in read", lambda: blocked_in_read(w.pid), timeout=10)
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(w.pid))
        d = self.logdir("cgroup1")
        tracer = self.start_tracer("cgroup1", d, ["-f", "cg.log", "--cgroup", cg],
                                   ["-v", "/sys/fs/cgroup:/sys/fs/cgroup"])
        w.stdin.write(b"g")
        w.stdin.close()
        self.assertEqual(w.wait(timeout=10), 0)
        # v1: its processes now, followed; it stops when they are gone.
        code, err = tracer.finish(timeout=30)
        self.assertEqual(code, 0, err)
        self.assertIn(V1_NOTE, err)
        self.assertIn("tracing the current processes of cgroup %s" % cg, err)
        self.assertIn("sysstream: tracing 1 process and its children into cg.log", err)
        self.assertIn("all targets exited", err)
        with open(os.path.join(d, "cg.log")) as f:
            records = parse_log(f.read())
        self.assertEqual(records, [(w.pid, GETPPID)] * 31 +
                         [(w.pid, OPENAT), (w.pid, CLOSE), (w.pid, EXIT_GROUP)])

    # ---- errors

    def check_error(self, what, extra, args, code, pattern):
        d = self.logdir(what)
        p = run(self.tracer_cmd(self.name(what), d, ["-f", "err.log"] + args, extra=extra),
                check=False, timeout=60)
        self.assertEqual(p.returncode, code, "%s: %s" % (what, p.stderr))
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, "%s: %s" % (what, p.stderr))
        self.assertRegex(lines[0], "^sysstream: " + pattern)
        self.assertEqual(os.listdir(d), [], what)

    def test_unknown_container(self):
        self.check_error("unknown", state_args(self.ENGINE),
                         ["--container", self.prefix + "nosuch"], 3,
                         r"no container '%snosuch' \(looked in docker, containerd, cri-o "
                         r"and podman state under /\)$" % self.prefix)

    def test_same_name_in_docker_and_podman_is_ambiguous(self):
        others = {"docker": os.environ.get("DOCKER"), "podman": os.environ.get("PODMAN")}
        ready = os.environ.get("ENGINES_READY", "").split()
        self.assertEqual(set(ready), {"docker", "podman"}, "needs both engines")
        name = self.prefix + "same"
        for engine in ("docker", "podman"):
            cli = others[engine]
            self.addCleanup(run, [cli, "rm", "-f", name], check=False)
            run([cli, "run", "-d", "--name", name, "--network=none", self.TARGET, "tick", "50"])
        extra = state_args("docker") + state_args("podman")[2:]  # /run once
        self.check_error("ambiguous", extra, ["--container", name], 8,
                         r"ambiguous container '%s': matches (docker|podman) \w{12} .*, "
                         r"(docker|podman) \w{12} .*; use its id$" % name)

    def test_stopped_container(self):
        # Podman leaves the stopped container's pidfile (and conmon.pid)
        # behind: sysstream must not take its stale pid.
        web, _ = self.start_target("stopped")
        self.engine(["stop", "-t", "10", web], timeout=60)
        self.check_error("stopped", state_args(self.ENGINE), ["--container", web], 3,
                         r"container '%s' is not running$" % web)

    def test_unreachable_docker_socket(self):
        self.check_error("unreachable", ["-e", "DOCKER_HOST=unix:///nonexistent.sock"],
                         ["--container", "web"], 9,
                         r"docker socket /nonexistent\.sock does not answer: "
                         r"No such file or directory$")

    def test_malformed_runtime_state(self):
        # A node root with one broken state file per kind of runtime state.
        cid = "0123456789abcdef" * 4
        cases = {
            "podman": ("var/lib/containers/storage/overlay-containers/%s/userdata/"
                       "config.json" % cid, '{"annotations": '),
            "cri-o": ("run/containers/storage/overlay-containers/%s/userdata/config.json" % cid,
                      '["not", "an", "object"]'),
            "containerd": ("run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/"
                           "config.json" % cid, '{"annotations": ["a"]}'),
            "containers.json": ("var/lib/containers/storage/overlay-containers/"
                                "containers.json", '{"not": "an array"}'),
        }
        for kind, (path, text) in cases.items():
            with self.subTest(kind):
                root = self.logdir("fakeroot")
                os.makedirs(os.path.join(root, os.path.dirname(path)))
                with open(os.path.join(root, path), "w") as f:
                    f.write(text)
                # The podman/cri-o container has run: its runroot directory.
                os.makedirs(os.path.join(root, "run/containers/storage/overlay-containers",
                                         cid, "userdata"), exist_ok=True)
                self.check_error("malformed-" + kind, ["-v", root + ":/fakeroot:ro"],
                                 ["--host-root", "/fakeroot", "--container", "web"], 10,
                                 r"malformed runtime state in /fakeroot/%s" % re.escape(path))


class DockerResolveTest(ResolveBase, unittest.TestCase):
    ENGINE = "docker"


class PodmanResolveTest(ResolveBase, unittest.TestCase):
    ENGINE = "podman"


def main():
    global ARGS
    ARGS, argv = parse_args("sysstream", "image", "target-image", "workload")
    container_test.ARGS = ARGS
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
