// SPDX-License-Identifier: Apache-2.0
// Processes with exactly known syscall sequences for the integration tests.
// Modes that "wait" first block in read(0) until the test releases them, so
// every syscall after that is made while sysstream is attached; all their
// calls go through syscall(2) so libc adds nothing.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void ExitGroup(int code) {
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

void WaitForGo() {
  char c;
  if (syscall(SYS_read, 0, &c, 1) != 1) ExitGroup(90);
}

void Getppids(long n) {
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
}

struct ThreadWork {
  long calls = 0;
  int cpu = -1;  // pinned there if >= 0
};

// The first two CPUs this process may run on.
bool TwoCpus(int cpus[2]) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return false;
  int found = 0;
  for (int c = 0; c < CPU_SETSIZE && found < 2; ++c) {
    if (CPU_ISSET(c, &set)) cpus[found++] = c;
  }
  return found == 2;
}

bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

void* ThreadMain(void* arg) {
  const ThreadWork* work = static_cast<ThreadWork*>(arg);
  if (work->cpu >= 0 && !PinTo(work->cpu)) ExitGroup(94);
  Getppids(work->calls);
  return nullptr;
}

int Usage() {
  std::fprintf(stderr,
               "usage: workload seq N | nowait-seq N | threads T M [pin] | "
               "pingpong N [pin] | forkexec | child | burst N | fail\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string mode = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 0;

  if (mode == "seq" || mode == "nowait-seq") {
    // N getppid, openat+close of /dev/null, exit_group.
    if (mode == "seq") WaitForGo();
    Getppids(n);
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
    syscall(SYS_close, fd);
    ExitGroup(0);
  }
  if (mode == "burst") {
    // N getppid (0: until killed), exit_group.
    WaitForGo();
    if (n == 0) {
      for (;;) syscall(SYS_getppid);
    }
    Getppids(n);
    ExitGroup(0);
  }
  if (mode == "threads") {
    // T threads, each making M getppid calls; "threads T M pin": thread i
    // on the i-th CPU this process may use (round robin).
    const long m = argc > 3 ? std::atol(argv[3]) : 0;
    std::vector<int> cpus;
    if (argc > 4 && std::string(argv[4]) == "pin") {
      cpu_set_t set;
      if (sched_getaffinity(0, sizeof(set), &set) != 0) return 93;
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
      }
    }
    WaitForGo();
    std::vector<pthread_t> threads(n);
    std::vector<ThreadWork> work(n);
    for (long i = 0; i < n; ++i) {
      work[i].calls = m;
      if (!cpus.empty()) work[i].cpu = cpus[i % cpus.size()];
      pthread_create(&threads[i], nullptr, ThreadMain, &work[i]);
    }
    for (pthread_t t : threads) pthread_join(t, nullptr);
    ExitGroup(0);
  }
  if (mode == "pingpong") {
    // Parent and child alternate N times over two pipes: parent writes p1,
    // child reads p1 then writes p2, parent reads p2. Prints the child pid.
    // "pingpong N pin": the parent runs on the first CPU it may use, the
    // child on the second (so their records go to different rings).
    int p1[2], p2[2];
    if (pipe(p1) != 0 || pipe(p2) != 0) return 91;
    int cpus[2] = {-1, -1};
    if (argc > 3 && std::string(argv[3]) == "pin" && !TwoCpus(cpus)) return 93;
    pid_t child = fork();
    if (child == 0) {
      if (cpus[1] >= 0 && !PinTo(cpus[1])) ExitGroup(94);
      char c = 'x';
      for (long i = 0; i < n; ++i) {
        syscall(SYS_read, p1[0], &c, 1);
        syscall(SYS_write, p2[1], &c, 1);
      }
      ExitGroup(0);
    }
    if (cpus[0] >= 0 && !PinTo(cpus[0])) return 94;
    std::printf("%d\n", child);
    std::fflush(stdout);
    WaitForGo();
    char c = 'x';
    for (long i = 0; i < n; ++i) {
      syscall(SYS_write, p1[1], &c, 1);
      syscall(SYS_read, p2[0], &c, 1);
    }
    syscall(SYS_wait4, child, nullptr, 0, nullptr);
    ExitGroup(0);
  }
  if (mode == "forkexec") {
    // fork; the child execs "workload child"; the parent waits.
    WaitForGo();
    pid_t child = fork();
    if (child == 0) {
      char* args[] = {argv[0], const_cast<char*>("child"), nullptr};
      execv("/proc/self/exe", args);
      ExitGroup(92);
    }
    syscall(SYS_wait4, child, nullptr, 0, nullptr);
    ExitGroup(0);
  }
  if (mode == "fail") {
    // openat of a missing file (ENOENT), close(-1) (EBADF), getppid.
    syscall(SYS_openat, AT_FDCWD, "/nonexistent-sysstream-test", O_RDONLY);
    syscall(SYS_close, -1);
    syscall(SYS_getppid);
    ExitGroup(0);
  }
  if (mode == "child") {
    Getppids(3);
    ExitGroup(0);
  }
  return Usage();
}
