// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/raw_formatter.h"

#include "cc/sink/raw_format.h"

namespace sysstream {

RawFormatter::RawFormatter(absl::string_view delimiter, FormatOutput& out)
    : out_(out),
      delimiter_(delimiter),
      buffer_(MaxRawRecordSize(delimiter), '\0') {}

void RawFormatter::OnRecord(uint64_t record) {
  const size_t n = FormatRaw(record, delimiter_, buffer_.data());
  out_.Write(absl::string_view(buffer_.data(), n));
}

void RawFormatter::OnEvent(const sysstream_event& event) {
  if (event.kind == SYSSTREAM_EV_ENTER || event.kind == SYSSTREAM_EV_GAP ||
      event.kind == SYSSTREAM_EV_SKIP) {
    OnRecord(event.record);
  }
}

}  // namespace sysstream
