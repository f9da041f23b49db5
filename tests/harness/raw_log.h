// SPDX-License-Identifier: Apache-2.0
// Raw logs (sysstream's default format), read strictly: each record is
// pid << 32 | syscall number in lowercase hex, without leading zeros, at
// most 16 digits, followed by the delimiter. A gap marker is a record with
// pid 0xffffffff whose number is the count of records lost before it.
#ifndef SYSSTREAM_TESTS_HARNESS_RAW_LOG_H_
#define SYSSTREAM_TESTS_HARNESS_RAW_LOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sysstream::harness {

inline constexpr uint32_t kGapMarkerPid = 0xffffffffU;

struct RawRecord {
  uint32_t pid = 0;
  uint32_t nr = 0;
  bool IsGapMarker() const { return pid == kGapMarkerPid; }
};

struct RawLog {
  // False at the first malformed or torn record; `error` says which and
  // where, and nothing from it on is in the counts below.
  bool well_formed = true;
  std::string error;
  std::vector<RawRecord> records;  // in file order, gap markers included
  uint64_t gap_markers = 0;        // records that are gap markers
  uint64_t lost = 0;               // sum of the gap markers' counts
  std::map<uint32_t, std::map<uint32_t, uint64_t>> calls;  // pid → nr → n

  uint64_t CallsOf(uint32_t pid, uint32_t nr) const;
  uint64_t AllCalls(uint32_t nr) const;  // every pid
  uint64_t Events() const { return records.size() - gap_markers; }
};

RawLog ParseRawLog(const std::string& path, char delim = '\t');

// The syscall numbers of `pid`'s records, in order.
std::vector<uint32_t> SyscallsOf(const std::vector<RawRecord>& records,
                                 uint32_t pid);

}  // namespace sysstream::harness

#endif  // SYSSTREAM_TESTS_HARNESS_RAW_LOG_H_
