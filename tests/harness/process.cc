// SPDX-License-Identifier: Apache-2.0
#include "tests/harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/syscalls/syscalls.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream::harness {
namespace {

void MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("pipe2");
    std::abort();
  }
}

// For execv/execve: pointers into `strings`, then a null.
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// The fields of /proc/PID/stat from field 3 (state) on, split after the
// parenthesised comm (which may hold spaces); empty if it cannot be read.
std::vector<std::string> StatFields(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return {};
  return absl::StrSplit(stat.substr(paren + 2), ' ', absl::SkipEmpty());
}

// Calls `done` every `step` until it returns true or `tries` are used up.
bool Poll(int tries, std::chrono::milliseconds step,
          const std::function<bool()>& done) {
  for (int i = 0; i < tries; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(step);
  }
  return done();
}

}  // namespace

Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (o.pipe_in) MakePipe(in);
  if (o.pipe_out) MakePipe(out);
  if (o.pipe_err) MakePipe(err);
  // Everything the child needs is built before fork: after it, a process
  // with threads may only make async-signal-safe calls.
  std::vector<char*> args = CStrings(argv);
  std::vector<char*> env;
  if (o.env) env = CStrings(*o.env);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_RDWR);
    dup2(o.pipe_in ? in[0] : devnull, 0);
    if (o.pipe_out) dup2(out[1], 1);
    if (o.out_to_null) dup2(devnull, 1);
    if (o.pipe_err) dup2(err[1], 2);
    if (o.in_child) o.in_child();
    if (o.env) {
      execve(args[0], args.data(), env.data());
    } else {
      execv(args[0], args.data());
    }
    _exit(126);
  }
  Child c;
  c.pid = pid;
  if (o.pipe_in) {
    close(in[0]);
    c.in = in[1];
  }
  if (o.pipe_out) {
    close(out[1]);
    c.out = out[0];
  }
  if (o.pipe_err) {
    close(err[1]);
    c.err = err[0];
  }
  return c;
}

int Wait(pid_t pid) {
  if (pid <= 0) return -1;  // waitpid would take any child
  int status = 0;
  while (waitpid(pid, &status, 0) != pid) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    const ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t FileSize(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 ? static_cast<uint64_t>(sb.st_size) : 0;
}

bool Exists(const std::string& path) {
  struct stat sb;
  return lstat(path.c_str(), &sb) == 0;
}

std::string TempPath(const std::string& name) {
  std::string path = absl::StrCat(testutil::TestTmpDir(), "/", name);
  unlink(path.c_str());
  return path;
}

bool WaitBlockedInRead(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/syscall");
  // /proc/PID/syscall starts with the number of the call it is blocked in.
  const std::string read_nr =
      absl::StrCat(SyscallNumber(HostArch(), "read").value(), " ");
  const bool blocked = Poll(5000, std::chrono::milliseconds(2), [&] {
    return absl::StartsWith(ReadFile(path), read_nr);
  });
  if (!blocked) ADD_FAILURE() << "pid " << pid << " never blocked in read";
  return blocked;
}

bool WaitStopped(pid_t pid) {
  return Poll(5000, std::chrono::milliseconds(1), [pid] {
    const std::vector<std::string> f = StatFields(pid);
    return !f.empty() && f[0] == "T";
  });
}

long CpuTicks(pid_t pid) {
  const std::vector<std::string> f = StatFields(pid);
  // f[0] is field 3 (state); utime and stime are fields 14 and 15.
  long utime = 0, stime = 0;
  if (f.size() < 13 || f[0] == "Z" || !absl::SimpleAtoi(f[11], &utime) ||
      !absl::SimpleAtoi(f[12], &stime)) {
    return -1;
  }
  return utime + stime;
}

bool WaitCpuTicks(pid_t pid, long ticks) {
  return Poll(30000, std::chrono::milliseconds(1), [pid, ticks] {
    const long used = CpuTicks(pid);
    return used < 0 || used >= ticks;
  });
}

bool WaitGrown(const std::string& path, uint64_t bytes) {
  const uint64_t start = FileSize(path);
  return Poll(60000, std::chrono::milliseconds(1),
              [&] { return FileSize(path) >= start + bytes; });
}

}  // namespace sysstream::harness
