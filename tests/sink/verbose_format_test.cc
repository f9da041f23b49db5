// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/verbose_format.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cc/sink/raw_format.h"
#include "cc/syscalls/syscalls.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

TEST(VerboseFormatTest, WorkedExample) {
#if defined(__x86_64__)
  EXPECT_EQ(FormatVerbose(0x7cfc00000062ULL),
            "pid 31996  getrusage(98)  7cfc00000062\n");
#else
  // 98 is not getrusage outside x86_64; the layout is the same.
  EXPECT_EQ(FormatVerbose(0x7cfc00000062ULL),
            absl::StrCat("pid 31996  ", SyscallName(HostArch(), 98),
                         "(98)  7cfc00000062\n"));
#endif
}

TEST(VerboseFormatTest, KnownSyscallsByName) {
  const std::pair<const char*, const char*> cases[] = {
      {"openat", "openat"}, {"close", "close"}, {"execve", "execve"}};
  for (const auto& c : cases) {
    const std::optional<uint32_t> nr = SyscallNumber(HostArch(), c.first);
    ASSERT_TRUE(nr.has_value()) << c.first;
    const uint64_t r = MakeRecord(1, *nr);
    EXPECT_EQ(FormatVerbose(r), absl::StrCat("pid 1  ", c.second, "(", *nr,
                                             ")  ", absl::Hex(r), "\n"));
  }
}

#if defined(__x86_64__)
TEST(VerboseFormatTest, ExactX86_64Lines) {
  EXPECT_EQ(FormatVerbose(MakeRecord(1, 0)), "pid 1  read(0)  100000000\n");
  EXPECT_EQ(FormatVerbose(MakeRecord(4194304, 257)),
            "pid 4194304  openat(257)  40000000000101\n");
  EXPECT_EQ(FormatVerbose(MakeRecord(0, 59)), "pid 0  execve(59)  3b\n");
}
#endif

TEST(VerboseFormatTest, UnknownSyscallNumber) {
  ASSERT_TRUE(SyscallName(HostArch(), 999).empty());
  EXPECT_EQ(FormatVerbose(MakeRecord(31996, 999)),
            "pid 31996  syscall_999(999)  7cfc000003e7\n");
  ASSERT_TRUE(SyscallName(HostArch(), 0xfffffffeU).empty());
  EXPECT_EQ(FormatVerbose(MakeRecord(7, 0xfffffffeU)),
            "pid 7  syscall_4294967294(4294967294)  7fffffffe\n");
}

TEST(VerboseFormatTest, LargestPidIsUnsigned) {
  ASSERT_TRUE(SyscallName(HostArch(), 999).empty());
  // (0xfffffffe and 0xffffffff are the markers' pids.)
  EXPECT_EQ(FormatVerbose(MakeRecord(0xfffffffdU, 999)),
            "pid 4294967293  syscall_999(999)  fffffffd000003e7\n");
}

TEST(VerboseFormatTest, SkippedRunsMarker) {
  EXPECT_EQ(FormatVerbose(MakeRecord(SYSSTREAM_SKIP_PID, 4)),
            "-- skipped runs: up to 4 calls may be missing --  "
            "fffffffe00000004\n");
}

TEST(VerboseFormatTest, GapMarker) {
  EXPECT_EQ(FormatVerbose(MakeRecord(SYSSTREAM_GAP_PID, 12)),
            "-- gap: 12 records lost --  ffffffff0000000c\n");
  EXPECT_EQ(FormatVerbose(MakeRecord(SYSSTREAM_GAP_PID, 1)),
            "-- gap: 1 records lost --  ffffffff00000001\n");
  EXPECT_EQ(FormatVerbose(MakeRecord(SYSSTREAM_GAP_PID, 0xffffffffU)),
            "-- gap: 4294967295 records lost --  ffffffffffffffff\n");
}

TEST(VerboseFormatTest, HexColumnMatchesRawFormat) {
  for (uint64_t r : {uint64_t{0}, uint64_t{0x62}, uint64_t{0x7cfc00000062},
                     MakeRecord(SYSSTREAM_GAP_PID, 3), MakeRecord(123, 999)}) {
    char buf[32];
    const size_t n = FormatRaw(r, "\n", buf);
    const std::string line = FormatVerbose(r);
    const std::string raw(buf, n);
    ASSERT_GE(line.size(), raw.size());
    EXPECT_EQ(line.substr(line.size() - raw.size()), raw) << line;
    EXPECT_EQ(line.substr(line.size() - raw.size() - 2, 2), "  ") << line;
  }
}

}  // namespace
}  // namespace sysstream
