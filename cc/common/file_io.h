// SPDX-License-Identifier: Apache-2.0
// Whole-file reads and whole-buffer writes on plain descriptors, written
// once for every module.
#ifndef SYSSTREAM_CC_COMMON_FILE_IO_H_
#define SYSSTREAM_CC_COMMON_FILE_IO_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sysstream {

// /proc and runtime state files are small; a larger file is not what any
// caller expects.
inline constexpr size_t kMaxReadFile = size_t{4} << 20;

// Reads the whole file (O_CLOEXEC; /proc files whose size says 0 too).
// NotFound (with strerror) if it cannot be opened or read: absent, the
// process gone, not permitted; OutOfRange if it holds more than
// `max_bytes`.
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     size_t max_bytes = kMaxReadFile);

// Writes all of `data`, retrying short writes and EINTR. false (errno set)
// on the first error, or when the descriptor takes no more (EAGAIN).
bool WriteAll(int fd, absl::string_view data);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_FILE_IO_H_
