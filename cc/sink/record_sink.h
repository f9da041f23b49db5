// SPDX-License-Identifier: Apache-2.0
// What receives the records and events of the wire contract, in order: a
// ring's drain (cc/stream/ring_source.h) hands them to one, every
// Formatter is one.
#ifndef SYSSTREAM_CC_SINK_RECORD_SINK_H_
#define SYSSTREAM_CC_SINK_RECORD_SINK_H_

#include <cstdint>

#include "bpf/sysstream.h"

namespace sysstream {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // A bare record or a gap marker (raw mode; gap markers in every mode).
  virtual void OnRecord(uint64_t record) = 0;
  // A rich event (time, tid, comm; with --ret also return events and
  // thread ends; gaps in bin logs).
  virtual void OnEvent(const sysstream_event& event) = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_RECORD_SINK_H_
