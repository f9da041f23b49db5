// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/syscall_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SyscallFilter, NoListsMeansNoFilter) {
  auto r = ResolveSyscallFilter(Arch::kX86_64, {}, {}, 1024);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(SyscallFilter, NamesAndNumbersOnEachArch) {
  auto x = ResolveSyscallFilter(Arch::kX86_64, {"read,openat", "110"}, {}, 1024);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_THAT(*x, ElementsAre(0u, 110u, 257u));
  auto a = ResolveSyscallFilter(Arch::kArm64, {"openat, read"}, {}, 1024);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a, ElementsAre(56u, 63u));
}

TEST(SyscallFilter, ExcludeAloneMeansEverythingElse) {
  auto r = ResolveSyscallFilter(Arch::kX86_64, {}, {"futex,0"}, 16);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), 15u);  // futex (202) is beyond 16 anyway
  EXPECT_EQ(r->front(), 1u);
}

TEST(SyscallFilter, IncludeMinusExclude) {
  auto r = ResolveSyscallFilter(Arch::kX86_64, {"read,write"}, {"write"}, 1024);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, ElementsAre(0u));
}

TEST(SyscallFilter, Errors) {
  auto unknown = ResolveSyscallFilter(Arch::kX86_64, {"read,bogus"}, {}, 1024);
  EXPECT_EQ(unknown.status().message(), "unknown syscall 'bogus' on x86_64");
  auto arm_only = ResolveSyscallFilter(Arch::kArm64, {"open"}, {}, 1024);
  EXPECT_EQ(arm_only.status().message(), "unknown syscall 'open' on arm64");
  auto empty = ResolveSyscallFilter(Arch::kX86_64, {"read,,write"}, {}, 1024);
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("empty entry"));
  auto range = ResolveSyscallFilter(Arch::kX86_64, {"5000"}, {}, 1024);
  EXPECT_THAT(std::string(range.status().message()), HasSubstr("out of range"));
  auto none = ResolveSyscallFilter(Arch::kX86_64, {"read"}, {"read"}, 1024);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("every syscall"));
}

}  // namespace
}  // namespace sysstream

namespace sysstream {
namespace {

// ia32 processes on x86_64 use the i386 numbers (asm/unistd_32.h).
TEST(I386Table, KnownNumbers) {
  EXPECT_EQ(SyscallName(Arch::kI386, 3), "read");
  EXPECT_EQ(SyscallName(Arch::kI386, 64), "getppid");
  EXPECT_EQ(SyscallName(Arch::kI386, 252), "exit_group");
  EXPECT_EQ(SyscallName(Arch::kI386, 11), "execve");
  EXPECT_EQ(SyscallNumber(Arch::kI386, "openat"), 295u);
  EXPECT_EQ(ArchName(Arch::kI386), "i386");
}

}  // namespace
}  // namespace sysstream
