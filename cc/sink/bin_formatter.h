// SPDX-License-Identifier: Apache-2.0
// --format bin: each entry, return and gap as a struct sysstream_event
// (bin_format.h; the header is the LogWriter's preamble).
#ifndef SYSSTREAM_CC_SINK_BIN_FORMATTER_H_
#define SYSSTREAM_CC_SINK_BIN_FORMATTER_H_

#include "cc/sink/formatter.h"

namespace sysstream {

class BinFormatter final : public Formatter {
 public:
  explicit BinFormatter(FormatOutput& out) : out_(out) {}
  // A bare record becomes an ENTER event, a gap marker a GAP event.
  void OnRecord(uint64_t record) override;
  // As the kernel wrote it; a thread's end is never written.
  void OnEvent(const sysstream_event& event) override;

 private:
  FormatOutput& out_;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_BIN_FORMATTER_H_
