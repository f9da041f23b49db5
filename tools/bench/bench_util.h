// SPDX-License-Identifier: Apache-2.0
// What the benchmark programs (getppid_loop, load_loop, spawn, count_records)
// share: strict decimal arguments, the monotonic clock and getrusage times.
// Header only and inline: the timed loops compile as before, and the static
// programs link nothing more.
#ifndef SYSSTREAM_TOOLS_BENCH_BENCH_UTIL_H_
#define SYSSTREAM_TOOLS_BENCH_BENCH_UTIL_H_

#include <sys/time.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
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

}  // namespace sysstream::bench

#endif  // SYSSTREAM_TOOLS_BENCH_BENCH_UTIL_H_
