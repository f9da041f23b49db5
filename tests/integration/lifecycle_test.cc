// SPDX-License-Identifier: Apache-2.0
// How sysstream starts and stops, with the real binary and real BPF: stop
// signals forwarded to a -- COMMAND (and its exit status passed on), the
// signals that must not kill sysstream without draining, closed standard
// streams, targets that cannot be traced (itself, kernel threads), and a
// command that cannot start.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
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

namespace {

using ::sysstream::HostArch;
using ::sysstream::SyscallNumber;
using ::sysstream::harness::BpfTestMain;
using ::sysstream::harness::Child;
using ::sysstream::harness::Exists;
using ::sysstream::harness::g_sysstream;
using ::sysstream::harness::g_workload;
using ::sysstream::harness::ParseRawLog;
using ::sysstream::harness::RawLog;
using ::sysstream::harness::ReadAll;
using ::sysstream::harness::ReadFile;
using ::sysstream::harness::Spawn;
using ::sysstream::harness::SpawnOptions;
using ::sysstream::harness::TempPath;
using ::sysstream::harness::Tracer;
using ::sysstream::harness::Wait;
using ::sysstream::harness::Workload;
using ::testing::HasSubstr;
using ::testing::Not;

uint32_t Nr(const char* name) {
  std::optional<uint32_t> nr = SyscallNumber(HostArch(), name);
  EXPECT_TRUE(nr.has_value()) << name;
  return nr.value_or(0);
}

// Waits (10 s at most) until `path` exists.
bool WaitForFile(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    if (Exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Runs `argv` to its end: its exit code and everything it wrote on stderr.
struct Outcome {
  int code = -1;
  std::string err;
};
Outcome RunToEnd(const std::vector<std::string>& argv) {
  SpawnOptions o;
  o.pipe_err = true;
  Child c = Spawn(argv, o);
  Outcome out;
  out.err = ReadAll(c.err);
  out.code = Wait(c.pid);
  return out;
}

// A shell command that says it is ready (creates `ready`) after setting a
// trap for `signal_name` that writes `trapped` and exits with `code`, then
// waits for a sleep that outlasts the test (killed by the trap).
std::vector<std::string> TrappingShell(const std::string& signal_name, int code,
                                       const std::string& ready,
                                       const std::string& trapped) {
  return {"/bin/sh", "-c",
          absl::StrCat("trap 'kill $!; echo x > ", trapped, "; exit ", code,
                       "' ", signal_name, "; sleep 30 >/dev/null 2>&1 & : > ",
                       ready, "; wait")};
}

TEST(CommandStop, DurationSendsSigtermAndTheTrapRunsAndItsStatusIsPassedOn) {
  const std::string log = TempPath("dur.log"), ready = TempPath("dur.ready"),
                    trapped = TempPath("dur.trapped");
  std::vector<std::string> args = {"-f", log, "--duration", "1s", "--"};
  for (const std::string& a : TrappingShell("TERM", 5, ready, trapped)) {
    args.push_back(a);
  }
  Tracer t = Tracer::Start(args);
  t.Finish();
  EXPECT_EQ(t.exit_code, 5) << t.stderr_rest;
  EXPECT_TRUE(Exists(trapped)) << "the command's TERM trap never ran";
  EXPECT_THAT(t.stderr_rest,
              HasSubstr("(duration reached; SIGTERM sent to the command)"));
  // Its shutdown was traced: the trap's open of `trapped` and its exit.
  RawLog parsed = ParseRawLog(log);
  ASSERT_TRUE(parsed.well_formed) << parsed.error;
  ASSERT_FALSE(parsed.records.empty());
  EXPECT_EQ(parsed.records.front().nr, Nr("execve"));
  EXPECT_EQ(parsed.records.back().nr, Nr("exit_group"));
  EXPECT_EQ(parsed.records.back().pid, parsed.records.front().pid);
}

TEST(CommandStop, SigintIsForwardedAsSigint) {
  const std::string log = TempPath("int.log"), ready = TempPath("int.ready"),
                    trapped = TempPath("int.trapped");
  std::vector<std::string> args = {"-f", log, "--"};
  for (const std::string& a : TrappingShell("INT", 7, ready, trapped)) {
    args.push_back(a);
  }
  Tracer t = Tracer::Start(args);
  ASSERT_TRUE(WaitForFile(ready));
  ASSERT_EQ(kill(t.proc.pid, SIGINT), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 7) << t.stderr_rest;
  EXPECT_TRUE(Exists(trapped));
  EXPECT_THAT(t.stderr_rest,
              HasSubstr("(stopped by SIGINT; SIGINT sent to the command)"));
}

TEST(CommandStop, ACommandThatIgnoresTheSignalIsKilledAfterKillAfter) {
  const std::string log = TempPath("ignore.log"),
                    ready = TempPath("ignore.ready");
  Tracer t = Tracer::Start(
      {"-f", log, "--kill-after", "300ms", "--", "/bin/sh", "-c",
       absl::StrCat("trap '' TERM; : > ", ready, "; while :; do :; done")});
  ASSERT_TRUE(WaitForFile(ready));
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(t.proc.pid, SIGTERM), 0);
  t.Finish();
  const auto took = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(t.exit_code, 128 + SIGKILL) << t.stderr_rest;
  EXPECT_THAT(t.stderr_rest,
              HasSubstr("(stopped by SIGTERM; the command was killed"));
  // Not a timing assertion on the machine's speed: only that the grace
  // period was waited for, not skipped.
  EXPECT_GE(took, std::chrono::milliseconds(300));
  RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error;
}

TEST(CommandStop, KillAfterZeroKillsAtOnce) {
  const std::string log = TempPath("kill0.log"),
                    ready = TempPath("kill0.ready"),
                    trapped = TempPath("kill0.trapped");
  std::vector<std::string> args = {"-f", log, "--kill-after", "0", "--"};
  for (const std::string& a : TrappingShell("TERM", 5, ready, trapped)) {
    args.push_back(a);
  }
  Tracer t = Tracer::Start(args);
  ASSERT_TRUE(WaitForFile(ready));
  ASSERT_EQ(kill(t.proc.pid, SIGTERM), 0);
  t.Finish();
  EXPECT_EQ(t.exit_code, 128 + SIGKILL) << t.stderr_rest;
  EXPECT_FALSE(Exists(trapped));
}

// SIGQUIT, SIGALRM (and the other stop signals) drain and summarize like
// SIGTERM; SIGUSR1 prints a status line and tracing goes on; SIGUSR2 is
// ignored. Before, each of them killed sysstream with nothing flushed.
TEST(Signals, QuitAlarmUsr1AndUsr2NeverKillWithoutDraining) {
  for (int signo : {SIGQUIT, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU}) {
    SCOPED_TRACE(sigabbrev_np(signo));
    const std::string log = TempPath("quit.log");
    Workload w = Workload::Start({"burst", "0"});  // getppid until killed
    Tracer t = Tracer::Start({"-f", log, std::to_string(w.proc.pid)});
    w.Poke();
    ASSERT_EQ(kill(t.proc.pid, SIGUSR1), 0);
    ASSERT_EQ(kill(t.proc.pid, SIGUSR2), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_EQ(kill(t.proc.pid, signo), 0);
    t.Finish();
    kill(w.proc.pid, SIGKILL);
    w.Finish();
    EXPECT_EQ(t.exit_code, 0) << t.stderr_rest;
    EXPECT_THAT(t.notes + t.stderr_rest, HasSubstr("(SIGUSR1)"));
    EXPECT_THAT(
        t.stderr_rest,
        HasSubstr(absl::StrCat("(stopped by SIG", sigabbrev_np(signo), ")")));
    // Drained and flushed: every record counted in the summary is there.
    RawLog parsed = ParseRawLog(log);
    ASSERT_TRUE(parsed.well_formed) << parsed.error;
    EXPECT_GT(parsed.Events(), 0u);
    EXPECT_EQ(static_cast<int64_t>(parsed.Events()), t.SummaryEvents());
    EXPECT_EQ(static_cast<int64_t>(parsed.lost), t.SummaryLost());
  }
}

// With its standard streams closed, sysstream's messages must not land in
// the log, which open() would otherwise get as fd 1 or 2.
TEST(StandardStreams, ClosedStdoutAndStderrKeepTheLogClean) {
  const std::string log = TempPath("closed.log");
  SpawnOptions o;
  o.in_child = [] {
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
  };
  Child c = Spawn({g_sysstream, "-q", "-f", log, "-c", "--", "/bin/true"}, o);
  EXPECT_EQ(Wait(c.pid), 0);
  const std::string text = ReadFile(log);
  EXPECT_THAT(text, Not(HasSubstr("sysstream")));
  RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error << "\n" << text;
  ASSERT_FALSE(parsed.records.empty());
  EXPECT_EQ(parsed.records.front().nr, Nr("execve"));
}

// With -f - the log is standard output: the command's own output goes to
// standard error instead of into the records.
TEST(StandardStreams, CommandOutputStaysOutOfALogOnStdout) {
  Child c = [] {
    SpawnOptions o;
    o.pipe_out = true;
    o.pipe_err = true;
    return Spawn({g_sysstream, "-q", "-f", "-", "--", "/bin/echo",
                  "hello-from-the-command"},
                 o);
  }();
  const std::string out = ReadAll(c.out);
  const std::string err = ReadAll(c.err);
  EXPECT_EQ(Wait(c.pid), 0) << err;
  EXPECT_THAT(out, Not(HasSubstr("hello")));
  EXPECT_THAT(err, HasSubstr("hello-from-the-command\n"));
  for (absl::string_view rec : absl::StrSplit(out, '\t', absl::SkipEmpty())) {
    uint64_t v;
    EXPECT_TRUE(absl::SimpleHexAtoi(rec, &v)) << rec;
  }
}

// The command's execve is recorded under its own name, not sysstream's.
TEST(Command, FirstExecveCarriesTheCommandsName) {
  const std::string log = TempPath("comm.log");
  Tracer t = Tracer::Start(
      {"-f", log, "--format", "jsonl", "--comm", "--", "/bin/true"});
  t.Finish();
  ASSERT_EQ(t.exit_code, 0) << t.stderr_rest;
  const std::string text = ReadFile(log);
  const std::string first = text.substr(0, text.find('\n'));
  EXPECT_THAT(first, HasSubstr("\"syscall\":\"execve\""));
  EXPECT_THAT(first, HasSubstr("\"comm\":\"true\""));
  EXPECT_THAT(text, Not(HasSubstr("\"comm\":\"sysstream\"")));
}

TEST(Command, BadInterpreterIsNamed) {
  const std::string script = TempPath("bad-interp.sh"),
                    log = TempPath("bad-interp.log");
  {
    Child c = Spawn({"/bin/sh", "-c",
                     absl::StrCat("printf '#!/nonexistent/interp -x\\necho\\n' "
                                  "> ",
                                  script, " && chmod +x ", script)},
                    {});
    ASSERT_EQ(Wait(c.pid), 0);
  }
  const Outcome r = RunToEnd({g_sysstream, "-f", log, "--", script});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_EQ(r.err,
            absl::StrCat("sysstream: ", script,
                         ": bad interpreter /nonexistent/interp: No such "
                         "file or directory\n"));
  EXPECT_FALSE(Exists(log));
}

TEST(Targets, SysstreamsOwnPidIsRefusedWithoutDashM) {
  const std::string log = TempPath("self.log");
  // The shell execs sysstream: $$ is sysstream's own pid.
  const Outcome r =
      RunToEnd({"/bin/sh", "-c",
                absl::StrCat("exec ", g_sysstream, " -f ", log, " $$")});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("is sysstream itself: use -m"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1L) << r.err;
  EXPECT_FALSE(Exists(log));
}

TEST(Targets, KernelThreadIsRefused) {
  // kthreadd is PID 2 where this runs in the initial PID namespace; find
  // any kernel thread rather than assume it.
  std::string kthread;
  for (int pid = 2; pid < 200 && kthread.empty(); ++pid) {
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    if (stat.empty()) continue;
    std::vector<std::string> f =
        absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    uint64_t flags;
    if (f.size() > 6 && absl::SimpleAtoi(f[6], &flags) &&
        (flags & 0x00200000)) {
      kthread = std::to_string(pid);
    }
  }
  if (kthread.empty()) GTEST_SKIP() << "no kernel thread visible in /proc";
  const std::string log = TempPath("kthread.log");
  const Outcome r = RunToEnd({g_sysstream, "-f", log, kthread});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.err, absl::StrCat("sysstream: PID ", kthread,
                                " is a kernel thread: it makes no system "
                                "calls\n"));
  EXPECT_FALSE(Exists(log));
}

TEST(Messages, OneProcessAndItsChildren) {
  const std::string log = TempPath("grammar.log");
  Tracer t = Tracer::Start({"-f", log, "-F", "--", "/bin/true"});
  t.Finish();
  EXPECT_THAT(t.ready_line, HasSubstr("tracing 1 process and its children"));
}

}  // namespace

int main(int argc, char** argv) { return BpfTestMain(argc, argv); }
