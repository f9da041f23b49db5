# SPDX-License-Identifier: Apache-2.0
"""arm64_binary: a target's output built for aarch64, for use as test data.

A test's data are built in the test's own (x86_64) configuration; this rule
builds its `binary` in the configuration that --config=arm64 selects (the
cross crosstool, --cpu=aarch64) through a Starlark transition, and exposes it
under its own name, so `bazel test //...` builds the arm64 binaries with
nothing but the default flags.
"""

def _no_sanitizers(opts):
    # --config=asan/ubsan instrument the host build; the static arm64 guest
    # binaries stay as they ship (no cross libasan, and no runtime in the VM).
    return [o for o in opts if not o.startswith("-fsanitize") and not o.startswith("-fno-sanitize")]

def _arm64_transition_impl(settings, attr):
    return {
        "//command_line_option:copt": _no_sanitizers(settings["//command_line_option:copt"]),
        "//command_line_option:linkopt": _no_sanitizers(settings["//command_line_option:linkopt"]),
        "//command_line_option:cpu": "aarch64",
        "//command_line_option:crosstool_top": "//third_party/toolchains/arm64:toolchain",
        # Tools built for the build host keep the host's toolchain.
        "//command_line_option:host_crosstool_top": "@bazel_tools//tools/cpp:toolchain",
    }

arm64_transition = transition(
    implementation = _arm64_transition_impl,
    inputs = [
        "//command_line_option:copt",
        "//command_line_option:linkopt",
    ],
    outputs = [
        "//command_line_option:copt",
        "//command_line_option:linkopt",
        "//command_line_option:cpu",
        "//command_line_option:crosstool_top",
        "//command_line_option:host_crosstool_top",
    ],
)

def _arm64_binary_impl(ctx):
    src = ctx.files.binary
    if len(src) != 1:
        fail("arm64_binary: %s must produce exactly one file" % ctx.attr.binary)
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = src[0], is_executable = True)
    return [DefaultInfo(
        files = depset([out]),
        executable = out,
        runfiles = ctx.runfiles(files = [out]),
    )]

arm64_binary = rule(
    implementation = _arm64_binary_impl,
    attrs = {
        "binary": attr.label(cfg = arm64_transition, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    executable = True,
)
