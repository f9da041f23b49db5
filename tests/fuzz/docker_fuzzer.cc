// SPDX-License-Identifier: Apache-2.0
// Fuzzes the parser of Docker's GET /containers/NAME/json reply body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cc/target/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<sysstream::Container> c = sysstream::ParseDockerInspect(body);
  if (!c.ok()) {
    if (c.status().code() != absl::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  // An accepted reply names a container and a plausible pid (0: stopped).
  if (c->id.empty() || c->runtime != "docker") std::abort();
  if (c->pid > (1u << 22)) std::abort();
  return 0;
}
