# SPDX-License-Identifier: Apache-2.0
"""The k8s/ manifests, run for real with `podman kube play`.

Run by k8s_test.sh, inside its mount namespace where podman's store is in a
CRI-O node's places (/run/containers/storage, /var/lib/containers/storage)
and /var/log is the test's own. Env: PODMAN, CONTAINERS_CONF,
CONTAINERS_STORAGE_CONF, K8S_TEST_HOSTPID_CONF.

* A target pod is started with `podman kube play`: the pod the manifests'
  `--pod NS/NAME` names, two containers of the static workload ticking.
  Podman 4.3 records no pod name or namespace in a container's config.json
  (only io.kubernetes.cri-o.ContainerType and io.kubernetes.cri-o.SandboxID,
  and it drops metadata.namespace); the pod carries CRI-O's own
  io.kubernetes.pod.name / io.kubernetes.pod.namespace annotations, which
  podman copies into each container's config.json as CRI-O would write them.
* The DaemonSet's pod template (rendered by kustomize from k8s/) runs as a
  Pod: it must find the target pod through the node's /run and
  /var/lib/containers mounted read-only under /host, and write the target's
  syscalls, and only those, into the node's /var/log/sysstream; SIGTERM
  leaves a complete log; a restart appends. The stdout variant, the one-shot
  Job, and the minimal capability set on this host's cgroup layout too.
* `kubectl debug node/N --profile=sysadmin`: the image run privileged with
  --pid=host and the node's root at /host resolves --pod and --container
  through /host with no --host-root flag.

What podman 4.3's kube play does not do that the kubelet and the runtime do,
the harness does where the manifest asks for it: hostPID (a containers.conf
with pidns = "host"), seccompProfile Unconfined (podman's older annotation
container.seccomp.security.alpha.kubernetes.io/NAME) and $(VAR) expansion in
args.
"""

import copy
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "common"))
import k8s_manifests as km  # noqa: E402
import testutil  # noqa: E402
from testutil import GAP_PID, parse_args, parse_log, run  # noqa: E402

ARGS = None
PODMAN = os.environ.get("PODMAN", "/usr/bin/podman")
NODE_LOGS = "/var/log/sysstream"  # the hostPath, in this mount namespace
# This machine's syscall numbers, from the generated tables.
_NR = testutil.syscall_numbers()
GETPPID, NANOSLEEP, RT_SIGRETURN, EXIT_GROUP = (
    _NR["getppid"], _NR["nanosleep"], _NR["rt_sigreturn"], _NR["exit_group"])
TARGET_IMAGE = "sysstream-test-target:latest"


# Most predicates run podman (logs, inspect): poll half as often.
wait_until = functools.partial(testutil.wait_until, interval=0.1)


def podman(*args, timeout=120, **kwargs):
    return run([PODMAN] + list(args), timeout=timeout, **kwargs)


def read_log(path):
    with open(path) as f:
        return parse_log(f.read(), empty_ok=True)


def summary(text, log):
    """(events, lost) from sysstream's last summary line about `log`."""
    found = re.findall(r"sysstream: (\d+) events written to %s, (\d+) lost" % re.escape(log), text)
    assert found, "no summary for %s in:\n%s" % (log, text)
    return int(found[-1][0]), int(found[-1][1])


def rendered(variant):
    return km.render(os.path.join(ARGS.k8s, variant))


def one(objs, kind):
    (o,) = [o for o in objs if o["kind"] == kind]
    return o


def cgroup_layout():
    """"v2" on a pure cgroup v2 host, else "v1/hybrid"."""
    with open("/proc/self/mountinfo") as f:
        types = [line.split(" - ")[1].split()[0] for line in f if " - " in line]
    return "v1/hybrid" if "cgroup" in types else "v2"


class Node:
    """The podman node: images, the target pod, pods played from manifests."""

    target_ns = target_name = None
    target_pids = {}

    @classmethod
    def setup(cls):
        info = podman("info", "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}").stdout.split()
        assert info == ["/var/lib/containers/storage", "/run/containers/storage"], (
            "podman's store is not in the node's places: %s" % info)
        cls.cleanup()
        for tarball in (ARGS.image, ARGS.target_image):
            podman("load", "-i", tarball, timeout=180)
        ds = one(rendered("."), "DaemonSet")
        spec, _ = km.pod_spec_of(ds)
        image = spec["containers"][0]["image"]
        # The manifests name the image by its version tag (manifests_test
        # checks it is the image's version label).
        podman("tag", "sysstream:latest", image)
        (pod,) = km.arg_value(spec["containers"][0]["args"], "--pod")
        cls.target_ns, cls.target_name = pod.split("/")
        cls.start_target()

    @classmethod
    def start_target(cls):
        cls.target_pids = cls.start_pod(cls.target_name)

    @classmethod
    def start_pod(cls, name):
        """A pod of two containers making known calls (getppid, nanosleep)
        until stopped, as the DaemonSet traces; {container: pid}."""
        target = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": cls.target_ns,
                "labels": {"app": name},
                "annotations": {
                    # CRI-O's annotations; podman copies them into each
                    # container's config.json (it records none of its own).
                    "io.kubernetes.pod.name": name,
                    "io.kubernetes.pod.namespace": cls.target_ns,
                },
            },
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "app", "image": TARGET_IMAGE, "args": ["tick", "5"]},
                    {"name": "side", "image": TARGET_IMAGE, "args": ["tick", "7"]},
                ],
            },
        }
        assert km.validate(target, "target pod") == []
        cls.play(target)
        pids = {}
        for c in ("app", "side"):
            cname = "%s-%s" % (name, c)
            pid = int(podman("inspect", "--format", "{{.State.Pid}}", cname).stdout)
            assert pid > 0, cname
            pids[cname] = pid
        return pids

    @classmethod
    def play(cls, pod):
        """`podman kube play --network=none` of one Pod; its name."""
        env = {}
        if pod["spec"].get("hostPID") is True:
            env["CONTAINERS_CONF"] = os.environ["K8S_TEST_HOSTPID_CONF"]
        # podman 4.3's kube play ignores securityContext.seccompProfile (and
        # would apply its default profile, which allows bpf(2) only with
        # CAP_SYS_ADMIN); it takes the older annotation instead.
        pod = copy.deepcopy(pod)
        for c in pod["spec"]["containers"]:
            profile = ((c.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
            if profile == "Unconfined":
                pod["metadata"].setdefault("annotations", {})[
                    "container.seccomp.security.alpha.kubernetes.io/" + c["name"]] = "unconfined"
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False,
                                         dir=os.environ.get("TEST_TMPDIR")) as f:
            yaml.safe_dump(pod, f)
        try:
            podman("kube", "play", "--network=none", f.name, env=env, timeout=180)
        finally:
            os.unlink(f.name)
        name = pod["metadata"]["name"]
        if pod["spec"].get("hostPID") is True:
            for c in pod["spec"]["containers"]:
                mode = podman("inspect", "--format", "{{.HostConfig.PidMode}}",
                              "%s-%s" % (name, c["name"])).stdout.strip()
                assert mode == "host", "hostPID pod %s got pid mode %r" % (name, mode)
        return name

    @classmethod
    def cleanup(cls):
        podman("pod", "rm", "-f", "-a", check=False, timeout=180)
        podman("rm", "-f", "-a", check=False, timeout=180)
        podman("volume", "prune", "-f", check=False)


def setUpModule():
    Node.setup()


def tearDownModule():
    Node.cleanup()


class Base(unittest.TestCase):

    def setUp(self):
        self.pods = []
        if os.path.isdir(NODE_LOGS):
            shutil.rmtree(NODE_LOGS)
        # The target pod must still be there (a test may not stop it).
        for name, pid in Node.target_pids.items():
            state = podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
            self.assertEqual(state, "true", name)

    def tearDown(self):
        for p in self.pods:
            podman("pod", "rm", "-f", p, check=False, timeout=120)

    def play(self, pod):
        self.assertEqual(km.validate(pod, pod["metadata"]["name"]), [])
        self.pods.append(pod["metadata"]["name"])
        return Node.play(pod)

    def logs(self, container):
        p = podman("logs", container, check=False)
        return p.stdout, p.stderr

    def state(self, container):
        out = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                     container).stdout.split()
        return out[0], int(out[1])

    def wait_attached(self, container, times=1):
        def attached():
            out, err = self.logs(container)
            if (out + err).count("sysstream: tracing") >= times:
                return True
            status, code = self.state(container)
            if status not in ("running", "created", "configured", "initialized"):
                raise AssertionError("%s exited (%s, %d) before tracing:\n%s%s" % (
                    container, status, code, out, err))
            return False
        wait_until("%s to attach" % container, attached, timeout=60)

    def assert_target_records(self, records, pids=None, minimum=20, also=()):
        """Only the target pod's processes, making only their calls."""
        pids = set(pids or Node.target_pids.values())
        events = [r for r in records if r[0] != GAP_PID]
        self.assertEqual({p for p, _ in events}, pids,
                         "the log holds other processes than the target pod's")
        for pid in pids:
            calls = [nr for p, nr in events if p == pid]
            self.assertGreaterEqual(calls.count(GETPPID), minimum, "pid %d: too few" % pid)
            self.assertLessEqual(set(calls), {GETPPID, NANOSLEEP, *also}, "pid %d" % pid)
        return events

    def wait_records(self, path, minimum=20, pids=None):
        pids = set(pids or Node.target_pids.values())

        def enough():
            if not os.path.exists(path):
                return False
            with open(path) as f:
                text = f.read()
            text = text[:text.rfind("\t") + 1]  # whole records only
            records = parse_log(text, empty_ok=True)
            return all(sum(1 for p, nr in records if p == pid and nr == GETPPID) >= minimum
                       for pid in pids)
        wait_until("records of the target pod in %s" % path, enough, timeout=60)


class DaemonSetTest(Base):
    """The DaemonSet's pod template as the Pod on one node."""

    def daemonset_pod(self, variant=".", name="sysstream-node1"):
        ds = one(rendered(variant), "DaemonSet")
        pod = km.pod_from_template(ds, name)
        self.assertIs(pod["spec"]["hostPID"], True)
        return pod

    def test_traces_the_target_pod_into_the_node_log(self):
        pod = self.daemonset_pod()
        name = self.play(pod)
        tracer = name + "-sysstream"
        self.wait_attached(tracer)
        log = os.path.join(NODE_LOGS, "sysstream.log")
        self.wait_records(log)
        # Collecting while it runs (README): `kubectl exec` the image's own
        # decoder on the node log; it has no shell, cat or tar.
        p = podman("exec", tracer, "/sysstream", "decode", "--format", "jsonl",
                   "/logs/sysstream.log")
        decoded = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertGreater(len(decoded), 40)
        self.assertEqual({d["pid"] for d in decoded if "pid" in d},
                         set(Node.target_pids.values()))
        # Limits as the manifest sets them (the BPF ring is charged to them).
        self.assertEqual(int(podman("inspect", "--format", "{{.HostConfig.Memory}}",
                                    tracer).stdout), 256 << 20)
        podman("pod", "stop", "-t", "30", name, timeout=90)
        status, code = self.state(tracer)
        out, err = self.logs(tracer)
        self.assertEqual(code, 0, out + err)
        self.assertIn("stopped by SIGTERM", err + out)
        events, lost = summary(err + out, "/logs/sysstream.log")
        records = read_log(log)
        got = self.assert_target_records(records)
        self.assertEqual(len(got), events)
        self.assertEqual(sum(nr for p, nr in records if p == GAP_PID), lost)
        size = os.path.getsize(log)
        print("daemonset: %d events of pids %s, %d lost; note: %s" % (
            events, sorted(Node.target_pids.values()), lost,
            "; ".join(l for l in (err + out).splitlines() if "cgroup" in l)[:300]),
            file=sys.stderr)

        # A restarted pod (node reboot, eviction, rollout) appends.
        podman("pod", "start", name)
        self.wait_attached(tracer, times=2)
        wait_until("the log to grow", lambda: os.path.getsize(log) > size + 200, timeout=30)
        podman("pod", "stop", "-t", "30", name, timeout=90)
        status, code = self.state(tracer)
        out, err = self.logs(tracer)
        self.assertEqual(code, 0, out + err)
        events2, lost2 = summary(err + out, "/logs/sysstream.log")
        records = read_log(log)
        self.assertEqual(len(self.assert_target_records(records)), events + events2)

    def test_waits_for_a_pod_that_comes_later_and_stops_when_it_goes(self):
        # A node where the named pod does not run (yet): sysstream waits
        # (--wait) instead of crash-looping, traces the pod once it lands,
        # and stops by itself when it is deleted (the kubelet then restarts
        # it, and it waits again). A container of the pod that restarts
        # meanwhile is traced again.
        pod = self.daemonset_pod(name="sysstream-node4")
        args = pod["spec"]["containers"][0]["args"]
        self.assertIn("--wait", args)
        late = "late"
        args[args.index("--pod") + 1] = "%s/%s" % (Node.target_ns, late)
        name = self.play(pod)
        tracer = name + "-sysstream"
        wait_until("sysstream to wait", lambda: "waiting (--wait)" in "".join(self.logs(tracer)),
                   timeout=60)
        time.sleep(1.5)
        self.assertEqual(self.state(tracer)[0], "running", self.logs(tracer))
        log = os.path.join(NODE_LOGS, "sysstream.log")
        self.assertFalse(os.path.exists(log), "a log before the pod came")
        self.pods.append(late)
        pids = Node.start_pod(late)
        self.wait_attached(tracer)
        self.wait_records(log, minimum=10, pids=pids.values())
        # One container of the pod restarts (new process, new cgroup): it is
        # traced again without restarting sysstream.
        app = "%s-app" % late
        podman("restart", "-t", "5", app, timeout=120)
        new_pid = int(podman("inspect", "--format", "{{.State.Pid}}", app).stdout)
        self.assertNotEqual(new_pid, pids[app])
        wait_until("the restarted container's new cgroup",
                   lambda: "also tracing new cgroup" in "".join(self.logs(tracer)), timeout=60)
        self.wait_records(log, minimum=10, pids=[new_pid])
        podman("pod", "rm", "-f", late, timeout=120)
        wait_until("sysstream to stop by itself",
                   lambda: "(all targets exited)" in "".join(self.logs(tracer)), timeout=60)
        out, err = self.logs(tracer)
        events, lost = summary(err + out, "/logs/sysstream.log")
        records = read_log(log)
        # The pod's processes were killed (SIGTERM: handler, exit) this time.
        # The restarted container's process may show the end of its start-up
        # (runc's init runs as that pid in the new cgroup before its execve,
        # and the new cgroup is picked up within a second): only its ticks
        # are checked.
        events_all = [r for r in records if r[0] != GAP_PID]
        self.assertEqual({p for p, _ in events_all}, set(pids.values()) | {new_pid})
        got = self.assert_target_records([r for r in records if r[0] != new_pid],
                                         pids=pids.values(), minimum=10,
                                         also=(RT_SIGRETURN, EXIT_GROUP))
        restarted = [nr for p, nr in events_all if p == new_pid]
        self.assertGreaterEqual(restarted.count(GETPPID), 10)
        self.assertEqual(len(got) + len(restarted), events)
        self.assertEqual(sum(nr for p, nr in records if p == GAP_PID), lost)

    def test_stdout_variant_streams_jsonl(self):
        pod = self.daemonset_pod("stdout", "sysstream-node2")
        name = self.play(pod)
        tracer = name + "-sysstream"
        self.wait_attached(tracer)

        def lines():
            out, _ = self.logs(tracer)
            recs = [l for l in out.splitlines() if l.startswith("{")]
            return recs if len(recs) > 200 else None
        wait_until("jsonl on stdout", lines, timeout=60)
        podman("pod", "stop", "-t", "30", name, timeout=90)
        status, code = self.state(tracer)
        out, err = self.logs(tracer)
        self.assertEqual(code, 0, out + err)
        records = []
        for line in (out + err).splitlines():
            if line.startswith("sysstream: "):
                continue  # its own messages (stderr)
            j = json.loads(line)
            self.assertEqual(set(j) - {"pid", "nr", "syscall", "gap"}, set(), line)
            if "gap" in j:
                records.append((GAP_PID, j["gap"]))
            else:
                records.append((j["pid"], j["nr"]))
        events, lost = summary(err + out, "standard output")
        got = self.assert_target_records(records)
        self.assertEqual(len(got), events)
        self.assertFalse(os.path.exists(NODE_LOGS + "/sysstream.log"))

    def test_minimal_capabilities_on_this_cgroup_layout(self):
        # Without SYS_ADMIN and SYS_PTRACE: enough on cgroup v1/hybrid nodes
        # (the pod shares the node's cgroup namespace); on cgroup v2 the
        # private cgroup namespace cannot be left without them.
        pod = self.daemonset_pod(name="sysstream-node3")
        sc = pod["spec"]["containers"][0]["securityContext"]
        sc["capabilities"]["add"] = ["BPF", "PERFMON"]
        name = self.play(pod)
        tracer = name + "-sysstream"
        caps = json.loads(podman("inspect", "--format", "{{json .EffectiveCaps}}", tracer).stdout)
        self.assertEqual(sorted(caps), ["CAP_BPF", "CAP_PERFMON"])
        layout = cgroup_layout()
        if layout == "v2":
            wait_until("sysstream to give up", lambda: self.state(tracer)[0] == "exited"
                       or self.state(tracer)[1] != 0, timeout=30)
            out, err = self.logs(tracer)
            self.assertIn("cgroup namespace", out + err)
            return
        self.wait_attached(tracer)
        log = os.path.join(NODE_LOGS, "sysstream.log")
        self.wait_records(log)
        podman("pod", "stop", "-t", "30", name, timeout=90)
        self.assertEqual(self.state(tracer)[1], 0, self.logs(tracer))
        self.assert_target_records(read_log(log))


class JobTest(Base):

    def test_one_shot_job_traces_for_its_duration(self):
        job = one(rendered("job"), "Job")
        pod = km.pod_from_template(job, "sysstream-web-x7k2p")
        args = pod["spec"]["containers"][0]["args"]
        self.assertEqual(args[args.index("--duration") + 1], "60s")
        args[args.index("--duration") + 1] = "4s"  # the test's patience
        self.assertIn("/logs/sysstream-web-x7k2p.log", args)  # $(POD_NAME) expanded
        name = self.play(pod)
        tracer = name + "-sysstream"
        wait_until("the job to finish", lambda: self.state(tracer)[0] == "exited", timeout=60)
        out, err = self.logs(tracer)
        self.assertEqual(self.state(tracer)[1], 0, out + err)
        self.assertIn("(duration reached)", out + err)
        events, _ = summary(out + err, "/logs/sysstream-web-x7k2p.log")
        records = read_log(os.path.join(NODE_LOGS, "sysstream-web-x7k2p.log"))
        self.assertEqual(len(self.assert_target_records(records)), events)


class DebugNodeTest(Base):
    """kubectl debug node/N -it --profile=sysadmin --image=IMAGE -- /sysstream ...:
    a privileged pod in the node's PID namespace with the node's root at /host
    (kubectl's command after `--` replaces the image's entrypoint)."""

    def setUp(self):
        super().setUp()
        # Where the DaemonSet or the Job has run, the node has this directory
        # (their hostPath is DirectoryOrCreate); sysstream creates no
        # directories.
        os.makedirs(NODE_LOGS)

    def debug(self, args, host_root=True):
        cmd = [PODMAN, "run", "--rm", "--privileged", "--pid=host", "--ipc=host",
               "--network=none", "--entrypoint", "/sysstream"]
        if host_root:
            cmd += ["-v", "/:/host"]
        return run(cmd + ["sysstream:latest"] + args, check=False, timeout=120)

    def test_pod_resolved_through_host(self):
        pod = "%s/%s" % (Node.target_ns, Node.target_name)
        p = self.debug(["--pod", pod, "--duration", "3s", "-f", "/host/var/log/sysstream/web.log"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(duration reached)", p.stderr)
        events, _ = summary(p.stderr, "/host/var/log/sysstream/web.log")
        records = read_log(os.path.join(NODE_LOGS, "web.log"))
        self.assertEqual(len(self.assert_target_records(records, minimum=10)), events)

    def test_container_resolved_through_host(self):
        name = "%s-app" % Node.target_name  # podman's name: POD-CONTAINER
        p = self.debug(["--container", name, "--duration", "3s",
                        "-f", "/host/var/log/sysstream/app.log"])
        self.assertEqual(p.returncode, 0, p.stderr)
        records = read_log(os.path.join(NODE_LOGS, "app.log"))
        self.assert_target_records(records, pids={Node.target_pids[name]}, minimum=10)

    def test_without_host_there_is_nothing_to_resolve(self):
        # The image has no runtime state of its own: it was /host above.
        pod = "%s/%s" % (Node.target_ns, Node.target_name)
        p = self.debug(["--pod", pod, "--duration", "1s", "-f", "-"], host_root=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("no running containers of pod '%s'" % pod, p.stderr)


def main():
    global ARGS
    ARGS, argv = parse_args("k8s", "image", "target-image")
    ARGS.k8s = km.materialize(ARGS.k8s)
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
