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
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/syscalls/syscalls.h"
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
using ::testing::Not;

// From the generated tables (cc/syscalls), for this machine's architecture.
const uint32_t kGetppid =
    sysstream::SyscallNumber(sysstream::HostArch(), "getppid").value();
std::string g_tmpfs;  // mount point of the tiny tmpfs

// From the last line after a write error: "sysstream: writing log '...':
// No space left on device; W records written, D not written"; {-1, -1} if
// absent.
std::pair<int64_t, int64_t> WrittenAndNot(const std::string& err) {
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    const size_t semi = line.rfind("; ");
    if (semi == absl::string_view::npos ||
        !absl::EndsWith(line, " not written")) {
      continue;
    }
    std::vector<absl::string_view> f =
        absl::StrSplit(line.substr(semi + 2), ' ');
    int64_t written = -1, not_written = -1;
    if (f.size() == 6 && f[1] == "records" && f[2] == "written," &&
        absl::SimpleAtoi(f[0], &written) &&
        absl::SimpleAtoi(f[3], &not_written)) {
      return {written, not_written};
    }
  }
  return {-1, -1};
}

// N and M from "sysstream: N events, M lost, S s (write error)": the
// summary line when not every event reached the log; {-1, -1} if absent.
std::pair<int64_t, int64_t> EventsAndLost(const std::string& err) {
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (!absl::StartsWith(line, "sysstream: ") ||
        !absl::EndsWith(line, "(write error)")) {
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    int64_t events = -1, lost = -1;
    if (f.size() >= 5 && f[2] == "events," && f[4] == "lost," &&
        absl::SimpleAtoi(f[1], &events) && absl::SimpleAtoi(f[3], &lost)) {
      return {events, lost};
    }
  }
  return {-1, -1};
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
  const auto [written, not_written] = WrittenAndNot(t.stderr_rest);
  const auto [events, lost] = EventsAndLost(t.stderr_rest);
  ASSERT_GT(not_written, 0);
  // Nothing claims "written to" for what was not.
  EXPECT_THAT(t.stderr_rest, Not(HasSubstr("events written to")));
  // The file: whole records only, all of the target.
  const RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error;
  EXPECT_GT(parsed.records.size(), 1000u)
      << "nothing was written before the disk filled";
  EXPECT_EQ(parsed.calls.size(), 1u);
  EXPECT_EQ(parsed.calls.count(static_cast<uint32_t>(w.proc.pid)), 1u);
  EXPECT_GT(parsed.CallsOf(static_cast<uint32_t>(w.proc.pid), kGetppid), 0u);
  // Exact accounting: the records in the file are those said written, and
  // with those not written they are every event the stream took (the
  // 8 MiB ring lost none here, so there is no gap marker).
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(static_cast<int64_t>(parsed.records.size()), written);
  EXPECT_EQ(written + not_written, events);
  std::printf(
      "full disk (raw): %llu records in the file (%llu bytes), %lld "
      "not written, %lld events seen\n",
      static_cast<unsigned long long>(parsed.records.size()),
      static_cast<unsigned long long>(FileSize(log)),
      static_cast<long long>(not_written),
      static_cast<long long>(events));
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
  const auto [written, not_written] = WrittenAndNot(t.stderr_rest);
  const auto [events, lost] = EventsAndLost(t.stderr_rest);
  ASSERT_GT(not_written, 0);
  EXPECT_EQ(lost, 0);
  const uint64_t size = FileSize(log);
  ASSERT_GT(size, 64u);
  EXPECT_EQ((size - 64) % 48, 0u) << size;  // header + whole records
  EXPECT_EQ(static_cast<int64_t>((size - 64) / 48), written);
  EXPECT_EQ(written + not_written, events);
  // And `sysstream decode` reads it to the end without error.
  SpawnOptions o;
  o.out_to_null = true;
  o.pipe_err = true;
  Child d = Spawn({g_sysstream, "decode", log}, o);
  const std::string derr = ReadAll(d.err);
  EXPECT_EQ(Wait(d.pid), 0) << derr;
  unlink(log.c_str());
}

// 4 KiB free and a buffer of many KiB to write: what fits is written, in
// whole records (the whole buffer used to be dropped: 0 records kept).
TEST(FullDisk, AlmostFullDiskKeepsWhatFits) {
  const std::string dir = g_tmpfs + "/4k";
  mkdir(dir.c_str(), 0700);
  ASSERT_EQ(mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                  "size=4k,mode=0700"),
            0);
  const std::string log = dir + "/raw.log";
  // 100,000 calls a second: the first 250 ms flush is far more than 4 KiB.
  Workload w = Workload::Start({"rate", "100000", "20"});
  Tracer t = Tracer::Start({"-q", "-f", log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  t.Finish();
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  SCOPED_TRACE(t.stderr_rest);
  EXPECT_EQ(t.exit_code, 7);
  EXPECT_EQ(CountOf(t.stderr_rest, "No space left on device"), 1);
  const auto [written, not_written] = WrittenAndNot(t.stderr_rest);
  const auto [events, lost] = EventsAndLost(t.stderr_rest);
  const RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error;
  const uint64_t size = FileSize(log);
  // The page is full to within one record (13 bytes: 12 digits + tab for
  // these PIDs; at most 17).
  EXPECT_GT(size, 4096u - 17) << "what fitted was not written";
  EXPECT_LE(size, 4096u);
  EXPECT_EQ(static_cast<int64_t>(parsed.records.size()), written);
  EXPECT_EQ(written + not_written, events);
  EXPECT_EQ(lost, 0);
  std::printf("almost full disk: %lld records kept in %llu bytes, %lld not "
              "written\n",
              static_cast<long long>(written),
              static_cast<unsigned long long>(size),
              static_cast<long long>(not_written));
  unlink(log.c_str());
  umount2(dir.c_str(), MNT_DETACH);
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
