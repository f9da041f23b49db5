// SPDX-License-Identifier: Apache-2.0
#include "cc/target/command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << path;
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << std::strerror(errno);
}

sigset_t EmptyMask() {
  sigset_t mask;
  sigemptyset(&mask);
  return mask;
}

// Polls TryWait for up to 10 s.
std::optional<int> WaitFor(HeldCommand& cmd) {
  for (int i = 0; i < 2000; ++i) {
    if (std::optional<int> code = cmd.TryWait()) return code;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

// Each test has a directory of its own, dir_.
class CommandTest : public testutil::TempDirTest {
 protected:
  CommandTest() : TempDirTest("command") {}

  std::string MakeDir(absl::string_view name) {
    std::string p = Path(name);
    EXPECT_EQ(mkdir(p.c_str(), 0755), 0) << std::strerror(errno);
    return p;
  }
};

// ---- ExecError ----

TEST_F(CommandTest, ExecErrorNamesAMissingInterpreter) {
  WriteFile(Path("script"), "#!  /no/such/shell -e\nexit 0\n", 0755);
  absl::Status s = ExecError(Path("script"), ENOENT);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_EQ(s.message(),
            absl::StrCat(Path("script"),
                         ": bad interpreter /no/such/shell: No such file or "
                         "directory"));
}

TEST_F(CommandTest, ExecErrorNamesAMissingElfLoader) {
  WriteFile(Path("prog"),
            std::string("\x7f"
                        "ELF",
                        4),
            0755);
  absl::Status s = ExecError(Path("prog"), ENOENT);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("ELF interpreter"));
}

TEST_F(CommandTest, ExecErrorOfAMissingFileIsNotFound) {
  absl::Status s = ExecError(Path("gone"), ENOENT);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  absl::Status e = ExecError(Path("gone"), ENOEXEC);
  EXPECT_TRUE(absl::IsPermissionDenied(e)) << e;
  EXPECT_THAT(std::string(e.message()), HasSubstr("Exec format error"));
}

// ---- FindExecutable ----

TEST_F(CommandTest, FindsShOnPath) {
  auto sh = FindExecutable("sh", kDefaultSearchPath);
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_THAT(*sh, StartsWith("/"));
  EXPECT_TRUE(absl::EndsWith(*sh, "/sh")) << *sh;
  struct stat sb;
  ASSERT_EQ(stat(sh->c_str(), &sb), 0);
  EXPECT_TRUE(S_ISREG(sb.st_mode));
  EXPECT_EQ(access(sh->c_str(), X_OK), 0);
}

TEST_F(CommandTest, PathWithSlashReturnedAsIs) {
  auto sh = FindExecutable("/bin/sh", kDefaultSearchPath);
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_EQ(*sh, "/bin/sh");
}

TEST_F(CommandTest, RelativePathWithSlash) {
  WriteFile(Path("script"), "#!/bin/sh\nexit 0\n", 0755);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  auto found = FindExecutable("./script", kDefaultSearchPath);
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, "./script");
}

TEST_F(CommandTest, NotFoundOnPath) {
  auto r = FindExecutable("no-such-cmd-xyz", kDefaultSearchPath);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_EQ(r.status().message(), "command not found: no-such-cmd-xyz");
}

TEST_F(CommandTest, MissingPathWithSlash) {
  const std::string missing = Path("no-such-cmd-xyz");
  auto r = FindExecutable(missing, kDefaultSearchPath);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith(absl::StrCat("command not found: ", missing, ": ",
                                      std::strerror(ENOENT))));
}

TEST_F(CommandTest, EmptyName) {
  auto r = FindExecutable("", kDefaultSearchPath);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CommandTest, NonExecutableFile) {
  const std::string file = Path("data.txt");
  WriteFile(file, "#!/bin/sh\nexit 0\n", 0644);
  auto r = FindExecutable(file, kDefaultSearchPath);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(file));
}

TEST_F(CommandTest, DirectoryIsNotExecutable) {
  auto r = FindExecutable(dir_, kDefaultSearchPath);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
}

TEST_F(CommandTest, HonoursPath) {
  const std::string bin = MakeDir("bin");
  WriteFile(bin + "/mycmd-xyz", "#!/bin/sh\nexit 0\n", 0755);
  {
    auto r = FindExecutable("mycmd-xyz", bin);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, bin + "/mycmd-xyz");
    // sh is not in that PATH.
    auto sh = FindExecutable("sh", bin);
    ASSERT_FALSE(sh.ok());
    EXPECT_EQ(sh.status().code(), absl::StatusCode::kNotFound);
  }
  // Another PATH: the command is no longer found.
  auto r = FindExecutable("mycmd-xyz", kDefaultSearchPath);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CommandTest, PathOrderFirstExecutableWins) {
  const std::string a = MakeDir("a");
  const std::string b = MakeDir("b");
  const std::string c = MakeDir("c");
  WriteFile(a + "/tool", "not executable\n", 0644);
  ASSERT_EQ(mkdir((b + "/tool").c_str(), 0755), 0);  // a directory
  WriteFile(c + "/tool", "#!/bin/sh\nexit 0\n", 0755);
  const std::string c2 = MakeDir("c2");
  WriteFile(c2 + "/tool", "#!/bin/sh\nexit 0\n", 0755);
  auto r = FindExecutable("tool", absl::StrCat(a, ":", b, ":", c, ":", c2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, c + "/tool");
}

TEST_F(CommandTest, OnlyNonExecutableOnPath) {
  const std::string a = MakeDir("a");
  WriteFile(a + "/tool", "#!/bin/sh\nexit 0\n", 0644);
  auto r = FindExecutable("tool", a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  EXPECT_EQ(r.status().message(), "command not executable: tool");
}

TEST_F(CommandTest, EmptyPathEntryIsCurrentDir) {
  WriteFile(Path("tool"), "#!/bin/sh\nexit 0\n", 0755);
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  auto r = FindExecutable("tool", "/nonexistent-dir-xyz::");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "./tool");
}

TEST_F(CommandTest, DefaultSearchPath) {
  auto r = FindExecutable("sh", kDefaultSearchPath);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(*r == "/usr/local/bin/sh" || *r == "/usr/bin/sh" ||
              *r == "/bin/sh")
      << *r;
}

// ---- HeldCommand ----

TEST_F(CommandTest, HeldUntilRelease) {
  auto cmd = HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 7"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_GT((*cmd)->pid(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ((*cmd)->TryWait(), std::nullopt) << "ran before Release";
  ASSERT_TRUE((*cmd)->Release().ok());
  EXPECT_THAT(WaitFor(**cmd), Optional(7));
  // The exit code is remembered.
  EXPECT_THAT((*cmd)->TryWait(), Optional(7));
}

TEST_F(CommandTest, HeldChildWaitsInRead) {
  auto cmd = HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 0"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  const std::string syscall_path =
      absl::StrCat("/proc/", (*cmd)->pid(), "/syscall");
  const std::string want = absl::StrCat(SYS_read, " ");
  std::string seen;
  for (int i = 0; i < 1000 && !absl::StartsWith(seen, want); ++i) {
    seen = ReadFile(syscall_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (seen.empty()) GTEST_SKIP() << syscall_path << " is not readable here";
  EXPECT_THAT(seen, StartsWith(want)) << "not blocked in read(2)";
  // Still the test binary, not yet sh.
  char exe[4096], self[4096];
  ssize_t n = readlink(absl::StrCat("/proc/", (*cmd)->pid(), "/exe").c_str(),
                       exe, sizeof(exe));
  ssize_t m = readlink("/proc/self/exe", self, sizeof(self));
  ASSERT_GT(n, 0);
  ASSERT_GT(m, 0);
  EXPECT_EQ(std::string(exe, n), std::string(self, m));
  ASSERT_TRUE((*cmd)->Release().ok());
  EXPECT_THAT(WaitFor(**cmd), Optional(0));
}

TEST_F(CommandTest, ExitCodeZero) {
  auto cmd = HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 0"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  ASSERT_TRUE((*cmd)->Release().ok());
  EXPECT_THAT(WaitFor(**cmd), Optional(0));
}

TEST_F(CommandTest, KilledBySignal) {
  auto cmd =
      HeldCommand::Start("/bin/sh", {"sh", "-c", "kill -9 $$"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  ASSERT_TRUE((*cmd)->Release().ok());
  EXPECT_THAT(WaitFor(**cmd), Optional(128 + SIGKILL));
}

TEST_F(CommandTest, KilledBySigterm) {
  auto cmd =
      HeldCommand::Start("/bin/sh", {"sh", "-c", "kill -TERM $$"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  ASSERT_TRUE((*cmd)->Release().ok());
  EXPECT_THAT(WaitFor(**cmd), Optional(128 + SIGTERM));
}

TEST_F(CommandTest, ArgvPassedVerbatim) {
  const std::string out = Path("argv.txt");
  auto cmd = HeldCommand::Start(
      "/bin/sh",
      {"sh", "-c", "printf '%s|%s|%s|%s' \"$0\" \"$1\" \"$2\" \"$#\" > \"$3\"",
       "zero", "one two", "", out},
      EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  ASSERT_TRUE((*cmd)->Release().ok());
  ASSERT_THAT(WaitFor(**cmd), Optional(0));
  EXPECT_EQ(ReadFile(out), "zero|one two||3");
}

TEST_F(CommandTest, ChildMaskRestored) {
  // The parent blocks SIGUSR2 (as sysstream blocks its stream signals); the
  // child runs with exactly `child_mask` = {SIGUSR1}.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  ASSERT_EQ(sigprocmask(SIG_BLOCK, &block, &old), 0);
  sigset_t child_mask;
  sigemptyset(&child_mask);
  sigaddset(&child_mask, SIGUSR1);
  const std::string out = Path("mask.txt");
  auto cmd = HeldCommand::Start(
      "/bin/sh",
      {"sh", "-c", "exec grep SigBlk /proc/self/status > \"$0\"", out},
      child_mask);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  ASSERT_TRUE((*cmd)->Release().ok());
  ASSERT_THAT(WaitFor(**cmd), Optional(0));
  char want[64];
  snprintf(want, sizeof(want), "SigBlk:\t%016llx\n", 1ULL << (SIGUSR1 - 1));
  EXPECT_EQ(ReadFile(out), want);
}

TEST_F(CommandTest, ReleaseNonexistentPath) {
  auto cmd = HeldCommand::Start("/nonexistent", {"nonexistent"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  absl::Status s = (*cmd)->Release();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent: "));
  EXPECT_THAT(s.message(), HasSubstr(std::strerror(ENOENT)));
  EXPECT_THAT(WaitFor(**cmd), Optional(127));
}

TEST_F(CommandTest, ReleaseNonExecutablePath) {
  const std::string file = Path("data.txt");
  WriteFile(file, "#!/bin/sh\nexit 0\n", 0644);
  auto cmd = HeldCommand::Start(file, {"data.txt"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  absl::Status s = (*cmd)->Release();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_THAT(s.message(), HasSubstr(file + ": "));
  EXPECT_THAT(s.message(), HasSubstr(std::strerror(EACCES)));
  EXPECT_THAT(WaitFor(**cmd), Optional(127));
}

TEST_F(CommandTest, DestroyUnreleasedLeavesNoChild) {
  pid_t pid;
  {
    auto cmd =
        HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 0"}, EmptyMask());
    ASSERT_TRUE(cmd.ok()) << cmd.status();
    pid = (*cmd)->pid();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int status;
  errno = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(CommandTest, DestroyImmediatelyLeavesNoChild) {
  pid_t pid;
  {
    auto cmd =
        HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 0"}, EmptyMask());
    ASSERT_TRUE(cmd.ok()) << cmd.status();
    pid = (*cmd)->pid();
  }
  int status;
  errno = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(CommandTest, DestroyRunningCommandKillsIt) {
  pid_t pid;
  const auto start = std::chrono::steady_clock::now();
  {
    auto cmd =
        HeldCommand::Start("/bin/sh", {"sh", "-c", "sleep 100"}, EmptyMask());
    ASSERT_TRUE(cmd.ok()) << cmd.status();
    pid = (*cmd)->pid();
    ASSERT_TRUE((*cmd)->Release().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ((*cmd)->TryWait(), std::nullopt);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(50));
  int status;
  errno = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(CommandTest, DestroyAfterWaitIsHarmless) {
  auto cmd = HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 3"}, EmptyMask());
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  const pid_t pid = (*cmd)->pid();
  ASSERT_TRUE((*cmd)->Release().ok());
  ASSERT_THAT(WaitFor(**cmd), Optional(3));
  cmd->reset();
  int status;
  errno = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// If the held child dies before Release (for instance killed by the SIGINT of
// a Ctrl-C while sysstream, which blocks SIGINT, is still loading the probe),
// Release must report it, not kill the caller with SIGPIPE.
TEST_F(CommandTest, ReleaseAfterHeldChildDied) {
  // Run the scenario in a separate process with SIGPIPE at its default.
  fflush(nullptr);
  pid_t helper = fork();
  ASSERT_GE(helper, 0) << std::strerror(errno);
  if (helper == 0) {
    signal(SIGPIPE, SIG_DFL);
    auto cmd =
        HeldCommand::Start("/bin/sh", {"sh", "-c", "exit 0"}, EmptyMask());
    if (!cmd.ok()) _exit(10);
    kill((*cmd)->pid(), SIGINT);
    // Wait until the child is gone (zombie), without reaping it.
    siginfo_t info;
    if (waitid(P_PID, (*cmd)->pid(), &info, WEXITED | WNOWAIT) != 0) {
      _exit(11);
    }
    absl::Status s = (*cmd)->Release();
    _exit(s.ok() ? 12 : 0);
  }
  int status;
  ASSERT_EQ(waitpid(helper, &status, 0), helper);
  ASSERT_FALSE(WIFSIGNALED(status))
      << "Release killed its caller with signal " << WTERMSIG(status);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: Start failed, 11: waitid failed, 12: Release returned OK";
}

}  // namespace
}  // namespace sysstream
