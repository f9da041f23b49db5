// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/bin_formatter.h"

#include "cc/sink/raw_format.h"

namespace sysstream {

void BinFormatter::OnRecord(uint64_t record) {
  sysstream_event event = {};
  event.kind = IsGapMarker(record)    ? SYSSTREAM_EV_GAP
               : IsSkipMarker(record) ? SYSSTREAM_EV_SKIP
                                      : SYSSTREAM_EV_ENTER;
  event.size = sizeof(event);
  event.record = record;
  OnEvent(event);
}

void BinFormatter::OnEvent(const sysstream_event& event) {
  if (event.kind == SYSSTREAM_EV_THREAD_EXIT) return;
  out_.Write(
      absl::string_view(reinterpret_cast<const char*>(&event), sizeof(event)));
}

}  // namespace sysstream
