// SPDX-License-Identifier: Apache-2.0
// What every log format implements: the live stream and `sysstream decode`
// hand a Formatter the same records and events.
#ifndef SYSSTREAM_CC_SINK_FORMATTER_H_
#define SYSSTREAM_CC_SINK_FORMATTER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "bpf/sysstream.h"
#include "cc/sink/format_output.h"
#include "cc/sink/record_sink.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

// Takes the records and events (RecordSink) and writes their bytes.
class Formatter : public RecordSink {
 public:
  // At the end: what is still held back (calls waiting for their return).
  // `returns_lost`: the kernel's count of lost return events, if known.
  virtual void Finish(std::optional<uint64_t> returns_lost) {}
};

struct FormatterOptions {
  Arch arch = HostArch();        // whose syscall names
  uint32_t fields = 0;           // BinFields the events carry
  std::string delimiter = "\t";  // raw only
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_FORMATTER_H_
