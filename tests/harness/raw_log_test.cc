// SPDX-License-Identifier: Apache-2.0
// The raw-log reader must be strict (the integration and reliability tests
// rely on it to catch torn or malformed logs) and count exactly.
#include "tests/harness/raw_log.h"

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"

namespace sysstream::harness {
namespace {

using ::testing::ElementsAre;

RawLog ParseText(const std::string& text, char delim = '\t') {
  const std::string path = TempPath("raw_log_test.log");
  std::ofstream(path, std::ios::binary) << text;
  return ParseRawLog(path, delim);
}

TEST(RawLogTest, RecordsInOrderWithCountsAndGapMarkers) {
  // pid 0x1f: getppid (0x6e) twice; 5 lost; pid 0x20: close (3).
  const RawLog log =
      ParseText("1f0000006e\t1f0000006e\tffffffff00000005\t2000000003\t");
  ASSERT_TRUE(log.well_formed) << log.error;
  ASSERT_EQ(log.records.size(), 4u);
  EXPECT_TRUE(log.records[2].IsGapMarker());
  EXPECT_FALSE(log.records[3].IsGapMarker());
  EXPECT_EQ(log.records[3].pid, 0x20u);
  EXPECT_EQ(log.records[3].nr, 3u);
  EXPECT_EQ(log.gap_markers, 1u);
  EXPECT_EQ(log.lost, 5u);
  EXPECT_EQ(log.Events(), 3u);
  EXPECT_EQ(log.CallsOf(0x1f, 0x6e), 2u);
  EXPECT_EQ(log.CallsOf(0x1f, 3), 0u);
  EXPECT_EQ(log.CallsOf(0x21, 0x6e), 0u);
  EXPECT_EQ(log.AllCalls(3), 1u);
  EXPECT_EQ(log.calls.size(), 2u);
  EXPECT_THAT(SyscallsOf(log.records, 0x1f), ElementsAre(0x6e, 0x6e));
}

TEST(RawLogTest, OtherDelimiterAndZero) {
  const RawLog log = ParseText("0\nffffffffffffffff\n", '\n');
  ASSERT_TRUE(log.well_formed) << log.error;
  ASSERT_EQ(log.records.size(), 2u);
  EXPECT_EQ(log.records[0].pid, 0u);
  EXPECT_EQ(log.records[0].nr, 0u);
  EXPECT_EQ(log.lost, 0xffffffffu);
}

TEST(RawLogTest, EmptyOrMissingIsAnEmptyWellFormedLog) {
  const RawLog empty = ParseText("");
  EXPECT_TRUE(empty.well_formed);
  EXPECT_TRUE(empty.records.empty());
  const RawLog missing = ParseRawLog(TempPath("raw_log_test.missing"));
  EXPECT_TRUE(missing.well_formed);
  EXPECT_TRUE(missing.records.empty());
}

TEST(RawLogTest, TornLastRecord) {
  const RawLog log = ParseText("6e\t6f");
  EXPECT_FALSE(log.well_formed);
  EXPECT_EQ(log.error, "torn last record at byte 3");
  EXPECT_EQ(log.records.size(), 1u);  // the whole ones before it
}

TEST(RawLogTest, MalformedRecordsStopTheParse) {
  for (const std::string token :
       {"06e", "6E", "0x6e", "+6e", "", "6 e", "10000000000000000"}) {
    const RawLog log = ParseText("6e\t" + token + "\t6e\t");
    EXPECT_FALSE(log.well_formed) << token;
    EXPECT_EQ(log.error, "malformed record '" + token + "' at byte 3");
    EXPECT_EQ(log.records.size(), 1u) << token;
    EXPECT_EQ(log.Events(), 1u) << token;
  }
}

}  // namespace
}  // namespace sysstream::harness
