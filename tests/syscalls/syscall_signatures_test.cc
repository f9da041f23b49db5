// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/syscall_signatures.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cc/syscalls/syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::string_view KindName(ArgKind kind) {
  switch (kind) {
    case ArgKind::kSignedInt:
      return "s";
    case ArgKind::kUnsignedInt:
      return "u";
    case ArgKind::kPointer:
      return "ptr";
    case ArgKind::kUserString:
      return "str";
  }
  return "?";
}

// "long sys_openat(int dfd:s4, const char *filename:str8@user, ...)": every
// field of the signature in one comparable string.
std::string Describe(const SyscallSignature& sig) {
  std::vector<std::string> args;
  for (const SyscallArg& a : sig.args) {
    args.push_back(absl::StrCat(a.type, a.type.back() == '*' ? "" : " ", a.name,
                                ":", KindName(a.kind), a.size,
                                a.user_pointer ? "@user" : ""));
  }
  return absl::StrCat(sig.return_type, " ", sig.entry, "(",
                      absl::StrJoin(args, ", "), ")");
}

// Looks the syscall up by number, the way the tracer will (the number comes
// from the uapi tables, never from this test).
std::string DescribeByNumber(Arch arch, absl::string_view name) {
  std::optional<uint32_t> nr = SyscallNumber(arch, name);
  if (!nr) return absl::StrCat("no syscall ", name);
  const SyscallSignature* sig = FindSignature(arch, *nr);
  if (sig == nullptr) return absl::StrCat("no signature for ", name);
  if (sig->name != name) return absl::StrCat("found ", sig->name);
  if (!sig->known()) return absl::StrCat("unknown ", sig->entry);
  return Describe(*sig);
}

class CommonSignatureTest : public ::testing::TestWithParam<Arch> {};

TEST_P(CommonSignatureTest, FileAndMemorySyscalls) {
  const Arch arch = GetParam();
  EXPECT_EQ(DescribeByNumber(arch, "openat"),
            "long sys_openat(int dfd:s4, const char *filename:str8@user, "
            "int flags:s4, umode_t mode:u2)");
  EXPECT_EQ(DescribeByNumber(arch, "execve"),
            "long sys_execve(const char *filename:str8@user, "
            "const char *const *argv:ptr8@user, "
            "const char *const *envp:ptr8@user)");
  // A byte buffer is a pointer, not a string, whatever its char type.
  EXPECT_EQ(DescribeByNumber(arch, "read"),
            "long sys_read(unsigned int fd:u4, char *buf:ptr8@user, "
            "size_t count:u8)");
  EXPECT_EQ(DescribeByNumber(arch, "write"),
            "long sys_write(unsigned int fd:u4, const char *buf:ptr8@user, "
            "size_t count:u8)");
  // asm-generic/syscalls.h's prototype (both arches define mmap with it).
  EXPECT_EQ(DescribeByNumber(arch, "mmap"),
            "long sys_mmap(unsigned long addr:u8, unsigned long len:u8, "
            "unsigned long prot:u8, unsigned long flags:u8, "
            "unsigned long fd:u8, off_t pgoff:s8)");
}

TEST_P(CommonSignatureTest, UnnamedPrototypesGetTheKernelsNames) {
  const Arch arch = GetParam();
  // syscalls.h declares these without parameter names.
  EXPECT_EQ(DescribeByNumber(arch, "connect"),
            "long sys_connect(int fd:s4, struct sockaddr *uservaddr:ptr8@user, "
            "int addrlen:s4)");
  EXPECT_EQ(DescribeByNumber(arch, "rt_sigaction"),
            "long sys_rt_sigaction(int sig:s4, "
            "const struct sigaction *act:ptr8@user, "
            "struct sigaction *oact:ptr8@user, size_t sigsetsize:u8)");
}

TEST_P(CommonSignatureTest, NoArguments) {
  const Arch arch = GetParam();
  EXPECT_EQ(DescribeByNumber(arch, "getppid"), "long sys_getppid()");
  // asm-generic declares sys_rt_sigreturn(struct pt_regs *regs): the register
  // frame is not a syscall argument.
  EXPECT_EQ(DescribeByNumber(arch, "rt_sigreturn"), "long sys_rt_sigreturn()");
}

TEST_P(CommonSignatureTest, HiddenPointerTypedefs) {
  EXPECT_EQ(DescribeByNumber(GetParam(), "capget"),
            "long sys_capget(cap_user_header_t header:ptr8@user, "
            "cap_user_data_t dataptr:ptr8@user)");
}

INSTANTIATE_TEST_SUITE_P(AllArches, CommonSignatureTest,
                         ::testing::Values(Arch::kX86_64, Arch::kArm64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(ArchName(info.param));
                         });

// clone's argument order differs: arm64 selects CONFIG_CLONE_BACKWARDS (tls
// before child_tidptr), x86_64 none of the CLONE_BACKWARDS* options.
TEST(SignatureTest, CloneOrderDiffersByArch) {
  EXPECT_EQ(DescribeByNumber(Arch::kX86_64, "clone"),
            "long sys_clone(unsigned long clone_flags:u8, "
            "unsigned long newsp:u8, int *parent_tidptr:ptr8@user, "
            "int *child_tidptr:ptr8@user, unsigned long tls:u8)");
  EXPECT_EQ(DescribeByNumber(Arch::kArm64, "clone"),
            "long sys_clone(unsigned long clone_flags:u8, "
            "unsigned long newsp:u8, int *parent_tidptr:ptr8@user, "
            "unsigned long tls:u8, int *child_tidptr:ptr8@user)");
}

// Entry points that differ from the syscall's name come from the kernel's
// own tables (x86's generated syscalls_64.h, asm-generic/unistd.h).
TEST(SignatureTest, EntryPointsFromTheKernelTables) {
  EXPECT_EQ(DescribeByNumber(Arch::kX86_64, "stat"),
            "long sys_newstat(const char *filename:str8@user, "
            "struct stat *statbuf:ptr8@user)");
  EXPECT_EQ(DescribeByNumber(Arch::kX86_64, "fadvise64"),
            "long sys_fadvise64(int fd:s4, loff_t offset:s8, size_t len:u8, "
            "int advice:s4)");
  EXPECT_EQ(DescribeByNumber(Arch::kArm64, "fadvise64"),
            "long sys_fadvise64_64(int fd:s4, loff_t offset:s8, loff_t len:s8, "
            "int advice:s4)");
  EXPECT_EQ(DescribeByNumber(Arch::kArm64, "fstat"),
            "long sys_newfstat(unsigned int fd:u4, "
            "struct stat *statbuf:ptr8@user)");
}

TEST(SignatureTest, ArchSpecificX86_64) {
  // Declared in syscalls.h's arch-specific section.
  EXPECT_EQ(DescribeByNumber(Arch::kX86_64, "ioperm"),
            "long sys_ioperm(unsigned long from:u8, unsigned long num:u8, "
            "int on:s4)");
  // Defined in arch/x86 C files only: no prototype anywhere in the headers.
  const SyscallSignature* sig = FindSignature(Arch::kX86_64, "arch_prctl");
  ASSERT_NE(sig, nullptr);
  EXPECT_EQ(sig->status, SignatureStatus::kUnknown);
  EXPECT_EQ(sig->entry, "sys_arch_prctl");
  EXPECT_THAT(sig->args, IsEmpty());
  // x86_64 only.
  EXPECT_EQ(FindSignature(Arch::kArm64, "arch_prctl"), nullptr);
  EXPECT_EQ(FindSignature(Arch::kArm64, "ioperm"), nullptr);
}

TEST(SignatureTest, NotImplemented) {
  const SyscallSignature* sig = FindSignature(Arch::kX86_64, "uselib");
  ASSERT_NE(sig, nullptr);
  EXPECT_EQ(sig->status, SignatureStatus::kNotImplemented);
  EXPECT_EQ(sig->entry, "sys_ni_syscall");
  EXPECT_THAT(sig->args, IsEmpty());
}

TEST(SignatureTest, NoSuchSyscall) {
  EXPECT_EQ(FindSignature(Arch::kX86_64, UINT32_MAX), nullptr);
  EXPECT_EQ(FindSignature(Arch::kArm64, uint32_t{100000}), nullptr);
  EXPECT_EQ(FindSignature(Arch::kX86_64, "no_such_syscall"), nullptr);
  EXPECT_EQ(FindSignature(Arch::kX86_64, ""), nullptr);
  // ia32 (compat) signatures are not generated yet.
  EXPECT_EQ(FindSignature(Arch::kI386, "read"), nullptr);
  EXPECT_THAT(SignatureTable(Arch::kI386), IsEmpty());
}

struct Coverage {
  std::vector<std::string> unknown;
  std::vector<std::string> not_implemented;
  size_t known = 0;
};

// Every syscall of the number table, looked up by number.
Coverage CoverageOf(Arch arch) {
  Coverage c;
  for (const SyscallEntry& e : SyscallTable(arch)) {
    const SyscallSignature* sig = FindSignature(arch, e.number);
    if (sig == nullptr) {
      ADD_FAILURE() << ArchName(arch) << ": no signature entry for " << e.name;
      continue;
    }
    EXPECT_EQ(sig->name, e.name);
    switch (sig->status) {
      case SignatureStatus::kKnown:
        ++c.known;
        break;
      case SignatureStatus::kNotImplemented:
        c.not_implemented.push_back(std::string(e.name));
        break;
      case SignatureStatus::kUnknown:
        c.unknown.push_back(absl::StrCat(e.name, " (", sig->entry, ")"));
        break;
    }
  }
  std::sort(c.unknown.begin(), c.unknown.end());
  std::sort(c.not_implemented.begin(), c.not_implemented.end());
  std::cout << ArchName(arch) << ": " << c.known << " known; "
            << c.unknown.size()
            << " unknown: " << absl::StrJoin(c.unknown, ", ") << "; "
            << c.not_implemented.size()
            << " not implemented: " << absl::StrJoin(c.not_implemented, ", ")
            << "\n";
  return c;
}

// The explicit, counted list of syscalls without a signature: those whose
// entry point has no prototype in the kernel headers.
TEST(CoverageTest, X86_64) {
  Coverage c = CoverageOf(Arch::kX86_64);
  EXPECT_THAT(c.unknown,
              ElementsAre("arch_prctl (sys_arch_prctl)", "iopl (sys_iopl)",
                          "modify_ldt (sys_modify_ldt)"));
  EXPECT_LE(c.unknown.size(), 15u);
  EXPECT_THAT(c.not_implemented,
              ElementsAre("_sysctl", "afs_syscall", "create_module",
                          "epoll_ctl_old", "epoll_wait_old", "get_kernel_syms",
                          "get_thread_area", "getpmsg", "nfsservctl", "putpmsg",
                          "query_module", "security", "set_thread_area",
                          "tuxcall", "uselib", "vserver"));
  EXPECT_GT(c.known, 330u);
}

TEST(CoverageTest, Arm64) {
  Coverage c = CoverageOf(Arch::kArm64);
  EXPECT_THAT(c.unknown, IsEmpty());
  EXPECT_LE(c.unknown.size(), 15u);
  EXPECT_THAT(c.not_implemented, ElementsAre("nfsservctl"));
  EXPECT_GT(c.known, 290u);
}

class TableTest : public ::testing::TestWithParam<Arch> {};

TEST_P(TableTest, OneSortedEntryPerSyscall) {
  const Arch arch = GetParam();
  absl::Span<const SyscallSignature> table = SignatureTable(arch);
  EXPECT_EQ(table.size(), SyscallTable(arch).size());
  for (size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i - 1].name, table[i].name);
  }
}

TEST_P(TableTest, ArgumentsAreWellFormed) {
  const Arch arch = GetParam();
  std::set<std::string> string_args;
  for (const SyscallSignature& sig : SignatureTable(arch)) {
    SCOPED_TRACE(sig.name);
    EXPECT_TRUE(absl::StartsWith(sig.entry, "sys_")) << sig.entry;
    if (!sig.known()) {
      EXPECT_THAT(sig.args, IsEmpty());
      continue;
    }
    EXPECT_EQ(sig.return_type, "long");
    EXPECT_LE(sig.args.size(), 6u);
    std::set<absl::string_view> names;
    for (const SyscallArg& a : sig.args) {
      EXPECT_FALSE(a.name.empty());
      EXPECT_TRUE(names.insert(a.name).second) << "duplicate " << a.name;
      EXPECT_FALSE(a.type.empty());
      EXPECT_EQ(a.type.find("__user"), absl::string_view::npos) << a.type;
      EXPECT_EQ(a.type.find("__force"), absl::string_view::npos) << a.type;
      switch (a.kind) {
        case ArgKind::kUserString:
          EXPECT_TRUE(a.type == "const char *" || a.type == "char *") << a.type;
          EXPECT_TRUE(a.user_pointer);
          EXPECT_EQ(a.size, 8);
          string_args.insert(absl::StrCat(sig.name, ".", a.name));
          break;
        case ArgKind::kPointer:
          EXPECT_EQ(a.size, 8);
          break;
        case ArgKind::kSignedInt:
        case ArgKind::kUnsignedInt:
          EXPECT_TRUE(a.size == 1 || a.size == 2 || a.size == 4 || a.size == 8)
              << int{a.size};
          EXPECT_FALSE(a.user_pointer);
          EXPECT_EQ(a.type.find('*'), absl::string_view::npos) << a.type;
          break;
      }
    }
  }
  // A sample of the string rule in both directions.
  EXPECT_TRUE(string_args.count("renameat2.oldname"));
  EXPECT_TRUE(string_args.count("renameat2.newname"));
  EXPECT_TRUE(string_args.count("mount.dev_name"));  // `char __user *`
  EXPECT_TRUE(string_args.count("getxattr.path"));
  EXPECT_FALSE(string_args.count("getcwd.buf"));
  EXPECT_FALSE(string_args.count("setsockopt.optval"));
}

INSTANTIATE_TEST_SUITE_P(AllArches, TableTest,
                         ::testing::Values(Arch::kX86_64, Arch::kArm64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(ArchName(info.param));
                         });

}  // namespace
}  // namespace sysstream
