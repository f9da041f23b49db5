// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/append_check.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "cc/sink/log_format.h"
#include "cc/sink/bin_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

class AppendCheckTest : public testutil::TempDirTest {
 protected:
  AppendCheckTest() : TempDirTest("append_check") {}

  std::string Log(const std::string& content) {
    const std::string path = Path("x.log");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }
  static std::string Header(uint32_t fields = kBinTimestamps | kBinTid |
                                              kBinComm) {
    return MakeBinHeader(Arch::kX86_64, 5, 4026531836, fields);
  }
  absl::Status Check(const std::string& content, LogFormat format) {
    return CheckAppendable(Log(content), format, Header());
  }
};

TEST_F(AppendCheckTest, MissingOrEmptyIsFine) {
  EXPECT_TRUE(CheckAppendable(Path("none"), LogFormat::kRaw, Header()).ok());
  for (LogFormat f : {LogFormat::kRaw, LogFormat::kText, LogFormat::kJsonl,
                      LogFormat::kBin}) {
    EXPECT_TRUE(Check("", f).ok());
  }
  EXPECT_TRUE(CheckAppendable("/dev/null", LogFormat::kBin, Header()).ok());
}

TEST_F(AppendCheckTest, WholeRecordsOfTheSameFormat) {
  EXPECT_TRUE(Check("1a2b0000003b\t1a2b0000003c\t", LogFormat::kRaw).ok());
  EXPECT_TRUE(Check("1a2b0000003b\n", LogFormat::kRaw).ok());
  EXPECT_TRUE(Check("7 getppid(110)\n-- 3 records lost --\n",
                    LogFormat::kText).ok());
  EXPECT_TRUE(Check("{\"pid\":7,\"nr\":110,\"syscall\":\"getppid\"}\n",
                    LogFormat::kJsonl).ok());
  EXPECT_TRUE(Check(Header() + std::string(96, 'r'), LogFormat::kBin).ok());
  EXPECT_TRUE(Check(Header(), LogFormat::kBin).ok());
}

// The case: "1a2b0000003b\t1" + a new record "5b\t" would read as
// the record 15b (pid 0, or with a longer one a wrong pid such as 88870).
TEST_F(AppendCheckTest, TornRawTail) {
  absl::Status s = Check("1a2b0000003b\t1", LogFormat::kRaw);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              ::testing::EndsWith(
                  "': its last record is torn (1 bytes after the last whole "
                  "record, at byte 13): cut it off with 'truncate -s 13', or "
                  "use --force or another file"));
  EXPECT_THAT(std::string(s.message()), ::testing::StartsWith("cannot append to log '"));
  EXPECT_EQ(Check("1a2b", LogFormat::kRaw).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AppendCheckTest, TornTextAndJsonlTails) {
  absl::Status s = Check("7 getppid(110)\n7 get", LogFormat::kText);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("at byte 15)"));
  s = Check("{\"pid\":7}\n{\"pid\":8,\"nr\"", LogFormat::kJsonl);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("at byte 10)"));
  s = Check("{\"pid\":7}\n{\"pid\":8,\n", LogFormat::kJsonl);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("at byte 10)"));
}

TEST_F(AppendCheckTest, TornBinTail) {
  absl::Status s = Check(Header() + std::string(48 + 20, 'r'), LogFormat::kBin);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("(20 bytes after the last "
                                                "whole record, at byte 112)"));
  EXPECT_EQ(Check(Header().substr(0, 30), LogFormat::kBin).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AppendCheckTest, OtherFormatIsRefused) {
  struct Case {
    std::string content;
    LogFormat format;
    std::string found;
  } cases[] = {
      {"1a2b0000003b\t", LogFormat::kText, "raw"},
      {"1a2b0000003b\t", LogFormat::kBin, "raw"},
      {"7 getppid(110)\n", LogFormat::kRaw, "text"},
      {"{\"pid\":7}\n", LogFormat::kRaw, "jsonl"},
      {"{\"pid\":7}\n", LogFormat::kText, "jsonl"},
      {Header() + std::string(48, 'r'), LogFormat::kRaw, "bin"},
      {Header() + std::string(48, 'r'), LogFormat::kJsonl, "bin"},
  };
  for (const Case& c : cases) {
    absl::Status s = Check(c.content, c.format);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << c.found;
    EXPECT_THAT(s.message(), ::testing::HasSubstr("it is a " + c.found +
                                                  " log, and this run writes"));
    EXPECT_THAT(s.message(), ::testing::HasSubstr("--format " + c.found));
  }
}

TEST_F(AppendCheckTest, BinHeaderMustMatch) {
  const std::string records(48, 'r');
  EXPECT_THAT(CheckAppendable(Log(MakeBinHeader(Arch::kArm64, 5, 4026531836,
                                                7) + records),
                              LogFormat::kBin, Header())
                  .message(),
              ::testing::HasSubstr("another architecture"));
  EXPECT_THAT(CheckAppendable(Log(MakeBinHeader(Arch::kX86_64, 5, 99, 7) +
                                  records),
                              LogFormat::kBin, Header())
                  .message(),
              ::testing::HasSubstr("another PID namespace"));
  EXPECT_THAT(CheckAppendable(Log(Header(7 | kBinRet) + records),
                              LogFormat::kBin, Header())
                  .message(),
              ::testing::HasSubstr("other fields"));
}

TEST_F(AppendCheckTest, DetectLogFormat) {
  EXPECT_EQ(DetectLogFormat("7cfc00000062\t"), LogFormat::kRaw);
  EXPECT_EQ(DetectLogFormat("7CFC00000062, 1,"), LogFormat::kRaw);
  EXPECT_EQ(DetectLogFormat("2153.802274826 2486/2486 (cat) openat(257)"),
            LogFormat::kText);
  EXPECT_EQ(DetectLogFormat("-- 12 records lost --\n"), LogFormat::kText);
  EXPECT_EQ(DetectLogFormat("{\"gap\":12}\n"), LogFormat::kJsonl);
  EXPECT_EQ(DetectLogFormat(Header()), LogFormat::kBin);
}

}  // namespace
}  // namespace sysstream
