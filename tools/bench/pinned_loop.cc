// SPDX-License-Identifier: Apache-2.0
// pinned_loop [--threads T] N
//
// The getppid loop of getppid_loop.cc on T threads at once, each pinned
// (sched_setaffinity) to a CPU of its own: thread i runs on the i-th CPU of
// this process's affinity mask, so T may be at most the number of CPUs it
// may use. Each thread makes N getppid calls (T * N in all). The threads
// start together (a spin barrier, once every thread is created and pinned)
// and the wall clock runs from the start until the last one is done. Prints
// one line:
//   calls=C threads=T calls_per_thread=N wall_ns=W ns_per_call=X
//   cpu_ns_per_call=Y max_thread_ns=M cpus=A,B,... pid=P syscall_nr=S
//   user_us=U sys_us=S2
// C = T * N; X = W / N, the wall time per call of one thread while all run
// together (T = 1: getppid_loop's figure); Y: the threads' own CPU time in
// the loop (CLOCK_THREAD_CPUTIME_ID, user + system, BPF programs included)
// summed and divided by C, which time taken by other processes does not
// inflate (it includes a thread's spin at the barrier, microseconds); M: the longest wall time of one thread's loop; A,B,...: the CPUs
// the threads ran on (checked with sched_getcpu after the loop); U, S2:
// getrusage(RUSAGE_SELF) at the end, every thread.
// Exit codes: 0 ok, 2 usage, 1 failure (affinity, clock, thread creation,
// a thread found off its CPU).
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/bench/bench_util.h"

namespace {

using sysstream::bench::Micros;
using sysstream::bench::NowNs;
using sysstream::bench::ParseCount;

int Usage() {
  std::fprintf(stderr,
               "usage: pinned_loop [--threads T] N\n"
               "  T threads (default 1), each pinned to a CPU of its own, each "
               "making N getppid calls (N > 0)\n");
  return 2;
}

struct Shared {
  std::atomic<uint64_t> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> abort{false};
};

struct Worker {
  int cpu = -1;          // the CPU it is pinned to
  uint64_t calls = 0;
  uint64_t cpu_ns = 0;   // its CPU time in the loop
  uint64_t wall_ns = 0;  // its loop's wall time
  uint64_t end_ns = 0;   // when its loop ended
  int ran_on = -1;       // sched_getcpu() after the loop
  int error = 0;         // errno of a failed step, else 0
  const char* failed = nullptr;
  pthread_t thread{};
};

uint64_t ThreadCpuNs() {
  timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<uint64_t>(ts.tv_nsec);
}

Shared g_shared;

// Pins the calling thread (only) to `cpu`; 0 or -1 with errno.
int Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set);
}

// One worker: pinned, then its CPU clock, then the barrier, then the loop.
// Worker 0 (the main thread) arrives after `go` is set and does not wait.
void* Run(void* arg) {
  Worker* w = static_cast<Worker*>(arg);
  if (Pin(w->cpu) != 0) {
    w->error = errno;
    w->failed = "sched_setaffinity";
    g_shared.abort.store(true);
  }
  const uint64_t cpu0 = ThreadCpuNs();
  g_shared.ready.fetch_add(1, std::memory_order_acq_rel);
  while (!g_shared.go.load(std::memory_order_acquire)) {
  }
  if (g_shared.abort.load()) return nullptr;
  const uint64_t start = NowNs();
  const uint64_t calls = w->calls;
  for (uint64_t i = 0; i < calls; ++i) syscall(SYS_getppid);
  const uint64_t end = NowNs();
  const uint64_t cpu1 = ThreadCpuNs();
  w->ran_on = sched_getcpu();
  w->end_ns = end;
  w->wall_ns = end - start;
  if (cpu0 == UINT64_MAX || cpu1 == UINT64_MAX) {
    w->error = errno;
    w->failed = "clock_gettime(CLOCK_THREAD_CPUTIME_ID)";
  } else {
    w->cpu_ns = cpu1 - cpu0;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t threads = 1, calls = 0;
  bool have_calls = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads") {
      if (i + 1 >= argc || !ParseCount(argv[i + 1], &threads)) return Usage();
      ++i;
    } else if (!have_calls && ParseCount(argv[i], &calls)) {
      have_calls = true;
    } else {
      return Usage();
    }
  }
  if (!have_calls) return Usage();

  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    std::fprintf(stderr, "pinned_loop: sched_getaffinity: %s\n",
                 std::strerror(errno));
    return 1;
  }
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  if (threads > cpus.size()) {
    std::fprintf(stderr,
                 "pinned_loop: --threads %llu: this process may use only %zu "
                 "CPU(s)\n",
                 static_cast<unsigned long long>(threads), cpus.size());
    return 2;
  }
  if (calls > UINT64_MAX / threads) return Usage();
  const long pid = static_cast<long>(getpid());

  std::vector<Worker> workers(threads);
  for (uint64_t t = 0; t < threads; ++t) {
    workers[t].cpu = cpus[t];
    workers[t].calls = calls;
  }
  // Worker 0 is this thread, pinned first (the others inherit its mask and
  // then pin themselves). The others are created before the clock starts.
  if (Pin(workers[0].cpu) != 0) {
    std::fprintf(stderr, "pinned_loop: sched_setaffinity CPU %d: %s\n",
                 workers[0].cpu, std::strerror(errno));
    return 1;
  }
  for (uint64_t t = 1; t < threads; ++t) {
    if (int err = pthread_create(&workers[t].thread, nullptr, Run,
                                 &workers[t]);
        err != 0) {
      std::fprintf(stderr, "pinned_loop: cannot start a thread: %s\n",
                   std::strerror(err));
      g_shared.abort.store(true);
      g_shared.go.store(true);
      for (uint64_t j = 1; j < t; ++j) pthread_join(workers[j].thread, nullptr);
      return 1;
    }
  }
  while (g_shared.ready.load(std::memory_order_acquire) != threads - 1) {
  }
  const uint64_t start_ns = NowNs();
  g_shared.go.store(true, std::memory_order_release);
  Run(&workers[0]);
  for (uint64_t t = 1; t < threads; ++t) {
    pthread_join(workers[t].thread, nullptr);
  }

  uint64_t end_ns = 0, cpu_ns = 0, max_thread_ns = 0;
  std::string ran;
  for (const Worker& w : workers) {
    if (w.failed != nullptr) {
      std::fprintf(stderr, "pinned_loop: CPU %d: %s: %s\n", w.cpu, w.failed,
                   std::strerror(w.error));
      return 1;
    }
    if (w.ran_on != w.cpu) {
      std::fprintf(stderr,
                   "pinned_loop: a thread pinned to CPU %d ended on CPU %d\n",
                   w.cpu, w.ran_on);
      return 1;
    }
    if (w.end_ns > end_ns) end_ns = w.end_ns;
    if (w.wall_ns > max_thread_ns) max_thread_ns = w.wall_ns;
    cpu_ns += w.cpu_ns;
    if (!ran.empty()) ran += ',';
    ran += std::to_string(w.cpu);
  }
  if (g_shared.abort.load()) return 1;

  rusage ru;
  std::memset(&ru, 0, sizeof(ru));
  getrusage(RUSAGE_SELF, &ru);
  const uint64_t total = calls * threads;
  const double wall = static_cast<double>(end_ns - start_ns);
  std::printf(
      "calls=%llu threads=%llu calls_per_thread=%llu wall_ns=%llu "
      "ns_per_call=%.1f cpu_ns_per_call=%.1f max_thread_ns=%llu cpus=%s "
      "pid=%ld syscall_nr=%ld user_us=%llu sys_us=%llu\n",
      static_cast<unsigned long long>(total),
      static_cast<unsigned long long>(threads),
      static_cast<unsigned long long>(calls),
      static_cast<unsigned long long>(end_ns - start_ns),
      wall / static_cast<double>(calls),
      static_cast<double>(cpu_ns) / static_cast<double>(total),
      static_cast<unsigned long long>(max_thread_ns), ran.c_str(), pid,
      static_cast<long>(SYS_getppid), Micros(ru.ru_utime),
      Micros(ru.ru_stime));
  return std::fflush(stdout) == 0 ? 0 : 1;
}
