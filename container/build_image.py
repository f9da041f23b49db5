# SPDX-License-Identifier: Apache-2.0
"""Assembles a container image tarball with no container engine.

Usage: build_image.py --spec SPEC.json --out IMAGE.tar

The output is one uncompressed tar that is at the same time
  * an OCI image layout (oci-layout, index.json, blobs/sha256/...), and
  * a `docker save` archive (manifest.json; the legacy `repositories` file is
    optional and left out) whose entries point at the same blobs,
so `docker load` (20.10) and `podman load` (4.x) both accept it.

The image has a single layer. Everything is reproducible: entries sorted,
uid/gid 0 with empty owner names, one constant mtime, modes from the spec (not
from the input files), no compression, JSON with sorted keys. Neither the
clock, the umask, the time zone nor the input files' metadata reach the
output: the same spec and input bytes give the same tarball.

SPEC.json (written by //container:image.bzl) holds:
  files:     [{"path": "/sysstream", "src": "bazel-out/.../sysstream",
               "mode": 493}]  # or "content": "text" instead of "src"
  dirs:      [{"path": "/tmp", "mode": 1023}]
  symlinks:  [{"path": "/bin/sh", "target": "busybox"}]
  config:    the OCI image config's "config" object (Entrypoint, Cmd, Env,
             WorkingDir, Labels, Volumes, StopSignal, User)
  repo_tags: ["sysstream:latest"]    (the first one names the image)
  architecture, os, created, mtime, created_by
"""

import argparse
import hashlib
import io
import json
import os
import posixpath
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
# Uncompressed: no gzip header timestamp and no dependence on the zlib
# version, so the digest is stable everywhere.
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def normalize(path):
    """'/etc/passwd' -> 'etc/passwd'; rejects paths that escape the root."""
    p = posixpath.normpath("/" + path).lstrip("/")
    if not p or p.startswith(".."):
        raise ValueError("bad image path: %r" % path)
    return p


class TarWriter:
    """Deterministic tar entries: owner root, constant mtime, no names."""

    def __init__(self, fileobj, mtime):
        self.tar = tarfile.open(fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT)
        self.mtime = mtime

    def _info(self, name, kind, mode):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mtime = self.mtime
        return ti

    def dir(self, name, mode=0o755):
        self.tar.addfile(self._info(name + "/", tarfile.DIRTYPE, mode))

    def file(self, name, data, mode=0o644):
        ti = self._info(name, tarfile.REGTYPE, mode)
        ti.size = len(data)
        self.tar.addfile(ti, io.BytesIO(data))

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)

    def close(self):
        self.tar.close()


def build_layer(spec, mtime):
    """Returns the layer tar bytes for the spec's dirs, files and symlinks."""
    entries = {}  # normalized path -> (kind, payload, mode)

    def add(path, kind, payload, mode):
        if path in entries:
            raise ValueError("duplicate image path: /%s" % path)
        entries[path] = (kind, payload, mode)

    for d in spec.get("dirs", []):
        add(normalize(d["path"]), "dir", None, d.get("mode", 0o755))
    for f in spec.get("files", []):
        if "content" in f:
            data = f["content"].encode()
        else:
            with open(f["src"], "rb") as fh:
                data = fh.read()
        add(normalize(f["path"]), "file", data, f.get("mode", 0o644))
    for s in spec.get("symlinks", []):
        add(normalize(s["path"]), "symlink", s["target"], 0o777)

    # Every parent directory exists in the layer (0755 unless listed).
    for path in list(entries):
        parent = posixpath.dirname(path)
        while parent:
            if parent not in entries:
                entries[parent] = ("dir", None, 0o755)
            elif entries[parent][0] != "dir":
                raise ValueError("/%s is not a directory" % parent)
            parent = posixpath.dirname(parent)

    buf = io.BytesIO()
    tw = TarWriter(buf, mtime)
    # Sorting by path components puts each directory before its contents.
    for path in sorted(entries, key=lambda p: p.split("/")):
        kind, payload, mode = entries[path]
        if kind == "dir":
            tw.dir(path, mode)
        elif kind == "file":
            tw.file(path, payload, mode)
        else:
            tw.symlink(path, payload)
    tw.close()
    return buf.getvalue()


def split_tag(repo_tag):
    """'sysstream:latest' -> ('sysstream', 'latest')."""
    name, _, tag = repo_tag.rpartition(":")
    if not name or "/" in tag:
        return repo_tag, "latest"
    return name, tag


def docker_io_name(repo):
    """The fully qualified name containerd and podman use for `repo`."""
    first = repo.split("/", 1)[0]
    if "/" in repo and ("." in first or ":" in first or first == "localhost"):
        return repo
    if "/" not in repo:
        return "docker.io/library/" + repo
    return "docker.io/" + repo


def build_image(spec):
    """Returns {archive path: bytes} for the whole image tarball."""
    mtime = int(spec.get("mtime", 0))
    created = spec.get("created", "1970-01-01T00:00:00Z")

    layer = build_layer(spec, mtime)
    layer_digest = "sha256:" + sha256(layer)

    config = {
        "architecture": spec.get("architecture", "amd64"),
        "os": spec.get("os", "linux"),
        "created": created,
        "author": spec.get("author", ""),
        "config": spec.get("config", {}),
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{
            "created": created,
            "created_by": spec.get("created_by", "container/build_image.py"),
        }],
    }
    if not config["author"]:
        del config["author"]
    config_blob = canonical_json(config)
    config_digest = "sha256:" + sha256(config_blob)

    labels = spec.get("config", {}).get("Labels", {}) or {}
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": OCI_CONFIG,
            "digest": config_digest,
            "size": len(config_blob),
        },
        "layers": [{
            "mediaType": OCI_LAYER,
            "digest": layer_digest,
            "size": len(layer),
        }],
    }
    # The OCI labels double as manifest annotations (what registries show).
    if labels:
        manifest["annotations"] = dict(labels)
    manifest_blob = canonical_json(manifest)
    manifest_digest = "sha256:" + sha256(manifest_blob)

    repo_tags = spec.get("repo_tags", [])
    descriptor = {
        "mediaType": OCI_MANIFEST,
        "digest": manifest_digest,
        "size": len(manifest_blob),
        "platform": {"architecture": config["architecture"], "os": config["os"]},
    }
    if repo_tags:
        repo, tag = split_tag(repo_tags[0])
        descriptor["annotations"] = {
            # OCI: the tag; containerd and podman: the full image name.
            "org.opencontainers.image.ref.name": tag,
            "io.containerd.image.name": "%s:%s" % (docker_io_name(repo), tag),
        }
    index = {"schemaVersion": 2, "manifests": [descriptor]}

    def blob(digest):
        return "blobs/sha256/" + digest.split(":", 1)[1]

    # `docker save` format, pointing at the OCI blobs.
    docker_manifest = [{
        "Config": blob(config_digest),
        "RepoTags": repo_tags,
        "Layers": [blob(layer_digest)],
    }]
    files = {
        "oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"}),
        "index.json": canonical_json(index),
        "manifest.json": canonical_json(docker_manifest),
        blob(config_digest): config_blob,
        blob(manifest_digest): manifest_blob,
        blob(layer_digest): layer,
    }
    return files, mtime


def write_archive(files, mtime, out):
    buf = io.BytesIO()
    tw = TarWriter(buf, mtime)
    dirs = set()
    for name in files:
        parent = posixpath.dirname(name)
        while parent:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    for name in sorted(set(files) | dirs, key=lambda p: p.split("/")):
        if name in dirs:
            tw.dir(name)
        else:
            tw.file(name, files[name])
    tw.close()
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(buf.getvalue())
    os.replace(tmp, out)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="image spec (JSON)")
    ap.add_argument("--out", required=True, help="output tarball")
    args = ap.parse_args(argv)
    with open(args.spec) as fh:
        spec = json.load(fh)
    files, mtime = build_image(spec)
    write_archive(files, mtime, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
