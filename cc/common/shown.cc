// SPDX-License-Identifier: Apache-2.0
#include "cc/common/shown.h"

#include "absl/strings/str_cat.h"

namespace sysstream {

std::string Shown(absl::string_view text, ShownBytes escaped) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool escape = u < 0x20 || u == 0x7f ||
                        (u >= 0x80 && escaped == ShownBytes::kNonAscii);
    if (escape) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace sysstream
