// SPDX-License-Identifier: Apache-2.0
// Fuzzes the parser of /proc/PID/status (Tgid and State lines).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cc/target/target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<sysstream::ProcStatus> st = sysstream::ParseProcStatus(text);
  if (!st.ok() && st.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
