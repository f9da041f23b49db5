# SPDX-License-Identifier: Apache-2.0
"""Generates the syscall number <-> name tables from kernel uapi headers.

Run by the //cc/syscalls:syscall_tables genrule; never edit the output.

Each header is run through the C preprocessor with the macros the
architecture's own <asm/unistd.h> sets, so conditional blocks and aliases
(arm64's `#define __NR_fcntl __NR3264_fcntl`) resolve exactly as they do for
userspace on that architecture:

  1. `cpp -dM` lists every `__NR_*` macro that is defined after the header.
  2. A probe file that includes the header and spells `__NR_name` for each of
     them is preprocessed (`cpp -E`); the expansions are integer expressions
     (e.g. `25`, or `(244 + 15)` for arch-specific slots) evaluated here.

For headers that fill a table with `__SYSCALL(nr, entry)` (asm-generic), the
numbers of the real table entries are also collected and must equal the set of
numbers that have names: a table slot without a name (say, a __NR3264_* number
whose __NR_* alias did not resolve) or a name without a slot fails the build.
"""

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile

# Per-architecture preprocessor setup, mirroring the kernel (6.1) files
#   arch/x86/include/uapi/asm/unistd.h  -> includes asm/unistd_64.h (no macros)
#   arch/arm64/include/uapi/asm/unistd.h:
#     #define __ARCH_WANT_RENAMEAT
#     #define __ARCH_WANT_NEW_STAT
#     #define __ARCH_WANT_SET_GET_RLIMIT
#     #define __ARCH_WANT_TIME32_SYSCALLS
#     #define __ARCH_WANT_SYS_CLONE3
#     #define __ARCH_WANT_MEMFD_SECRET
#     #include <asm-generic/unistd.h>
# plus __BITS_PER_LONG, which asm-generic/unistd.h gets from
# <asm/bitsperlong.h> (stripped below so no host asm header is read).
ARCH_MACROS = {
    "x86_64": [("__BITS_PER_LONG", "64")],
    # ia32 processes on x86_64 (compat syscalls), from asm/unistd_32.h.
    "i386": [("__BITS_PER_LONG", "32")],
    "arm64": [
        ("__BITS_PER_LONG", "64"),
        ("__ARCH_WANT_RENAMEAT", ""),
        ("__ARCH_WANT_NEW_STAT", ""),
        ("__ARCH_WANT_SET_GET_RLIMIT", ""),
        ("__ARCH_WANT_TIME32_SYSCALLS", ""),
        ("__ARCH_WANT_SYS_CLONE3", ""),
        ("__ARCH_WANT_MEMFD_SECRET", ""),
    ],
}

# C++ identifiers used for each architecture's arrays.
ARCH_IDENT = {"x86_64": "X86_64", "i386": "I386", "arm64": "Arm64"}

# `__NR_*` macros that are not system calls.
NOT_SYSCALLS = {
    "syscalls",  # __NR_syscalls: table size
    "arch_specific_syscall",  # __NR_arch_specific_syscall: base of a range
}

MAX_NR = 4096  # Sanity bound; native syscall numbers are all far below.

NR_DEFINE_RE = re.compile(r"^#define (__NR_([A-Za-z0-9_]+))\b")
INCLUDE_RE = re.compile(r"^\s*#\s*include\b")
PROBE = "SYSSTREAM_PROBE_NR"
TABLE = "SYSSTREAM_PROBE_TABLE"


def fail(msg):
    sys.stderr.write("gen_syscalls.py: error: %s\n" % msg)
    sys.exit(1)


def eval_int(expr, what):
    """Evaluates an integer constant expression made of literals, + and -."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        fail("%s expands to non-integer %r" % (what, expr))

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            lhs, rhs = ev(node.left), ev(node.right)
            return lhs + rhs if isinstance(node.op, ast.Add) else lhs - rhs
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            v = ev(node.operand)
            return v if isinstance(node.op, ast.UAdd) else -v
        fail("%s expands to unsupported expression %r" % (what, expr))

    return ev(tree)


class Preprocessor:
    def __init__(self, cpp, workdir):
        self.cpp = cpp
        self.workdir = workdir

    def run(self, path, extra_flags):
        cmd = list(self.cpp) + ["-E", "-P", "-undef", "-nostdinc", "-x", "c"]
        cmd += extra_flags + [path]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, cwd=self.workdir)
        if proc.returncode != 0:
            fail("%s failed:\n%s" % (" ".join(cmd), proc.stderr))
        return proc.stdout


def build_table(arch, header, pp, entries=None):
    """Returns {number: name}; fills `entries` ({number: kernel entry point,
    e.g. "sys_newfstat"}) from the header's __SYSCALL() table if it has one."""
    with open(header) as f:
        lines = f.read().splitlines()
    # Drop #include lines (asm-generic/unistd.h includes <asm/bitsperlong.h>);
    # ARCH_MACROS supplies what they would define. Keep line numbers intact.
    lines = ["/* include stripped */" if INCLUDE_RE.match(l) else l for l in lines]
    hdr = os.path.join(pp.workdir, arch + "_unistd.h")
    with open(hdr, "w") as f:
        f.write("\n".join(lines) + "\n")

    prologue = "".join("#define %s %s\n" % kv for kv in ARCH_MACROS[arch])
    # Make __SYSCALL(nr, entry) visible in the output instead of vanishing.
    prologue += "#define __SYSCALL(nr, entry) %s nr entry\n" % TABLE
    base = os.path.join(pp.workdir, arch + "_base.h")
    with open(base, "w") as f:
        f.write(prologue + '#include "%s"\n' % os.path.basename(hdr))

    # 1. Every __NR_* macro defined once the header has been read.
    names = set()
    for line in pp.run(base, ["-dM"]).splitlines():
        m = NR_DEFINE_RE.match(line)
        if m and m.group(2) not in NOT_SYSCALLS:
            names.add(m.group(2))
    if not names:
        fail("no __NR_* macros in %s" % header)

    # 2. Expand each of them (and collect the __SYSCALL table entries).
    probe = os.path.join(pp.workdir, arch + "_probe.h")
    with open(probe, "w") as f:
        f.write('#include "%s"\n' % os.path.basename(base))
        for name in sorted(names):
            f.write("%s %s __NR_%s\n" % (PROBE, name, name))
    by_name = {}
    table_nrs = set()
    for line in pp.run(probe, []).splitlines():
        line = line.strip()
        if line.startswith(PROBE + " "):
            _, name, expr = line.split(" ", 2)
            by_name[name] = eval_int(expr, "__NR_" + name)
        elif line.startswith(TABLE + " "):
            _, rest = line.split(" ", 1)
            expr, entry = rest.rsplit(" ", 1)
            nr = eval_int(expr, "__SYSCALL number")
            table_nrs.add(nr)
            if entries is not None:
                entries[nr] = entry
    if set(by_name) != names:
        fail("%s: could not expand %s" % (arch, sorted(names - set(by_name))))

    by_nr = {}
    for name, nr in by_name.items():
        if not 0 <= nr < MAX_NR:
            fail("%s: __NR_%s = %d out of range" % (arch, name, nr))
        if nr in by_nr:
            fail("%s: __NR_%s and __NR_%s are both %d" % (arch, by_nr[nr], name, nr))
        by_nr[nr] = name
    if table_nrs and table_nrs != set(by_nr):
        fail("%s: __SYSCALL() numbers and __NR_* numbers differ: "
             "unnamed %s, not in table %s" % (arch, sorted(table_nrs - set(by_nr)),
                                              sorted(set(by_nr) - table_nrs)))
    return by_nr


def emit(out, tables, sources):
    w = out.write
    w("// Generated by cc/syscalls/gen_syscalls.py. DO NOT EDIT.\n")
    for arch in tables:
        w("// %s: %s (%d syscalls)\n" % (arch, sources[arch], len(tables[arch])))
    w("// Included by cc/syscalls/syscalls.cc only; needs SyscallEntry.\n\n")
    for arch, by_nr in tables.items():
        ident = ARCH_IDENT[arch]
        w("// %s, sorted by number.\n" % arch)
        w("constexpr SyscallEntry k%sByNumber[] = {\n" % ident)
        for nr in sorted(by_nr):
            w('    {%d, "%s"},\n' % (nr, by_nr[nr]))
        w("};\n\n")
        w("// %s, sorted by name (byte-wise).\n" % arch)
        w("constexpr SyscallEntry k%sByName[] = {\n" % ident)
        for name, nr in sorted(((n, nr) for nr, n in by_nr.items()),
                               key=lambda p: p[0].encode()):
            w('    {%d, "%s"},\n' % (nr, name))
        w("};\n\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cpp", default="cpp",
                    help="C preprocessor command, e.g. 'gcc' (run with -E)")
    for arch in ARCH_MACROS:
        ap.add_argument("--" + arch, required=True, metavar="HEADER",
                        help="uapi header with the %s __NR_* macros" % arch)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    tables = {}
    sources = {}
    with tempfile.TemporaryDirectory() as tmp:
        cpp = args.cpp.split()
        if os.sep in cpp[0]:  # The preprocessor runs in tmp; keep it findable.
            cpp[0] = os.path.abspath(cpp[0])
        pp = Preprocessor(cpp, tmp)
        for arch in ARCH_MACROS:
            header = os.path.abspath(getattr(args, arch))
            tables[arch] = build_table(arch, header, pp)
            sources[arch] = getattr(args, arch)
    with open(args.out, "w") as out:
        emit(out, tables, sources)


if __name__ == "__main__":
    main()
