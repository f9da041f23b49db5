// SPDX-License-Identifier: Apache-2.0
// ia32 (compat) calls on x86_64, user-space side, with no ia32-capable
// kernel needed: a record whose number carries SYSSTREAM_COMPAT_BIT and an
// i386 syscall number is named from the i386 table, marked compat, and
// printed so in text, jsonl and the summary, live and by `decode`.
// (//tests/integration:sysstream_test runs a real ia32 program where the
// kernel can exec one.)
#include <stdio.h>
#include <stdlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bpf/sysstream.h"
#include "cc/decode/decode_command.h"
#include "cc/sink/event.h"
#include "cc/sink/summary.h"
#include "cc/syscalls/syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

using ::testing::ContainsRegex;

constexpr uint64_t kPid = 4242;

uint64_t Record(uint32_t nr) { return (kPid << 32) | nr; }

// What the kernel side writes for an ia32 program started by `-- COMMAND`
// (as tests/integration/ia32.c does): the 64-bit execve made by
// sysstream's child, then three ia32 getppid (i386 nr 64) and exit_group
// (i386 nr 252).
std::vector<uint64_t> Ia32ProgramRecords() {
  return {Record(59), Record(SYSSTREAM_COMPAT_BIT | 64),
          Record(SYSSTREAM_COMPAT_BIT | 64), Record(SYSSTREAM_COMPAT_BIT | 64),
          Record(SYSSTREAM_COMPAT_BIT | 252)};
}

TEST(Compat, TheNumbersAreTheI386TablesNotTheX86_64s) {
  // The expectations below would also hold for a wrong table only if the
  // numbers meant the same there: they do not.
  EXPECT_EQ(SyscallName(Arch::kI386, 64), "getppid");
  EXPECT_EQ(SyscallName(Arch::kI386, 252), "exit_group");
  EXPECT_EQ(SyscallName(Arch::kX86_64, 64), "semget");
  EXPECT_EQ(SyscallName(Arch::kX86_64, 252), "ioprio_get");
}

TEST(Compat, RecordWithTheCompatBitIsMarkedAndNamedFromTheI386Table) {
  const Event e = EventFromRecord(Record(SYSSTREAM_COMPAT_BIT | 64));
  EXPECT_EQ(e.pid, kPid);
  EXPECT_EQ(e.nr, 64u);
  EXPECT_TRUE(e.compat);
  EXPECT_EQ(SyscallLabel(e, Arch::kX86_64), "ia32:getppid");
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "4242 ia32:getppid(64)");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":4242,"nr":64,"syscall":"ia32:getppid","compat":true})");
  // The same number without the bit is the x86_64 call.
  const Event native = EventFromRecord(Record(64));
  EXPECT_FALSE(native.compat);
  EXPECT_EQ(FormatText(native, Arch::kX86_64), "4242 semget(64)");
  EXPECT_EQ(FormatJson(native, Arch::kX86_64),
            R"({"pid":4242,"nr":64,"syscall":"semget"})");
}

TEST(Compat, SummaryCountsCompatCallsApartFromNativeOnes) {
  SyscallSummary summary;
  for (uint64_t r : Ia32ProgramRecords()) summary.Add(EventFromRecord(r));
  summary.Add(EventFromRecord(Record(64)));  // native semget, same number
  const std::string table = summary.Table(Arch::kX86_64);
  EXPECT_THAT(table, ContainsRegex("\n +4242  ia32:getppid +3\n"));
  EXPECT_THAT(table, ContainsRegex("\n +4242  ia32:exit_group +1\n"));
  EXPECT_THAT(table, ContainsRegex("\n +4242  execve +1\n"));
  EXPECT_THAT(table, ContainsRegex("\n +4242  semget +1\n"));
  EXPECT_THAT(table, ContainsRegex("\n +total +6\n"));
  EXPECT_EQ(summary.calls(), 6u);
}

class CompatDecodeTest : public testutil::TempDirTest {
 protected:
  CompatDecodeTest() : TempDirTest("compat") {}

  // A raw log of `records` (tab-delimited, as sysstream writes it).
  std::string WriteRawLog(const std::vector<uint64_t>& records) {
    const std::string path = Path("ia32.log");
    std::ofstream out(path, std::ios::binary);
    for (uint64_t r : records) out << absl::StrCat(absl::Hex(r), "\t");
    return path;
  }

  // What `sysstream decode ARGS` prints, and its status.
  std::string Decode(const std::vector<std::string>& args,
                     absl::Status* status) {
    char* buf = nullptr;
    size_t size = 0;
    FILE* out = open_memstream(&buf, &size);
    EXPECT_NE(out, nullptr);
    *status = RunDecode(args, out);
    fclose(out);
    std::string text(buf, size);
    free(buf);
    return text;
  }
};

TEST_F(CompatDecodeTest, TextJsonlAndRawOfAnIa32Program) {
  const std::string log = WriteRawLog(Ia32ProgramRecords());
  absl::Status status;
  EXPECT_EQ(Decode({"--arch", "x86_64", log}, &status),
            "4242 execve(59)\n"
            "4242 ia32:getppid(64)\n"
            "4242 ia32:getppid(64)\n"
            "4242 ia32:getppid(64)\n"
            "4242 ia32:exit_group(252)\n");
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Decode({"--format", "jsonl", "--arch", "x86_64", log}, &status),
            R"({"pid":4242,"nr":59,"syscall":"execve"})"
            "\n"
            R"({"pid":4242,"nr":64,"syscall":"ia32:getppid","compat":true})"
            "\n"
            R"({"pid":4242,"nr":64,"syscall":"ia32:getppid","compat":true})"
            "\n"
            R"({"pid":4242,"nr":64,"syscall":"ia32:getppid","compat":true})"
            "\n"
            R"({"pid":4242,"nr":252,"syscall":"ia32:exit_group","compat":true})"
            "\n");
  EXPECT_TRUE(status.ok()) << status;
  // raw keeps the bit as the kernel wrote it.
  EXPECT_EQ(Decode({"--format", "raw", log}, &status),
            "10920000003b\t109280000040\t109280000040\t109280000040\t"
            "1092800000fc\t");
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(CompatDecodeTest, SummaryOfAnIa32Program) {
  const std::string log = WriteRawLog(Ia32ProgramRecords());
  absl::Status status;
  const std::string table =
      Decode({"--format", "summary", "--arch", "x86_64", log}, &status);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(table, ContainsRegex("\n +4242  ia32:getppid +3\n"));
  EXPECT_THAT(table, ContainsRegex("\n +4242  ia32:exit_group +1\n"));
  EXPECT_THAT(table, ContainsRegex("\n +4242  execve +1\n"));
  EXPECT_THAT(table, ContainsRegex("\n +total +5\n"));
}

}  // namespace
}  // namespace sysstream
