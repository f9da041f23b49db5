#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The arm64 image tarball: arm64 config, the static aarch64 binary, the same
layout as the amd64 image. No engine can run it here (no arm64 machine);
tests/vm runs the same binary in arm64 kernels under qemu."""
import hashlib
import io
import json
import struct
import sys
import tarfile
import unittest

ARM64_TAR, AMD64_TAR, ARM64_BIN = sys.argv[1:4]


def read_image(path):
    with tarfile.open(path) as t:
        files = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    blob = lambda d: files["blobs/sha256/" + d.split(":", 1)[1]]
    index = json.loads(files["index.json"])
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))
    layer = blob(manifest["layers"][0]["digest"])
    with tarfile.open(fileobj=io.BytesIO(layer)) as t:
        members = {m.name: (m, t.extractfile(m).read() if m.isfile() else None)
                   for m in t.getmembers()}
    return files, config, members


def elf_facts(data):
    """(e_machine, has PT_INTERP) of a 64-bit little-endian ELF."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    e_machine = struct.unpack_from("<H", data, 18)[0]
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    interp = any(struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 3
                 for i in range(phnum))
    return e_machine, interp


class Arm64ImageTest(unittest.TestCase):
    def test_config_says_arm64(self):
        files, config, _ = read_image(ARM64_TAR)
        self.assertEqual(config["architecture"], "arm64")
        self.assertEqual(config["os"], "linux")
        self.assertEqual(config["config"]["Entrypoint"], ["/sysstream"])
        tags = json.loads(files["manifest.json"])[0]["RepoTags"]
        self.assertEqual(tags, ["sysstream:latest-arm64"])

    def test_binary_is_static_aarch64(self):
        _, _, members = read_image(ARM64_TAR)
        data = members["sysstream"][1]
        with open(ARM64_BIN, "rb") as f:
            self.assertEqual(hashlib.sha256(data).hexdigest(),
                             hashlib.sha256(f.read()).hexdigest())
        machine, interp = elf_facts(data)
        self.assertEqual(machine, 183)  # EM_AARCH64
        self.assertFalse(interp, "the arm64 binary has a dynamic loader")

    def test_same_layout_as_amd64(self):
        _, amd_config, amd = read_image(AMD64_TAR)
        _, arm_config, arm = read_image(ARM64_TAR)
        self.assertEqual(amd_config["architecture"], "amd64")
        self.assertEqual(sorted(amd), sorted(arm))
        self.assertEqual(elf_facts(amd["sysstream"][1])[0], 62)  # EM_X86_64
        self.assertEqual(amd_config["config"]["Labels"], arm_config["config"]["Labels"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
