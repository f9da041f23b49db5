// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/decode.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cc/common/shown.h"
#include "cc/sink/raw_format.h"

namespace sysstream {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// At most 32 bytes of a bad token, every byte outside printable ASCII as
// \xNN: the log may hold anything.
std::string Printable(const std::string& s) {
  const std::string shown = Shown(s.substr(0, 32), ShownBytes::kNonAscii);
  return s.size() > 32 ? shown + "..." : shown;
}

}  // namespace

absl::Status DecodeRawLog(std::istream& in,
                          const std::function<void(uint64_t)>& visit) {
  char buf[1 << 16];
  uint64_t offset = 0;        // bytes read so far
  uint64_t record_start = 0;  // offset of the current token
  uint64_t records = 0;
  std::string token;
  uint64_t value = 0;
  bool bad = false;
  auto finish = [&]() -> absl::Status {
    if (bad || token.size() > 16) {
      return absl::DataLossError(absl::StrCat(
          "invalid record '", Printable(token), "' at byte ", record_start,
          " (record ", records + 1, ")"));
    }
    visit(value);
    ++records;
    token.clear();
    value = 0;
    return absl::OkStatus();
  };
  while (in) {
    in.read(buf, sizeof(buf));
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i, ++offset) {
      const char c = buf[i];
      if (IsRawDelimiter(c)) {
        if (!token.empty()) {
          if (absl::Status s = finish(); !s.ok()) return s;
        }
        continue;
      }
      if (token.empty()) {
        record_start = offset;
        bad = false;
      }
      if (token.size() <= 16) token += c;
      const int v = HexValue(c);
      if (v < 0) {
        bad = true;
      } else {
        value = (value << 4) | static_cast<uint64_t>(v);
      }
    }
  }
  if (!token.empty()) {
    return absl::DataLossError(absl::StrCat(
        "truncated last record '", Printable(token), "' at byte ",
        record_start, " (record ", records + 1,
        "): no delimiter after it; the ", records,
        " records before it were decoded"));
  }
  return absl::OkStatus();
}

}  // namespace sysstream
