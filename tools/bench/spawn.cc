// SPDX-License-Identifier: Apache-2.0
// spawn [--count N] [--stdout FILE] -- COMMAND [ARGS...]
//
// Runs COMMAND N times (default 1), one after the other: fork, execve,
// wait. compare.sh uses it for the fork/exec storm (N=2000 of /bin/true)
// and to run gzip while measuring it. COMMAND is resolved against PATH once,
// here, so each child makes exactly one execve. With --stdout the children's
// standard output goes to FILE (opened once, truncated). Then prints one
// line on its own standard output:
//   spawned=N failed=F wall_ns=W user_us=U sys_us=S maxrss_kb=M pid=P
// F: children that did not exit with status 0; W: wall time of the N runs;
// U, S: CPU time of this process and its children (getrusage SELF +
// CHILDREN); M: the larger peak RSS of the two. Exit codes: 0 if every
// child exited 0, 1 otherwise or on a failure, 2 usage, 127 COMMAND not
// found.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tools/bench/bench_util.h"

namespace {

using sysstream::bench::Micros;
using sysstream::bench::NowNs;
using sysstream::bench::ParseCount;

int Usage() {
  std::fprintf(stderr,
               "usage: spawn [--count N] [--stdout FILE] -- COMMAND [ARGS...]\n");
  return 2;
}

bool Executable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

// COMMAND as execve needs it: as is if it holds a '/', else the first
// executable match on PATH; empty if none.
std::string Resolve(const char* command) {
  if (std::strchr(command, '/') != nullptr) return command;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + command;
    if (Executable(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

}  // namespace

extern char** environ;

int main(int argc, char** argv) {
  uint64_t count = 1;
  const char* out_path = nullptr;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--count") {
      if (i + 1 >= argc || !ParseCount(argv[i + 1], &count)) return Usage();
      ++i;
    } else if (arg == "--stdout") {
      if (i + 1 >= argc) return Usage();
      out_path = argv[++i];
    } else {
      return Usage();
    }
  }
  if (i >= argc) return Usage();
  char** command = argv + i;
  const std::string path = Resolve(command[0]);
  if (path.empty()) {
    std::fprintf(stderr, "spawn: %s: command not found\n", command[0]);
    return 127;
  }
  int out_fd = -1;
  if (out_path != nullptr) {
    out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      std::fprintf(stderr, "spawn: %s: %s\n", out_path, std::strerror(errno));
      return 1;
    }
  }
  std::fflush(nullptr);

  uint64_t failed = 0;
  const uint64_t start = NowNs();
  for (uint64_t n = 0; n < count; ++n) {
    pid_t child = fork();
    if (child < 0) {
      std::fprintf(stderr, "spawn: fork: %s\n", std::strerror(errno));
      return 1;
    }
    if (child == 0) {
      if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0) _exit(126);
      execve(path.c_str(), command, environ);
      _exit(errno == ENOENT ? 127 : 126);
    }
    int status = 0;
    pid_t r;
    do {
      r = waitpid(child, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      std::fprintf(stderr, "spawn: waitpid: %s\n", std::strerror(errno));
      return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  const uint64_t end = NowNs();
  if (out_fd >= 0) close(out_fd);

  rusage self, children;
  std::memset(&self, 0, sizeof(self));
  std::memset(&children, 0, sizeof(children));
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  std::printf(
      "spawned=%llu failed=%llu wall_ns=%llu user_us=%llu sys_us=%llu "
      "maxrss_kb=%ld pid=%ld\n",
      static_cast<unsigned long long>(count),
      static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(end - start),
      Micros(self.ru_utime) + Micros(children.ru_utime),
      Micros(self.ru_stime) + Micros(children.ru_stime),
      self.ru_maxrss > children.ru_maxrss ? self.ru_maxrss
                                          : children.ru_maxrss,
      static_cast<long>(getpid()));
  if (std::fflush(stdout) != 0) return 1;
  return failed == 0 ? 0 : 1;
}
