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
    debian_arm64_sysroot(
        name = "system_arm64",
        build_file = "//third_party/toolchains/arm64:system_arm64.BUILD",
        script = "//third_party/toolchains/arm64:fetch-sysroot.sh",
    )
