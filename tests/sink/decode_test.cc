// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/decode.h"

#include <sstream>
#include <vector>

#include "cc/sink/summary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;

absl::Status Decode(const std::string& text, std::vector<uint64_t>* out) {
  std::istringstream in(text);
  return DecodeRawLog(in, [&](uint64_t r) { out->push_back(r); });
}

TEST(Decode, OriginalLogWithGapMarkers) {
  std::vector<uint64_t> r;
  ASSERT_TRUE(Decode("7cfc00000062\tffffffff0000000c\t7cfc00000101\t", &r).ok());
  EXPECT_THAT(r, ElementsAre(0x7cfc00000062ULL, 0xffffffff0000000cULL,
                             0x7cfc00000101ULL));
}

TEST(Decode, AnyWhitespaceDelimiterAndEmptyLog) {
  std::vector<uint64_t> r;
  ASSERT_TRUE(Decode("1\n2 3\r\n", &r).ok());
  EXPECT_THAT(r, ElementsAre(1u, 2u, 3u));
  r.clear();
  ASSERT_TRUE(Decode("", &r).ok());
  EXPECT_TRUE(r.empty());
}

TEST(Decode, TruncatedLastRecordNamesItsOffset) {
  std::vector<uint64_t> r;
  absl::Status s = Decode("7cfc00000062\t7cf", &r);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(),
            "truncated last record '7cf' at byte 13 (record 2): no delimiter "
            "after it; the 1 records before it were decoded");
  EXPECT_THAT(r, ElementsAre(0x7cfc00000062ULL));
}

TEST(Decode, GarbageNamesOffsetAndRecord) {
  std::vector<uint64_t> r;
  absl::Status s = Decode("a\tb\txyz\tc\t", &r);
  EXPECT_EQ(s.message(), "invalid record 'xyz' at byte 4 (record 3)");
  EXPECT_THAT(r, ElementsAre(0xau, 0xbu));
  r.clear();
  s = Decode("12345678901234567\t", &r);
  EXPECT_EQ(s.message(),
            "invalid record '12345678901234567' at byte 0 (record 1)");
  r.clear();
  s = Decode(std::string("1\t\x01\x02\t", 5), &r);
  EXPECT_EQ(s.message(), "invalid record '\\x01\\x02' at byte 2 (record 2)");
}

TEST(Summary, CountsPerPidAndSyscallWithTotals) {
  SyscallSummary sum;
  for (uint64_t rec : {0x7cfc00000062ULL, 0x7cfc00000062ULL, 0x7cfc00000101ULL,
                       0x500000003ULL, 0xffffffff00000004ULL}) {
    sum.Add(EventFromRecord(rec));
  }
  EXPECT_EQ(sum.calls(), 4u);
  EXPECT_EQ(sum.lost(), 4u);
  EXPECT_EQ(sum.Table(Arch::kX86_64),
            "       PID  SYSCALL                         CALLS\n"
            "         5  close                               1\n"
            "     31996  getrusage                           2\n"
            "     31996  openat                              1\n"
            "            total                               4\n"
            "            lost                                4\n");
}

}  // namespace
}  // namespace sysstream
