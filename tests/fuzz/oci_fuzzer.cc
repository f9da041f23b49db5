// SPDX-License-Identifier: Apache-2.0
// Fuzzes the parser of OCI runtime config.json annotations (containerd,
// CRI-O and Podman state files under the node's root).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cc/target/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<sysstream::Container> c = sysstream::ParseOciAnnotations(text);
  if (!c.ok() && c.status().code() != absl::StatusCode::kDataLoss) {
    std::abort();  // malformed state is DataLoss and nothing else
  }
  if (c.ok() && c->pid != 0) std::abort();  // the caller fills the pid in
  return 0;
}
