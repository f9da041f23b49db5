// SPDX-License-Identifier: Apache-2.0
// The seam between the capture engine and the consumer loop: what the
// stream needs of the kernel side. cc/probe implements it on the BPF rings
// (one per CPU group); tests implement it with entries of their own.
#ifndef SYSSTREAM_CC_STREAM_RING_SOURCE_H_
#define SYSSTREAM_CC_STREAM_RING_SOURCE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "bpf/sysstream.h"

namespace sysstream {

// One ring entry (bpf/sysstream.h), decoded: a bare record or a rich event,
// with its stamp and the calls its CPU lost just before it.
struct RingEntry {
  uint64_t ts_ns = 0;  // CLOCK_BOOTTIME, the order of the merge
  uint32_t gap = 0;    // calls lost just before it (0: none)
  bool is_event = false;
  uint64_t record = 0;      // if !is_event
  sysstream_event event{};  // if is_event
};

// What a drain hands each entry to, with the index of its ring.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  virtual void OnEntry(uint32_t ring, const RingEntry& entry) = 0;
};

// Runs of the kernel programs that the kernel skipped since they were
// attached (each program's recursion_misses; Linux 7.x can preempt a
// running program, and a run of the same program on that CPU meanwhile is
// skipped). Zero where the kernel does not count them (before 5.12).
struct SkippedRuns {
  uint64_t sys_enter = 0;  // calls whose entry was not seen
  uint64_t sys_exit = 0;   // returns (and seccomp-denied calls) not seen
  uint64_t fork = 0;       // forks not seen: children not followed
  uint64_t exit = 0;       // process ends not seen
};

class RingSource {
 public:
  virtual ~RingSource() = default;
  // How many rings entries come from (indices 0 to rings() - 1).
  virtual uint32_t rings() const = 0;
  // A descriptor that becomes readable when entries are waiting (epoll).
  virtual int ready_fd() const = 0;
  // Hands every entry waiting in every ring to `sink`, each ring's in its
  // order; returns how many.
  virtual absl::StatusOr<uint64_t> Drain(EntrySink* sink) = 0;
  // No new entries after this returns (what is waiting can still be drained).
  virtual void Detach() = 0;
  // Processes still traced (followed children included).
  virtual int64_t live_targets() const = 0;
  // Calls lost but not yet reported in-band; resets the count.
  virtual uint64_t TakeUnreportedLost() = 0;
  // --ret: return events the kernel could not store (not calls).
  virtual uint64_t returns_lost() const = 0;
  // Ring entries of a size or kind this build does not know: counted as
  // an error, never dropped silently.
  virtual uint64_t malformed_entries() const = 0;
  // Readable after the capabilities are dropped.
  virtual SkippedRuns skipped_runs() const = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_STREAM_RING_SOURCE_H_
