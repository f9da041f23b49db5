// SPDX-License-Identifier: Apache-2.0
// Output paths that name one of sysstream's own open file descriptors:
// "-", /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N. They are
// written through the inherited descriptor (like "-"), never opened by
// name: those names are symbolic links, which sysstream does not follow.
#ifndef SYSSTREAM_CC_COMMON_STD_STREAM_H_
#define SYSSTREAM_CC_COMMON_STD_STREAM_H_

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace sysstream {

// The descriptor `path` stands for, or nullopt for an ordinary path.
inline std::optional<int> StandardStreamFd(absl::string_view path) {
  if (path == "-" || path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (absl::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (!absl::StartsWith(path, prefix)) continue;
    absl::string_view digits = path.substr(prefix.size());
    if (digits.empty() || digits.size() > 9) return std::nullopt;
    for (char c : digits) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return std::nullopt;
      }
    }
    int fd = 0;
    if (!absl::SimpleAtoi(digits, &fd)) return std::nullopt;
    return fd;
  }
  return std::nullopt;
}

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_STD_STREAM_H_
