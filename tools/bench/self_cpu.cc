// SPDX-License-Identifier: Apache-2.0
// self_cpu REPORT -- COMMAND [ARGS...]
//
// Runs COMMAND and, once it has exited but before it is reaped, writes the
// CPU time COMMAND's process used itself (not its children: a tracer's
// traced command is its child) to the file REPORT, one line:
//   self_ns=N stat_ns=M pid=P
// N: the main thread's run time in nanoseconds (/proc/P/schedstat, the
// kernel's sum_exec_runtime: user + system, exact); M: user + system time
// of all its threads from /proc/P/stat (clock ticks, so 10 ms steps; it
// shows whether other threads ran: M well above N). getrusage cannot give
// either: a wait reports the process and its reaped children together.
// Exits with COMMAND's exit status (128 + signal if it was killed), 127 if
// it could not be run, 1 on a failure of our own, 2 on a usage error.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tools/bench/bench_util.h"

namespace {

constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kCannotRun = 127;

int Fail(const char* what, int err) {
  std::fprintf(stderr, "self_cpu: %s: %s\n", what, std::strerror(err));
  return kFailed;
}

bool ReadSmall(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return false;
  char buf[4096];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  out->assign(buf, n);
  return n > 0;
}

// sum_exec_runtime of pid's main thread, or -1.
long long SchedstatNs(pid_t pid) {
  std::string text;
  if (!ReadSmall("/proc/" + std::to_string(pid) + "/schedstat", &text)) {
    return -1;
  }
  char* end = nullptr;
  const long long ns = std::strtoll(text.c_str(), &end, 10);
  return end == text.c_str() ? -1 : ns;
}

// utime + stime of pid's threads in nanoseconds, or -1.
long long StatNs(pid_t pid) {
  std::string text;
  if (!ReadSmall("/proc/" + std::to_string(pid) + "/stat", &text)) return -1;
  const size_t paren = text.rfind(')');  // the name may hold anything
  if (paren == std::string::npos) return -1;
  // After ") ": state (field 3) ... utime is field 14, stime field 15.
  const char* p = text.c_str() + paren + 1;
  unsigned long long utime = 0, stime = 0;
  int field = 2;
  while (*p != '\0' && field < 15) {
    while (*p == ' ') ++p;
    ++field;
    char* end = nullptr;
    if (field == 14) utime = std::strtoull(p, &end, 10);
    if (field == 15) stime = std::strtoull(p, &end, 10);
    while (*p != '\0' && *p != ' ') ++p;
  }
  if (field != 15) return -1;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return -1;
  return static_cast<long long>((utime + stime) * (1000000000ULL / ticks));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
    std::fprintf(stderr, "usage: self_cpu REPORT -- COMMAND [ARGS...]\n");
    return kUsage;
  }
  const char* report_path = argv[1];
  char** command = argv + 3;
  FILE* report = std::fopen(report_path, "we");
  if (report == nullptr) return Fail(report_path, errno);

  int exec_errno = 0;
  const pid_t pid = sysstream::bench::StartCommand(command, &exec_errno);
  if (pid < 0) return Fail("pipe or fork", errno);

  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  int r;
  do {
    r = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return Fail("waitid", errno);
  const long long self_ns = SchedstatNs(pid);
  const long long stat_ns = StatNs(pid);
  int status = 0;
  pid_t w;
  do {
    w = waitpid(pid, &status, 0);
  } while (w < 0 && errno == EINTR);
  if (w < 0) return Fail("waitpid", errno);

  if (exec_errno != 0) {
    std::fprintf(stderr, "self_cpu: cannot run '%s': %s\n", command[0],
                 std::strerror(exec_errno));
    std::fclose(report);
    return kCannotRun;
  }
  if (self_ns < 0 || stat_ns < 0) {
    std::fprintf(stderr, "self_cpu: cannot read the CPU time of pid %ld\n",
                 static_cast<long>(pid));
    std::fclose(report);
    return kFailed;
  }
  std::fprintf(report, "self_ns=%lld stat_ns=%lld pid=%ld\n", self_ns,
               stat_ns, static_cast<long>(pid));
  if (std::fclose(report) != 0) return Fail(report_path, errno);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kFailed;
}
