# SPDX-License-Identifier: Apache-2.0
"""External repositories, all local: Debian packages and in-tree folders."""

def _debian_rules_cc_impl(rctx):
    # Debian's rules_cc 0.0.4 calls use_cpp_toolchain(), which Bazel 4.2.3's
    # @bazel_tools lacks. Copy the package and use the toolchain type label
    # directly; a newer Bazel can point rules_cc at the package unmodified.
    src = rctx.attr.path
    rctx.execute(["cp", "-r", src + "/.", "."], quiet = True)
    for f in [
        "cc/private/rules_impl/compiler_flag.bzl",
        "cc/private/rules_impl/cc_flags_supplier.bzl",
    ]:
        text = rctx.read(f)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        rctx.file(f, text, executable = False)
    rctx.file("WORKSPACE", 'workspace(name = "rules_cc")\n')

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)

def _system_root_impl(rctx):
    # The Debian system prefix (/usr) with a BUILD file of ours on top.
    root = rctx.os.environ.get("SYSSTREAM_SYSROOT", "/usr")
    for d in ["include", "lib"]:
        rctx.symlink(root + "/" + d, d)
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")

system_root = repository_rule(
    implementation = _system_root_impl,
    attrs = {"build_file": attr.label(allow_single_file = True)},
    environ = ["SYSSTREAM_SYSROOT"],
    local = True,
)

def _debian_arm64_sysroot_impl(rctx):
    # Debian's arm64 library packages, fetched and unpacked by
    # fetch-sysroot.sh into a cache outside Bazel (shared by output bases and
    # reused offline). Only builds for aarch64 reach this repository.
    script = rctx.path(rctx.attr.script)
    res = rctx.execute(["bash", str(script)], timeout = 600, quiet = True)
    if res.return_code != 0:
        # Not fatal at fetch time: every library fails at build time with
        # the script's message, so only the arm64 targets fail.
        rctx.file("unavailable.txt", "@system_arm64: no arm64 sysroot (third_party/toolchains/arm64/fetch-sysroot.sh exited %d):\n%s\n" % (res.return_code, res.stderr))
        rctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])
genrule(
    name = "unavailable",
    srcs = ["unavailable.txt"],
    outs = ["unavailable.h"],
    cmd = "cat $< >&2; exit 1",
)
[cc_library(name = n, hdrs = [":unavailable"]) for n in
 ["zlib", "libelf", "libbpf", "absl", "gtest", "gtest_main"]]
filegroup(name = "busybox", srcs = [":unavailable"])
""")
        return
    root = res.stdout.strip().splitlines()[-1]
    for d in ["include", "lib"]:
        rctx.symlink(root + "/usr/" + d, d)
    rctx.symlink(root + "/bin/busybox", "busybox")
    rctx.symlink(root + "/.manifest", "manifest")
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")

debian_arm64_sysroot = repository_rule(
    implementation = _debian_arm64_sysroot_impl,
    attrs = {
        "build_file": attr.label(allow_single_file = True),
        "script": attr.label(allow_single_file = True),
    },
    environ = ["SYSSTREAM_ARM64_SYSROOT", "SYSSTREAM_VM_MIRROR"],
    local = True,
)

# Files of Debian's kernel headers that cc/syscalls/gen_signatures.py reads,
# relative to /usr/src/linux-headers-<abi>-{common,amd64}.
_LINUX_HEADERS_FILES = {
    "common": [
        "include/linux/syscalls.h",
        "include/asm-generic/syscalls.h",
        "arch/x86/include/asm/unistd.h",
        "arch/arm64/include/asm/unistd.h",
        "arch/arm64/include/uapi/asm/unistd.h",
    ],
    "amd64": [
        "arch/x86/include/generated/asm/syscalls_64.h",
        "include/generated/autoconf.h",
    ],
}

def _version_key(abi):
    # "6.1.0-57" -> [6, 1, 0, 57]: numeric order, so -100 sorts after -99.
    key, num = [], ""
    for c in abi.elems():
        if c.isdigit():
            num += c
        elif num:
            key.append(int(num))
            num = ""
    if num:
        key.append(int(num))
    return key

def _linux_headers_abi(rctx):
    """Returns (abi, None) or (None, why not), e.g. ("6.1.0-57", None)."""
    prefix = rctx.os.environ.get("SYSSTREAM_LINUX_HEADERS", "")
    if prefix:
        return prefix, None
    src = rctx.path("/usr/src")
    candidates = []
    if src.exists:
        for d in src.readdir():
            name = d.basename
            if (name.startswith("linux-headers-") and name.endswith("-amd64") and
                rctx.path("/usr/src/" + name[:-len("amd64")] + "common").exists):
                candidates.append(name[len("linux-headers-"):-len("-amd64")])
    if not candidates:
        return None, "no /usr/src/linux-headers-<abi>-amd64 with its -common beside it"

    # Several ABIs linger after kernel updates: take the one Debian's
    # metapackage points at, else the newest. (-rt flavours do not match:
    # their directories are -rt-amd64 and -common-rt.)
    res = rctx.execute(["dpkg-query", "-W", "-f=${Depends}", "linux-headers-amd64"], quiet = True)
    if res.return_code == 0:
        dep = res.stdout.strip().split(" ")[0].split(",")[0]
        if dep.startswith("linux-headers-") and dep.endswith("-amd64"):
            abi = dep[len("linux-headers-"):-len("-amd64")]
            if abi in candidates:
                return abi, None
    return sorted(candidates, key = _version_key)[-1], None

def _linux_headers_impl(rctx):
    # Debian's linux-headers-<abi>-common (syscall prototypes, every arch's
    # headers) and linux-headers-<abi>-amd64 (the generated x86_64 syscall
    # table and the kernel config), installed by tools/setup.sh through the
    # linux-headers-amd64 metapackage. The ABI (6.1.0-NN) changes with kernel
    # updates, so it is found here, never written in a BUILD file.
    # SYSSTREAM_LINUX_HEADERS=6.1.0-NN picks one explicitly.
    abi, why = _linux_headers_abi(rctx)
    missing = []
    if abi:
        for flavour, files in _LINUX_HEADERS_FILES.items():
            for f in files:
                src = "/usr/src/linux-headers-%s-%s/%s" % (abi, flavour, f)
                if rctx.path(src).exists:
                    rctx.symlink(src, flavour + "/" + f)
                else:
                    missing.append(src)
        if missing:
            why = "missing " + ", ".join(missing)
    targets = ["syscalls_h", "generic_syscalls_h", "x86_unistd_h", "arm64_unistd_h",
               "x86_64_syscall_entries", "x86_64_autoconf_h"]
    if why:
        # Not fatal at fetch time (a glob of @linux_headers would break every
        # build): the targets that need the headers fail with this message.
        rctx.file("unavailable.txt", ("@linux_headers: %s.\n" +
                                      "Install the kernel headers: bash tools/setup.sh " +
                                      "(Debian package linux-headers-amd64), then " +
                                      "bazel sync --only=linux_headers.\n") % why)
        rctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])
genrule(
    name = "unavailable",
    srcs = ["unavailable.txt"],
    outs = ["unavailable.h"],
    cmd = "cat $< >&2; exit 1",
)
[filegroup(name = n, srcs = [":unavailable"]) for n in %r]
""" % targets)
        return
    rctx.file("abi.txt", abi + "\n")
    rctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])
# Debian kernel headers, ABI %s (see third_party/repositories.bzl).
exports_files(["abi.txt"])
filegroup(name = "syscalls_h", srcs = ["common/include/linux/syscalls.h"])
filegroup(name = "generic_syscalls_h", srcs = ["common/include/asm-generic/syscalls.h"])
filegroup(name = "x86_unistd_h", srcs = ["common/arch/x86/include/asm/unistd.h"])
filegroup(name = "arm64_unistd_h", srcs = [
    "common/arch/arm64/include/asm/unistd.h",
    "common/arch/arm64/include/uapi/asm/unistd.h",
])
filegroup(name = "x86_64_syscall_entries", srcs = ["amd64/arch/x86/include/generated/asm/syscalls_64.h"])
filegroup(name = "x86_64_autoconf_h", srcs = ["amd64/include/generated/autoconf.h"])
""" % abi)

linux_headers = repository_rule(
    implementation = _linux_headers_impl,
    environ = ["SYSSTREAM_LINUX_HEADERS"],
    local = True,
)

def sysstream_repositories():
    debian_rules_cc(name = "rules_cc")
    native.local_repository(
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )
    native.local_repository(
        name = "remote_coverage_tools",
        path = "third_party/remote_coverage_tools",
    )
    system_root(
        name = "system",
        build_file = "//third_party:system.BUILD",
    )
    linux_headers(name = "linux_headers")
    debian_arm64_sysroot(
        name = "system_arm64",
        build_file = "//third_party/toolchains/arm64:system_arm64.BUILD",
        script = "//third_party/toolchains/arm64:fetch-sysroot.sh",
    )
