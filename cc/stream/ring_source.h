// SPDX-License-Identifier: Apache-2.0
// The seam between the capture engine and the consumer loop: what the
// stream needs of the kernel side. cc/probe implements it on the BPF ring;
// tests implement it with records of their own.
#ifndef SYSSTREAM_CC_STREAM_RING_SOURCE_H_
#define SYSSTREAM_CC_STREAM_RING_SOURCE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "bpf/sysstream.h"
#include "cc/sink/record_sink.h"

namespace sysstream {

class RingSource {
 public:
  virtual ~RingSource() = default;
  // A descriptor that becomes readable when records are waiting (epoll).
  virtual int ready_fd() const = 0;
  // Hands every record waiting to `sink`, in ring order; returns how many.
  virtual absl::StatusOr<uint64_t> Drain(RecordSink* sink) = 0;
  // No new records after this returns (what is waiting can still be drained).
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
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_STREAM_RING_SOURCE_H_
