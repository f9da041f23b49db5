// SPDX-License-Identifier: Apache-2.0
// A static process with known syscalls, for the container tests: run on the
// host, or as the only program of the test target image (which has nothing
// else, not even a shell). All calls go through syscall(2) so libc adds none.
//
//   workload seq N    read one byte from stdin (blocks until the test
//                     releases it), then N getppid, openat+close of
//                     /dev/null, exit_group(0)
//   workload tick MS  getppid every MS milliseconds until SIGTERM or SIGINT,
//                     then exit 0 (also as PID 1 of a container, where a
//                     signal without a handler would be ignored)
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

volatile sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

[[noreturn]] void ExitGroup(int code) {
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

int Usage() {
  std::fprintf(stderr, "usage: workload seq N | tick MS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Usage();
  const long n = std::atol(argv[2]);
  if (std::strcmp(argv[1], "seq") == 0) {
    char c;
    if (syscall(SYS_read, 0, &c, 1) != 1) ExitGroup(90);
    for (long i = 0; i < n; ++i) syscall(SYS_getppid);
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
    syscall(SYS_close, fd);
    ExitGroup(0);
  }
  if (std::strcmp(argv[1], "tick") == 0 && n > 0) {
    struct sigaction sa = {};
    sa.sa_handler = OnSignal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    const struct timespec pause = {n / 1000, (n % 1000) * 1000000L};
    while (!g_stop) {
      syscall(SYS_getppid);
      syscall(SYS_nanosleep, &pause, nullptr);
    }
    ExitGroup(0);
  }
  return Usage();
}
