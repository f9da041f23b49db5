# SPDX-License-Identifier: Apache-2.0
"""Container images built with no container engine and no network.

`container_image` writes a JSON spec of the image and runs
//container:build_image.py on it: one uncompressed layer, reproducible bytes,
a tarball that is both an OCI image layout and a `docker save` archive (loads
with `docker load` and `podman load`).

`container_image_index` merges single-platform images into one
multi-platform OCI image layout (an image index), reusing their blobs.

`sysstream_image` is the sysstream image itself; every constant about it is
here, in one place.
"""

def _mode(text):
    # "1777" -> 1023; octal strings keep BUILD files readable.
    value = 0
    for c in text.elems():
        if c not in "01234567":
            fail("mode %r is not octal" % text)
        value = value * 8 + int(c)
    return value

def _container_image_impl(ctx):
    files = []
    inputs = []
    for target, path in ctx.attr.files.items():
        srcs = target.files.to_list()
        if len(srcs) != 1:
            fail("%s must give exactly one file for %s, got %d" % (target.label, path, len(srcs)))
        src = srcs[0]
        executable = target[DefaultInfo].files_to_run.executable
        files.append({
            "path": path,
            "src": src.path,
            "mode": 493 if executable == src else 420,  # 0755 / 0644
        })
        inputs.append(src)
    for path, content in ctx.attr.contents.items():
        files.append({"path": path, "content": content, "mode": 420})

    config = {}
    if ctx.attr.entrypoint:
        config["Entrypoint"] = ctx.attr.entrypoint
    if ctx.attr.cmd:
        config["Cmd"] = ctx.attr.cmd
    if ctx.attr.env:
        config["Env"] = ctx.attr.env
    if ctx.attr.workdir:
        config["WorkingDir"] = ctx.attr.workdir
    if ctx.attr.user:
        config["User"] = ctx.attr.user
    if ctx.attr.stop_signal:
        config["StopSignal"] = ctx.attr.stop_signal
    if ctx.attr.labels:
        config["Labels"] = ctx.attr.labels
    if ctx.attr.volumes:
        config["Volumes"] = {v: {} for v in ctx.attr.volumes}

    spec = {
        "files": files,
        "dirs": [{"path": p, "mode": _mode(m)} for p, m in ctx.attr.dirs.items()],
        "symlinks": [{"path": p, "target": t} for p, t in ctx.attr.symlinks.items()],
        "config": config,
        "repo_tags": ctx.attr.repo_tags,
        "architecture": ctx.attr.architecture,
        "os": "linux",
        "created": ctx.attr.created,
        "mtime": ctx.attr.mtime,
        "created_by": ctx.attr.created_by,
    }
    spec_file = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec_file, json.encode_indent(spec) + "\n")

    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    ctx.actions.run(
        # Python 3 standard library only; Debian's python3 is always here.
        executable = "/usr/bin/python3",
        arguments = [ctx.file._builder.path, "--spec", spec_file.path, "--out", out.path],
        inputs = inputs + [spec_file, ctx.file._builder],
        outputs = [out],
        mnemonic = "ContainerImage",
        progress_message = "Assembling container image %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out])),
        OutputGroupInfo(spec = depset([spec_file])),
    ]

container_image = rule(
    implementation = _container_image_impl,
    doc = "A single-layer image tarball (OCI layout + docker save manifest).",
    attrs = {
        "files": attr.label_keyed_string_dict(
            allow_files = True,
            doc = "file or binary -> absolute path in the image; executables get 0755, others 0644",
        ),
        "contents": attr.string_dict(doc = "path -> literal text of a 0644 file"),
        "dirs": attr.string_dict(doc = "path -> octal mode of a directory (parents of files are 0755)"),
        "symlinks": attr.string_dict(doc = "path -> symlink target"),
        "entrypoint": attr.string_list(),
        "cmd": attr.string_list(doc = "empty: no Cmd in the config"),
        "env": attr.string_list(),
        "workdir": attr.string(),
        "user": attr.string(),
        "stop_signal": attr.string(),
        "labels": attr.string_dict(doc = "config labels, also the manifest's annotations"),
        "volumes": attr.string_list(),
        "repo_tags": attr.string_list(doc = "e.g. [\"sysstream:latest\"]; the first names the image in index.json"),
        "architecture": attr.string(default = "amd64"),
        "created": attr.string(default = "1970-01-01T00:00:00Z"),
        "mtime": attr.int(default = 0, doc = "the mtime of every tar entry (seconds since the epoch)"),
        # Not derived from the target's label: a twin target builds the same bytes.
        "created_by": attr.string(default = "container/build_image.py", doc = "the history entry"),
        "_builder": attr.label(
            default = "//container:build_image.py",
            allow_single_file = True,
        ),
    },
)

def _container_image_index_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    args = [ctx.file._builder.path, "--out", out.path, "--mtime", str(ctx.attr.mtime)]
    if ctx.attr.repo_tag:
        args += ["--repo-tag", ctx.attr.repo_tag]
    for image in ctx.files.images:
        args += ["--merge", image.path]
    ctx.actions.run(
        executable = "/usr/bin/python3",
        arguments = args,
        inputs = ctx.files.images + [ctx.file._builder],
        outputs = [out],
        mnemonic = "ContainerImageIndex",
        progress_message = "Assembling multi-platform image %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

container_image_index = rule(
    implementation = _container_image_index_impl,
    doc = """A multi-platform OCI image layout tarball: index.json names one image
index that lists the manifests of `images` (one per platform), with their
manifest, config and layer blobs copied byte for byte. No docker-save
manifest.json (docker 20.10 loads single-platform tarballs only): for
`podman load`, containerd and registries.""",
    attrs = {
        "images": attr.label_list(
            allow_files = [".tar"],
            mandatory = True,
            doc = "single-platform container_image tarballs, one per platform, in index order",
        ),
        "repo_tag": attr.string(doc = "e.g. \"sysstream:latest\": the name in index.json"),
        "mtime": attr.int(default = 0, doc = "the mtime of every tar entry (seconds since the epoch)"),
        "_builder": attr.label(
            default = "//container:build_image.py",
            allow_single_file = True,
        ),
    },
)

# ---- The sysstream image: every constant in one place. ----

SYSSTREAM_VERSION = "0.1.0"  # keep equal to kVersion in cc/main.cc (a test checks)
SYSSTREAM_SOURCE = "https://example.invalid/sysstream"
SYSSTREAM_REPO_TAG = "sysstream:latest"

SYSSTREAM_LABELS = {
    "org.opencontainers.image.title": "sysstream",
    "org.opencontainers.image.description": "Records every system call of chosen processes (or all) into a log file, in kernel order, with eBPF. Run privileged with --pid=host; the log goes to the /logs volume.",
    "org.opencontainers.image.version": SYSSTREAM_VERSION,
    "org.opencontainers.image.source": SYSSTREAM_SOURCE,
    # The user space is Apache-2.0; the embedded BPF program is dual licensed.
    "org.opencontainers.image.licenses": "Apache-2.0 AND (GPL-2.0-only OR BSD-2-Clause)",
}

# What a distroless "static" image carries, and nothing else: no shell, no
# package manager, no libc.
_PASSWD = """root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
"""

_GROUP = """root:x:0:
nobody:x:65534:
"""

_NSSWITCH = """# Name service: local files only (no libc modules in this image).
passwd: files
group: files
shadow: files
hosts: files dns
networks: files
protocols: files
services: files
"""

_ARCH = select({
    "@bazel_tools//src/conditions:linux_aarch64": "arm64",
    "//conditions:default": "amd64",
})

def sysstream_image(name, binary = "//:sysstream", architecture = None,
                    repo_tag = SYSSTREAM_REPO_TAG,
                    created_by = "bazel build //container:image", **kwargs):
    """The sysstream image; kwargs: testonly, visibility, tags.

    binary/architecture/repo_tag: for the arm64 image, the binary built for
    aarch64 (an arm64_binary), "arm64" and its own tag."""
    container_image(
        name = name,
        files = {binary: "/sysstream"},
        # On PATH too, so `kubectl debug node/N --image=... -- sysstream ...`
        # (which runs its first word as the command) finds it.
        symlinks = {"/usr/bin/sysstream": "/sysstream"},
        contents = {
            "/etc/passwd": _PASSWD,
            "/etc/group": _GROUP,
            "/etc/nsswitch.conf": _NSSWITCH,
        },
        dirs = {
            "/logs": "755",
            "/root": "700",
            "/tmp": "1777",
        },
        entrypoint = ["/sysstream"],
        # No Cmd: with no arguments sysstream traces every process. Its
        # default log is `-f sysstream.log` relative to the working
        # directory, and the working directory is /logs, so the default log
        # is /logs/sysstream.log, on the /logs volume:
        #   docker run --privileged --pid=host -v /var/log/ss:/logs sysstream
        # Arguments replace the (empty) Cmd: `... sysstream -f x.log 1234`.
        workdir = "/logs",
        volumes = ["/logs"],
        env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        # sysstream drains the ring and fsyncs the log on SIGTERM.
        stop_signal = "SIGTERM",
        labels = SYSSTREAM_LABELS,
        repo_tags = [repo_tag],
        created_by = created_by,
        architecture = architecture if architecture else _ARCH,
        **kwargs
    )

def sysstream_image_index(name, images = [":image", ":image_arm64"],
                          repo_tag = SYSSTREAM_REPO_TAG, **kwargs):
    """The multi-arch sysstream image; kwargs: testonly, visibility, tags."""
    container_image_index(
        name = name,
        images = images,
        repo_tag = repo_tag,
        **kwargs
    )
