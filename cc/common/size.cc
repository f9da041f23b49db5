// SPDX-License-Identifier: Apache-2.0
#include "cc/common/size.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cc/common/shown.h"

namespace sysstream {

absl::StatusOr<uint64_t> ParseSize(absl::string_view text, uint64_t max) {
  size_t digits = 0;
  while (digits < text.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0) return absl::InvalidArgumentError("not a number");
  const absl::string_view suffix = text.substr(digits);
  const std::string lower = absl::AsciiStrToLower(suffix);
  int shift = 0;
  if (lower.empty()) {
    shift = 0;
  } else if (lower == "k" || lower == "kib") {
    shift = 10;
  } else if (lower == "m" || lower == "mib") {
    shift = 20;
  } else if (lower == "g" || lower == "gib") {
    shift = 30;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown suffix '", Shown(suffix), "' (use K, M or G)"));
  }
  uint64_t number = 0;
  // SimpleAtoi fails only on overflow here (the text is all digits).
  if (!absl::SimpleAtoi(text.substr(0, digits), &number) ||
      number > (max >> shift)) {
    return absl::OutOfRangeError(absl::StrCat("more than ", max, " bytes"));
  }
  return number << shift;
}

}  // namespace sysstream
