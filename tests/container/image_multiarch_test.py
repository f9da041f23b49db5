#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The multi-arch image tarball (//container:image_multiarch): an OCI image
layout whose index.json names one image index listing the amd64 and the
arm64 manifest, with the very blobs of image.tar and image_arm64.tar and
nothing else; reproducible (a twin target gives the same bytes). As root
with podman installed, `podman load` takes it, in a private store, and picks
the host's platform.

Args: MULTIARCH.tar TWIN.tar AMD64.tar ARM64.tar"""
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

MULTIARCH_TAR, TWIN_TAR, AMD64_TAR, ARM64_TAR = sys.argv[1:5]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
NAME = "docker.io/library/sysstream:latest"


def read_tar(path):
    """({name: bytes} of regular files, [TarInfo] in archive order)."""
    with tarfile.open(path) as t:
        members = t.getmembers()
        files = {m.name: t.extractfile(m).read() for m in members if m.isfile()}
    return files, members


def blob_name(digest):
    algorithm, _, hexdigest = digest.partition(":")
    assert algorithm == "sha256" and re.fullmatch("[0-9a-f]{64}", hexdigest), digest
    return "blobs/sha256/" + hexdigest


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def single_image(path):
    """{'manifest'|'config'|'layer<i>': (digest, bytes)} of a one-platform tarball."""
    files, _ = read_tar(path)
    (desc,) = json.loads(files["index.json"])["manifests"]
    manifest = files[blob_name(desc["digest"])]
    m = json.loads(manifest)
    out = {"manifest": (desc["digest"], manifest),
           "config": (m["config"]["digest"], files[blob_name(m["config"]["digest"])])}
    for i, layer in enumerate(m["layers"]):
        out["layer%d" % i] = (layer["digest"], files[blob_name(layer["digest"])])
    return out


class MultiarchLayoutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files, cls.members = read_tar(MULTIARCH_TAR)
        cls.referenced = set()

    def blob(self, descriptor):
        """The blob of a descriptor; its sha256 and length must match."""
        name = blob_name(descriptor["digest"])
        self.assertIn(name, self.files, "no blob for %s" % descriptor["digest"])
        data = self.files[name]
        self.assertEqual(sha256(data), descriptor["digest"])
        self.assertEqual(len(data), descriptor["size"], descriptor["digest"])
        return data

    def walk(self):
        """index.json -> image index -> {arch: (descriptor, manifest, config,
        [layers])}; every blob reached is added to `referenced`."""
        index = json.loads(self.files["index.json"])
        self.assertEqual(index["schemaVersion"], 2)
        (top,) = index["manifests"]
        self.assertEqual(top["mediaType"], OCI_INDEX)
        image_index_blob = self.blob(top)
        refs = {blob_name(top["digest"])}
        image_index = json.loads(image_index_blob)
        self.assertEqual(image_index["schemaVersion"], 2)
        self.assertEqual(image_index["mediaType"], OCI_INDEX)
        images = {}
        for desc in image_index["manifests"]:
            self.assertEqual(desc["mediaType"], OCI_MANIFEST)
            manifest_blob = self.blob(desc)
            manifest = json.loads(manifest_blob)
            config_blob = self.blob(manifest["config"])
            layers = [self.blob(layer) for layer in manifest["layers"]]
            refs |= {blob_name(d["digest"])
                     for d in [desc, manifest["config"]] + manifest["layers"]}
            images[desc["platform"]["architecture"]] = (
                desc, manifest_blob, config_blob, layers)
        return top, image_index, images, refs

    def test_index_names_one_image_index(self):
        top, _, _, _ = self.walk()
        # What podman (ref.name) and containerd (the full name) call it.
        self.assertEqual(top["annotations"], {
            "org.opencontainers.image.ref.name": "latest",
            "io.containerd.image.name": NAME,
        })
        self.assertEqual(json.loads(self.files["oci-layout"]),
                         {"imageLayoutVersion": "1.0.0"})

    def test_two_platforms(self):
        _, image_index, images, _ = self.walk()
        self.assertEqual([d["platform"] for d in image_index["manifests"]], [
            {"architecture": "amd64", "os": "linux"},
            {"architecture": "arm64", "os": "linux"},
        ])
        for arch, (desc, _, config_blob, _) in images.items():
            config = json.loads(config_blob)
            self.assertEqual(config["architecture"], arch)
            self.assertEqual(config["os"], desc["platform"]["os"])
            self.assertEqual(config["config"]["Entrypoint"], ["/sysstream"])

    def test_blobs_are_the_single_arch_images(self):
        _, _, images, _ = self.walk()
        for arch, path in (("amd64", AMD64_TAR), ("arm64", ARM64_TAR)):
            want = single_image(path)
            desc, manifest_blob, config_blob, layers = images[arch]
            got = {"manifest": (desc["digest"], manifest_blob),
                   "config": (sha256(config_blob), config_blob)}
            for i, layer in enumerate(layers):
                got["layer%d" % i] = (sha256(layer), layer)
            self.assertEqual(sorted(got), sorted(want), arch)
            for kind in want:
                self.assertEqual(got[kind][0], want[kind][0], "%s %s" % (arch, kind))
                self.assertTrue(got[kind][1] == want[kind][1],
                                "%s %s: other bytes" % (arch, kind))

    def test_nothing_else(self):
        _, _, _, refs = self.walk()
        blobs = {n for n in self.files if n.startswith("blobs/")}
        self.assertEqual(blobs - refs, set(), "blobs nothing refers to")
        self.assertEqual(set(self.files) - blobs, {"oci-layout", "index.json"})
        self.assertNotIn("manifest.json", self.files)  # docker: the single-arch tars
        dirs = {m.name for m in self.members if m.isdir()}
        self.assertEqual(dirs, {"blobs", "blobs/sha256"})

    def test_reproducible(self):
        names = [m.name for m in self.members]
        self.assertEqual(names, sorted(names, key=lambda p: p.split("/")))
        for m in self.members:
            self.assertEqual((m.mtime, m.uid, m.gid, m.uname, m.gname),
                             (0, 0, 0, "", ""), m.name)
        with open(MULTIARCH_TAR, "rb") as a, open(TWIN_TAR, "rb") as b:
            self.assertEqual(sha256(a.read()), sha256(b.read()),
                             "the twin target built other bytes")


def podman_skip_reason():
    if not shutil.which("podman"):
        return "podman is not installed"
    if os.geteuid() != 0:
        return "not root"
    return None


HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine())


@unittest.skipIf(podman_skip_reason(), podman_skip_reason())
class PodmanLoadTest(unittest.TestCase):
    """`podman load` in a store of its own (vfs: no mounts left behind), so
    the machine's images and the other tests' sysstream:latest are never
    touched. The containers.conf settings are this VM's (see engines.sh)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="podman-", dir=os.environ.get("TEST_TMPDIR"))
        conf = os.path.join(cls.tmp, "containers.conf")
        storage = os.path.join(cls.tmp, "storage.conf")
        os.makedirs(os.path.join(cls.tmp, "tmp"))
        with open(conf, "w") as f:
            f.write('[containers]\n'
                    'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n'
                    '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
                    'events_logger = "file"\ntmp_dir = "%s/tmp"\n' % cls.tmp)
        with open(storage, "w") as f:
            f.write('[storage]\ndriver = "vfs"\ngraphroot = "%s/root"\n'
                    'runroot = "%s/run"\n' % (cls.tmp, cls.tmp))
        cls.env = dict(os.environ, CONTAINERS_CONF=conf,
                       CONTAINERS_STORAGE_CONF=storage)

    @classmethod
    def tearDownClass(cls):
        cls.podman(["rmi", "--all", "--force"], check=False)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def podman(cls, args, check=True):
        p = subprocess.run(["podman"] + args, env=cls.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=180)
        if check and p.returncode != 0:
            raise AssertionError("podman %s: exit %d\n%s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def test_load_takes_the_host_platform(self):
        if HOST_ARCH is None:
            self.skipTest("host architecture %s is neither amd64 nor arm64"
                          % platform.machine())
        out = self.podman(["load", "-i", MULTIARCH_TAR]).stdout
        self.assertIn("Loaded image: " + NAME, out)
        fmt = "{{.Architecture}} {{.Os}} {{.Id}}"
        arch, os_, image_id = self.podman(
            ["image", "inspect", "--format", fmt, NAME]).stdout.split()
        self.assertEqual((arch, os_), (HOST_ARCH, "linux"))
        # The image is the single-arch one of that platform (same config).
        want = single_image(AMD64_TAR if HOST_ARCH == "amd64" else ARM64_TAR)
        self.assertEqual("sha256:" + image_id, want["config"][0])
        run = self.podman(["run", "--rm", "--network=none", NAME, "--version"])
        self.assertRegex(run.stdout, r"^sysstream \d+\.\d+\.\d+")
        self.podman(["rmi", NAME])
        self.assertEqual(self.podman(["images", "-q"]).stdout.strip(), "")


if __name__ == "__main__":
    reason = podman_skip_reason()
    if reason:
        print("podman load part skipped: %s" % reason)
    unittest.main(argv=sys.argv[:1], verbosity=2)
