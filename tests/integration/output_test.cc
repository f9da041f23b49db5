// SPDX-License-Identifier: Apache-2.0
// The real binary's outputs (issue 11): --summary-file opened like the log,
// outputs that block (a FIFO without a reader, a stalled reader of -f -)
// never keep SIGTERM or --duration from ending the run, rotation below the
// buffer size, --append checks, standard streams named as paths, the
// overwrite prompt, decode's errors, UTF-8 names in jsonl.
// Needs root (CAP_BPF/CAP_PERFMON or CAP_SYS_ADMIN) and kernel BTF.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/raw_log.h"
#include "tests/harness/tracer.h"

namespace {

using ::sysstream::harness::BpfTestMain;
using ::sysstream::harness::Child;
using ::sysstream::harness::Exists;
using ::sysstream::harness::FileSize;
using ::sysstream::harness::g_sysstream;
using ::sysstream::harness::g_workload;
using ::sysstream::harness::ParseRawLog;
using ::sysstream::harness::RawLog;
using ::sysstream::harness::ReadAll;
using ::sysstream::harness::ReadFile;
using ::sysstream::harness::ReadLine;
using ::sysstream::harness::Spawn;
using ::sysstream::harness::SpawnOptions;
using ::sysstream::harness::TempPath;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint32_t kGetppid = 110;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// Waits up to `seconds` for `pid`; its exit code (128+N if killed), or -2
// after killing it with SIGKILL when it did not exit in time.
int WaitAtMost(pid_t pid, double seconds) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0) return -1;
    if (Seconds(start) > seconds) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct RunResult {
  int code = -1;
  std::string err;
  double seconds = 0;
};

// sysstream `args`, stdout to /dev/null, killed if it takes over `limit` s.
RunResult RunSysstream(const std::vector<std::string>& args,
                       double limit = 60) {
  std::vector<std::string> argv = {g_sysstream};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = true;
  const auto start = std::chrono::steady_clock::now();
  Child c = Spawn(argv, o);
  RunResult r;
  r.code = WaitAtMost(c.pid, limit);
  r.seconds = Seconds(start);
  r.err = ReadAll(c.err);
  close(c.err);
  return r;
}

std::string Fresh(const std::string& name) {
  const std::string path = TempPath(name);
  unlink(path.c_str());
  return path;
}

// ---- --summary-file (§2.1) ----

TEST(SummaryFile, SymlinkIsNeverFollowedAndRefusedBeforeTracing) {
  const std::string victim = Fresh("summary-victim");
  const std::string link = Fresh("summary-link.txt");
  const std::string log = Fresh("summary-link.log");
  std::ofstream(victim) << "precious";
  ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
  for (const char* mode : {"--force", "--append"}) {
    RunResult r = RunSysstream(
        {"-q", mode, "-f", log, "--summary-file", link, "--", "/bin/true"});
    EXPECT_EQ(r.code, 4) << mode << r.err;
    EXPECT_THAT(r.err, HasSubstr("cannot write summary file '" + link +
                                 "': it is a symbolic link"));
    EXPECT_THAT(r.err, Not(HasSubstr("tracing")));
    EXPECT_FALSE(Exists(log)) << "refused before tracing";
  }
  EXPECT_EQ(ReadFile(victim), "precious");
}

TEST(SummaryFile, ExistingFileNeedsForceAndIsCreated0640) {
  const std::string summary = Fresh("summary-existing.txt");
  const std::string log = Fresh("summary-existing.log");
  std::ofstream(summary) << "precious";
  RunResult r = RunSysstream(
      {"-q", "-f", log, "--summary-file", summary, "--", "/bin/true"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("summary file '" + summary +
                               "' already exists: use --force"));
  EXPECT_EQ(ReadFile(summary), "precious");
  EXPECT_FALSE(Exists(log));

  // A new one is 0640, like the log.
  unlink(summary.c_str());
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = true;
  o.in_child = [] { umask(0); };
  Child c = Spawn({g_sysstream, "-q", "-f", log, "--summary-file", summary,
                   "--", "/bin/true"},
                  o);
  const std::string err = ReadAll(c.err);
  EXPECT_EQ(WaitAtMost(c.pid, 60), 0) << err;
  struct stat sb;
  ASSERT_EQ(stat(summary.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0640u);
  EXPECT_THAT(ReadFile(summary), HasSubstr("total"));

  // --force overwrites it; --append adds to it.
  RunResult f = RunSysstream({"-q", "--force", "-f", log, "--summary-file",
                              summary, "--", "/bin/true"});
  EXPECT_EQ(f.code, 0) << f.err;
  const std::string once = ReadFile(summary);
  EXPECT_THAT(once, HasSubstr("total"));
  RunResult a = RunSysstream({"-q", "--append", "-f", log, "--summary-file",
                              summary, "--", "/bin/true"});
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_GT(ReadFile(summary).size(), once.size());
}

TEST(SummaryFile, UnwritablePlaceIsReportedBeforeTracing) {
  const std::string log = Fresh("summary-nodir.log");
  RunResult r =
      RunSysstream({"-q", "-f", log, "--summary-file",
                    "/nonexistent-dir/summary.txt", "--", "/bin/sleep", "5"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot write summary file "
                               "'/nonexistent-dir/summary.txt'"));
  EXPECT_LT(r.seconds, 3) << "reported only after the whole trace";
  EXPECT_FALSE(Exists(log));
}

// ---- Outputs that block (§2.5) ----

// The reproducer: it hung until SIGKILL.
TEST(BlockedOutput, FifoWithoutReaderEndsWithDuration) {
  const std::string fifo = Fresh("noreader.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  RunResult r = RunSysstream({"-q", "--force", "-f", fifo, "--duration", "1s",
                              "--", "/bin/sleep", "30"},
                             20);
  ASSERT_NE(r.code, -2) << "hung: killed after 20 s";
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_LT(r.seconds, 6);
  // The command got the stop too (cc/stream: forwarded to -- COMMAND).
  EXPECT_THAT(r.err,
              HasSubstr("(duration reached; SIGTERM sent to the command)"));
  EXPECT_THAT(r.err, HasSubstr("waiting for a reader of the FIFO"));
  EXPECT_THAT(r.err, HasSubstr(" records written, "));
  EXPECT_THAT(r.err, HasSubstr(" not written"));

  // Without --force: a FIFO destroys nothing when written.
  RunResult t = RunSysstream(
      {"-q", "-f", fifo, "--duration", "1s", "--", "/bin/true"}, 20);
  ASSERT_NE(t.code, -2) << "hung: killed after 20 s";
  EXPECT_EQ(t.code, 7) << t.err;
  EXPECT_LT(t.seconds, 6);
  EXPECT_THAT(t.err, HasSubstr("0 records written"));
}

TEST(BlockedOutput, FifoWithoutReaderEndsOnSigterm) {
  const std::string fifo = Fresh("noreader-term.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = true;
  Child c = Spawn(
      {g_sysstream, "-q", "--force", "-f", fifo, "--", "/bin/sleep", "30"}, o);
  EXPECT_THAT(ReadLine(c.err, 20000), HasSubstr("sysstream: tracing"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  kill(c.pid, SIGTERM);
  const int code = WaitAtMost(c.pid, 15);
  const double took = Seconds(start);
  const std::string err = ReadAll(c.err);
  ASSERT_NE(code, -2) << "SIGTERM ignored: killed after 15 s";
  EXPECT_EQ(code, 7) << err;
  EXPECT_LT(took, 5);
  EXPECT_THAT(err,
              HasSubstr("(stopped by SIGTERM; SIGTERM sent to the command)"));
  EXPECT_THAT(err, HasSubstr(" not written"));
}

// A reader that comes later gets everything: the FIFO is connected then.
TEST(BlockedOutput, FifoReaderThatComesLaterGetsEveryRecord) {
  const std::string fifo = Fresh("later.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = true;
  Child c = Spawn({g_sysstream, "-q", "--force", "-f", fifo, "-e", "getppid",
                   "--", g_workload, "nowait-seq", "500"},
                  o);
  EXPECT_THAT(ReadLine(c.err, 20000), HasSubstr("sysstream: tracing"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Non-blocking open: never hangs here, even if no writer ever comes.
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) & ~O_NONBLOCK);
  const std::string got = ReadAll(reader);
  close(reader);
  const int code = WaitAtMost(c.pid, 20);
  const std::string err = ReadAll(c.err);
  EXPECT_EQ(code, 0) << err;
  std::vector<absl::string_view> records =
      absl::StrSplit(got, '\t', absl::SkipEmpty());
  EXPECT_EQ(records.size(), 500u) << err;
  EXPECT_THAT(err, HasSubstr("500 events written"));
}

// A reader of -f - that stops reading: SIGTERM was ignored and the run
// later ended as "all targets exited".
TEST(BlockedOutput, StalledStdoutReaderEndsOnSigterm) {
  SpawnOptions o;
  o.pipe_err = true;
  o.pipe_out = true;  // never read
  // 3 million getppid: seconds of records, far more than the pipe (64 KiB)
  // and sysstream's buffer (1 MiB) hold.
  Child c = Spawn(
      {g_sysstream, "-q", "-f", "-", "--", g_workload, "nowait-seq", "3000000"},
      o);
  EXPECT_THAT(ReadLine(c.err, 20000), HasSubstr("sysstream: tracing"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto start = std::chrono::steady_clock::now();
  kill(c.pid, SIGTERM);
  const int code = WaitAtMost(c.pid, 20);
  const double took = Seconds(start);
  const std::string err = ReadAll(c.err);
  close(c.out);
  ASSERT_NE(code, -2) << "SIGTERM ignored: killed after 20 s";
  EXPECT_EQ(code, 7) << err;
  EXPECT_LT(took, 5) << err;
  EXPECT_THAT(err, HasSubstr("(stopped by SIGTERM)"));
  EXPECT_THAT(err, Not(HasSubstr("all targets exited")));
  EXPECT_THAT(err, HasSubstr(" not written"));
}

// ---- Rotation (§2.7) ----

std::vector<std::string> Rotated(const std::string& log) {
  std::vector<std::string> files;  // oldest first
  for (int i = 100; i >= 1; --i) {
    if (Exists(absl::StrCat(log, ".", i)))
      files.push_back(absl::StrCat(log, ".", i));
  }
  files.push_back(log);
  return files;
}

void RemoveRotated(const std::string& log) {
  for (int i = 1; i <= 100; ++i) unlink(absl::StrCat(log, ".", i).c_str());
  unlink(log.c_str());
}

TEST(Rotation, SizeBelowOneMiBIsHonoured) {
  const std::string log = TempPath("rot4k.log");
  RemoveRotated(log);
  RunResult r = RunSysstream({"-q", "-f", log, "--rotate-size", "4K",
                              "--rotate-keep", "100", "-e", "getppid", "--",
                              g_workload, "nowait-seq", "3000"});
  EXPECT_EQ(r.code, 0) << r.err;
  uint64_t records = 0;
  const std::vector<std::string> files = Rotated(log);
  EXPECT_GE(files.size(), 9u);  // ~39,000 bytes
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    EXPECT_LE(FileSize(f), 4096u);
    EXPECT_GT(FileSize(f), 0u);
    RawLog parsed = ParseRawLog(f);
    EXPECT_TRUE(parsed.well_formed) << parsed.error;
    records += parsed.Events();
  }
  EXPECT_EQ(records, 3000u);
  RemoveRotated(log);
}

TEST(Rotation, BinFilesEachHaveHeaderAndRecords) {
  const std::string log = TempPath("rot4k.bin");
  RemoveRotated(log);
  RunResult r =
      RunSysstream({"-q", "--format", "bin", "-f", log, "--rotate-size", "4K",
                    "--rotate-keep", "100", "-e", "getppid", "--", g_workload,
                    "nowait-seq", "800"});
  EXPECT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> files = Rotated(log);
  EXPECT_GE(files.size(), 9u);  // 800 × 48 bytes in files of 84 records
  uint64_t records = 0;
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    const uint64_t size = FileSize(f);
    EXPECT_LE(size, 4096u);
    EXPECT_GT(size, 64u) << "a header-only file";
    EXPECT_EQ((size - 64) % 48, 0u);
    EXPECT_TRUE(absl::StartsWith(ReadFile(f), "SYSSTRM\n"));
    records += (size - 64) / 48;
    RunResult d = RunSysstream({"decode", f});
    EXPECT_EQ(d.code, 0) << d.err;
  }
  EXPECT_GE(records, 800u);
  RemoveRotated(log);
}

TEST(Rotation, StandardOutputCannotBeRotated) {
  RunResult r =
      RunSysstream({"-f", "-", "--rotate-size", "1M", "--", "/bin/true"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--rotate-size needs a log file"));
}

// ---- --append (§3) ----

TEST(Append, TornTailOrOtherFormatIsRefusedAndKept) {
  const std::string log = Fresh("append-torn.log");
  std::ofstream(log) << "1a2b0000003b\t1";
  RunResult r = RunSysstream({"-q", "--append", "-f", log, "--", "/bin/true"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("its last record is torn"));
  EXPECT_THAT(r.err, HasSubstr("truncate -s 13"));
  EXPECT_EQ(ReadFile(log), "1a2b0000003b\t1");

  std::ofstream(log, std::ios::trunc) << "1a2b0000003b\t";
  RunResult j = RunSysstream(
      {"-q", "--append", "--format", "jsonl", "-f", log, "--", "/bin/true"});
  EXPECT_EQ(j.code, 4) << j.err;
  EXPECT_THAT(j.err, HasSubstr("it is a raw log, and this run writes jsonl"));
  EXPECT_EQ(ReadFile(log), "1a2b0000003b\t");

  RunResult ok = RunSysstream({"-q", "--append", "-e", "getppid", "-f", log,
                               "--", g_workload, "nowait-seq", "3"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  RawLog parsed = ParseRawLog(log);
  EXPECT_TRUE(parsed.well_formed) << parsed.error;
  EXPECT_EQ(parsed.records.size(), 4u);
}

// ---- Names of outputs (§3) ----

TEST(OutputNames, DevStdoutIsStandardOutput) {
  for (const char* name : {"/dev/stdout", "/proc/self/fd/1"}) {
    SpawnOptions o;
    o.pipe_err = true;
    o.pipe_out = true;
    Child c = Spawn({g_sysstream, "-q", "-f", name, "-e", "getppid", "--",
                     g_workload, "nowait-seq", "2"},
                    o);
    const std::string out = ReadAll(c.out);
    const std::string err = ReadAll(c.err);
    EXPECT_EQ(WaitAtMost(c.pid, 30), 0) << name << err;
    EXPECT_THAT(err, HasSubstr("into standard output")) << name;
    std::vector<absl::string_view> records =
        absl::StrSplit(out, '\t', absl::SkipEmpty());
    EXPECT_EQ(records.size(), 2u) << name << ": " << out;
  }
}

TEST(OutputNames, ShortOptionWithEqualsCreatesNothing) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  RunResult r = RunSysstream({"-f=x", "--", "/bin/true"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("write '-f x' or '--file=x'"));
  EXPECT_FALSE(Exists(absl::StrCat(cwd, "/=x")));
  RunResult d = RunSysstream({"--delimiter", "a", "--", "/bin/true"});
  EXPECT_EQ(d.code, 2) << d.err;
  EXPECT_THAT(d.err, HasSubstr("can be read back by 'sysstream decode'"));
}

// ---- The overwrite prompt (§3) ----

// sysstream on a pseudo-terminal; `answer` is typed at the [y/N] prompt.
std::pair<std::string, int> OnTerminal(const std::vector<std::string>& args,
                                       const std::string& answer) {
  std::vector<std::string> argv = {g_sysstream};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (std::string& a : argv) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
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
    const ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0) break;  // EIO once the child has exited
    out.append(buf, n);
    if (!answered && out.find("[y/N]") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(write(master, answer.data(), answer.size()),
                static_cast<ssize_t>(answer.size()));
      answered = true;
    }
  }
  close(master);
  return {out, WaitAtMost(pid, 20)};
}

TEST(Prompt, CtrlCAbortsWithNoLogTouched) {
  const std::string log = Fresh("prompt-ctrlc.log");
  std::ofstream(log) << "precious";
  auto [out, code] = OnTerminal({"-f", log, "--", "/bin/true"}, "\x03");
  EXPECT_THAT(out, HasSubstr("exists; overwrite? [y/N]"));
  EXPECT_EQ(code, 130) << out;
  EXPECT_THAT(out, HasSubstr("interrupted by SIGINT at the prompt"));
  EXPECT_THAT(out, Not(HasSubstr("tracing")));
  EXPECT_EQ(ReadFile(log), "precious");
}

TEST(Prompt, SymlinkIsRefusedWithoutAPrompt) {
  const std::string victim = Fresh("prompt-victim");
  const std::string link = Fresh("prompt-link.log");
  std::ofstream(victim) << "precious";
  ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
  auto [out, code] = OnTerminal({"-f", link, "--", "/bin/true"}, "y\n");
  EXPECT_THAT(out, Not(HasSubstr("[y/N]")));
  EXPECT_THAT(out, HasSubstr("symbolic link"));
  EXPECT_EQ(code, 4) << out;
  EXPECT_EQ(ReadFile(victim), "precious");
}

// ---- decode (§3) ----

TEST(Decode, DirectoryAndUnwritableOutputAreErrors) {
  RunResult dir = RunSysstream({"decode", "/tmp"});
  EXPECT_EQ(dir.code, 4) << dir.err;
  EXPECT_THAT(dir.err, HasSubstr("it is a directory"));
  const std::string log = Fresh("decode-full.log");
  std::ofstream(log) << "7cfc00000062\t";
  SpawnOptions o;
  o.pipe_err = true;
  o.in_child = [] {
    const int fd = open("/dev/full", O_WRONLY);
    if (fd >= 0) dup2(fd, 1);
  };
  Child c = Spawn({g_sysstream, "decode", log}, o);
  const std::string err = ReadAll(c.err);
  EXPECT_EQ(WaitAtMost(c.pid, 20), 7) << err;
  EXPECT_THAT(err, HasSubstr("No space left on device"));
  o.in_child = [] { close(1); };
  Child closed = Spawn({g_sysstream, "decode", log}, o);
  const std::string err2 = ReadAll(closed.err);
  EXPECT_EQ(WaitAtMost(closed.pid, 20), 7) << err2;
}

// ---- jsonl names (§3) ----

TEST(Jsonl, Utf8CommIsKept) {
  const std::string link = Fresh("\xc3\xa9t\xc3\xa9");  // été
  ASSERT_EQ(symlink(g_workload.c_str(), link.c_str()), 0);
  const std::string log = Fresh("utf8.jsonl");
  RunResult r =
      RunSysstream({"-q", "--format", "jsonl", "--comm", "-e", "getppid", "-f",
                    log, "--", link, "nowait-seq", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(ReadFile(log), HasSubstr("\"comm\":\"\xc3\xa9t\xc3\xa9\""));
  unlink(link.c_str());
}

}  // namespace

int main(int argc, char** argv) { return BpfTestMain(argc, argv); }
