# SPDX-License-Identifier: Apache-2.0
"""The sysstream image: its tarball, and the image in docker and podman.

Run by container_test.sh after engines.sh has set the engines up (DOCKER,
DOCKER_HOST, PODMAN, CONTAINERS_CONF, ENGINES_READY, ENGINE_ERROR_*).
Python 3 standard library only.
"""

import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "common"))
from testutil import (GAP_PID, parse_args, parse_log, run, syscall_numbers,  # noqa: E402
                      wait_until)

ARGS = None  # parsed command line (paths of the Bazel outputs)

# This machine's syscall numbers, from the generated tables.
NR = syscall_numbers()
GETPPID, OPENAT, CLOSE, EXIT_GROUP, NANOSLEEP = (
    NR["getppid"], NR["openat"], NR["close"], NR["exit_group"], NR["nanosleep"])

EXPECTED_LABELS = {
    "org.opencontainers.image.title",
    "org.opencontainers.image.description",
    "org.opencontainers.image.version",
    "org.opencontainers.image.source",
    "org.opencontainers.image.licenses",
}

# The whole layer: what a distroless static image carries, plus the binary.
# (tarfile drops the trailing "/" of directory names.)
EXPECTED_LAYER = {
    "etc": ("dir", 0o755),
    "etc/group": ("file", 0o644),
    "etc/nsswitch.conf": ("file", 0o644),
    "etc/passwd": ("file", 0o644),
    "logs": ("dir", 0o755),
    "root": ("dir", 0o700),
    "sysstream": ("file", 0o755),
    "tmp": ("dir", 0o1777),
    "usr": ("dir", 0o755),
    "usr/bin": ("dir", 0o755),
    "usr/bin/sysstream": ("link", 0o777),
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Foreground:
    """A command whose stdout and stderr are collected while it runs."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._chunks = {"out": [], "err": []}
        self._threads = [threading.Thread(target=self._drain, args=(f, self._chunks[k]),
                                          daemon=True)
                         for k, f in (("out", self.proc.stdout), ("err", self.proc.stderr))]
        for t in self._threads:
            t.start()

    @staticmethod
    def _drain(f, chunks):
        for chunk in iter(lambda: f.read1(65536), b""):
            chunks.append(chunk)

    def stderr(self):
        return b"".join(self._chunks["err"]).decode(errors="replace")

    def finish(self, timeout):
        """(exit status, all of stderr); kills the command after `timeout`."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("timed out after %s s: %s\nstderr: %s" %
                                 (timeout, " ".join(self.proc.args), self.stderr()))
        for t in self._threads:
            t.join(timeout=10)
        return code, self.stderr()


def blocked_in_read(pid):
    """True once `pid` sleeps in read(2) (so its next syscall comes after)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().startswith("%d " % NR["read"])
    except OSError:
        return False


def elf_facts(data):
    """(machine, has PT_INTERP, DT_NEEDED count) of a 64-bit little-endian ELF."""
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 2 and data[5] == 1, "not ELF64 little-endian"
    machine = struct.unpack_from("<H", data, 18)[0]
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    interp, needed = False, 0
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            interp = True
        elif p_type == 2:  # PT_DYNAMIC
            for off in range(p_offset, p_offset + p_filesz, 16):
                tag = struct.unpack_from("<q", data, off)[0]
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    needed += 1
    return machine, interp, needed


class ImageTarball:
    """The outer tar and its blobs, read once."""

    def __init__(self, path):
        self.files = {}
        self.members = []
        with tarfile.open(path) as t:
            for m in t.getmembers():
                self.members.append(m)
                if m.isfile():
                    self.files[m.name] = t.extractfile(m).read()
        self.index = json.loads(self.files["index.json"])
        self.docker_manifest = json.loads(self.files["manifest.json"])
        desc = self.index["manifests"][0]
        self.manifest_digest = desc["digest"]
        self.manifest = json.loads(self.blob(desc["digest"]))
        self.config_digest = self.manifest["config"]["digest"]
        self.config = json.loads(self.blob(self.config_digest))
        self.layer_digest = self.manifest["layers"][0]["digest"]
        self.layer = self.blob(self.layer_digest)

    def blob(self, digest):
        return self.files["blobs/sha256/" + digest.split(":", 1)[1]]

    def layer_members(self):
        with tarfile.open(fileobj=io.BytesIO(self.layer)) as t:
            return {m.name: (m, t.extractfile(m).read() if m.isfile() else None)
                    for m in t.getmembers()}


class TarballTest(unittest.TestCase):
    """The image tarball itself; no engine needed."""

    @classmethod
    def setUpClass(cls):
        cls.img = ImageTarball(ARGS.image)

    def test_blobs_are_content_addressed(self):
        for name, data in self.img.files.items():
            if name.startswith("blobs/sha256/"):
                self.assertEqual(hashlib.sha256(data).hexdigest(), name.rsplit("/", 1)[1], name)
        self.assertEqual(json.loads(self.img.files["oci-layout"]), {"imageLayoutVersion": "1.0.0"})
        m = self.img.manifest
        self.assertEqual(m["config"]["size"], len(self.img.blob(self.img.config_digest)))
        self.assertEqual(m["layers"][0]["size"], len(self.img.layer))
        self.assertEqual(len(m["layers"]), 1)
        # Uncompressed layer: its digest is its diff id.
        self.assertEqual(m["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar")
        self.assertEqual(self.img.config["rootfs"]["diff_ids"], [self.img.layer_digest])

    def test_oci_index_and_docker_manifest_name_the_same_image(self):
        desc = self.img.index["manifests"][0]
        self.assertEqual(len(self.img.index["manifests"]), 1)
        self.assertEqual(desc["annotations"], {
            "org.opencontainers.image.ref.name": "latest",
            "io.containerd.image.name": "docker.io/library/sysstream:latest",
        })
        self.assertEqual(self.img.docker_manifest, [{
            "Config": "blobs/sha256/" + self.img.config_digest.split(":")[1],
            "RepoTags": ["sysstream:latest"],
            "Layers": ["blobs/sha256/" + self.img.layer_digest.split(":")[1]],
        }])

    def test_config(self):
        c = self.img.config
        self.assertEqual((c["os"], c["architecture"]), ("linux", "amd64"))
        self.assertEqual(c["created"], "1970-01-01T00:00:00Z")
        cc = c["config"]
        self.assertEqual(cc["Entrypoint"], ["/sysstream"])
        self.assertNotIn("Cmd", cc)  # no arguments: trace everything
        self.assertEqual(cc["WorkingDir"], "/logs")  # default log /logs/sysstream.log
        self.assertEqual(cc["Volumes"], {"/logs": {}})
        labels = cc["Labels"]
        self.assertEqual(set(labels), EXPECTED_LABELS)
        self.assertEqual(labels["org.opencontainers.image.licenses"],
                         "Apache-2.0 AND (GPL-2.0-only OR BSD-2-Clause)")
        self.assertEqual(labels["org.opencontainers.image.title"], "sysstream")
        # The version label is the binary's own version.
        out = run([ARGS.sysstream, "--version"]).stdout.strip()
        self.assertEqual(out, "sysstream " + labels["org.opencontainers.image.version"])

    def test_layer_is_distroless_static(self):
        members = self.img.layer_members()
        self.assertEqual({n: ("dir" if m.isdir() else "link" if m.issym()
                              else "file", m.mode)
                          for n, (m, _) in members.items()}, EXPECTED_LAYER)
        self.assertEqual(members["usr/bin/sysstream"][0].linkname, "/sysstream")
        for name, (m, _) in members.items():
            self.assertEqual((m.uid, m.gid, m.uname, m.gname, m.mtime), (0, 0, "", "", 0), name)
        passwd = members["etc/passwd"][1].decode()
        self.assertEqual([l.split(":")[:3] for l in passwd.splitlines()],
                         [["root", "x", "0"], ["nobody", "x", "65534"]])
        group = members["etc/group"][1].decode()
        self.assertEqual([l.split(":")[:3] for l in group.splitlines()],
                         [["root", "x", "0"], ["nobody", "x", "65534"]])

    def test_binary_is_the_static_build(self):
        data = self.img.layer_members()["sysstream"][1]
        with open(ARGS.sysstream, "rb") as f:
            self.assertEqual(hashlib.sha256(data).hexdigest(),
                             hashlib.sha256(f.read()).hexdigest(),
                             "/sysstream in the image is not //:sysstream")
        machine, interp, needed = elf_facts(data)
        self.assertEqual(machine, 62, "not x86_64")
        self.assertFalse(interp, "/sysstream has a PT_INTERP (dynamic loader)")
        self.assertEqual(needed, 0, "/sysstream needs shared libraries")

    def test_two_builds_give_the_same_bytes(self):
        a, b = sha256_file(ARGS.image), sha256_file(ARGS.image_twin)
        print("image sha256 %s (%d bytes); twin build %s" %
              (a, os.path.getsize(ARGS.image), b), file=sys.stderr)
        self.assertEqual(a, b, "//container:image and its twin build differ")

    def test_rebuild_ignores_clock_umask_and_input_metadata(self):
        # Run build_image.py again, later, on copies of the inputs with other
        # mtimes and modes, under another umask and time zone.
        with open(ARGS.spec) as f:
            spec = json.load(f)
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
            for entry in spec["files"]:
                if "src" not in entry:
                    continue
                runfile = re.sub(r"^bazel-out/[^/]+/bin/", "", entry["src"])
                dst = os.path.join(tmp, entry["src"])
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(runfile, dst)
                os.chmod(dst, 0o600)
                os.utime(dst, (1234567890, 1234567890))
            spec_path = os.path.join(tmp, "spec.json")
            with open(spec_path, "w") as f:
                json.dump(spec, f, indent=3)  # other whitespace, same spec
            out = os.path.join(tmp, "again.tar")
            env = {"TZ": "Pacific/Chatham", "SOURCE_DATE_EPOCH": "999"}  # on top of ours
            run(["/usr/bin/python3", os.path.abspath(ARGS.builder), "--spec", spec_path,
                 "--out", out], cwd=tmp, env=env, preexec_fn=lambda: os.umask(0o077))
            self.assertEqual(sha256_file(out), sha256_file(ARGS.image))


def stale_test_containers(names):
    """Of `names`, those left by a test run that is gone: test containers are
    named sysstream-test-<pid of that run>-...; a live run's are kept."""
    stale = []
    for n in names:
        m = re.match(r"sysstream-test-(\d+)-", n)
        if m and (int(m.group(1)) == os.getpid() or
                  not os.path.exists("/proc/%s" % m.group(1))):
            stale.append(n)
    return stale


class EngineFixture:
    """An engine with both images loaded, and helpers; subclasses set ENGINE."""

    ENGINE = None
    IMAGE = "sysstream:latest"
    TARGET = "sysstream-test-target:latest"
    _serial = 0

    @classmethod
    def setUpClass(cls):
        ready = os.environ.get("ENGINES_READY", "").split()
        if cls.ENGINE not in ready:
            raise AssertionError("%s does not work on this machine: %s" % (
                cls.ENGINE, os.environ.get("ENGINE_ERROR_" + cls.ENGINE) or "engines.sh not run"))
        cls.cli = os.environ["DOCKER" if cls.ENGINE == "docker" else "PODMAN"]
        cls.prefix = "sysstream-test-%d-" % os.getpid()
        cls.tmp = tempfile.mkdtemp(prefix=cls.ENGINE + "-", dir=os.environ.get("TEST_TMPDIR"))
        # Containers left by an earlier, killed run (not those of a run
        # going on at the same time).
        ps = cls.engine(["ps", "-a", "--format", "{{.Names}}", "--filter",
                         "name=sysstream-test-"], check=False)
        for name in stale_test_containers(ps.stdout.split()):
            cls.engine(["rm", "-f", name], check=False)
        # Load both images afresh. (No `rmi -f`: podman's would also remove
        # the containers of another test run using the image.)
        for tag, tarball in ((cls.IMAGE, ARGS.image), (cls.TARGET, ARGS.target_image)):
            cls.engine(["rmi", tag], check=False)
            out = cls.engine(["load", "-i", tarball], timeout=120).stdout
            assert re.search(r"Loaded image: (docker\.io/library/)?%s" % re.escape(tag), out), out
        cls.img = ImageTarball(ARGS.image)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", "/nonexistent"), ignore_errors=True)

    @classmethod
    def engine(cls, args, **kwargs):
        return run([cls.cli] + args, **kwargs)

    def setUp(self):
        self.containers = []
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for name in self.containers:
            self.engine(["rm", "-f", "-v", name], check=False, timeout=60)

    def name(self, what):
        EngineFixture._serial += 1
        n = "%s%s-%s-%d" % (self.prefix, self.ENGINE, what, EngineFixture._serial)
        self.containers.append(n)
        return n

    def logdir(self, what):
        d = tempfile.mkdtemp(prefix=what + "-", dir=self.tmp)
        os.chmod(d, 0o755)
        return d

    def inspect(self, name, fmt):
        return self.engine(["inspect", "--format", fmt, name]).stdout.strip()

    def logs(self, name):
        p = self.engine(["logs", name], check=False)
        return p.stdout + p.stderr

    def tracer_cmd(self, name, logdir, args, detach=False, extra=()):
        """`run --privileged --pid=host -v logdir:/logs [extra] sysstream ARGS`."""
        return [self.cli, "run", "-d" if detach else "--rm", "--name", name, "--privileged",
                "--pid=host", "--network=none", "-v", logdir + ":/logs"] + list(extra) + [
                    self.IMAGE] + args

    def start_tracer(self, what, logdir, args, extra=()):
        """`run --rm --privileged --pid=host -v logdir:/logs sysstream ARGS` in
        the foreground, returned once sysstream says it is attached."""
        t = Foreground(self.tracer_cmd(self.name(what), logdir, args, extra=extra))
        self.procs.append(t.proc)
        wait_until("sysstream to attach", lambda: "sysstream: tracing" in t.stderr()
                   or t.proc.poll() is not None, timeout=30)
        self.assertIn("sysstream: tracing", t.stderr(),
                      "sysstream exited before tracing (exit %s)" % t.proc.poll())
        return t

    def start_detached_tracer(self, what, logdir, args):
        """The same with `run -d`; returns the container's name."""
        name = self.name(what)
        run(self.tracer_cmd(name, logdir, args, detach=True))

        def attached():
            out = self.logs(name)
            if "sysstream: tracing" in out:
                return True
            if self.inspect(name, "{{.State.Running}}") != "true":
                raise AssertionError("sysstream exited before tracing (exit %s): %s" % (
                    self.inspect(name, "{{.State.ExitCode}}"), out))
            return False

        wait_until("sysstream in %s to attach" % name, attached, timeout=30)
        return name


class EngineBase(EngineFixture):
    """The same checks in each engine; subclasses set ENGINE."""

    def test_loaded_image_is_ours(self):
        # The engine imported our exact config (image id = config digest).
        image_id = self.engine(["image", "inspect", "--format", "{{.Id}}", self.IMAGE]).stdout.strip()
        self.assertEqual(image_id.replace("sha256:", ""), self.img.config_digest.split(":")[1])
        cfg = json.loads(self.engine(["image", "inspect", "--format", "{{json .Config}}",
                                      self.IMAGE]).stdout)
        self.assertEqual(cfg["Entrypoint"], ["/sysstream"])
        self.assertEqual(cfg["WorkingDir"], "/logs")
        self.assertEqual(cfg["Labels"]["org.opencontainers.image.version"], "0.1.0")

    def test_no_shell(self):
        p = self.engine(["run", "--rm", "--network=none", "--entrypoint", "/bin/sh", self.IMAGE,
                         "-c", "true"], check=False)
        self.assertNotEqual(p.returncode, 0, "/bin/sh ran in the image")
        self.assertRegex(p.stderr, r"/bin/sh.*no such file or directory")

    def test_static_binary_runs_alone(self):
        # Nothing else in the image: the binary starts (no loader, no libc).
        p = self.engine(["run", "--rm", "--network=none", self.IMAGE, "--version"])
        self.assertEqual(p.stdout.strip(), "sysstream 0.1.0")

    def test_without_privileges_refuses_and_creates_no_log(self):
        d = self.logdir("unprivileged")
        p = self.engine(["run", "--rm", "--network=none", "-v", d + ":/logs", self.IMAGE],
                        check=False)
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(os.listdir(d), [])

    def check_exact_seq(self, logdir, log, pid, n, tracer):
        code, err = tracer.finish(timeout=30)
        self.assertEqual(code, 0, err)  # `run --rm` passes sysstream's status on
        self.assertIn("all targets exited", err)
        self.assertIn("sysstream: %d events written to %s, 0 lost" % (n + 3, log), err)
        with open(os.path.join(logdir, log)) as f:
            records = parse_log(f.read())
        self.assertEqual(records, [(pid, GETPPID)] * n +
                         [(pid, OPENAT), (pid, CLOSE), (pid, EXIT_GROUP)])

    def test_traces_a_host_process_exactly(self):
        # A host process blocked in read(0); released once sysstream is attached.
        w = subprocess.Popen([ARGS.workload, "seq", "25"], stdin=subprocess.PIPE)
        self.procs.append(w)
        wait_until("the workload to block in read", lambda: blocked_in_read(w.pid), timeout=10)
        d = self.logdir("host")
        tracer = self.start_tracer("host", d, ["-f", "seq.log", str(w.pid)])
        w.stdin.write(b"g")
        w.stdin.close()
        self.assertEqual(w.wait(timeout=10), 0)
        self.check_exact_seq(d, "seq.log", w.pid, 25, tracer)

    def test_traces_a_process_in_another_container_by_host_pid(self):
        # The target image's workload, blocked in read on the container's stdin.
        target = self.name("target")
        t = subprocess.Popen([self.cli, "run", "-i", "--name", target, "--network=none",
                              self.TARGET, "seq", "40"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.procs.append(t)

        def host_pid():
            p = self.engine(["inspect", "--format", "{{.State.Pid}}", target], check=False)
            pid = int(p.stdout.strip() or 0) if p.returncode == 0 else 0
            return pid if pid > 0 and blocked_in_read(pid) else 0

        pid = wait_until("the target container to block in read", host_pid, timeout=30)
        d = self.logdir("container")
        tracer = self.start_tracer("tracer", d, ["-f", "target.log", str(pid)])
        t.stdin.write(b"g")
        t.stdin.close()
        self.assertEqual(t.wait(timeout=30), 0, t.stderr.read())
        self.check_exact_seq(d, "target.log", pid, 40, tracer)

    def test_stop_leaves_a_complete_log(self):
        # The image's defaults: no arguments = every process, into
        # /logs/sysstream.log. A ticking container gives steady known calls.
        target = self.name("ticker")
        self.engine(["run", "-d", "--name", target, "--network=none", self.TARGET, "tick", "2"])
        pid = int(self.inspect(target, "{{.State.Pid}}"))
        d = self.logdir("stop")
        tracer = self.start_detached_tracer("stop", d, [])
        time.sleep(2)
        self.engine(["stop", "-t", "30", tracer], timeout=60)
        code = int(self.inspect(tracer, "{{.State.ExitCode}}"))
        out = self.logs(tracer)
        self.assertEqual(code, 0, out)
        self.assertIn("stopped by SIGTERM", out)
        m = re.search(r"sysstream: (\d+) events written to sysstream\.log, (\d+) lost", out)
        self.assertTrue(m, out)
        with open(os.path.join(d, "sysstream.log")) as f:
            records = parse_log(f.read())
        events = [r for r in records if r[0] != GAP_PID]
        lost = sum(nr for p, nr in records if p == GAP_PID)
        self.assertEqual(len(events), int(m.group(1)))
        self.assertEqual(lost, int(m.group(2)))
        ticks = [nr for p, nr in events if p == pid]
        self.assertGreater(ticks.count(GETPPID), 100, "the ticking container is missing")
        self.assertLessEqual(set(ticks), {GETPPID, NANOSLEEP})
        self.engine(["stop", "-t", "10", target], timeout=60)
        self.assertEqual(int(self.inspect(target, "{{.State.ExitCode}}")), 0)
        print("%s: stop after 2 s: %d events, %d lost" % (self.ENGINE, len(events), lost),
              file=sys.stderr)


class DockerTest(EngineBase, unittest.TestCase):
    ENGINE = "docker"


class PodmanTest(EngineBase, unittest.TestCase):
    ENGINE = "podman"


def main():
    global ARGS
    ARGS, argv = parse_args("sysstream", "image", "image-twin", "spec", "builder",
                            "target-image", "workload")
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
