# SPDX-License-Identifier: Apache-2.0
"""libFuzzer targets that double as regression tests.

sysstream_fuzzer(name = "x_fuzzer", ...) takes x_fuzzer.cc (which defines
LLVMFuzzerTestOneInput) and defines:

  x_fuzzer_regression_test  a cc_test built with the default toolchain (gcc;
                            also under --config=asan/ubsan) that feeds every
                            file of corpus/x_fuzzer/ (seeds and saved
                            crashers) and simple variations of them to the
                            target: part of `bazel test //...`.
  x_fuzzer_libfuzzer        (manual) the libFuzzer binary bazel-bin/tests/
                            fuzz/x_fuzzer, compiled by clang++ with
                            -fsanitize=fuzzer,address,undefined straight from
                            the sources in `lib_srcs` and linked with the
                            static abseil libraries. Bazel's C++ toolchain is
                            gcc, which has no libFuzzer, so this is a genrule
                            that calls clang++ itself. tests/fuzz/run.sh
                            builds and runs them.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//cc:copts.bzl", "SYSSTREAM_COPTS")

# Flags of the libFuzzer builds.
FUZZ_CXXFLAGS = " ".join([
    "-std=c++17",
    "-O1",
    "-g",
    "-fno-omit-frame-pointer",
    "-fsanitize=fuzzer,address,undefined",
    "-fno-sanitize-recover=undefined",
    "-w",
])

def sysstream_fuzzer(name, deps, lib_srcs, size = "small"):
    """A fuzz target and its regression test.

    Args:
      name: the target; name.cc is its source, corpus/name/ its corpus.
      deps: cc_library targets the regression test links.
      lib_srcs: the same code as source files (.cc and headers, generated
        ones included), compiled into the libFuzzer binary.
      size: of the regression test.
    """
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob(["corpus/" + name + "/**"]),
    )
    cc_test(
        name = name + "_regression_test",
        size = size,
        srcs = [name + ".cc", "regression_main.cc"],
        args = ["$(rootpaths :%s_corpus)" % name],
        copts = SYSSTREAM_COPTS,
        data = [":" + name + "_corpus"],
        deps = deps,
    )
    native.genrule(
        name = name + "_libfuzzer",
        srcs = [name + ".cc"] + lib_srcs,
        outs = [name],
        cmd = " ".join([
            "srcs=;",
            "for f in $(SRCS); do case $$f in *.cc) srcs=\"$$srcs $$f\";; esac; done;",
            "clang++",
            FUZZ_CXXFLAGS,
            "-I. -I$(GENDIR)",
            "$$srcs",
            "-o $@",
            "-Wl,--start-group /usr/lib/x86_64-linux-gnu/libabsl_*.a -Wl,--end-group",
            "-lpthread",
        ]),
        executable = True,
        tags = ["manual"],
        testonly = True,
    )
