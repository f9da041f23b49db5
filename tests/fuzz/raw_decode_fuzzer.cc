// SPDX-License-Identifier: Apache-2.0
// Fuzzes DecodeRawLog (raw logs: hex records and delimiters) against a
// plain reference decoder: the same records must be visited, in order, and
// the log accepted exactly when every record is at most 16 hex digits and
// the last one is followed by a delimiter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cc/sink/decode.h"

namespace {

bool IsDelimiter(char c) {
  return c == '\t' || c == '\n' || c == ' ' || c == '\r' || c == '\0' ||
         c == ',';
}

// The records before the first bad one; *ok when there is none.
std::vector<uint64_t> Reference(const std::string& text, bool* ok) {
  std::vector<uint64_t> out;
  size_t i = 0;
  *ok = true;
  while (i < text.size()) {
    if (IsDelimiter(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !IsDelimiter(text[end])) ++end;
    const std::string token = text.substr(i, end - i);
    if (end == text.size() || token.size() > 16 ||
        token.find_first_not_of("0123456789abcdefABCDEF") !=
            std::string::npos) {
      *ok = false;
      return out;
    }
    out.push_back(std::stoull(token, nullptr, 16));
    i = end;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  std::vector<uint64_t> seen;
  absl::Status s =
      sysstream::DecodeRawLog(in, [&](uint64_t r) { seen.push_back(r); });
  bool ok = false;
  const std::vector<uint64_t> want = Reference(text, &ok);
  if (s.ok() != ok) std::abort();
  if (!s.ok() && (s.code() != absl::StatusCode::kDataLoss ||
                  s.message().find('\n') != absl::string_view::npos)) {
    std::abort();
  }
  if (seen != want) std::abort();
  return 0;
}
