# SPDX-License-Identifier: Apache-2.0
"""static_cc_binary: a cc_binary linked fully static, with the project copts.

For the programs that must run where there is no libc (a VM's initramfs, a
container image of one file) or that should make few system calls of their
own at start-up. Under --config=asan the binary is dynamic instead:
AddressSanitizer cannot link statically.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//cc:copts.bzl", "SYSSTREAM_COPTS")

def static_cc_binary(name, copts = SYSSTREAM_COPTS, features = [], linkopts = [], **kwargs):
    """A cc_binary with SYSSTREAM_COPTS, static except under --config=asan.

    Args:
      name: the target's name.
      copts: compiler options (default SYSSTREAM_COPTS).
      features: more features, added to fully_static_link.
      linkopts: more link options, added to -static.
      **kwargs: any other cc_binary attribute (srcs, deps, testonly,
        visibility, tags, ...), passed on as is.
    """
    static_features = select({
        "//:asan": [],
        "//conditions:default": ["fully_static_link"],
    })
    static_linkopts = select({
        "//:asan": [],
        "//conditions:default": ["-static"],
    })
    cc_binary(
        name = name,
        copts = copts,
        features = features + static_features if features else static_features,
        linkopts = linkopts + static_linkopts if linkopts else static_linkopts,
        **kwargs
    )
