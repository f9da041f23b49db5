// SPDX-License-Identifier: Apache-2.0
// Where a Formatter's bytes go: a LogWriter (the stream), decode's output.
#ifndef SYSSTREAM_CC_SINK_FORMAT_OUTPUT_H_
#define SYSSTREAM_CC_SINK_FORMAT_OUTPUT_H_

#include "absl/strings/string_view.h"

namespace sysstream {

class FormatOutput {
 public:
  virtual ~FormatOutput() = default;
  // One whole record: a raw record and its delimiter, a line, a bin event
  // (never torn apart by a LogWriter).
  virtual void Write(absl::string_view record) = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_FORMAT_OUTPUT_H_
