# SPDX-License-Identifier: Apache-2.0
"""Build steps for the kernel side: vmlinux.h from BTF, the BPF object, its skeleton."""

def vmlinux_header(name, out = "vmlinux.h"):
    """Dumps kernel BTF as C. SYSSTREAM_BTF (--action_env) overrides the source,
    for build hosts without /sys/kernel/btf/vmlinux."""
    native.genrule(
        name = name,
        outs = [out],
        cmd = "BTF=$${SYSSTREAM_BTF:-/sys/kernel/btf/vmlinux}; " +
              "if [ ! -r \"$$BTF\" ]; then echo \"no kernel BTF at $$BTF: set --action_env=SYSSTREAM_BTF=/path/to/vmlinux\" >&2; exit 1; fi; " +
              "bpftool btf dump file \"$$BTF\" format c > $@",
        local = True,
    )

def bpf_object(name, src, hdrs, vmlinux, arch = "x86", visibility = None):
    """Compiles one .bpf.c with clang -target bpf (CO-RE, -g for BTF)."""
    native.genrule(
        name = name,
        srcs = [src, vmlinux, "@system//:libbpf_bpf_headers"] + hdrs,
        outs = [name + ".o"],
        cmd = ("clang -g -O2 -target bpf -D__TARGET_ARCH_%s " % arch) +
              "-Wall -Werror " +
              "-I$$(dirname $(location %s)) " % vmlinux +
              "-I$$(dirname $(location %s)) " % src +
              "-idirafter external/system/include " +
              "-c $(location %s) -o $@.tmp && " % src +
              "llvm-strip -g $@.tmp -o $@",
        visibility = visibility,
    )

def bpf_skeleton(name, obj, skel_name, arm64_obj = None, visibility = None):
    """Runs bpftool gen skeleton over a BPF object. With arm64_obj, builds for
    aarch64 (//third_party/toolchains:aarch64) embed that object instead: the
    skeleton's name and layout are the same, only the bytes differ."""
    if arm64_obj == None:
        native.genrule(
            name = name,
            srcs = [obj],
            outs = [skel_name + ".skel.h"],
            cmd = "bpftool gen skeleton $(location %s) name %s > $@" % (obj, skel_name),
        )
        return
    native.genrule(
        name = name,
        srcs = select({
            "//third_party/toolchains:aarch64": [arm64_obj],
            "//conditions:default": [obj],
        }),
        outs = [skel_name + ".skel.h"],
        cmd = "bpftool gen skeleton $< name %s > $@" % skel_name,
        visibility = visibility,
    )
