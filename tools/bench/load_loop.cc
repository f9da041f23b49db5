// SPDX-License-Identifier: Apache-2.0
// load_loop [--threads T] [--rate R] N
//
// The getppid loop of getppid_loop.cc with two knobs, for compare.sh:
//   --threads T  split the N calls over T threads (default 1) that start
//                together (a spin barrier) and run at the same time;
//   --rate R     throttle to R calls per second in total (R/T per thread):
//                each thread busy-waits (reading the vDSO clock, no syscall)
//                until the next call is due, then times the call itself.
// Without --rate the timed section holds nothing but the calls, exactly as
// in getppid_loop. Prints one line:
//   calls=N threads=T rate=R wall_ns=W ns_per_call=X in_call_ns=Y
//   slow_calls=K achieved_rate=A pid=P syscall_nr=S user_us=U sys_us=S2
//   maxrss_kb=M
// W: wall time from the start barrier until every thread is done; X: W
// divided by the calls of one thread (T=1: wall time per call); Y: with
// --rate, the mean time spent inside one getppid call (clock read before
// and after it; 0 without --rate), over the calls that took at most 50 us:
// the K others (slow_calls=K) were preempted, and on a shared machine one
// preemption of a few ms would swamp the mean; A: N / W calls per second;
// U, S2, M: this process's getrusage(RUSAGE_SELF) at the end (all threads).
// Exit codes: 0 ok, 2 usage, 1 failure (clock, thread creation).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tools/bench/bench_util.h"

namespace {

using sysstream::bench::Micros;
using sysstream::bench::NowNs;
using sysstream::bench::ParseCount;

constexpr uint64_t kMaxThreads = 256;
constexpr uint64_t kSlowNs = 50000;  // a call this long was preempted

int Usage() {
  std::fprintf(stderr,
               "usage: load_loop [--threads T] [--rate CALLS_PER_SECOND] N\n"
               "  N: getppid calls in total (> 0), split over T threads\n");
  return 2;
}

struct Shared {
  std::atomic<uint64_t> ready{0};
  std::atomic<bool> go{false};
  uint64_t start_ns = 0;  // written before go, read after
};

struct Work {
  uint64_t calls = 0;
  double period_ns = 0;  // 0: flat out
  uint64_t in_call_ns = 0;  // summed over the calls <= kSlowNs
  uint64_t fast_calls = 0;
  uint64_t slow_calls = 0;
};

void Run(Shared* shared, Work* work) {
  shared->ready.fetch_add(1, std::memory_order_acq_rel);
  while (!shared->go.load(std::memory_order_acquire)) {
  }
  const uint64_t calls = work->calls;
  if (work->period_ns <= 0) {
    for (uint64_t i = 0; i < calls; ++i) syscall(SYS_getppid);
    return;
  }
  const uint64_t start = shared->start_ns;
  const double period = work->period_ns;
  uint64_t inside = 0, fast = 0, slow = 0;
  for (uint64_t i = 0; i < calls; ++i) {
    const uint64_t due = start + static_cast<uint64_t>(period * i);
    uint64_t t0 = NowNs();
    while (t0 < due) t0 = NowNs();
    syscall(SYS_getppid);
    const uint64_t took = NowNs() - t0;
    if (took <= kSlowNs) {
      inside += took;
      ++fast;
    } else {
      ++slow;
    }
  }
  work->in_call_ns = inside;
  work->fast_calls = fast;
  work->slow_calls = slow;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t threads = 1, rate = 0, calls = 0;
  bool have_calls = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" || arg == "--rate") {
      uint64_t v = 0;
      if (i + 1 >= argc || !ParseCount(argv[i + 1], &v)) return Usage();
      (arg == "--threads" ? threads : rate) = v;
      ++i;
    } else if (!have_calls && ParseCount(argv[i], &calls)) {
      have_calls = true;
    } else {
      return Usage();
    }
  }
  if (!have_calls || threads > kMaxThreads || threads > calls) return Usage();
  const long pid = static_cast<long>(getpid());

  std::vector<Work> work(threads);
  for (uint64_t t = 0; t < threads; ++t) {
    work[t].calls = calls / threads + (t < calls % threads ? 1 : 0);
    work[t].period_ns =
        rate == 0 ? 0.0 : 1e9 * static_cast<double>(threads) / rate;
  }
  Shared shared;
  std::vector<std::thread> pool;
  try {
    for (uint64_t t = 1; t < threads; ++t) {
      pool.emplace_back(Run, &shared, &work[t]);
    }
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "load_loop: cannot start a thread: %s\n", e.what());
    shared.go.store(true);
    for (auto& th : pool) th.join();
    return 1;
  }
  // Every thread is created (and its set-up calls are made) before the
  // clock starts.
  while (shared.ready.load(std::memory_order_acquire) != threads - 1) {
  }
  shared.ready.fetch_add(1);
  shared.start_ns = NowNs();
  shared.go.store(true, std::memory_order_release);
  Run(&shared, &work[0]);
  for (auto& th : pool) th.join();
  const uint64_t end_ns = NowNs();

  rusage ru;
  std::memset(&ru, 0, sizeof(ru));
  getrusage(RUSAGE_SELF, &ru);
  uint64_t inside = 0, fast = 0, slow = 0;
  for (const Work& w : work) {
    inside += w.in_call_ns;
    fast += w.fast_calls;
    slow += w.slow_calls;
  }
  const double wall = static_cast<double>(end_ns - shared.start_ns);
  std::printf(
      "calls=%llu threads=%llu rate=%llu wall_ns=%llu ns_per_call=%.1f "
      "in_call_ns=%.1f slow_calls=%llu achieved_rate=%.0f pid=%ld "
      "syscall_nr=%ld user_us=%llu "
      "sys_us=%llu maxrss_kb=%ld\n",
      static_cast<unsigned long long>(calls),
      static_cast<unsigned long long>(threads),
      static_cast<unsigned long long>(rate),
      static_cast<unsigned long long>(end_ns - shared.start_ns),
      wall / static_cast<double>(work[0].calls),
      fast == 0 ? 0.0
                : static_cast<double>(inside) / static_cast<double>(fast),
      static_cast<unsigned long long>(slow),
      static_cast<double>(calls) * 1e9 / wall, pid,
      static_cast<long>(SYS_getppid), Micros(ru.ru_utime), Micros(ru.ru_stime),
      ru.ru_maxrss);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
