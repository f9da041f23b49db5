// SPDX-License-Identifier: Apache-2.0
// Target churn under --follow: a fork/exec storm of 10,000 short-lived
// children, and a process with 64 threads. The tracked-process map
// (target_tgids) must never overflow and must return to its size before the
// storm while sysstream still runs; every getppid the children made must be
// in the log or counted in a gap marker.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/syscalls/syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/raw_log.h"
#include "tests/harness/tracer.h"
#include "tests/reliability/bpf_objects.h"

namespace reliability {
namespace {

using ::sysstream::harness::ParseRawLog;
using ::sysstream::harness::RawLog;
using ::sysstream::harness::ReadFile;
using ::sysstream::harness::ReadLine;
using ::sysstream::harness::TempPath;
using ::sysstream::harness::Tracer;
using ::sysstream::harness::Workload;
using ::testing::HasSubstr;
using ::testing::Not;

// From the generated tables (cc/syscalls), for this machine's architecture.
const uint32_t kGetppid =
    sysstream::SyscallNumber(sysstream::HostArch(), "getppid").value();

// CPU time (clock ticks) of `pid` and of the children it has reaped
// (utime + stime + cutime + cstime, /proc/PID/stat fields 14-17); -1 if it
// cannot be read.
long TreeCpuTicks(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 > stat.size()) return -1;
  const std::vector<std::string> f =
      absl::StrSplit(stat.substr(paren + 2), ' ');
  long sum = 0;
  for (size_t i = 11; i <= 14; ++i) {  // f[0] is field 3 (state)
    int64_t v = 0;
    if (i >= f.size() || !absl::SimpleAtoi(f[i], &v)) return -1;
    sum += v;
  }
  return sum;
}

TEST(Churn, ForkExecStormOfTenThousandChildren) {
  constexpr int kChildren = 10000;
  constexpr int kCallsEach = 5;
  const std::string log = TempPath("storm.log");
  Workload w = Workload::Start(
      {"storm", std::to_string(kChildren), std::to_string(kCallsEach), "32"});
  // Only getppid is recorded (filtered in the kernel): the children make
  // exactly kCallsEach each, whatever their dynamic loader does.
  Tracer t = Tracer::Start(
      {"-q", "-F", "-e", "getppid", "-f", log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  const uint32_t map = HeldMapNamed(t.proc.pid, "target_tgids");
  ASSERT_NE(map, 0u) << "sysstream holds no target_tgids map";
  const int64_t before = MapEntries(map);
  EXPECT_EQ(before, 1);  // the storm's parent

  const auto start = std::chrono::steady_clock::now();
  w.Poke();
  // Sample the map while the storm runs, until the parent says "done".
  // How long the storm takes is the machine's business (fork+exec costs
  // several times more under page-table isolation, and the CPUs may be
  // shared): no deadline for the whole storm, only for a stall. While it
  // makes progress the parent forks and reaps, so its CPU time and that of
  // its reaped children grow.
  constexpr auto kStall = std::chrono::seconds(60);
  int64_t peak = before;
  long progress_ticks = TreeCpuTicks(w.proc.pid);
  auto progress_at = std::chrono::steady_clock::now();
  std::string line;
  for (;;) {
    line = ReadLine(w.proc.out, 100);
    const int64_t n = MapEntries(map);
    if (n > peak) peak = n;
    if (line == "done") break;
    const auto now = std::chrono::steady_clock::now();
    const long ticks = TreeCpuTicks(w.proc.pid);
    if (ticks != progress_ticks) {
      progress_ticks = ticks;
      progress_at = now;
    }
    ASSERT_LT(now - progress_at, kStall)
        << "the storm made no progress for 60 s (" << ticks
        << " CPU ticks in all)";
  }
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  // Every child has exited and been reaped: the map is back to its size
  // before the storm, with sysstream still running.
  int64_t after = MapEntries(map);
  for (int i = 0; i < 100 && after != before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    after = MapEntries(map);
  }
  EXPECT_EQ(after, before) << "tracked-process entries leaked";
  EXPECT_LE(peak, 65536);

  EXPECT_EQ(w.Finish(), 0);  // releases the parent; sysstream then stops
  t.Finish();
  SCOPED_TRACE(t.stderr_rest);
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_THAT(t.stderr_rest, HasSubstr("all targets exited"));
  EXPECT_THAT(t.stderr_rest, Not(HasSubstr("could not be followed")));
  const RawLog parsed = ParseRawLog(log);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  const uint64_t getppids = parsed.AllCalls(kGetppid);
  EXPECT_EQ(parsed.Events(), getppids);
  // Records plus losses are exactly the calls made.
  EXPECT_EQ(getppids + parsed.lost,
            static_cast<uint64_t>(kChildren) * kCallsEach);
  EXPECT_EQ(t.SummaryEvents(), static_cast<int64_t>(getppids));
  EXPECT_EQ(t.SummaryLost(), static_cast<int64_t>(parsed.lost));
  if (parsed.lost == 0) {
    // Then every child shows all its calls (a child is a distinct pid).
    uint64_t complete = 0;
    for (const auto& [pid, by_nr] : parsed.calls) {
      auto it = by_nr.find(kGetppid);
      complete += it != by_nr.end() && it->second == kCallsEach;
    }
    EXPECT_EQ(complete, static_cast<uint64_t>(kChildren));
  }
  std::printf(
      "storm: %d children in %.1f s (%.0f/s), target_tgids %lld before, "
      "peak %lld, %lld after; %llu getppid records, %llu lost\n",
      kChildren, seconds, kChildren / seconds, static_cast<long long>(before),
      static_cast<long long>(peak), static_cast<long long>(after),
      static_cast<unsigned long long>(getppids),
      static_cast<unsigned long long>(parsed.lost));
}

TEST(Churn, SixtyFourThreadsAreOneTargetAndLoseNothing) {
  constexpr int kThreads = 64;
  constexpr int kCallsEach = 20000;
  const std::string log = TempPath("threads.log");
  Workload w = Workload::Start(
      {"threads", std::to_string(kThreads), std::to_string(kCallsEach)});
  Tracer t = Tracer::Start(
      {"-q", "-F", "-e", "getppid", "-f", log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  const uint32_t map = HeldMapNamed(t.proc.pid, "target_tgids");
  ASSERT_NE(map, 0u);
  EXPECT_EQ(MapEntries(map), 1);
  w.Poke();
  ASSERT_EQ(ReadLine(w.proc.out), "ready");
  // All 64 threads alive: still one tracked process.
  EXPECT_EQ(MapEntries(map), 1);
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  SCOPED_TRACE(t.stderr_rest);
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_THAT(t.stderr_rest, HasSubstr("all targets exited"));
  const RawLog parsed = ParseRawLog(log);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  const uint64_t getppids =
      parsed.CallsOf(static_cast<uint32_t>(w.proc.pid), kGetppid);
  EXPECT_EQ(parsed.Events(), getppids);  // all under the process's pid
  EXPECT_EQ(getppids + parsed.lost,
            static_cast<uint64_t>(kThreads) * kCallsEach);
  EXPECT_EQ(t.SummaryLost(), static_cast<int64_t>(parsed.lost));
  std::printf("threads: %d x %d getppid: %llu records, %llu lost\n", kThreads,
              kCallsEach, static_cast<unsigned long long>(getppids),
              static_cast<unsigned long long>(parsed.lost));
}

}  // namespace
}  // namespace reliability

int main(int argc, char** argv) {
  return sysstream::harness::BpfTestMain(argc, argv);
}
