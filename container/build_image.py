# SPDX-License-Identifier: Apache-2.0
"""Assembles a container image tarball with no container engine.

Usage: build_image.py --spec SPEC.json --out IMAGE.tar
       build_image.py --merge AMD64.tar --merge ARM64.tar \
                      --repo-tag sysstream:latest --out MULTIARCH.tar

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

--merge (repeated) makes a multi-platform OCI image layout instead, from
single-platform tarballs like the above: index.json has one descriptor,
named by --repo-tag, of an image index (a blob) that lists one manifest
descriptor per input tarball, in the order given, each with its image's
platform. blobs/sha256 holds that index and each image's manifest, config
and layers, copied byte for byte from the inputs (digests and sizes
verified; nothing else is copied). There is no docker-save manifest.json:
docker 20.10 cannot load a multi-platform image, so `docker load` takes the
single-platform tarballs; this one is for `podman load`, containerd
(`ctr image import`), `skopeo copy --all oci-archive:...` and registries.
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
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
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


def blob_path(digest):
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or len(hexdigest) != 64 or \
            any(c not in "0123456789abcdef" for c in hexdigest):
        raise ValueError("unsupported digest: %r" % digest)
    return "blobs/sha256/" + hexdigest


def read_layout(path):
    """{archive path: bytes} of the regular files of an OCI layout tarball."""
    files = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.isfile():
                name = posixpath.normpath(m.name)
                if name in files:
                    raise ValueError("%s: %s twice" % (path, name))
                files[name] = t.extractfile(m).read()
    return files


def checked_blob(files, descriptor, source):
    """The blob a descriptor points at, after checking its digest and size."""
    data = files.get(blob_path(descriptor["digest"]))
    if data is None:
        raise ValueError("%s: no blob %s" % (source, descriptor["digest"]))
    if "sha256:" + sha256(data) != descriptor["digest"] or \
            len(data) != descriptor["size"]:
        raise ValueError("%s: blob %s does not match its descriptor" %
                         (source, descriptor["digest"]))
    return data


def merge_images(paths, repo_tag, mtime=0):
    """Returns {archive path: bytes} of one OCI layout holding the
    single-platform images of `paths` (one manifest each) under one image
    index, and the mtime for write_archive."""
    out = {"oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"})}
    descriptors = []
    platforms = set()
    for path in paths:
        files = read_layout(path)
        index = json.loads(files["index.json"])
        if len(index.get("manifests", [])) != 1:
            raise ValueError("%s: want exactly one manifest in index.json" % path)
        source = index["manifests"][0]
        if source.get("mediaType") != OCI_MANIFEST:
            raise ValueError("%s: not an OCI image manifest" % path)
        manifest_blob = checked_blob(files, source, path)
        manifest = json.loads(manifest_blob)
        config_blob = checked_blob(files, manifest["config"], path)
        config = json.loads(config_blob)
        platform = {"architecture": config["architecture"], "os": config["os"]}
        if config.get("variant"):
            platform["variant"] = config["variant"]
        if source.get("platform", platform) != platform:
            raise ValueError("%s: index.json says %s, the config %s" %
                             (path, source["platform"], platform))
        key = canonical_json(platform)
        if key in platforms:
            raise ValueError("%s: a second image for %s" % (path, platform))
        platforms.add(key)

        # The manifest, config and layer blobs, byte for byte (images may
        # share a blob: the same bytes under the same name).
        out[blob_path(source["digest"])] = manifest_blob
        out[blob_path(manifest["config"]["digest"])] = config_blob
        for layer in manifest["layers"]:
            out[blob_path(layer["digest"])] = checked_blob(files, layer, path)

        descriptors.append({
            "mediaType": OCI_MANIFEST,
            "digest": source["digest"],
            "size": source["size"],
            "platform": platform,
        })

    # index.json -> one image index -> one manifest per platform. Not the
    # platform manifests directly in index.json: podman (containers/image)
    # then refuses a plain `podman load` ("more than one image in oci,
    # choose an image"), and with a reference it takes the first manifest of
    # that name whatever its platform. Given an image index, podman and
    # containerd pick the manifest for their platform (docker buildx and
    # `skopeo copy --all` write multi-platform OCI archives the same way).
    image_index = canonical_json({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": descriptors,
    })
    index_digest = "sha256:" + sha256(image_index)
    out[blob_path(index_digest)] = image_index
    descriptor = {
        "mediaType": OCI_INDEX,
        "digest": index_digest,
        "size": len(image_index),
    }
    if repo_tag:
        repo, tag = split_tag(repo_tag)
        descriptor["annotations"] = {
            "org.opencontainers.image.ref.name": tag,
            "io.containerd.image.name": "%s:%s" % (docker_io_name(repo), tag),
        }
    out["index.json"] = canonical_json({"schemaVersion": 2, "manifests": [descriptor]})
    return out, mtime


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
    ap.add_argument("--spec", help="image spec (JSON)")
    ap.add_argument("--merge", action="append", metavar="IMAGE.tar",
                    help="a single-platform image tarball to put in a "
                         "multi-platform index (repeat, one per platform)")
    ap.add_argument("--repo-tag", help="with --merge: the index's image name")
    ap.add_argument("--mtime", type=int, default=0,
                    help="with --merge: the mtime of every tar entry")
    ap.add_argument("--out", required=True, help="output tarball")
    args = ap.parse_args(argv)
    if bool(args.spec) == bool(args.merge):
        ap.error("give either --spec or --merge")
    if args.merge:
        files, mtime = merge_images(args.merge, args.repo_tag, args.mtime)
    else:
        with open(args.spec) as fh:
            spec = json.load(fh)
        files, mtime = build_image(spec)
    write_archive(files, mtime, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
