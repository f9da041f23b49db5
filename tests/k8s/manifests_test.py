# SPDX-License-Identifier: Apache-2.0
"""Every manifest in k8s/, checked without a cluster.

* Each YAML object (plain files, and every kustomization rendered) against
  the Kubernetes 1.22 API models of Debian's python3-kubernetes: unknown or
  mistyped fields fail; then what an API server would reject besides
  (k8s_manifests.check_semantics).
* Each kustomization rendered by k8s_manifests.render and, when a kubectl
  with `kustomize` is on this machine, by kubectl too: both must agree.
* Image and namespace can be overridden from a kustomization of one's own.
* The image tag in the manifests is the image's version label.
* What the pods ask of sysstream matches what sysstream reads: --host-root is
  where the node's directories are mounted, the log is on a volume.

Usage: manifests_test.py --k8s DIR --image IMAGE_TAR [unittest args]
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "common"))
import k8s_manifests as km  # noqa: E402
from testutil import parse_args  # noqa: E402

ARGS = None


def kustomization_dirs(root):
    out = []
    for d, _, files in os.walk(root):
        if any(f in km.KUSTOMIZATION_NAMES for f in files):
            out.append(d)
    return sorted(out)


def manifest_files(root):
    """YAML files that are Kubernetes objects (not kustomizations, not patches)."""
    patches = set()
    for d in kustomization_dirs(root):
        patches |= km.patch_files(d)
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.normpath(os.path.join(d, f))
            if f.endswith((".yaml", ".yml")) and f not in km.KUSTOMIZATION_NAMES \
                    and p not in patches:
                out.append(p)
    return sorted(out)


def kubectl_kustomize():
    """A kubectl that can `kustomize` offline, or None (and why)."""
    for path in ("/usr/bin/kubectl", "/usr/local/bin/kubectl", shutil.which("kubectl")):
        if path and os.access(path, os.X_OK):
            p = subprocess.run([path, "kustomize", "--help"], capture_output=True, text=True)
            if p.returncode == 0:
                return path, None
            return None, "%s has no working `kustomize`: %s" % (path, p.stderr.strip()[:200])
    return None, "no kubectl on this machine"


def canonical(docs):
    return sorted(json.dumps(d, sort_keys=True) for d in docs)


def image_version(tarball):
    with tarfile.open(tarball) as t:
        index = json.load(t.extractfile("index.json"))
        manifest = json.load(t.extractfile(
            "blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
        config = json.load(t.extractfile(
            "blobs/sha256/" + manifest["config"]["digest"].split(":")[1]))
    return config["config"]["Labels"]["org.opencontainers.image.version"]


class ManifestsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if km.k8s_client is None:
            raise AssertionError("python3-kubernetes is not importable (%s): run tools/setup.sh"
                                 % km.K8S_IMPORT_ERROR)
        cls.root = ARGS.k8s
        cls.kubectl, why = kubectl_kustomize()
        if cls.kubectl is None:
            print("manifests_test: kustomize output not cross-checked: %s" % why, file=sys.stderr)

    def rendered(self):
        """{directory: objects} for every kustomization."""
        return {d: km.render(d) for d in kustomization_dirs(self.root)}

    def test_layout(self):
        rel = {os.path.relpath(d, self.root) for d in kustomization_dirs(self.root)}
        self.assertEqual(rel, {".", "base", "stdout", "job"})
        kinds = {os.path.relpath(d, self.root): sorted(o["kind"] for o in objs)
                 for d, objs in self.rendered().items()}
        self.assertEqual(kinds, {".": ["DaemonSet", "Namespace"],
                                 "base": ["DaemonSet", "Namespace"],
                                 "stdout": ["DaemonSet", "Namespace"],
                                 "job": ["Job"]})

    def test_plain_files_against_the_api_models(self):
        files = manifest_files(self.root)
        self.assertGreaterEqual(len(files), 3, files)
        for f in files:
            docs = km.load_docs(f)
            self.assertTrue(docs, f)
            for i, d in enumerate(docs):
                self.assertEqual(km.validate(d, "%s#%d" % (f, i)), [])

    def test_kustomizations_are_well_formed(self):
        for d in kustomization_dirs(self.root):
            self.assertEqual(km.check_kustomization(d), [], d)

    def test_rendered_objects_against_the_api_models(self):
        for d, objs in self.rendered().items():
            for o in objs:
                self.assertEqual(km.validate(o, "%s: %s" % (d, o["kind"])), [])
            for o in objs:
                if o["kind"] != "Namespace":
                    self.assertEqual(o["metadata"]["namespace"], "sysstream", d)

    def test_kubectl_kustomize_agrees(self):
        if self.kubectl is None:
            self.skipTest("no kubectl kustomize here")
        for d, objs in self.rendered().items():
            p = subprocess.run([self.kubectl, "kustomize", d], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, "%s: %s" % (d, p.stderr))
            theirs = [o for o in yaml.safe_load_all(p.stdout) if o]
            self.assertEqual(canonical(objs), canonical(theirs), d)

    def test_validator_rejects_unknown_and_mistyped_fields(self):
        # The python client alone would accept these: the walk must not.
        ds = km.load_docs(os.path.join(self.root, "base", "daemonset.yaml"))[0]
        spec = ds["spec"]["template"]["spec"]
        cases = [
            (["containers", 0, "securityContext", "capabilites"], ["BPF"], "unknown field"),
            (["hostPid"], True, "unknown field"),
            (["hostPID"], "true", "expected bool"),
            (["containers", 0, "args"], "--pod default/web", "expected a list"),
            (["volumes", 0, "hostPath", "path"], 5, "expected str"),
            (["terminationGracePeriodSeconds"], "30", "expected int"),
        ]
        for path, value, want in cases:
            bad = km.load_docs(os.path.join(self.root, "base", "daemonset.yaml"))[0]
            node = bad["spec"]["template"]["spec"]
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] = value
            errors = km.validate(bad)
            self.assertTrue(any(want in e for e in errors), "%s=%r: %s" % (path, value, errors))
        self.assertEqual(km.validate(ds), [], spec)

    def test_override_image_and_namespace(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
            shutil.copytree(self.root, os.path.join(tmp, "k8s"))
            for variant in ("k8s", "k8s/stdout", "k8s/job"):
                mine = os.path.join(tmp, "mine-" + variant.replace("/", "-"))
                os.makedirs(mine)
                with open(os.path.join(mine, "kustomization.yaml"), "w") as f:
                    yaml.safe_dump({
                        "apiVersion": "kustomize.config.k8s.io/v1beta1",
                        "kind": "Kustomization",
                        "resources": ["../" + variant],
                        "namespace": "tracing",
                        "images": [{"name": "sysstream",
                                    "newName": "registry.example.com/tools/sysstream",
                                    "newTag": "9.9.9"}],
                    }, f)
                objs = km.render(mine)
                for o in objs:
                    self.assertEqual(km.validate(o, o["kind"]), [])
                    if o["kind"] == "Namespace":
                        self.assertEqual(o["metadata"]["name"], "tracing")
                    else:
                        self.assertEqual(o["metadata"]["namespace"], "tracing")
                        spec, _ = km.pod_spec_of(o)
                        self.assertEqual([c["image"] for c in spec["containers"]],
                                         ["registry.example.com/tools/sysstream:9.9.9"])
                if self.kubectl:
                    p = subprocess.run([self.kubectl, "kustomize", mine], capture_output=True,
                                       text=True, timeout=60)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertEqual(canonical(objs),
                                     canonical(o for o in yaml.safe_load_all(p.stdout) if o))

    def test_image_tag_is_the_image_version(self):
        version = image_version(ARGS.image)
        for d, objs in self.rendered().items():
            for o in objs:
                spec, _ = km.pod_spec_of(o)
                for c in (spec or {}).get("containers", []):
                    self.assertEqual(c["image"], "sysstream:" + version, d)
        for f in manifest_files(self.root):
            for o in km.load_docs(f):
                spec, _ = km.pod_spec_of(o)
                for c in (spec or {}).get("containers", []):
                    self.assertEqual(c["image"], "sysstream:" + version, f)

    def test_pods_give_sysstream_what_it_reads(self):
        for d, objs in self.rendered().items():
            for o in objs:
                spec, meta = km.pod_spec_of(o)
                if spec is None:
                    continue
                where = "%s %s" % (d, o["kind"])
                self.assertIs(spec.get("hostPID"), True, where)
                self.assertIs(spec.get("automountServiceAccountToken"), False, where)
                self.assertEqual(spec.get("tolerations"), [{"operator": "Exists"}], where)
                (c,) = spec["containers"]
                args = c["args"]
                pods = km.arg_value(args, "--pod")
                self.assertTrue(pods, where)
                for p in pods:
                    self.assertRegex(p, r"^[a-z0-9-]+/[a-z0-9.-]+$", where)
                (root,) = km.arg_value(args, "--host-root")
                volumes = {v["name"]: v for v in spec["volumes"]}
                mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
                # Every node directory sysstream reads, read-only under root.
                for host in ("/run", "/var/lib/containers", "/etc/containers"):
                    m = mounts.get(root + host)
                    self.assertIsNotNone(m, "%s: %s not mounted at %s" % (where, host, root + host))
                    self.assertIs(m.get("readOnly"), True, where)
                    self.assertEqual(volumes[m["name"]]["hostPath"]["path"], host, where)
                # The log: stdout, or a file on a writable volume.
                (log,) = km.arg_value(args, "--file")
                if log != "-":
                    parent = os.path.dirname(log)
                    self.assertIn(parent, mounts, where)
                    self.assertFalse(mounts[parent].get("readOnly", False), where)
                    self.assertEqual(volumes[mounts[parent]["name"]]["hostPath"]["path"],
                                     "/var/log/sysstream", where)
                else:
                    self.assertIn("jsonl", km.arg_value(args, "--format"), where)
                sc = c["securityContext"]
                self.assertNotIn("privileged", sc, where)
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"], where)
                self.assertEqual(sc["capabilities"]["add"],
                                 ["BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE"], where)
                self.assertIs(sc["readOnlyRootFilesystem"], True, where)
                self.assertEqual(volumes[mounts["/tmp"]["name"]].get("emptyDir", {}).get("medium"),
                                 "Memory", where)
                res = c["resources"]
                self.assertTrue(res.get("requests") and res.get("limits"), where)
                if o["kind"] == "DaemonSet" and log != "-":
                    self.assertIn("--append", args, where)  # survives restarts
                if o["kind"] == "DaemonSet":
                    # Nodes without the pod wait for it (no crash loop).
                    self.assertIn("--wait", args, where)
                if o["kind"] == "Job":
                    self.assertEqual(km.arg_value(args, "--duration"), ["60s"], where)
                    self.assertEqual(spec["restartPolicy"], "Never", where)


def main():
    global ARGS
    ARGS, argv = parse_args("k8s", "image")
    ARGS.k8s = km.materialize(ARGS.k8s)
    unittest.main(argv=argv)


if __name__ == "__main__":
    main()
