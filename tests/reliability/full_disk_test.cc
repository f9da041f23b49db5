// SPDX-License-Identifier: Apache-2.0
// Full disk: the log lives on a 256 KiB tmpfs, mounted in a mount namespace
// private to this test (it disappears with the test, whatever happens).
// sysstream must report ENOSPC once, keep counting what it could not write,
// exit 7 with an exact count, and leave only whole records in the file.
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/raw_log.h"
#include "tests/harness/tracer.h"

namespace reliability {
namespace {

using ::sysstream::harness::Child;
using ::sysstream::harness::FileSize;
using ::sysstream::harness::g_sysstream;
using ::sysstream::harness::ParseRawLog;
using ::sysstream::harness::RawLog;
using ::sysstream::harness::ReadAll;
using ::sysstream::harness::Spawn;
using ::sysstream::harness::SpawnOptions;
using ::sysstream::harness::Tracer;
using ::sysstream::harness::Wait;
using ::sysstream::harness::Workload;
using ::testing::HasSubstr;

constexpr uint32_t kGetppid = 110;
std::string g_tmpfs;  // mount point of the tiny tmpfs

// N from "...: No space left on device; N records not written".
int64_t NotWritten(const std::string& err) {
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    const size_t semi = line.rfind("; ");
    if (semi == absl::string_view::npos ||
        !absl::EndsWith(line, " records not written")) {
      continue;
    }
    absl::string_view n = line.substr(semi + 2);
    n = n.substr(0, n.find(' '));
    int64_t v = -1;
    if (absl::SimpleAtoi(n, &v)) return v;
  }
  return -1;
}

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(FullDisk, RawLogEnospcOnceExactCountWholeRecords) {
  const std::string log = g_tmpfs + "/raw.log";
  unlink(log.c_str());
  // About 20,000 records a second, about 240 KB: the 256 KiB tmpfs fills
  // after a few 250 ms flushes, i.e. with whole records already in it.
  Workload w = Workload::Start({"rate", "20000", "20"});
  Tracer t = Tracer::Start({"-q", "-f", log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  t.Finish();  // it stops by itself on the write error
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  SCOPED_TRACE(t.stderr_rest);
  EXPECT_EQ(t.exit_code, 7);
  // ENOSPC is reported exactly once, on one line, with the exact count.
  EXPECT_EQ(CountOf(t.stderr_rest, "No space left on device"), 1);
  EXPECT_THAT(t.stderr_rest, HasSubstr("(write error)"));
  const int64_t not_written = NotWritten(t.stderr_rest);
  ASSERT_GT(not_written, 0);
  // The file: whole records only, all of the target.
  const RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error;
  EXPECT_GT(parsed.records.size(), 1000u)
      << "nothing was written before the disk filled";
  EXPECT_EQ(parsed.calls.size(), 1u);
  EXPECT_EQ(parsed.calls.count(static_cast<uint32_t>(w.proc.pid)), 1u);
  EXPECT_GT(parsed.CallsOf(static_cast<uint32_t>(w.proc.pid), kGetppid), 0u);
  // Exact accounting: what is in the file plus what was not written is
  // every record the stream produced (the 8 MiB ring lost none here).
  EXPECT_EQ(t.SummaryLost(), 0);
  EXPECT_EQ(static_cast<int64_t>(parsed.records.size()) + not_written,
            t.SummaryEvents());
  std::printf(
      "full disk (raw): %llu records in the file (%llu bytes), %lld "
      "not written, %lld events seen\n",
      static_cast<unsigned long long>(parsed.records.size()),
      static_cast<unsigned long long>(FileSize(log)),
      static_cast<long long>(not_written),
      static_cast<long long>(t.SummaryEvents()));
  unlink(log.c_str());
}

TEST(FullDisk, BinLogKeepsWholeRecordsAndDecodes) {
  const std::string log = g_tmpfs + "/bin.log";
  unlink(log.c_str());
  // 48-byte records: fills four times faster.
  Workload w = Workload::Start({"rate", "5000", "20"});
  Tracer t = Tracer::Start(
      {"-q", "--format", "bin", "-f", log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  t.Finish();
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  SCOPED_TRACE(t.stderr_rest);
  EXPECT_EQ(t.exit_code, 7);
  EXPECT_EQ(CountOf(t.stderr_rest, "No space left on device"), 1);
  const int64_t not_written = NotWritten(t.stderr_rest);
  ASSERT_GT(not_written, 0);
  const uint64_t size = FileSize(log);
  ASSERT_GT(size, 64u);
  EXPECT_EQ((size - 64) % 48, 0u) << size;  // header + whole records
  EXPECT_EQ(static_cast<int64_t>((size - 64) / 48) + not_written,
            t.SummaryEvents());
  // And `sysstream decode` reads it to the end without error.
  SpawnOptions o;
  o.out_to_null = true;
  o.pipe_err = true;
  Child d = Spawn({g_sysstream, "decode", log}, o);
  const std::string derr = ReadAll(d.err);
  EXPECT_EQ(Wait(d.pid), 0) << derr;
  unlink(log.c_str());
}

}  // namespace
}  // namespace reliability

int main(int argc, char** argv) {
  return sysstream::harness::BpfTestMain(argc, argv, [](int, char**) {
    // A private mount namespace: the tmpfs is seen by this test and its
    // children only, and goes away with it.
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      std::perror("unshare/mount");
      return false;
    }
    reliability::g_tmpfs = sysstream::harness::TempPath("tiny");
    mkdir(reliability::g_tmpfs.c_str(), 0700);
    if (mount("tmpfs", reliability::g_tmpfs.c_str(), "tmpfs",
              MS_NOSUID | MS_NODEV, "size=256k,mode=0700") != 0) {
      std::perror("mount tmpfs");
      return false;
    }
    return true;
  });
}
