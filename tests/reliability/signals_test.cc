// SPDX-License-Identifier: Apache-2.0
// SIGTERM / SIGINT at the worst times: in the middle of a full-speed burst,
// while a 4 KiB ring overflows, with the target frozen at a known call
// count, and just after a bounded burst. The overflow does not depend on
// the machine's speed: the tracer is stopped (SIGSTOP) while the workload
// makes 8 times the ring's capacity in calls; -v to /dev/null then keeps
// the consumer slow.
// The workload's calls are one-byte write(2)s appended to a file, so the
// file's size is exactly the calls made; only write is recorded (-e write).
// Each time the log must be well formed, its records plus gap-marker counts
// must equal the summary's events plus lost, and the kernel's count of calls
// (the file size) where it is known.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cc/syscalls/syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/raw_log.h"
#include "tests/harness/tracer.h"

namespace reliability {
namespace {

using ::sysstream::harness::FileSize;
using ::sysstream::harness::ParseRawLog;
using ::sysstream::harness::RawLog;
using ::sysstream::harness::ReadLine;
using ::sysstream::harness::StallConsumer;
using ::sysstream::harness::TempPath;
using ::sysstream::harness::Tracer;
using ::sysstream::harness::WaitGrown;
using ::sysstream::harness::WaitStopped;
using ::sysstream::harness::Workload;
using ::testing::HasSubstr;

// From the generated tables (cc/syscalls), for this machine's architecture.
const uint32_t kWrite =
    sysstream::SyscallNumber(sysstream::HostArch(), "write").value();
// A 4 KiB ring holds 256 entries (8-byte record + 8-byte header each).
constexpr uint64_t kOverflowCalls = 2048;

// Stalls `tracer` until the workload has made kOverflowCalls more write(2)s
// (bytes appended to `sink`): the ring overflows (StallConsumer).
bool OverflowRing(pid_t tracer, const std::string& sink,
                  bool keep_stopped = false) {
  return StallConsumer(
      tracer, [&sink] { return WaitGrown(sink, kOverflowCalls); },
      keep_stopped);
}

struct Outcome {
  RawLog log;
  uint64_t writes = 0;  // the target's records
};

// Checks what every stop must leave; returns the parsed log.
Outcome CheckStopped(const Tracer& t, const std::string& log, pid_t target,
                     const char* signal_name) {
  Outcome o;
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_THAT(t.stderr_rest, HasSubstr(absl::StrCat("stopped by ", signal_name)));
  o.log = ParseRawLog(log);
  EXPECT_TRUE(o.log.well_formed) << o.log.error;
  o.writes = o.log.CallsOf(static_cast<uint32_t>(target), kWrite);
  EXPECT_EQ(o.log.Events(), o.writes) << "records of anything else";
  // The summary counts exactly what is in the file.
  EXPECT_EQ(t.SummaryEvents(), static_cast<int64_t>(o.writes)) << t.stderr_rest;
  EXPECT_EQ(t.SummaryLost(), static_cast<int64_t>(o.log.lost)) << t.stderr_rest;
  return o;
}

std::vector<std::string> Args(bool overflow, const std::string& log,
                              pid_t pid) {
  std::vector<std::string> args = {"-q", "-e", "write", "-f", log};
  if (overflow) args.insert(args.begin(), {"-v", "--ring-size", "4096"});
  args.push_back(std::to_string(pid));
  return args;
}

// Unbounded burst, signal while it runs: the count is bracketed by the
// file's size just before the signal and after sysstream has gone.
void SignalDuringBurst(bool overflow, int sig, const char* name) {
  const std::string log = TempPath(absl::StrCat("burst-", sig, ".log"));
  const std::string sink = TempPath(absl::StrCat("burst-", sig, ".data"));
  Workload w = Workload::Start({"writes", sink, "0"});
  Tracer t = Tracer::Start(Args(overflow, log, w.proc.pid), overflow);
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  if (overflow) {
    ASSERT_TRUE(OverflowRing(t.proc.pid, sink));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const uint64_t before = FileSize(sink);
  kill(t.proc.pid, sig);
  t.Finish();
  const uint64_t after = FileSize(sink);
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  Outcome o = CheckStopped(t, log, w.proc.pid, name);
  const uint64_t seen = o.writes + o.log.lost;
  EXPECT_GE(seen, before);
  EXPECT_LE(seen, after);
  if (overflow) {
    EXPECT_GT(o.log.lost, 0u) << "the ring never overflowed";
  }
  std::printf("%s during a %s burst: %llu records + %llu lost = %llu; calls "
              "made %llu..%llu (before the signal..after the exit)\n",
              name, overflow ? "overflowing" : "full-speed",
              static_cast<unsigned long long>(o.writes),
              static_cast<unsigned long long>(o.log.lost),
              static_cast<unsigned long long>(seen),
              static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(after));
  unlink(sink.c_str());
}

TEST(Signals, SigtermDuringFullSpeedBurst) {
  SignalDuringBurst(false, SIGTERM, "SIGTERM");
}

TEST(Signals, SigintDuringRingOverflow) {
  SignalDuringBurst(true, SIGINT, "SIGINT");
}

// The target is frozen (SIGSTOP) mid-burst while the 4 KiB ring overflows,
// then sysstream, itself stopped with a full ring, gets SIGTERM and SIGCONT
// together: the calls made are exactly the file's size.
TEST(Signals, SigtermWithTargetFrozenMidOverflowIsExact) {
  const std::string log = TempPath("frozen.log");
  const std::string sink = TempPath("frozen.data");
  Workload w = Workload::Start({"writes", sink, "0"});
  Tracer t = Tracer::Start(Args(true, log, w.proc.pid), true);
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  ASSERT_TRUE(OverflowRing(t.proc.pid, sink, /*keep_stopped=*/true));
  kill(w.proc.pid, SIGSTOP);
  ASSERT_TRUE(WaitStopped(w.proc.pid));
  const uint64_t calls = FileSize(sink);
  kill(t.proc.pid, SIGTERM);
  kill(t.proc.pid, SIGCONT);
  t.Finish();
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  Outcome o = CheckStopped(t, log, w.proc.pid, "SIGTERM");
  EXPECT_GT(o.log.lost, 0u) << "the ring never overflowed";
  EXPECT_EQ(o.writes + o.log.lost, calls);
  std::printf("SIGTERM, target frozen: %llu records + %llu lost = %llu calls\n",
              static_cast<unsigned long long>(o.writes),
              static_cast<unsigned long long>(o.log.lost),
              static_cast<unsigned long long>(calls));
  unlink(sink.c_str());
}

// A bounded burst that completes, then SIGINT at once (the slow consumer
// may still be draining): every call is a record or counted lost. The
// workload's "done" line is one more write(2) (to stdout).
TEST(Signals, SigintRightAfterABoundedOverflowingBurstIsExact) {
  constexpr uint64_t kCalls = 300000;
  const std::string log = TempPath("bounded.log");
  const std::string sink = TempPath("bounded.data");
  Workload w = Workload::Start({"writes", sink, std::to_string(kCalls)});
  Tracer t = Tracer::Start(Args(true, log, w.proc.pid), true);
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  ASSERT_TRUE(OverflowRing(t.proc.pid, sink));
  ASSERT_EQ(ReadLine(w.proc.out), "done");
  kill(t.proc.pid, SIGINT);
  t.Finish();
  EXPECT_EQ(FileSize(sink), kCalls);
  EXPECT_EQ(w.Finish(), 0);
  Outcome o = CheckStopped(t, log, w.proc.pid, "SIGINT");
  EXPECT_GT(o.log.lost, 0u) << "the ring never overflowed";
  EXPECT_EQ(o.writes + o.log.lost, kCalls + 1);
  std::printf("SIGINT after %llu calls: %llu records + %llu lost\n",
              static_cast<unsigned long long>(kCalls + 1),
              static_cast<unsigned long long>(o.writes),
              static_cast<unsigned long long>(o.log.lost));
  unlink(sink.c_str());
}

}  // namespace
}  // namespace reliability

int main(int argc, char** argv) {
  return sysstream::harness::BpfTestMain(argc, argv);
}
