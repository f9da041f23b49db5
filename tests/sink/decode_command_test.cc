// SPDX-License-Identifier: Apache-2.0
// `sysstream decode`'s errors: a directory and an output that cannot be
// written used to exit 0 with nothing printed.
#include "cc/decode/decode_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

using ::testing::HasSubstr;

class DecodeCommandTest : public testutil::TempDirTest {
 protected:
  DecodeCommandTest() : TempDirTest("decode_command") {}
  std::string RawLog() {
    const std::string path = Path("a.log");
    std::string content;
    for (int i = 0; i < 20000; ++i) content += "7cfc00000062\t";
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

TEST_F(DecodeCommandTest, DirectoryIsAnError) {
  std::FILE* out = std::fopen("/dev/null", "w");
  ASSERT_NE(out, nullptr);
  absl::Status s = RunDecode({dir_}, out);
  std::fclose(out);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(s.message(), "cannot read '" + dir_ + "': it is a directory");
}

TEST_F(DecodeCommandTest, FullOutputIsAnError) {
  std::FILE* out = std::fopen("/dev/full", "w");
  if (out == nullptr) GTEST_SKIP() << "no /dev/full here";
  const std::string log = RawLog();
  for (const char* format : {"text", "jsonl", "raw", "summary"}) {
    absl::Status s = RunDecode({"--format", format, log}, out);
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << format << s;
    EXPECT_EQ(s.message(),
              "writing the decoded log: No space left on device");
    std::clearerr(out);
  }
  std::fclose(out);
}

TEST_F(DecodeCommandTest, ClosedOutputIsAnError) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::FILE* out = fdopen(p[1], "w");
  ASSERT_NE(out, nullptr);
  close(p[1]);  // the FILE's descriptor is gone, as with `>&-`
  close(p[0]);
  absl::Status s = RunDecode({RawLog()}, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr("standard output is not open"));
  std::fclose(out);
}

TEST_F(DecodeCommandTest, GoodOutputIsOk) {
  const std::string path = Path("out.txt");
  std::FILE* out = std::fopen(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  absl::Status s = RunDecode({RawLog()}, out);
  std::fclose(out);
  EXPECT_TRUE(s.ok()) << s;
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "31996 getrusage(98)");
}

}  // namespace
}  // namespace sysstream
