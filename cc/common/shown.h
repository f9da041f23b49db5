// SPDX-License-Identifier: Apache-2.0
// Text from outside (arguments, files, the wire) as it appears inside a
// one-line message: bytes that could break the line are shown as \xNN.
#ifndef SYSSTREAM_CC_COMMON_SHOWN_H_
#define SYSSTREAM_CC_COMMON_SHOWN_H_

#include <string>

#include "absl/strings/string_view.h"

namespace sysstream {

enum class ShownBytes {
  kControl,   // control characters (below 0x20, and 0x7f)
  kNonAscii,  // those and every byte from 0x80 (text that is not UTF-8)
};

std::string Shown(absl::string_view text,
                  ShownBytes escaped = ShownBytes::kControl);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_SHOWN_H_
