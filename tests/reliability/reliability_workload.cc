// SPDX-License-Identifier: Apache-2.0
// Workloads with known system calls for the reliability tests and the soak
// (tools/soak/soak.sh). Modes that wait first block in read(0) until the
// test writes a byte, so that everything after is made while sysstream is
// attached; "done" lines go to stdout when a bounded phase has finished.
//
//   storm N K P     fork N children, at most P at a time; each execs
//                   "child K" (K getppid, then exit); prints "done", then
//                   waits for a second byte (or EOF) before exiting: the
//                   parent outlives the storm.
//   child K         K getppid, exit_group.
//   threads T M     T threads, all alive at once: each makes M getppid and
//                   waits; prints "ready" when all are done and alive, then
//                   waits for a byte before letting them exit.
//   writes FILE N   N write(2)s of one byte to FILE (appended; 0: until
//                   killed), so that FILE's size is the exact number of
//                   write calls made, even if the process is stopped or
//                   killed; prints "done" after N, then waits for a byte.
//   rate R S        getppid at R calls per second for S seconds (0: until
//                   killed); prints the calls made at the end.
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

// Blocks in read(0) until a byte or EOF.
void WaitForByte() {
  char c;
  (void)syscall(SYS_read, 0, &c, 1);
}

void Say(const char* line) {
  (void)!write(1, line, std::strlen(line));
}

void Getppids(long n) {
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

struct ThreadArgs {
  long calls;
  pthread_barrier_t* done;
  pthread_barrier_t* release;
};

void* ThreadMain(void* p) {
  ThreadArgs* a = static_cast<ThreadArgs*>(p);
  Getppids(a->calls);
  pthread_barrier_wait(a->done);
  pthread_barrier_wait(a->release);
  return nullptr;
}

int Usage() {
  std::fprintf(stderr,
               "usage: reliability_workload storm N K P | child K | "
               "threads T M | writes FILE N | rate R S\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string mode = argv[1];

  if (mode == "child") {
    Getppids(std::atol(argv[2]));
    ExitGroup(0);
  }
  if (mode == "storm" && argc == 5) {
    const long n = std::atol(argv[2]);
    const char* k = argv[3];
    const long parallel = std::atol(argv[4]);
    WaitForByte();
    long started = 0, running = 0, failed = 0;
    while (started < n || running > 0) {
      if (started < n && running < parallel) {
        pid_t pid = fork();
        if (pid == 0) {
          char* args[] = {argv[0], const_cast<char*>("child"),
                          const_cast<char*>(k), nullptr};
          execv("/proc/self/exe", args);
          ExitGroup(127);
        }
        if (pid < 0) return 3;
        ++started;
        ++running;
        continue;
      }
      int status = 0;
      if (waitpid(-1, &status, 0) > 0) {
        --running;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
      }
    }
    if (failed > 0) {
      std::fprintf(stderr, "%ld children failed\n", failed);
      return 4;
    }
    Say("done\n");
    WaitForByte();
    ExitGroup(0);
  }
  if (mode == "threads" && argc == 4) {
    const long t = std::atol(argv[2]);
    const long m = std::atol(argv[3]);
    WaitForByte();
    pthread_barrier_t done, release;
    pthread_barrier_init(&done, nullptr, static_cast<unsigned>(t + 1));
    pthread_barrier_init(&release, nullptr, static_cast<unsigned>(t + 1));
    std::vector<pthread_t> threads(t);
    ThreadArgs args{m, &done, &release};
    for (long i = 0; i < t; ++i) {
      if (pthread_create(&threads[i], nullptr, ThreadMain, &args) != 0) {
        return 3;
      }
    }
    pthread_barrier_wait(&done);
    Say("ready\n");
    WaitForByte();
    pthread_barrier_wait(&release);
    for (pthread_t th : threads) pthread_join(th, nullptr);
    ExitGroup(0);
  }
  if (mode == "writes" && argc == 4) {
    const long n = std::atol(argv[3]);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return 3;
    WaitForByte();
    for (long i = 0; n == 0 || i < n; ++i) {
      if (syscall(SYS_write, fd, "x", 1) != 1) return 4;
    }
    Say("done\n");
    WaitForByte();
    ExitGroup(0);
  }
  if (mode == "rate" && argc == 4) {
    const double rate = std::atof(argv[2]);
    const double seconds = std::atof(argv[3]);
    WaitForByte();
    const double start = Now();
    long made = 0;
    for (;;) {
      const double elapsed = Now() - start;
      if (seconds > 0 && elapsed >= seconds) break;
      const long due = static_cast<long>(elapsed * rate);
      for (; made < due; ++made) syscall(SYS_getppid);
      timespec ts = {0, 1000000};  // 1 ms
      nanosleep(&ts, nullptr);
    }
    std::printf("calls=%ld\n", made);
    return 0;
  }
  return Usage();
}
