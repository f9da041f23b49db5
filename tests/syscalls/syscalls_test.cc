// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/syscalls.h"

#include <sys/syscall.h>

#include <cstdint>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::Eq;
using ::testing::Optional;

struct Known {
  const char* name;
  uint32_t nr;
};

constexpr Known kX86_64Known[] = {
    {"read", 0},      {"write", 1},    {"close", 3},
    {"getppid", 110}, {"execve", 59},  {"exit_group", 231},
    {"openat", 257},  {"clone3", 435}, {"getrusage", 98},
};

constexpr Known kArm64Known[] = {
    {"openat", 56},   {"close", 57},   {"read", 63},       {"write", 64},
    {"getppid", 173}, {"execve", 221}, {"exit_group", 94}, {"clone", 220},
    {"fcntl", 25},    {"fstat", 80},   {"statfs", 43},
};

TEST(ArchTest, Names) {
  EXPECT_EQ(ArchName(Arch::kX86_64), "x86_64");
  EXPECT_EQ(ArchName(Arch::kArm64), "arm64");
}

TEST(ArchTest, HostArchIsCompileTime) {
  constexpr Arch host = HostArch();
#if defined(__x86_64__)
  EXPECT_EQ(host, Arch::kX86_64);
#elif defined(__aarch64__)
  EXPECT_EQ(host, Arch::kArm64);
#endif
}

TEST(SyscallsTest, WellKnownX86_64) {
  for (const Known& k : kX86_64Known) {
    EXPECT_EQ(SyscallName(Arch::kX86_64, k.nr), k.name) << k.nr;
    EXPECT_THAT(SyscallNumber(Arch::kX86_64, k.name), Optional(Eq(k.nr)))
        << k.name;
  }
}

TEST(SyscallsTest, WellKnownArm64) {
  for (const Known& k : kArm64Known) {
    EXPECT_EQ(SyscallName(Arch::kArm64, k.nr), k.name) << k.nr;
    EXPECT_THAT(SyscallNumber(Arch::kArm64, k.name), Optional(Eq(k.nr)))
        << k.name;
  }
}

// Names from __NR3264_* (64-bit aliases) and __ARCH_WANT_* blocks that arm64
// enables; their absence would mean the preprocessing went wrong.
TEST(SyscallsTest, Arm64ConditionalNames) {
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "newfstatat"), Optional(Eq(79u)));
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "lseek"), Optional(Eq(62u)));
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "mmap"), Optional(Eq(222u)));
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "renameat"), Optional(Eq(38u)));
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "getrlimit"), Optional(Eq(163u)));
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "clone3"), Optional(Eq(435u)));
  EXPECT_THAT(SyscallNumber(Arch::kArm64, "memfd_secret"), Optional(Eq(447u)));
  // 32-bit-only names must not appear on a 64-bit arch.
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "fcntl64"), std::nullopt);
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "mmap2"), std::nullopt);
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "clock_gettime64"), std::nullopt);
  // Legacy calls arm64 never had.
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "open"), std::nullopt);
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "fork"), std::nullopt);
  // Markers that are __NR_* macros but not syscalls.
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "syscalls"), std::nullopt);
  EXPECT_EQ(SyscallNumber(Arch::kArm64, "arch_specific_syscall"), std::nullopt);
}

TEST(SyscallsTest, UnknownNumberIsEmpty) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    EXPECT_TRUE(SyscallName(arch, 100000).empty()) << ArchName(arch);
    EXPECT_TRUE(SyscallName(arch, UINT32_MAX).empty()) << ArchName(arch);
    EXPECT_TRUE(SyscallName(arch, 400).empty()) << ArchName(arch);  // gap
  }
  EXPECT_TRUE(SyscallName(Arch::kArm64, 244).empty());  // arch-specific slot
}

TEST(SyscallsTest, UnknownNameIsNullopt) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    EXPECT_EQ(SyscallNumber(arch, ""), std::nullopt);
    EXPECT_EQ(SyscallNumber(arch, "no_such_syscall"), std::nullopt);
    EXPECT_EQ(SyscallNumber(arch, "__NR_read"), std::nullopt);
    EXPECT_EQ(SyscallNumber(arch, "rea"), std::nullopt);
    EXPECT_EQ(SyscallNumber(arch, "readx"), std::nullopt);
  }
}

class TableTest : public ::testing::TestWithParam<Arch> {};

TEST_P(TableTest, SortedUniqueAndRoundTrips) {
  const Arch arch = GetParam();
  absl::Span<const SyscallEntry> table = SyscallTable(arch);
  ASSERT_FALSE(table.empty());
  std::set<std::string> names;
  for (size_t i = 0; i < table.size(); ++i) {
    const SyscallEntry& e = table[i];
    if (i > 0) {
      EXPECT_LT(table[i - 1].number, e.number);
    }
    EXPECT_FALSE(e.name.empty());
    EXPECT_TRUE(names.insert(std::string(e.name)).second) << e.name;
    EXPECT_EQ(SyscallName(arch, e.number), e.name);
    EXPECT_THAT(SyscallNumber(arch, e.name), Optional(Eq(e.number))) << e.name;
  }
}

TEST_P(TableTest, ScanningNumbersFindsExactlyTheTable) {
  const Arch arch = GetParam();
  size_t found = 0;
  for (uint32_t nr = 0; nr < 4096; ++nr) {
    absl::string_view name = SyscallName(arch, nr);
    if (name.empty()) continue;
    ++found;
    EXPECT_THAT(SyscallNumber(arch, name), Optional(Eq(nr))) << name;
  }
  EXPECT_EQ(found, SyscallTable(arch).size());
}

INSTANTIATE_TEST_SUITE_P(AllArches, TableTest,
                         ::testing::Values(Arch::kX86_64, Arch::kArm64),
                         [](const ::testing::TestParamInfo<Arch>& info) {
                           return std::string(ArchName(info.param));
                         });

TEST(SyscallsTest, TableSizesArePlausible) {
  // linux-libc-dev 6.1: x86_64 has 362 (0..334, 424..450), arm64 306
  // (0..243, 260..294, 424..450).
  EXPECT_GT(SyscallTable(Arch::kX86_64).size(), 350u);
  EXPECT_LT(SyscallTable(Arch::kX86_64).size(), 600u);
  EXPECT_GT(SyscallTable(Arch::kArm64).size(), 290u);
  EXPECT_LT(SyscallTable(Arch::kArm64).size(), 600u);
}

// The host's own <sys/syscall.h> (glibc + the same uapi headers) agrees with
// the host table.
TEST(SyscallsTest, AgreesWithHostSysSyscallH) {
  constexpr Arch host = HostArch();
  EXPECT_THAT(SyscallNumber(host, "read"), Optional(Eq(uint32_t{SYS_read})));
  EXPECT_THAT(SyscallNumber(host, "openat"),
              Optional(Eq(uint32_t{SYS_openat})));
  EXPECT_THAT(SyscallNumber(host, "exit_group"),
              Optional(Eq(uint32_t{SYS_exit_group})));
  EXPECT_THAT(SyscallNumber(host, "fcntl"), Optional(Eq(uint32_t{SYS_fcntl})));
  EXPECT_EQ(SyscallName(host, SYS_getppid), "getppid");
  EXPECT_EQ(SyscallName(host, SYS_clone3), "clone3");
}

}  // namespace
}  // namespace sysstream
