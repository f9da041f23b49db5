// SPDX-License-Identifier: Apache-2.0
// Byte counts as users write them: "4096", "64K", "8M", "1G", "16MiB".
#ifndef SYSSTREAM_CC_COMMON_SIZE_H_
#define SYSSTREAM_CC_COMMON_SIZE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sysstream {

// Digits with an optional binary suffix: K, M, G or KiB, MiB, GiB, in any
// case (K = 1024). InvalidArgument with a short reason ("not a number",
// "unknown suffix 'KB' (use K, M or G)"); OutOfRange when the value is
// above `max`.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text,
                                   uint64_t max = uint64_t{1} << 62);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_SIZE_H_
