# SPDX-License-Identifier: Apache-2.0
"""A test of the real sysstream binary with real BPF in the running kernel."""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//cc:copts.bzl", "SYSSTREAM_COPTS")

def bpf_test(name, workload = ":workload", extra_args = [], extra_data = [], deps = [], **kwargs):
    """cc_test run as `TEST SYSSTREAM WORKLOAD [EXTRA...]` (BpfTestMain).

    As root, outside Bazel's linux-sandbox (which withholds the capabilities
    BPF needs), one at a time (they count the calls of real processes).
    """
    cc_test(
        name = name,
        size = kwargs.pop("size", "medium"),
        srcs = [name + ".cc"],
        args = [
            "$(rootpath //:sysstream)",
            "$(rootpath %s)" % workload,
        ] + extra_args,
        copts = SYSSTREAM_COPTS,
        data = [workload, "//:sysstream"] + extra_data,
        tags = ["exclusive", "no-sandbox"],
        deps = deps + [
            "//tests/harness:process",
            "//tests/harness:raw_log",
            "//tests/harness:tracer",
            "@system//:absl",
            "@system//:gtest",
        ],
        **kwargs
    )
