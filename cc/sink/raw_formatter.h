// SPDX-License-Identifier: Apache-2.0
// --format raw: every syscall entry and gap marker as the original utility
// printed it ("%lx" and a delimiter); returns are not shown.
#ifndef SYSSTREAM_CC_SINK_RAW_FORMATTER_H_
#define SYSSTREAM_CC_SINK_RAW_FORMATTER_H_

#include <string>

#include "cc/sink/formatter.h"

namespace sysstream {

class RawFormatter final : public Formatter {
 public:
  RawFormatter(absl::string_view delimiter, FormatOutput& out);
  void OnRecord(uint64_t record) override;
  void OnEvent(const sysstream_event& event) override;

 private:
  FormatOutput& out_;
  const std::string delimiter_;
  std::string buffer_;  // MaxRawRecordSize bytes
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_RAW_FORMATTER_H_
