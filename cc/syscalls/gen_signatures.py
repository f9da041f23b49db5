# SPDX-License-Identifier: Apache-2.0
"""Generates syscall argument signatures from the kernel's own prototypes.

Run by the //cc/syscalls:syscall_signature_table genrule; never edit the
output.

Sources (Debian's linux-headers-<abi>-common and -amd64, see
third_party/repositories.bzl):
  include/linux/syscalls.h       `asmlinkage long sys_openat(int dfd, ...);`
  include/asm-generic/syscalls.h sys_mmap, sys_mmap2, sys_rt_sigreturn
  arch/<arch>/include/asm/unistd.h  the __ARCH_WANT_* macros of the arch
  x86: include/generated/autoconf.h the kernel config Debian built with
  x86: arch/x86/include/generated/asm/syscalls_64.h  number -> entry point
  arm64: the __SYSCALL(nr, entry) table of uapi asm-generic/unistd.h

Per architecture:
  1. syscall number -> name comes from the same uapi headers as the number
     tables (gen_syscalls.build_table); number -> kernel entry point
     ("sys_newstat" for stat, "sys_ni_syscall" for removed calls) from the
     kernel's syscall table, so a name never has to be guessed into a symbol.
  2. syscalls.h is run through the C preprocessor with that arch's config
     and __ARCH_WANT_* macros (CONFIG_CLONE_BACKWARDS picks arm64's clone),
     without CONFIG_ARCH_HAS_SYSCALL_WRAPPER (with it, the header hides the
     prototypes), with every #include removed (annotations such as __user
     stay as plain words, which is what the parser wants).
  3. Each `asmlinkage <ret> sys_<x>(<params>);` is parsed: annotations
     dropped (__user is kept as a flag), names split from types, each
     argument classified (see classify()).

A prototype that leaves parameters unnamed (syscalls.h does for clone,
rt_sigaction and the socket calls) takes its names from UNNAMED_PARAMS, keyed
by the types the header gives. An entry point without a prototype is listed
as unknown; sys_ni_syscall as
not implemented. Anything the parser does not understand fails the build
with the prototype's text rather than producing a wrong table.
"""

import argparse
import os
import re
import sys
import tempfile

import gen_syscalls
from gen_syscalls import Preprocessor, fail

# Kernel config per arch, beyond what autoconf.h gives (x86_64 reads the real
# one). arm64 has no autoconf.h on an amd64 host: these are the options of
# arch/arm64/Kconfig (6.1) that syscalls.h tests (`select CLONE_BACKWARDS`,
# ADVISE_SYSCALLS default y, COMPAT in Debian's config). The rest of the
# CONFIG_* that syscalls.h tests (CLONE_BACKWARDS2/3, ODD_RT_SIGACTION,
# ARCH_SPLIT_ARG64, OLD_SIG*, HAVE_UID16) are not set on arm64.
ARM64_CONFIG = [
    ("CONFIG_ARM64", "1"),
    ("CONFIG_64BIT", "1"),
    ("CONFIG_CLONE_BACKWARDS", "1"),
    ("CONFIG_ADVISE_SYSCALLS", "1"),
    ("CONFIG_COMPAT", "1"),
]

# With it set, syscalls.h declares no sys_* prototypes (see its comment).
HIDES_PROTOTYPES = "CONFIG_ARCH_HAS_SYSCALL_WRAPPER"

INCLUDE_RE = re.compile(r"^\s*#\s*include\b")
X86_ENTRY_RE = re.compile(r"^__SYSCALL\((\d+),\s*(\w+)\)$")
PROTO_RE = re.compile(r"\basmlinkage\s+([A-Za-z_][\w\s\*]*?)\s*\b(sys_\w+)\s*\(")
TOKEN_RE = re.compile(r"[A-Za-z_]\w*|\*|\S")

NOT_IMPLEMENTED_ENTRY = "sys_ni_syscall"

# Annotations for sparse; dropped from the type text. __user is remembered.
ANNOTATIONS = {"__user", "__force", "__iomem", "__rcu"}
QUALIFIERS = {"const", "volatile"}
TAG_KEYWORDS = {"struct", "union", "enum"}
TYPE_KEYWORDS = {"void", "char", "short", "int", "long", "signed", "unsigned",
                 "const", "volatile", "struct", "union", "enum"}

# Scalar types in syscall prototypes on LP64 (x86_64, arm64): signedness and
# size in bytes as the kernel reads the register. Kernel typedefs resolved by
# hand from include/linux/types.h and uapi asm-generic/posix_types.h (they are
# the same on both architectures). A type not listed fails the build.
SCALAR_TYPES = {
    "char": (True, 1),
    "int": (True, 4),
    "unsigned int": (False, 4),
    "unsigned": (False, 4),
    "long": (True, 8),
    "unsigned long": (False, 8),
    "long long": (True, 8),
    "unsigned long long": (False, 8),
    "u16": (False, 2),
    "u32": (False, 4),
    "__u32": (False, 4),
    "s32": (True, 4),
    "__s32": (True, 4),
    "u64": (False, 8),
    "__u64": (False, 8),
    "size_t": (False, 8),
    "loff_t": (True, 8),
    "off_t": (True, 8),
    "pid_t": (True, 4),
    "uid_t": (False, 4),
    "gid_t": (False, 4),
    "qid_t": (False, 4),
    "umode_t": (False, 2),
    "key_serial_t": (True, 4),
    "key_t": (True, 4),
    "mqd_t": (True, 4),
    "timer_t": (True, 4),
    "clockid_t": (True, 4),
    "aio_context_t": (False, 8),
    "rwf_t": (True, 4),
    "old_sigset_t": (False, 8),
    "old_uid_t": (False, 4),
    "old_gid_t": (False, 4),
    "uint32_t": (False, 4),
}

# Typedefs that are pointers; the value says whether to user memory.
POINTER_TYPEDEFS = {
    "cap_user_header_t": True,   # struct __user_cap_header_struct __user *
    "cap_user_data_t": True,     # struct __user_cap_data_struct __user *
    "__sighandler_t": False,     # void (*)(int): a user code address
}

# The kernel's register frame, passed by some arch entry code; not an argument
# of the syscall (asm-generic's `sys_rt_sigreturn(struct pt_regs *regs)`).
REGISTER_FRAME = "struct pt_regs *"

# A `char __user *` (const or not) argument is a NUL-terminated user string
# (ArgKind::kUserString) when its name is in USER_STRING_NAMES, and a byte
# buffer (kPointer) when it is in BUFFER_NAMES. A `char __user *` named
# neither fails the build, so every new one is decided here, once.
USER_STRING_NAMES = {
    "filename", "pathname", "path", "oldname", "newname", "name",
    "specialfile", "library", "dev_name", "dir_name", "type", "uargs",
    "_type", "_description", "_callout_info", "symlink", "oldpath", "newpath",
    "name_user", "fs_name", "uname_ptr", "from_path", "to_path", "new_root",
    "put_old", "old", "new", "key", "cmdline_ptr", "special",
}
BUFFER_NAMES = {
    "buf", "ubuf", "list", "optval", "msg_ptr", "shmaddr",
}

# Parameter names for the few prototypes syscalls.h declares without them,
# keyed by entry point and the parameter types the header gives (so each
# variant, e.g. arm64's CLONE_BACKWARDS clone, is named for its own order,
# and a changed prototype fails the lookup instead of being misnamed). The
# names are those of the kernel's SYSCALL_DEFINEx for the call (file named).
# Only names: types always come from the header.
UNNAMED_PARAMS = {
    # kernel/fork.c
    ("sys_clone", ("unsigned long", "unsigned long", "int *", "int *",
                   "unsigned long")):
        ("clone_flags", "newsp", "parent_tidptr", "child_tidptr", "tls"),
    ("sys_clone", ("unsigned long", "unsigned long", "int *", "unsigned long",
                   "int *")):
        ("clone_flags", "newsp", "parent_tidptr", "tls", "child_tidptr"),
    # kernel/signal.c
    ("sys_rt_sigaction", ("int", "const struct sigaction *",
                          "struct sigaction *", "size_t")):
        ("sig", "act", "oact", "sigsetsize"),
    # net/socket.c
    ("sys_accept4", ("int", "struct sockaddr *", "int *", "int")):
        ("fd", "upeer_sockaddr", "upeer_addrlen", "flags"),
    ("sys_socket", ("int", "int", "int")): ("family", "type", "protocol"),
    ("sys_socketpair", ("int", "int", "int", "int *")):
        ("family", "type", "protocol", "usockvec"),
    ("sys_bind", ("int", "struct sockaddr *", "int")):
        ("fd", "umyaddr", "addrlen"),
    ("sys_listen", ("int", "int")): ("fd", "backlog"),
    ("sys_accept", ("int", "struct sockaddr *", "int *")):
        ("fd", "upeer_sockaddr", "upeer_addrlen"),
    ("sys_connect", ("int", "struct sockaddr *", "int")):
        ("fd", "uservaddr", "addrlen"),
    ("sys_getsockname", ("int", "struct sockaddr *", "int *")):
        ("fd", "usockaddr", "usockaddr_len"),
    ("sys_getpeername", ("int", "struct sockaddr *", "int *")):
        ("fd", "usockaddr", "usockaddr_len"),
    ("sys_sendto", ("int", "void *", "size_t", "unsigned", "struct sockaddr *",
                    "int")):
        ("fd", "buff", "len", "flags", "addr", "addr_len"),
    ("sys_recvfrom", ("int", "void *", "size_t", "unsigned",
                      "struct sockaddr *", "int *")):
        ("fd", "ubuf", "size", "flags", "addr", "addr_len"),
    ("sys_shutdown", ("int", "int")): ("fd", "how"),
    # fs/select.c
    ("sys_pselect6", ("int", "fd_set *", "fd_set *", "fd_set *",
                      "struct __kernel_timespec *", "void *")):
        ("n", "inp", "outp", "exp", "tsp", "sig"),
    ("sys_ppoll", ("struct pollfd *", "unsigned int",
                   "struct __kernel_timespec *", "const sigset_t *", "size_t")):
        ("ufds", "nfds", "tsp", "sigmask", "sigsetsize"),
    # fs/aio.c
    ("sys_io_submit", ("aio_context_t", "long", "struct iocb **")):
        ("ctx_id", "nr", "iocbpp"),
}

ARCH_IDENT = {"x86_64": "X86_64", "arm64": "Arm64"}


class Problem(Exception):
    """Something about one prototype the tables cannot represent."""


class Arg:
    def __init__(self, name, type_text, kind, size, user):
        self.name, self.type, self.kind, self.size, self.user = (
            name, type_text, kind, size, user)


class Signature:
    def __init__(self, name, entry, ret, args, status):
        self.name, self.entry, self.ret, self.args, self.status = (
            name, entry, ret, args, status)


def type_text(tokens):
    """Joins type tokens: ["const", "char", "*", "const", "*"] ->
    "const char *const *"."""
    out = ""
    for i, t in enumerate(tokens):
        if i > 0 and not (tokens[i - 1] == "*"):
            out += " "
        out += t
    return out


def split_params(text, where):
    params, depth, cur = [], 0, ""
    for c in text:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            params.append(cur.strip())
            cur = ""
        else:
            cur += c
    params.append(cur.strip())
    for p in params:
        if "(" in p or "[" in p:
            raise Problem("%s: function pointer or array parameter %r (not supported)"
                 % (where, p))
    return params


def parse_param(text, where):
    """Returns (name or None, type tokens without annotations, __user?)."""
    tokens = TOKEN_RE.findall(text)
    for t in tokens:
        if not (re.match(r"^[A-Za-z_]\w*$", t) or t == "*"):
            raise Problem("%s: unexpected %r in parameter %r" % (where, t, text))
    user = any(t == "__user" for t in tokens)
    tokens = [t for t in tokens if t not in ANNOTATIONS]
    if not tokens:
        raise Problem("%s: empty parameter %r" % (where, text))
    last = tokens[-1]
    named = (len(tokens) >= 2 and last != "*" and last not in TYPE_KEYWORDS and
             tokens[-2] not in TAG_KEYWORDS)
    if named:
        return last, tokens[:-1], user
    return None, tokens, user


def classify(name, tokens, user, where):
    """Returns (kind, size, user_pointer) of one argument on an LP64 arch."""
    bare = [t for t in tokens if t not in QUALIFIERS]
    if "*" in bare:
        if user and bare == ["char", "*"]:
            if name in USER_STRING_NAMES:
                return "kUserString", 8, True
            if name not in BUFFER_NAMES:
                raise Problem("%s: char __user *%s is neither in USER_STRING_NAMES nor "
                     "in BUFFER_NAMES; decide which" % (where, name))
        return "kPointer", 8, user
    base = " ".join(bare)
    if base in POINTER_TYPEDEFS:
        return "kPointer", 8, POINTER_TYPEDEFS[base]
    if len(bare) == 2 and bare[0] == "enum":
        return "kSignedInt", 4, False  # C enums are int-sized
    if base in SCALAR_TYPES:
        signed, size = SCALAR_TYPES[base]
        return ("kSignedInt" if signed else "kUnsignedInt"), size, False
    raise Problem("%s: type %r of %r is not in SCALAR_TYPES or POINTER_TYPEDEFS"
         % (where, base, name))


def strip_includes(path, out):
    with open(path) as f:
        lines = f.read().splitlines()
    lines = ["/* include stripped */" if INCLUDE_RE.match(l) else l for l in lines]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def prototypes(arch, config_lines, unistd_headers, headers, pp):
    """Returns {entry point: (return type, [param text])} for `arch`."""
    names = []
    for i, h in enumerate(list(unistd_headers) + list(headers)):
        name = "%s_%d_%s" % (arch, i, os.path.basename(h))
        strip_includes(h, os.path.join(pp.workdir, name))
        names.append(name)
    src = os.path.join(pp.workdir, arch + "_signatures.c")
    with open(src, "w") as f:
        f.write("\n".join(config_lines) + "\n")
        f.write("#undef %s\n" % HIDES_PROTOTYPES)
        f.write("#define BITS_PER_LONG 64\n#define __BITS_PER_LONG 64\n")
        for n in names:
            f.write('#include "%s"\n' % n)
    text = " ".join(pp.run(src, []).split())

    protos = {}
    for m in PROTO_RE.finditer(text):
        ret, entry = " ".join(m.group(1).split()), m.group(2)
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        if depth or not text[i:].lstrip().startswith(";"):
            fail("%s: %s: prototype does not end in ');': %r"
                 % (arch, entry, text[m.start():i + 40]))
        params = text[m.end():i - 1].strip()
        params = [] if params in ("", "void") else split_params(params, entry)
        if entry in protos and protos[entry] != (ret, params):
            fail("%s: %s declared twice, differently: %r and %r"
                 % (arch, entry, protos[entry], (ret, params)))
        protos[entry] = (ret, params)
    if len(protos) < 300:
        fail("%s: only %d sys_* prototypes found; did the preprocessing hide "
             "them (%s)?" % (arch, len(protos), HIDES_PROTOTYPES))
    return protos


def signature(arch, name, entry, protos):
    if entry == NOT_IMPLEMENTED_ENTRY:
        return Signature(name, entry, "long", [], "kNotImplemented")
    if entry not in protos:
        return Signature(name, entry, "", [], "kUnknown")
    ret, params = protos[entry]
    where = "%s: %s (%s)" % (arch, name, entry)
    parsed = [parse_param(p, where) for p in params]
    parsed = [p for p in parsed if type_text(p[1]) != REGISTER_FRAME]
    if any(p[0] is None for p in parsed):
        types = tuple(type_text(p[1]) for p in parsed)
        names = UNNAMED_PARAMS.get((entry, types))
        if names is None:
            raise Problem("%s: prototype has unnamed parameters %r; add its names to "
                 "UNNAMED_PARAMS" % (where, types))
        parsed = [(n, p[1], p[2]) for n, p in zip(names, parsed)]
    if len(parsed) > 6:
        raise Problem("%s: %d arguments (syscalls take at most 6)" % (where, len(parsed)))
    args = []
    for pname, tokens, user in parsed:
        kind, size, user_ptr = classify(pname, tokens, user, where)
        args.append(Arg(pname, type_text(tokens), kind, size, user_ptr))
    return Signature(name, entry, ret, args, "kKnown")


def x86_64_entries(path):
    entries = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("/*", "*", "//", "#")):
                continue
            m = X86_ENTRY_RE.match(line)
            if not m:
                fail("%s: unexpected line %r" % (path, line))
            entries[int(m.group(1))] = m.group(2)
    return entries


def c_string(s):
    return '"%s"' % s


def emit(out, sigs, sources):
    w = out.write
    w("// Generated by cc/syscalls/gen_signatures.py. DO NOT EDIT.\n")
    for src in sources:
        w("// from %s\n" % src)
    w("// Included by cc/syscalls/syscall_signatures.cc only.\n\n")
    for arch, table in sigs.items():
        ident = ARCH_IDENT[arch]
        counts = {}
        for s in table:
            counts[s.status] = counts.get(s.status, 0) + 1
        w("// %s: %s.\n" % (arch, ", ".join(
            "%d %s" % (n, st) for st, n in sorted(counts.items()))))
        w("constexpr SyscallArg k%sArgs[] = {\n" % ident)
        offsets, pos = {}, 0
        for s in table:
            offsets[s.name] = pos
            for a in s.args:
                w("    {%s, %s, ArgKind::%s, %d, %s},  // %s\n" % (
                    c_string(a.name), c_string(a.type), a.kind, a.size,
                    "true" if a.user else "false", s.name))
                pos += 1
        w("};\n\n")
        w("// %s, sorted by name (byte-wise).\n" % arch)
        w("constexpr SyscallSignature k%sSignatures[] = {\n" % ident)
        for s in table:
            span = "{k%sArgs + %d, %d}" % (ident, offsets[s.name], len(s.args))
            w("    {%s, %s, %s, %s, SignatureStatus::%s},\n" % (
                c_string(s.name), c_string(s.entry), c_string(s.ret),
                span if s.args else "{}", s.status))
        w("};\n\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cpp", default="cpp")
    ap.add_argument("--syscalls-h", required=True)
    ap.add_argument("--generic-syscalls-h", required=True)
    ap.add_argument("--x86_64-uapi", required=True,
                    help="uapi asm/unistd_64.h (names and numbers)")
    ap.add_argument("--x86_64-entries", required=True,
                    help="generated asm/syscalls_64.h (entry points)")
    ap.add_argument("--x86_64-autoconf", required=True)
    ap.add_argument("--x86_64-unistd", required=True,
                    help="the kernel's arch/x86/include/asm/unistd.h")
    ap.add_argument("--arm64-uapi", required=True,
                    help="uapi asm-generic/unistd.h (names, numbers, entries)")
    ap.add_argument("--arm64-unistd", required=True, nargs="+",
                    help="the kernel's arch/arm64/include/{,uapi/}asm/unistd.h")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    headers = [os.path.abspath(args.syscalls_h),
               os.path.abspath(args.generic_syscalls_h)]
    sigs, problems = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        cpp = args.cpp.split()
        if os.sep in cpp[0]:
            cpp[0] = os.path.abspath(cpp[0])
        pp = Preprocessor(cpp, tmp)

        # x86_64: the real kernel config.
        with open(args.x86_64_autoconf) as f:
            x86_config = [l.rstrip("\n") for l in f if l.startswith("#define ")]
        if "#define CONFIG_X86_64 1" not in x86_config:
            fail("%s is not an x86_64 kernel config" % args.x86_64_autoconf)
        x86_names = gen_syscalls.build_table(
            "x86_64", os.path.abspath(args.x86_64_uapi), pp)
        x86_entries = x86_64_entries(args.x86_64_entries)
        x86_protos = prototypes("x86_64", x86_config,
                                [os.path.abspath(args.x86_64_unistd)], headers, pp)

        arm_entries = {}
        arm_names = gen_syscalls.build_table(
            "arm64", os.path.abspath(args.arm64_uapi), pp, arm_entries)
        arm_protos = prototypes(
            "arm64", ["#define %s %s" % kv for kv in ARM64_CONFIG],
            [os.path.abspath(h) for h in args.arm64_unistd], headers, pp)

        for arch, names, entries, protos in (
                ("x86_64", x86_names, x86_entries, x86_protos),
                ("arm64", arm_names, arm_entries, arm_protos)):
            table = []
            for nr, name in names.items():
                if nr not in entries:
                    problems.append(
                        "%s: syscall %s (%d) has no entry in the kernel's "
                        "syscall table; are linux-libc-dev and the kernel "
                        "headers of the same version?" % (arch, name, nr))
                    continue
                try:
                    table.append(signature(arch, name, entries[nr], protos))
                except Problem as e:
                    problems.append(str(e))
            table.sort(key=lambda s: s.name.encode())
            sigs[arch] = table
    if problems:
        fail("\n  ".join([""] + sorted(problems)))

    with open(args.out, "w") as out:
        emit(out, sigs, [args.syscalls_h, args.generic_syscalls_h,
                         args.x86_64_entries, args.x86_64_autoconf])


if __name__ == "__main__":
    main()
