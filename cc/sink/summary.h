// SPDX-License-Identifier: Apache-2.0
// -c/--summary and `decode --format summary`: calls per pid and syscall,
// like `strace -c`.
#ifndef SYSSTREAM_CC_SINK_SUMMARY_H_
#define SYSSTREAM_CC_SINK_SUMMARY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "cc/sink/event.h"

namespace sysstream {

class SyscallSummary {
 public:
  void Add(const Event& e);
  // The table, one row per (pid, syscall), pids ascending and calls
  // descending within a pid, then totals, the calls lost, the calls that may
  // be missing (if any) and (with --ret) the calls whose return was lost.
  std::string Table(Arch arch) const;
  uint64_t calls() const { return calls_; }
  uint64_t lost() const { return lost_; }
  uint64_t returns_lost() const { return returns_lost_; }
  // Calls that may be missing (skipped-runs markers): an upper bound.
  uint64_t maybe_missing() const { return maybe_missing_; }

 private:
  struct Row {
    uint64_t calls = 0;
    uint64_t errors = 0;
    uint64_t time_ns = 0;
  };
  absl::flat_hash_map<uint64_t, Row> rows_;  // key: pid << 32 | nr | compat
  uint64_t calls_ = 0;
  uint64_t lost_ = 0;
  uint64_t returns_lost_ = 0;  // --ret: calls whose return event was lost
  uint64_t maybe_missing_ = 0;
  bool has_ret_ = false;
  bool has_time_ = false;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_SUMMARY_H_
