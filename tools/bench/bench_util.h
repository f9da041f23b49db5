// SPDX-License-Identifier: Apache-2.0
// What the benchmark programs (getppid_loop, load_loop, spawn, count_records,
// floor_hook, self_cpu) share: strict decimal arguments, the monotonic clock,
// getrusage times and starting a command as system() does.
// Header only and inline: the timed loops compile as before, and the static
// programs link nothing more.
#ifndef SYSSTREAM_TOOLS_BENCH_BENCH_UTIL_H_
#define SYSSTREAM_TOOLS_BENCH_BENCH_UTIL_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace sysstream::bench {

// Parses `text`, decimal digits only (no sign, no blanks, not empty), into
// *out if it is at most `max`; returns false and leaves *out alone otherwise.
inline bool ParseDecimal(const char* text, uint64_t max, uint64_t* out) {
  if (text == nullptr || *text == '\0') return false;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v > max) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

// A count: as ParseDecimal, and greater than 0.
inline bool ParseCount(const char* text, uint64_t* out) {
  uint64_t v = 0;
  if (!ParseDecimal(text, UINT64_MAX, &v) || v == 0) return false;
  *out = v;
  return true;
}

// CLOCK_MONOTONIC in nanoseconds; read through the vDSO, no system call.
inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<uint64_t>(ts.tv_nsec);
}

// A getrusage CPU time in microseconds.
inline unsigned long long Micros(const timeval& tv) {
  return static_cast<unsigned long long>(tv.tv_sec) * 1000000ULL +
         static_cast<unsigned long long>(tv.tv_usec);
}

// Forks and execs `command` (execvp), exit status 127 in the child if the
// exec fails; like system(), SIGINT and SIGQUIT are then ignored here (they
// are the command's). Returns once the exec has happened or failed: the
// child's pid, with *exec_errno 0, or the exec's errno in *exec_errno (the
// child is then still to be reaped). Returns -1 with errno set if pipe or
// fork failed.
inline pid_t StartCommand(char** command, int* exec_errno) {
  int report[2];  // an exec failure comes back through it (closed on exec)
  if (pipe2(report, O_CLOEXEC) != 0) return -1;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(report[0]);
    close(report[1]);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    close(report[0]);
    execvp(command[0], command);
    const int e = errno;
    (void)!write(report[1], &e, sizeof(e));
    _exit(127);
  }
  close(report[1]);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  int err = 0;
  ssize_t n;
  do {
    n = read(report[0], &err, sizeof(err));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  *exec_errno = n == static_cast<ssize_t>(sizeof(err)) ? err : 0;
  return pid;
}

}  // namespace sysstream::bench

#endif  // SYSSTREAM_TOOLS_BENCH_BENCH_UTIL_H_
