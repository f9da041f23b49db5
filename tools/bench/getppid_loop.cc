// SPDX-License-Identifier: Apache-2.0
// getppid_loop N: makes N getppid system calls and prints one line,
//   calls=N ns_per_call=X pid=P syscall_nr=S
// where X is the loop's wall time per call (CLOCK_MONOTONIC), P this
// process's pid (as getpid() sees it) and S the number of getppid on this
// architecture. Between the two clock reads the program does nothing but
// the calls. Exit codes: 0 ok, 2 usage, 1 clock failure.
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/bench/bench_util.h"

int main(int argc, char** argv) {
  uint64_t calls = 0;
  if (argc != 2 || !sysstream::bench::ParseCount(argv[1], &calls)) {
    std::fprintf(stderr,
                 "usage: getppid_loop N   (N: number of getppid calls, > 0)\n");
    return 2;
  }
  const long pid = static_cast<long>(getpid());  // before the timed loop

  timespec start, end;
  if (clock_gettime(CLOCK_MONOTONIC, &start) != 0) {
    std::fprintf(stderr, "getppid_loop: clock_gettime: %s\n",
                 std::strerror(errno));
    return 1;
  }
  for (uint64_t i = 0; i < calls; ++i) syscall(SYS_getppid);
  if (clock_gettime(CLOCK_MONOTONIC, &end) != 0) {
    std::fprintf(stderr, "getppid_loop: clock_gettime: %s\n",
                 std::strerror(errno));
    return 1;
  }

  const double ns = static_cast<double>(end.tv_sec - start.tv_sec) * 1e9 +
                    static_cast<double>(end.tv_nsec - start.tv_nsec);
  std::printf("calls=%llu ns_per_call=%.1f pid=%ld syscall_nr=%ld\n",
              static_cast<unsigned long long>(calls),
              ns / static_cast<double>(calls), pid,
              static_cast<long>(SYS_getppid));
  return std::fflush(stdout) == 0 ? 0 : 1;
}
