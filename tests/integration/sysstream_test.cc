// SPDX-License-Identifier: Apache-2.0
// Integration tests: the real sysstream binary loads its BPF program into the
// running kernel and traces real processes; assertions are on the log files.
// Needs root (CAP_BPF/CAP_PERFMON or CAP_SYS_ADMIN) and kernel BTF.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "bpf/sysstream.h"
#include "cc/syscalls/syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/raw_log.h"
#include "tests/harness/tracer.h"

namespace {

using ::sysstream::harness::BpfTestMain;
using ::sysstream::harness::Child;
using ::sysstream::harness::Exists;
using ::sysstream::harness::g_sysstream;
using ::sysstream::harness::g_workload;
using ::sysstream::harness::ParseRawLog;
using ::sysstream::harness::RawLog;
using ::sysstream::harness::RawRecord;
using ::sysstream::harness::ReadAll;
using ::sysstream::harness::ReadFile;
using ::sysstream::harness::ReadLine;
using ::sysstream::harness::Spawn;
using ::sysstream::harness::SpawnOptions;
using ::sysstream::harness::StallConsumer;
using ::sysstream::harness::SyscallsOf;
using ::sysstream::harness::TempPath;
using ::sysstream::harness::Tracer;
using ::sysstream::harness::Wait;
using ::sysstream::harness::WaitBlockedInRead;
using ::sysstream::harness::WaitCpuTicks;
using ::sysstream::harness::WaitStopped;
using ::sysstream::harness::Workload;
using ::testing::HasSubstr;
using ::testing::Not;

std::string g_ia32;  // a 32-bit program (tests/integration/ia32.c)

// The number of syscall `name` on this machine's architecture, from the
// generated tables (cc/syscalls); exits if there is no such syscall.
uint32_t Nr(absl::string_view name) {
  const std::optional<uint32_t> nr =
      sysstream::SyscallNumber(sysstream::HostArch(), name);
  if (!nr.has_value()) {
    const absl::string_view arch = sysstream::ArchName(sysstream::HostArch());
    std::fprintf(stderr, "no syscall %.*s on %.*s\n",
                 static_cast<int>(name.size()), name.data(),
                 static_cast<int>(arch.size()), arch.data());
    std::exit(2);
  }
  return *nr;
}

// "getppid(110)" on x86_64: how text output names syscall `name`.
std::string Named(absl::string_view name) {
  return absl::StrCat(name, "(", Nr(name), ")");
}

const uint32_t kRead = Nr("read"), kWrite = Nr("write"), kClose = Nr("close"),
               kClone = Nr("clone"), kExecve = Nr("execve"),
               kWait4 = Nr("wait4"), kGetppid = Nr("getppid"),
               kExitGroup = Nr("exit_group"), kOpenat = Nr("openat"),
               kClone3 = Nr("clone3");
// libbpf's ring_buffer__poll waits in epoll_wait(2): glibc makes it
// epoll_pwait where there is no epoll_wait syscall (arm64).
const uint32_t kEpollWait =
    sysstream::SyscallNumber(sysstream::HostArch(), "epoll_wait")
        .value_or(Nr("epoll_pwait"));

// The records of a raw log; a malformed or torn record fails the test.
std::vector<RawRecord> ParseLog(const std::string& path) {
  RawLog parsed = ParseRawLog(path);
  EXPECT_TRUE(parsed.well_formed) << path << ": " << parsed.error;
  return std::move(parsed.records);
}

std::vector<uint32_t> Repeat(uint32_t nr, int n) {
  return std::vector<uint32_t>(n, nr);
}

std::vector<uint32_t> Concat(std::vector<uint32_t> a,
                             const std::vector<uint32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Trace, KnownSequenceExactlyAndInOrder) {
  const std::string log = TempPath("seq.log");
  Workload w = Workload::Start({"seq", "25"});
  Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_THAT(t.stderr_rest, HasSubstr("all targets exited"));
  std::vector<RawRecord> records = ParseLog(log);
  EXPECT_EQ(SyscallsOf(records, static_cast<uint32_t>(w.proc.pid)),
            Concat(Repeat(kGetppid, 25), {kOpenat, kClose, kExitGroup}));
  // Only the target is in the log.
  for (const RawRecord& r : records) {
    ASSERT_EQ(r.pid, static_cast<uint32_t>(w.proc.pid));
  }
  EXPECT_THAT(t.stderr_rest, HasSubstr("sysstream: 28 events written to"));
  EXPECT_THAT(t.stderr_rest, HasSubstr(", 0 lost,"));
}

TEST(Trace, DelimiterOption) {
  const std::string log = TempPath("delim.log");
  Workload w = Workload::Start({"seq", "2"});
  Tracer t = Tracer::Start(
      {"--delimiter", "\\n", "-f", log, std::to_string(w.proc.pid)});
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0);
  auto hex = [&](uint32_t nr) {
    return absl::StrCat(
        absl::Hex((uint64_t{static_cast<uint32_t>(w.proc.pid)} << 32) | nr),
        "\n");
  };
  EXPECT_EQ(ReadFile(log),
            absl::StrCat(hex(kGetppid), hex(kGetppid), hex(kOpenat),
                         hex(kClose), hex(kExitGroup)));
}

// How many CPUs this process may run on.
int UsableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return CPU_COUNT(&set);
}

// The pingpong workload (`pin`: parent and child on two different CPUs,
// so with one ring per CPU their records reach different rings), traced
// with `args` into `log`; returns the parent's and the child's pid.
std::pair<pid_t, pid_t> TracePingPong(int rounds, bool pin,
                                      const std::vector<std::string>& args) {
  std::vector<std::string> wargs = {"pingpong", std::to_string(rounds)};
  if (pin) wargs.push_back("pin");
  Workload w = Workload::Start(wargs, /*read_first_line=*/true);
  const pid_t parent = w.proc.pid;
  const pid_t child = std::stoi(w.first_line);
  WaitBlockedInRead(child);
  std::vector<std::string> targs = args;
  targs.push_back(absl::StrCat(parent, ",", child));
  Tracer t = Tracer::Start(targs);
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  return {parent, child};
}

// Each write causes the other side's next write: writes alternate parent,
// child, parent, ... in the log's (global) order, and each side's calls
// are all there in its own order.
void ExpectPingPongInOrder(const std::string& log, int rounds, pid_t parent,
                           pid_t child) {
  std::vector<RawRecord> records = ParseLog(log);
  std::vector<pid_t> writers;
  for (const RawRecord& r : records) {
    if (r.nr == kWrite) writers.push_back(static_cast<pid_t>(r.pid));
  }
  ASSERT_EQ(writers.size(), 2u * rounds);
  for (size_t i = 0; i < writers.size(); ++i) {
    ASSERT_EQ(writers[i], i % 2 == 0 ? parent : child) << "at write " << i;
  }
  std::vector<uint32_t> want_child;
  for (int i = 0; i < rounds; ++i) {
    if (i > 0) want_child.push_back(kRead);  // the first read began earlier
    want_child.push_back(kWrite);
  }
  want_child.push_back(kExitGroup);
  EXPECT_EQ(SyscallsOf(records, child), want_child);
  std::vector<uint32_t> want_parent;
  for (int i = 0; i < rounds; ++i) {
    want_parent.push_back(kWrite);
    want_parent.push_back(kRead);
  }
  want_parent.push_back(kWait4);
  want_parent.push_back(kExitGroup);
  EXPECT_EQ(SyscallsOf(records, parent), want_parent);
}

TEST(Trace, TwoTargetsInterleaveInKernelOrder) {
  const std::string log = TempPath("pingpong.log");
  constexpr int kRounds = 200;
  const auto [parent, child] = TracePingPong(kRounds, false, {"-f", log});
  ExpectPingPongInOrder(log, kRounds, parent, child);
}

// The causal order survives the merge of the per-CPU rings: each write
// (on one CPU) causes the next (on the other).
TEST(Trace, TargetsOnTwoCpusInterleaveInCausalOrder) {
  if (UsableCpus() < 2) GTEST_SKIP() << "needs two CPUs to pin to";
  const std::string log = TempPath("pingpong-pinned.log");
  constexpr int kRounds = 2000;
  const auto [parent, child] = TracePingPong(kRounds, true, {"-f", log});
  ExpectPingPongInOrder(log, kRounds, parent, child);
}

// ts_ns never goes back in log order, across CPUs.
TEST(Trace, TimestampsNeverDecreaseInLogOrder) {
  if (UsableCpus() < 2) GTEST_SKIP() << "needs two CPUs to pin to";
  const std::string log = TempPath("pingpong-pinned.jsonl");
  constexpr int kRounds = 2000;
  TracePingPong(kRounds, true,
                {"--format", "jsonl", "--timestamps", "-f", log});
  std::ifstream in(log);
  std::string line;
  uint64_t last = 0, lines = 0;
  while (std::getline(in, line)) {
    const size_t at = line.find("\"ts_ns\":");
    ASSERT_NE(at, std::string::npos) << line;
    const uint64_t ts = std::stoull(line.substr(at + 8));
    ASSERT_GE(ts, last) << "line " << lines + 1 << ": " << line;
    last = ts;
    ++lines;
  }
  EXPECT_GE(lines, 4u * kRounds);
}

TEST(Trace, AllThreadsOfAProcess) {
  const std::string log = TempPath("threads.log");
  Workload w = Workload::Start({"threads", "4", "5000"});
  Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::vector<uint32_t> calls = SyscallsOf(ParseLog(log), w.proc.pid);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), kGetppid), 4 * 5000L);
  EXPECT_EQ(calls.back(), kExitGroup);
}

TEST(Trace, IncludeSelfOnlyWithDashM) {
  for (bool include_self : {false, true}) {
    const std::string log = TempPath("self.log");
    Workload w = Workload::Start({"seq", "3"});
    std::vector<std::string> args = {"-f", log, std::to_string(w.proc.pid)};
    if (include_self) args.insert(args.begin(), "-m");
    Tracer t = Tracer::Start(args);
    w.Go();
    EXPECT_EQ(w.Finish(), 0);
    t.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    std::vector<RawRecord> records = ParseLog(log);
    std::vector<uint32_t> own = SyscallsOf(records, t.proc.pid);
    if (include_self) {
      // It waits for the ring (epoll_wait) and writes the log (write).
      EXPECT_NE(std::count(own.begin(), own.end(), kEpollWait), 0L);
    } else {
      EXPECT_TRUE(own.empty()) << own.size() << " own records";
    }
    EXPECT_EQ(SyscallsOf(records, static_cast<uint32_t>(w.proc.pid)),
              Concat(Repeat(kGetppid, 3), {kOpenat, kClose, kExitGroup}));
  }
}

TEST(Trace, FollowForkAndExecThenStopWhenAllExited) {
  for (bool follow : {false, true}) {
    const std::string log = TempPath("follow.log");
    Workload w = Workload::Start({"forkexec"});
    std::vector<std::string> args = {"-f", log, std::to_string(w.proc.pid)};
    if (follow) args.insert(args.begin(), "--follow");
    Tracer t = Tracer::Start(args);
    w.Go();
    EXPECT_EQ(w.Finish(), 0);
    t.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    EXPECT_THAT(t.stderr_rest, HasSubstr("all targets exited"));
    std::vector<RawRecord> records = ParseLog(log);
    std::map<uint32_t, std::vector<uint32_t>> by_pid;
    for (const RawRecord& r : records) by_pid[r.pid].push_back(r.nr);
    const std::vector<uint32_t>& parent = by_pid[w.proc.pid];
    ASSERT_FALSE(parent.empty());
    EXPECT_TRUE(parent[0] == kClone || parent[0] == kClone3) << parent[0];
    EXPECT_EQ(parent.back(), kExitGroup);
    by_pid.erase(w.proc.pid);
    if (!follow) {
      EXPECT_TRUE(by_pid.empty()) << "child traced without --follow";
      continue;
    }
    ASSERT_EQ(by_pid.size(), 1u) << "expected exactly one child";
    const std::vector<uint32_t>& child = by_pid.begin()->second;
    // Traced from fork on: libc's post-fork calls, then the execve.
    auto exec = std::find(child.begin(), child.end(), kExecve);
    ASSERT_NE(exec, child.end());
    EXPECT_LE(exec - child.begin(), 3);
    EXPECT_EQ(std::count(exec, child.end(), kGetppid), 3L);
    EXPECT_EQ(child.back(), kExitGroup);
  }
}

TEST(Trace, CommandIsTracedFromItsExecve) {
  const std::string log = TempPath("command.log");
  Tracer t = Tracer::Start({"-f", log, "--", g_workload, "nowait-seq", "4"});
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::vector<RawRecord> records = ParseLog(log);
  ASSERT_FALSE(records.empty());
  const uint32_t pid = records[0].pid;
  for (const RawRecord& r : records) ASSERT_EQ(r.pid, pid);
  EXPECT_EQ(records.front().nr, kExecve);
  std::vector<uint32_t> calls = SyscallsOf(records, pid);
  // The tail is exactly the workload's own part.
  ASSERT_GE(calls.size(), 8u);
  EXPECT_EQ(std::vector<uint32_t>(calls.end() - 7, calls.end()),
            Concat(Repeat(kGetppid, 4), {kOpenat, kClose, kExitGroup}));
}

TEST(Filter, SyscallsAndExcludeApplyInTheKernel) {
  struct Case {
    std::vector<std::string> args;
    std::vector<uint32_t> want;
  };
  const std::vector<Case> cases = {
      {{"-e", "getppid,close"}, Concat(Repeat(kGetppid, 3), {kClose})},
      {{"--syscalls", std::to_string(kOpenat), "-e", "exit_group"},
       {kOpenat, kExitGroup}},
      {{"--exclude", "getppid"}, {kOpenat, kClose, kExitGroup}},
      {{"-e", "getppid,openat", "--exclude", "getppid"}, {kOpenat}},
  };
  for (const Case& c : cases) {
    const std::string log = TempPath("filter.log");
    Workload w = Workload::Start({"seq", "3"});
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"-f", log, std::to_string(w.proc.pid)});
    Tracer t = Tracer::Start(args);
    w.Go();
    EXPECT_EQ(w.Finish(), 0);
    t.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    EXPECT_EQ(SyscallsOf(ParseLog(log), static_cast<uint32_t>(w.proc.pid)),
              c.want)
        << absl::StrJoin(c.args, " ");
  }
  // A held command still starts at its execve, which is not recorded
  // unless asked for.
  const std::string log = TempPath("filter-cmd.log");
  Tracer t = Tracer::Start(
      {"-e", "getppid", "-f", log, "--", g_workload, "nowait-seq", "2"});
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::vector<RawRecord> records = ParseLog(log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].nr, kGetppid);
  EXPECT_EQ(records[1].nr, kGetppid);
}

TEST(Formats, TextJsonlAndSummaryOfALiveTrace) {
  const std::string text_log = TempPath("live.txt");
  const std::string json_log = TempPath("live.jsonl");
  const std::string summary = TempPath("summary.txt");
  for (const std::string& format : {std::string("text"), std::string("jsonl")}) {
    const std::string& log = format == "text" ? text_log : json_log;
    Workload w = Workload::Start({"seq", "2"});
    std::vector<std::string> args = {"--format", format, "-f", log,
                                     std::to_string(w.proc.pid)};
    if (format == "text") args.insert(args.begin(), {"--summary-file", summary});
    Tracer t = Tracer::Start(args);
    w.Go();
    EXPECT_EQ(w.Finish(), 0);
    t.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    const std::string p = std::to_string(w.proc.pid);
    if (format == "text") {
      auto line = [&](const char* name) {
        return absl::StrCat(p, " ", Named(name), "\n");
      };
      EXPECT_EQ(ReadFile(log),
                absl::StrCat(line("getppid"), line("getppid"), line("openat"),
                             line("close"), line("exit_group")));
    } else {
      auto j = [&](const char* name) {
        return absl::StrCat("{\"pid\":", p, ",\"nr\":", Nr(name),
                            ",\"syscall\":\"", name, "\"}\n");
      };
      EXPECT_EQ(ReadFile(log),
                absl::StrCat(j("getppid"), j("getppid"), j("openat"),
                             j("close"), j("exit_group")));
    }
  }
  // The summary was taken during the text run (the first workload).
  const std::string table = ReadFile(summary);
  std::vector<std::string> lines = absl::StrSplit(table, '\n');
  ASSERT_EQ(lines.size(), 8u) << table;
  EXPECT_EQ(lines[0], "       PID  SYSCALL                         CALLS");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex(" +[0-9]+  getppid +2"));
  EXPECT_THAT(lines[5], ::testing::MatchesRegex(" +total +5"));
  EXPECT_THAT(lines[6], ::testing::MatchesRegex(" +lost +0"));
}

TEST(Formats, DashStreamsToStandardOutput) {
  SpawnOptions o;
  o.pipe_out = true;
  o.pipe_err = true;
  Child c = Spawn({g_sysstream, "-f", "-", "--format", "text", "-e",
                   "getppid,openat,close,exit_group", "--", g_workload,
                   "nowait-seq", "2"},
                  o);
  std::string out = ReadAll(c.out);
  std::string err = ReadAll(c.err);
  EXPECT_EQ(Wait(c.pid), 0) << err;
  EXPECT_THAT(err, HasSubstr("events written to standard output"));
  std::vector<std::string> lines = absl::StrSplit(out, '\n');
  ASSERT_GE(lines.size(), 6u) << out;
  // The workload's own part closes the stream.
  const size_t n = lines.size();
  EXPECT_THAT(lines[n - 6], HasSubstr(" " + Named("getppid")));
  EXPECT_THAT(lines[n - 5], HasSubstr(" " + Named("getppid")));
  EXPECT_THAT(lines[n - 4], HasSubstr(" " + Named("openat")));
  EXPECT_THAT(lines[n - 3], HasSubstr(" " + Named("close")));
  EXPECT_THAT(lines[n - 2], HasSubstr(" " + Named("exit_group")));
  EXPECT_EQ(lines[n - 1], "");
}

TEST(Formats, DecodeReadsWhatWasWritten) {
  const std::string log = TempPath("decode.log");
  Workload w = Workload::Start({"seq", "1"});
  Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  SpawnOptions o;
  o.pipe_out = true;
  Child d = Spawn({g_sysstream, "decode", log}, o);
  std::string out = ReadAll(d.out);
  EXPECT_EQ(Wait(d.pid), 0);
  const std::string p = std::to_string(w.proc.pid);
  EXPECT_EQ(out, absl::StrCat(p, " ", Named("getppid"), "\n", p, " ",
                              Named("openat"), "\n", p, " ", Named("close"),
                              "\n", p, " ", Named("exit_group"), "\n"));
}

TEST(LongRuns, DurationStopsTheTrace) {
  const std::string log = TempPath("duration.log");
  Workload w = Workload::Start({"burst", "0"});
  Tracer t = Tracer::Start(
      {"--duration", "400ms", "-f", log, std::to_string(w.proc.pid)});
  w.Go();
  t.Finish();
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_THAT(t.stderr_rest, HasSubstr("(duration reached)"));
  EXPECT_GT(ParseLog(log).size(), 100u);
}

TEST(LongRuns, SighupReopenAndRotationLoseNoRecord) {
  constexpr int kCalls = 300000;
  // SIGHUP after a logrotate-style move: the records split across the two
  // files add up exactly, in order.
  {
    const std::string log = TempPath("hup.log");
    const std::string moved = log + ".moved";
    unlink(moved.c_str());
    Workload w = Workload::Start({"burst", std::to_string(kCalls)});
    Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
    w.Go();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ASSERT_EQ(rename(log.c_str(), moved.c_str()), 0);
    kill(t.proc.pid, SIGHUP);
    EXPECT_EQ(w.Finish(), 0);
    t.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    std::vector<RawRecord> a = ParseLog(moved), b = ParseLog(log);
    EXPECT_FALSE(b.empty()) << "nothing written after SIGHUP";
    std::vector<uint32_t> calls = SyscallsOf(a, w.proc.pid);
    std::vector<uint32_t> more = SyscallsOf(b, w.proc.pid);
    calls.insert(calls.end(), more.begin(), more.end());
    EXPECT_EQ(calls, Concat(Repeat(kGetppid, kCalls), {kExitGroup}));
  }
  // Rotation by size: every file but the newest is near the limit, and the
  // files, oldest first, hold every record in order.
  {
    const std::string log = TempPath("rot.log");
    for (int i = 1; i <= 200; ++i) unlink(absl::StrCat(log, ".", i).c_str());
    Workload w = Workload::Start({"burst", std::to_string(kCalls)});
    Tracer t = Tracer::Start({"--rotate-size", "256K", "--rotate-keep", "200",
                              "-f", log, std::to_string(w.proc.pid)});
    w.Go();
    EXPECT_EQ(w.Finish(), 0);
    t.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    std::vector<uint32_t> calls;
    int files = 0;
    for (int i = 200; i >= 0; --i) {
      const std::string path = i == 0 ? log : absl::StrCat(log, ".", i);
      if (!Exists(path)) continue;
      ++files;
      struct stat sb;
      stat(path.c_str(), &sb);
      EXPECT_LE(sb.st_size, 1024 * 1024 + 256 * 1024) << path;
      std::vector<uint32_t> part = SyscallsOf(ParseLog(path), w.proc.pid);
      calls.insert(calls.end(), part.begin(), part.end());
    }
    EXPECT_GT(files, 3);
    EXPECT_EQ(calls, Concat(Repeat(kGetppid, kCalls), {kExitGroup}));
  }
}

TEST(Formats, RetTidCommAndTimestampsPairedInTheKernelStream) {
  const std::string log = TempPath("ret.jsonl");
  Tracer t = Tracer::Start({"--format", "jsonl", "--ret", "--tid", "--comm",
                            "--timestamps", "-f", log, "--", g_workload,
                            "fail"});
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::vector<std::string> lines = absl::StrSplit(ReadFile(log), '\n');
  ASSERT_GE(lines.size(), 5u);
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  // The workload's own part is last: openat → ENOENT, close(-1) → EBADF,
  // getppid → a pid, exit_group never returns.
  std::vector<std::string> tail(lines.end() - 4, lines.end());
  EXPECT_THAT(tail[0],
              ::testing::MatchesRegex(
                  "\\{\"pid\":[0-9]+,\"nr\":" + std::to_string(kOpenat) +
                  ",\"syscall\":\"openat\",\"ts_ns\":[0-9]+,\"tid\":[0-9]+,"
                  "\"comm\":\"workload\",\"ret\":-2,\"errno\":"
                  "\"ENOENT\",\"duration_ns\":[0-9]+\\}"));
  EXPECT_THAT(tail[1], HasSubstr("\"syscall\":\"close\""));
  EXPECT_THAT(tail[1], HasSubstr("\"ret\":-9,\"errno\":\"EBADF\""));
  EXPECT_THAT(tail[2], HasSubstr("\"syscall\":\"getppid\""));
  // Its parent is sysstream, which started it.
  EXPECT_THAT(tail[2], HasSubstr(absl::StrCat("\"ret\":", t.proc.pid, ",")));
  EXPECT_THAT(tail[3], HasSubstr("\"syscall\":\"exit_group\""));
  EXPECT_THAT(tail[3], Not(HasSubstr("\"ret\"")));
  // The first line is the execve, returning 0.
  EXPECT_THAT(lines[0], HasSubstr("\"syscall\":\"execve\""));
  EXPECT_THAT(lines[0], HasSubstr("\"ret\":0,"));
}

TEST(Formats, BinLogDecodesToTheSameText) {
  const std::string bin = TempPath("run.bin");
  Tracer t = Tracer::Start({"--format", "bin", "--ret", "-f", bin, "--",
                            g_workload, "fail"});
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::string data = ReadFile(bin);
  ASSERT_GE(data.size(), 64u);
  EXPECT_EQ(data.substr(0, 8), "SYSSTRM\n");
  EXPECT_EQ((data.size() - 64) % 48, 0u);
  SpawnOptions o;
  o.pipe_out = true;
  Child d = Spawn({g_sysstream, "decode", "--format", "text", bin}, o);
  std::string out = ReadAll(d.out);
  EXPECT_EQ(Wait(d.pid), 0);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("(workload) ", Named("openat"),
                                          " = -2 ENOENT <")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat(Named("close"), " = -9 EBADF <")));
  // Cut mid-record: an error naming the offset, after the whole records.
  const std::string cut = TempPath("cut.bin");
  std::ofstream(cut, std::ios::binary) << data.substr(0, 64 + 48 + 10);
  Child c = Spawn({g_sysstream, "decode", cut}, SpawnOptions{true, true, true});
  close(c.in);
  std::string cut_out = ReadAll(c.out);
  std::string cut_err = ReadAll(c.err);
  EXPECT_EQ(Wait(c.pid), 11);
  EXPECT_EQ(std::count(cut_out.begin(), cut_out.end(), '\n'), 1L);
  EXPECT_THAT(cut_err, HasSubstr("truncated last record at byte 112 (record 2)"));
}

// The errno of exec'ing `path` (no arguments) in a child, or 0 if the exec
// succeeded; then the child's exit code is in `*exit_code`.
int ExecErrno(const std::string& path, int* exit_code) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno;
  const pid_t pid = fork();
  if (pid == 0) {
    char* const argv[] = {const_cast<char*>(path.c_str()), nullptr};
    execv(argv[0], argv);
    const int err = errno;
    (void)!write(fds[1], &err, sizeof(err));
    _exit(127);
  }
  close(fds[1]);
  int err = 0;
  const ssize_t n = pid > 0 ? read(fds[0], &err, sizeof(err)) : -1;
  close(fds[0]);
  if (pid < 0) return errno;
  *exit_code = Wait(pid);
  return n == sizeof(err) ? err : 0;
}

// Kernels without ia32 emulation (CONFIG_IA32_EMULATION off, or
// ia32_emulation=0 on the boot line, as on Firecracker guests) refuse ia32
// binaries with ENOEXEC. sysstream does not need ia32 emulation: the compat
// naming is covered without it by //tests/sink:compat_test.
TEST(Compat, Ia32SyscallsAreMarkedAndNamedFromTheI386Table) {
  if (sysstream::HostArch() != sysstream::Arch::kX86_64) {
    GTEST_SKIP() << "ia32 is a compat mode of x86_64 only";
  }
  ASSERT_FALSE(g_ia32.empty());
  int probe_exit = -1;
  const int exec_errno = ExecErrno(g_ia32, &probe_exit);
  if (exec_errno == ENOEXEC) {
    GTEST_SKIP() << "kernel cannot exec ia32 binaries (execve: "
                 << strerror(exec_errno) << ")";
  }
  ASSERT_EQ(exec_errno, 0) << g_ia32 << ": " << strerror(exec_errno);
  ASSERT_EQ(probe_exit, 0) << "the ia32 program itself failed";

  const std::string log = TempPath("ia32.log");
  Tracer t = Tracer::Start({"-f", log, "--", g_ia32});
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::vector<RawRecord> records = ParseLog(log);
  ASSERT_EQ(records.size(), 5u);
  // The execve is a 64-bit call (made by sysstream's child); the rest are
  // the program's ia32 calls (i386 numbers), marked with bit 31.
  const uint32_t getppid32 =
      *sysstream::SyscallNumber(sysstream::Arch::kI386, "getppid");
  const uint32_t exit_group32 =
      *sysstream::SyscallNumber(sysstream::Arch::kI386, "exit_group");
  EXPECT_EQ(records[0].nr, kExecve);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(records[i].nr, SYSSTREAM_COMPAT_BIT | getppid32);
  }
  EXPECT_EQ(records[4].nr, SYSSTREAM_COMPAT_BIT | exit_group32);
  SpawnOptions o;
  o.pipe_out = true;
  Child d = Spawn({g_sysstream, "decode", log}, o);
  std::string out = ReadAll(d.out);
  EXPECT_EQ(Wait(d.pid), 0);
  const std::string p = std::to_string(records[0].pid);
  const std::string getppid = absl::StrCat(" ia32:getppid(", getppid32, ")\n");
  EXPECT_EQ(out, absl::StrCat(p, " ", Named("execve"), "\n", p, getppid, p,
                              getppid, p, getppid, p, " ia32:exit_group(",
                              exit_group32, ")\n"));
}

TEST(Trace, CommandExitStatusIsPassedOn) {
  const std::string log = TempPath("status.log");
  Tracer t = Tracer::Start({"-f", log, "--", "/bin/sh", "-c", "exit 7"});
  t.Finish();
  EXPECT_EQ(t.exit_code, 7) << t.stderr_rest;
}

TEST(Trace, TargetInChildPidNamespaceIsLoggedWithHostPid) {
  const std::string log = TempPath("pidns.log");
  // The workload becomes pid 1 of a new pid namespace.
  SpawnOptions o;
  o.pipe_in = true;
  o.in_child = [] {
    if (unshare(CLONE_NEWPID) != 0) _exit(125);
    pid_t inner = fork();
    if (inner != 0) _exit(inner > 0 ? Wait(inner) : 124);
  };
  Child outer = Spawn({g_workload, "seq", "6"}, o);
  // Find the inner (host) pid: the only child of `outer`.
  pid_t inner = -1;
  for (int i = 0; i < 2000 && inner < 0; ++i) {
    std::string kids = ReadFile(
        absl::StrCat("/proc/", outer.pid, "/task/", outer.pid, "/children"));
    if (!kids.empty())
      inner = std::stoi(kids);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_GT(inner, 0);
  WaitBlockedInRead(inner);
  std::string status = ReadFile(absl::StrCat("/proc/", inner, "/status"));
  ASSERT_THAT(status, HasSubstr(absl::StrCat("NSpid:\t", inner, "\t1\n")));
  Tracer t = Tracer::Start({"-f", log, std::to_string(inner)});
  EXPECT_EQ(write(outer.in, "g", 1), 1);
  close(outer.in);
  EXPECT_EQ(Wait(outer.pid), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_EQ(SyscallsOf(ParseLog(log), inner),
            Concat(Repeat(kGetppid, 6), {kOpenat, kClose, kExitGroup}));
}

TEST(Trace, SysstreamInsideAPidNamespaceLogsItsOwnPids) {
  const std::string log = TempPath("inner.log");
  // sysstream is pid 1 of a new pid namespace with its own /proc; the
  // command it starts is pid 2 there.
  SpawnOptions o;
  o.pipe_err = true;
  o.in_child = [] {
    if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) _exit(125);
    pid_t inner = fork();
    if (inner != 0) _exit(inner > 0 ? Wait(inner) : 124);
    if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("proc", "/proc", "proc", 0, nullptr) != 0) {
      _exit(123);
    }
  };
  Child c =
      Spawn({g_sysstream, "-f", log, "--", g_workload, "nowait-seq", "5"}, o);
  std::string err = ReadAll(c.err);
  EXPECT_EQ(Wait(c.pid), 0) << err;
  std::vector<RawRecord> records = ParseLog(log);
  ASSERT_FALSE(records.empty()) << err;
  for (const RawRecord& r : records) ASSERT_EQ(r.pid, 2u);
  EXPECT_EQ(records.front().nr, kExecve);
  EXPECT_EQ(records.back().nr, kExitGroup);
}

TEST(Loss, FullRingGivesGapMarkersThatAccountForEveryCall) {
  const std::string log = TempPath("loss.log");
  constexpr int kCalls = 1000000;
  Workload w = Workload::Start({"burst", std::to_string(kCalls)});
  // A 4 KiB ring holds 256 records; the tracer is stopped while the
  // burst starts, then -v to /dev/null keeps the consumer slow.
  Tracer t = Tracer::Start(
      {"-v", "--ring-size", "4096", "-f", log, std::to_string(w.proc.pid)},
      /*out_to_null=*/true);
  w.Go();
  // Stopped until the burst has run for two clock ticks (thousands of
  // calls, far more than the ring holds) or has ended.
  EXPECT_TRUE(
      StallConsumer(t.proc.pid, [&w] { return WaitCpuTicks(w.proc.pid, 2); }));
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  const RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error;
  std::vector<uint32_t> calls = SyscallsOf(parsed.records, w.proc.pid);
  const uint64_t lost = parsed.lost;
  EXPECT_GT(lost, 0u) << "the ring never overflowed";
  // Every call is either a record or counted in a gap marker.
  EXPECT_EQ(calls.size() + lost, kCalls + 1u);
  EXPECT_THAT(t.stderr_rest, HasSubstr(absl::StrCat(", ", lost, " lost,")));
  for (const RawRecord& r : parsed.records) {
    ASSERT_TRUE(r.IsGapMarker() || r.pid == static_cast<uint32_t>(w.proc.pid));
  }
}

// Two threads on two CPUs fill their own rings (64 KiB each) while the
// consumer is stopped: every call is a record or counted in a gap marker,
// exactly, across the merge of the rings.
TEST(Loss, TwoPinnedThreadsOverflowingTheirRingsAreAccountedExactly) {
  if (UsableCpus() < 2) GTEST_SKIP() << "needs two CPUs to pin to";
  const std::string log = TempPath("loss2.log");
  constexpr int kCallsEach = 400000;
  Workload w = Workload::Start(
      {"threads", "2", std::to_string(kCallsEach), "pin"});
  Tracer t = Tracer::Start({"-q", "-e", "getppid", "--ring-size", "64K", "-f",
                            log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Go();
  EXPECT_TRUE(
      StallConsumer(t.proc.pid, [&w] { return WaitCpuTicks(w.proc.pid, 4); }));
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  const RawLog parsed = ParseRawLog(log);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  const uint64_t getppids =
      parsed.CallsOf(static_cast<uint32_t>(w.proc.pid), kGetppid);
  EXPECT_GT(parsed.lost, 0u) << "the rings never overflowed";
  EXPECT_EQ(getppids + parsed.lost, 2u * kCallsEach);
  EXPECT_THAT(t.stderr_rest,
              HasSubstr(absl::StrCat(", ", parsed.lost, " lost,")));
}

TEST(Stop, SigtermMidBurstLeavesAWellFormedCompleteLog) {
  const std::string log = TempPath("sigterm.log");
  Workload w = Workload::Start({"burst", "0"});
  Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
  w.Go();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(t.proc.pid, SIGTERM);
  t.Finish();
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_THAT(t.stderr_rest, HasSubstr("stopped by SIGTERM"));
  std::vector<RawRecord> records = ParseLog(log);
  std::vector<uint32_t> calls = SyscallsOf(records, w.proc.pid);
  EXPECT_GT(calls.size(), 1000u);
  // The summary counts exactly what is in the file.
  EXPECT_THAT(t.stderr_rest, HasSubstr(absl::StrCat("sysstream: ", calls.size(),
                                                    " events written to")));
}

// The mount point of the cgroup2 hierarchy ("" if none), and of a v1 one.
std::string CgroupMountPoint(bool v2) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (dash == f.end() || dash + 1 == f.end() || f.size() < 5) continue;
    if (v2 && *(dash + 1) == "cgroup2") return f[4];
    if (!v2 && *(dash + 1) == "cgroup" && absl::EndsWith(f[4], "/pids")) {
      return f[4];
    }
  }
  return "";
}

void MoveToCgroup(const std::string& dir, pid_t pid) {
  std::ofstream(dir + "/cgroup.procs") << pid << "\n";
  std::string mine = ReadFile(absl::StrCat("/proc/", pid, "/cgroup"));
  ASSERT_THAT(mine, HasSubstr(dir.substr(dir.rfind('/'))));
}

TEST(Cgroup, V2CgroupTracesItsProcessesIncludingLaterOnes) {
  const std::string root = CgroupMountPoint(/*v2=*/true);
  if (root.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
  const std::string top = absl::StrCat(root, "/sysstream-test-", getpid());
  const std::string child = top + "/child";
  ASSERT_EQ(mkdir(top.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mkdir(child.c_str(), 0755), 0) << strerror(errno);
  const std::string log = TempPath("cgroup.log");

  Workload first = Workload::Start({"seq", "5"});
  MoveToCgroup(child, first.proc.pid);
  Workload outside = Workload::Start({"seq", "2"});
  Tracer t = Tracer::Start({"-f", log, "--cgroup", top});
  EXPECT_THAT(t.ready_line, HasSubstr("tracing 1 cgroup"));
  // A process that joins the cgroup after sysstream started (as with
  // `docker exec`) is traced too.
  Workload later = Workload::Start({"seq", "3"});
  MoveToCgroup(child, later.proc.pid);
  first.Go();
  later.Go();
  outside.Go();
  EXPECT_EQ(first.Finish(), 0);
  EXPECT_EQ(later.Finish(), 0);
  EXPECT_EQ(outside.Finish(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(t.proc.pid, SIGINT);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  std::vector<RawRecord> records = ParseLog(log);
  EXPECT_EQ(SyscallsOf(records, first.proc.pid),
            Concat(Repeat(kGetppid, 5), {kOpenat, kClose, kExitGroup}));
  EXPECT_EQ(SyscallsOf(records, later.proc.pid),
            Concat(Repeat(kGetppid, 3), {kOpenat, kClose, kExitGroup}));
  EXPECT_TRUE(SyscallsOf(records, outside.proc.pid).empty());
  rmdir(child.c_str());
  rmdir(top.c_str());
}

// --wait: the cgroup does not exist yet; sysstream waits (no log), traces
// it once it appears, traces it again when it is removed and made anew (a
// restarted container or service: a new cgroup of the same name, taken up
// after the capabilities are dropped), and stops by itself when it is
// removed for good.
TEST(Cgroup, WaitTracesACgroupThatAppearsLaterAgainAndStopsWhenItIsRemoved) {
  const std::string root = CgroupMountPoint(/*v2=*/true);
  if (root.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
  const std::string dir = absl::StrCat(root, "/sysstream-wait-", getpid());
  const std::string log = TempPath("wait.log");
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({g_sysstream, "-W", "-f", log, "--cgroup", dir}, o);
  EXPECT_EQ(ReadLine(t.err),
            absl::StrCat("sysstream: waiting (--wait): no such cgroup: ", dir));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(Exists(log)) << "a log before anything was traced";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << strerror(errno);
  EXPECT_THAT(ReadLine(t.err, 10000), HasSubstr("sysstream: tracing 1 cgroup"));
  Workload w = Workload::Start({"seq", "3"});
  MoveToCgroup(dir, w.proc.pid);
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  // The cgroup is made anew while sysstream is stopped, so that its
  // once-a-second check cannot fall between the rmdir and the mkdir.
  ASSERT_EQ(kill(t.pid, SIGSTOP), 0);
  ASSERT_TRUE(WaitStopped(t.pid));
  ASSERT_EQ(rmdir(dir.c_str()), 0) << strerror(errno);
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(kill(t.pid, SIGCONT), 0);
  EXPECT_EQ(ReadLine(t.err, 10000),
            absl::StrCat("sysstream: also tracing new cgroup ", dir));
  Workload again = Workload::Start({"seq", "2"});
  MoveToCgroup(dir, again.proc.pid);
  again.Go();
  EXPECT_EQ(again.Finish(), 0);
  ASSERT_EQ(rmdir(dir.c_str()), 0) << strerror(errno);
  // Checked once a second: the stop comes without a signal.
  const std::string rest = ReadAll(t.err);
  EXPECT_EQ(Wait(t.pid), 0) << rest;
  EXPECT_THAT(rest, HasSubstr("(all targets exited)"));
  const std::vector<RawRecord> records = ParseLog(log);
  EXPECT_EQ(SyscallsOf(records, w.proc.pid),
            Concat(Repeat(kGetppid, 3), {kOpenat, kClose, kExitGroup}));
  EXPECT_EQ(SyscallsOf(records, again.proc.pid),
            Concat(Repeat(kGetppid, 2), {kOpenat, kClose, kExitGroup}));
}

// --wait ends cleanly on SIGTERM before anything appeared: exit 0, no log.
TEST(Cgroup, WaitStoppedBySigtermWritesNoLog) {
  const std::string log = TempPath("wait-stop.log");
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({g_sysstream, "--wait", "-f", log, "--container",
                   "no-such-container-xyz"},
                  o);
  EXPECT_THAT(ReadLine(t.err), HasSubstr("waiting (--wait)"));
  kill(t.pid, SIGTERM);
  const std::string rest = ReadAll(t.err);
  EXPECT_EQ(Wait(t.pid), 0) << rest;
  EXPECT_EQ(rest, "sysstream: stopped by SIGTERM while waiting; no log written\n");
  EXPECT_FALSE(Exists(log));
}

TEST(Cgroup, V1CgroupFallsBackToItsProcessesAndSaysSo) {
  const std::string root = CgroupMountPoint(/*v2=*/false);
  if (root.empty()) GTEST_SKIP() << "no cgroup v1 pids hierarchy mounted";
  const std::string dir = absl::StrCat(root, "/sysstream-test-", getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << strerror(errno);
  const std::string log = TempPath("cgroup-v1.log");
  Workload w = Workload::Start({"seq", "4"});
  MoveToCgroup(dir, w.proc.pid);
  Tracer t = Tracer::Start({"-f", log, "--cgroup", dir});
  EXPECT_THAT(t.notes, HasSubstr("cgroup v1 or hybrid host"));
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();  // stops by itself: its processes have exited
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_THAT(t.stderr_rest, HasSubstr("all targets exited"));
  EXPECT_EQ(SyscallsOf(ParseLog(log), w.proc.pid),
            Concat(Repeat(kGetppid, 4), {kOpenat, kClose, kExitGroup}));
  rmdir(dir.c_str());
}

TEST(Cgroup, UnknownCgroupAndContainerAreNotFound) {
  const std::string log = TempPath("nocgroup.log");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--cgroup", "/sys/fs/cgroup/no-such-cgroup-xyz"},
           {"--container", "no-such-container-xyz"},
           {"--pod", "default/no-such-pod-xyz"}}) {
    std::vector<std::string> argv = {g_sysstream, "-f", log};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions o;
    o.pipe_err = true;
    Child p = Spawn(argv, o);
    std::string err = ReadAll(p.err);
    EXPECT_EQ(Wait(p.pid), 3) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1L) << err;
    EXPECT_THAT(err, HasSubstr("no-such-"));
    EXPECT_FALSE(Exists(log));
  }
}

// Bad input: one line on stderr, a distinct exit code, no log created.
struct BadCase {
  std::vector<std::string> args;
  int exit_code;
  std::string message;
};

TEST(BadInput, EachGetsOneLineItsExitCodeAndNoLog) {
  const std::string log = TempPath("bad.log");
  const std::string dir = TempPath("a-directory");
  mkdir(dir.c_str(), 0755);
  const std::string garbage = TempPath("garbage.btf");
  std::ofstream(garbage) << "this is not BTF";
  pid_t missing = 4194303;
  while (Exists(absl::StrCat("/proc/", missing))) --missing;
  const std::string self = std::to_string(getpid());
  const std::vector<BadCase> cases = {
      {{"abc"}, 2, "invalid PID 'abc': not a number"},
      {{"-5"}, 2, "invalid PID '-5': must be a positive integer"},
      {{"0"}, 2, "invalid PID '0': must be a positive integer"},
      {{"1,,2"}, 2, "empty entry"},
      {{"--bogus"}, 2, "unknown option '--bogus'"},
      {{"--wait", self}, 2, "--wait needs a --container, --pod or --cgroup"},
      {{"-f"}, 2, "option '-f' requires an argument"},
      {{"--ring-size", "1000"},
       2,
       "invalid ring size '1000': must be at least 4096 bytes (4 KiB)"},
      {{"-e", "nosuchcall", self},
       2,
       absl::StrCat("unknown syscall 'nosuchcall' on ",
                    sysstream::ArchName(sysstream::HostArch()))},
      {{std::to_string(missing)},
       3,
       absl::StrCat("no such process: ", missing)},
      {{"-f", "/nonexistent-dir/x.log", self}, 4, "No such file or directory"},
      {{"-f", dir, self}, 4, "Is a directory"},
      {{"--btf", "/nonexistent.btf", self}, 6, "cannot read BTF file"},
      {{"--btf", garbage, self}, 6, "is not valid BTF"},
      {{"--", "/nonexistent/command"}, 127, "command not found"},
  };
  for (const BadCase& c : cases) {
    std::vector<std::string> argv = {g_sysstream};
    bool has_f = std::find(c.args.begin(), c.args.end(), "-f") != c.args.end();
    if (!has_f && c.args != std::vector<std::string>{"-f"}) {
      argv.push_back("-f");
      argv.push_back(log);
    }
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    SpawnOptions o;
    o.pipe_err = true;
    Child p = Spawn(argv, o);
    std::string err = ReadAll(p.err);
    int code = Wait(p.pid);
    std::string joined = absl::StrJoin(c.args, " ");
    EXPECT_EQ(code, c.exit_code) << joined << ": " << err;
    EXPECT_THAT(err, HasSubstr(c.message)) << joined;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1L) << joined << err;
    EXPECT_FALSE(Exists(log)) << joined << " created the log";
  }
}

TEST(BadInput, ExistingLogIsRefusedWithoutForceAndKeptIntact) {
  const std::string log = TempPath("existing.log");
  std::ofstream(log) << "precious";
  SpawnOptions o;
  o.pipe_err = true;
  Child p = Spawn({g_sysstream, "-f", log, std::to_string(getpid())}, o);
  std::string err = ReadAll(p.err);
  EXPECT_EQ(Wait(p.pid), 4);
  EXPECT_THAT(err, HasSubstr("already exists: use --force"));
  EXPECT_EQ(ReadFile(log), "precious");

  // --append keeps the old bytes and adds records after them (to a log of
  // the same format that ends on a whole record: output_test checks the
  // refusals).
  const std::string old_log = "7cfc00000062\t";
  std::ofstream(log, std::ios::trunc) << old_log;
  Workload w = Workload::Start({"seq", "1"});
  Tracer t = Tracer::Start({"--append", "-f", log, std::to_string(w.proc.pid)});
  w.Go();
  w.Finish();
  t.Finish();
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_TRUE(absl::StartsWith(ReadFile(log), old_log));
  EXPECT_GT(ReadFile(log).size(), old_log.size());
}

// Runs sysstream on a pseudo-terminal, answering `answer` to any prompt;
// returns everything it printed and its exit code.
std::pair<std::string, int> RunOnTerminal(const std::vector<std::string>& args,
                                          const std::string& answer) {
  std::vector<std::string> argv = {g_sysstream};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (const std::string& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    execv(cargs[0], cargs.data());
    _exit(126);
  }
  std::string out;
  bool answered = false;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0) break;
    char buf[512];
    ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0) break;  // EIO once the child has exited
    out.append(buf, n);
    if (!answered && out.find("[y/N]") != std::string::npos) {
      EXPECT_EQ(write(master, answer.data(), answer.size()),
                static_cast<ssize_t>(answer.size()));
      answered = true;
    }
  }
  close(master);
  return {out, Wait(pid)};
}

TEST(Terminal, ExistingLogIsOverwrittenOnlyIfTheUserSaysYes) {
  const std::string log = TempPath("ask.log");
  std::ofstream(log) << "precious";
  auto [out_no, code_no] =
      RunOnTerminal({"-f", log, "--", "/bin/true"}, "n\n");
  EXPECT_THAT(out_no, HasSubstr("exists; overwrite? [y/N]"));
  EXPECT_EQ(code_no, 4) << out_no;
  EXPECT_EQ(ReadFile(log), "precious");

  auto [out_yes, code_yes] =
      RunOnTerminal({"-f", log, "--", "/bin/true"}, "y\n");
  EXPECT_EQ(code_yes, 0) << out_yes;
  std::vector<RawRecord> records = ParseLog(log);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().nr, kExecve);
}

TEST(Terminal, ProgressLineOnlyOnATerminal) {
  const std::string log = TempPath("progress.log");
  auto [out, code] = RunOnTerminal(
      {"--force", "-f", log, "--", "/bin/sh", "-c", "sleep 1.6"}, "");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\rsysstream: "));
  EXPECT_THAT(out, HasSubstr(" events/s"));
  // Not with -q, and never when stderr is not a terminal (other tests).
  auto [quiet, quiet_code] = RunOnTerminal(
      {"-q", "--force", "-f", log, "--", "/bin/sh", "-c", "sleep 1.6"}, "");
  EXPECT_EQ(quiet_code, 0);
  EXPECT_THAT(quiet, Not(HasSubstr("events/s")));
}

TEST(Trace, VerbosePrintsEachEventReadably) {
  const std::string log = TempPath("verbose.log");
  Workload w = Workload::Start({"seq", "1"});
  std::vector<std::string> argv = {g_sysstream, "-v", "-f", log,
                                   std::to_string(w.proc.pid)};
  SpawnOptions o;
  o.pipe_out = true;
  o.pipe_err = true;
  Child t = Spawn(argv, o);
  EXPECT_THAT(ReadLine(t.err), HasSubstr("sysstream: tracing"));
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  std::string out = ReadAll(t.out);
  EXPECT_EQ(Wait(t.pid), 0);
  const uint64_t base = uint64_t{static_cast<uint32_t>(w.proc.pid)} << 32;
  auto line = [&](const char* name, uint32_t nr) {
    return absl::StrCat("pid ", w.proc.pid, "  ", name, "(", nr, ")  ",
                        absl::Hex(base | nr), "\n");
  };
  EXPECT_EQ(out, absl::StrCat(line("getppid", kGetppid),
                              line("openat", kOpenat), line("close", kClose),
                              line("exit_group", kExitGroup)));
}

TEST(LeastPrivilege, TracingRunsWithNoCapabilitiesAndNoNewPrivs) {
  const std::string log = TempPath("caps.log");
  Workload w = Workload::Start({"seq", "4"});
  Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
  const std::string status =
      ReadFile(absl::StrCat("/proc/", t.proc.pid, "/status"));
  for (const char* field : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_THAT(status, HasSubstr(absl::StrCat(field, ":\t0000000000000000\n")))
        << field;
  }
  EXPECT_THAT(status, HasSubstr("NoNewPrivs:\t1\n"));
  // ...and it still traces, drains and stops normally.
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  EXPECT_EQ(SyscallsOf(ParseLog(log), static_cast<uint32_t>(w.proc.pid)),
            Concat(Repeat(kGetppid, 4), {kOpenat, kClose, kExitGroup}));
}

// The consumer keeps up with busy traced threads: it runs at nice -20
// (raised while it could), and -- COMMAND keeps the nice it was given.
TEST(Consumer, RunsAtNiceMinusTwentyAndTheCommandDoesNot) {
  const std::string log = TempPath("nice.log");
  Workload w = Workload::Start({"seq", "1"});
  Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  // /proc/PID/stat: the 19th field is the nice value (after "(comm)").
  auto nice_of = [](pid_t pid) {
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    std::vector<std::string> f =
        absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    return f.size() > 16 ? std::stoi(f[16]) : 99;
  };
  EXPECT_EQ(nice_of(t.proc.pid), -20);
  EXPECT_EQ(nice_of(w.proc.pid), nice_of(getpid()));
  w.Go();
  EXPECT_EQ(w.Finish(), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
  const std::string cmd_log = TempPath("nice-cmd.log");
  const std::string out = TempPath("nice-cmd.out");
  Tracer c = Tracer::Start({"-f", cmd_log, "--", "/bin/sh", "-c",
                            absl::StrCat("cut -d' ' -f19 /proc/self/stat > ", out)});
  c.Finish();
  EXPECT_EQ(c.exit_code, 0) << c.stderr_rest;
  EXPECT_EQ(ReadFile(out), absl::StrCat(nice_of(getpid()), "\n"));
}

TEST(BadInput, PlantedSymlinkIsNeverFollowed) {
  const std::string target = TempPath("victim");
  const std::string link = TempPath("link.log");
  std::ofstream(target) << "precious";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  for (const char* mode : {"--force", "--append"}) {
    SpawnOptions o;
    o.pipe_err = true;
    Child p = Spawn({g_sysstream, mode, "-f", link, std::to_string(getpid())},
                    o);
    std::string err = ReadAll(p.err);
    EXPECT_EQ(Wait(p.pid), 4) << mode << err;
    EXPECT_THAT(err, HasSubstr("symbolic link")) << mode;
  }
  EXPECT_EQ(ReadFile(target), "precious");
}

TEST(BadInput, MissingPrivilegesNameTheCapability) {
  const std::string log = TempPath("nopriv.log");
  SpawnOptions o;
  o.pipe_err = true;
  o.in_child = [] {
    // Root regains the bounding set at exec: drop the three from it.
    for (int cap : {21 /* SYS_ADMIN */, 38 /* PERFMON */, 39 /* BPF */}) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) _exit(125);
    }
  };
  Child p = Spawn({g_sysstream, "-f", log, std::to_string(getpid())}, o);
  std::string err = ReadAll(p.err);
  EXPECT_EQ(Wait(p.pid), 5) << err;
  EXPECT_THAT(err, HasSubstr("CAP_BPF"));
  EXPECT_THAT(err, HasSubstr("CAP_SYS_ADMIN"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1L) << err;
  EXPECT_FALSE(Exists(log));
}

}  // namespace

int main(int argc, char** argv) {
  // SYSSTREAM WORKLOAD IA32: the harness reads the first two.
  return BpfTestMain(argc, argv, [](int count, char** args) {
    if (count > 3) g_ia32 = args[3];
    return true;
  });
}
