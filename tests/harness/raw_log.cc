// SPDX-License-Identifier: Apache-2.0
#include "tests/harness/raw_log.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/harness/process.h"

namespace sysstream::harness {
namespace {

// What sysstream writes: lowercase hex, no leading zeros, at most 16 digits
// (SimpleHexAtoi alone would also take "0x", a sign and upper case).
bool IsCanonicalHex(absl::string_view token) {
  return !token.empty() && token.size() <= 16 &&
         token.find_first_not_of("0123456789abcdef") ==
             absl::string_view::npos &&
         (token.size() == 1 || token[0] != '0');
}

}  // namespace

uint64_t RawLog::CallsOf(uint32_t pid, uint32_t nr) const {
  auto p = calls.find(pid);
  if (p == calls.end()) return 0;
  auto n = p->second.find(nr);
  return n == p->second.end() ? 0 : n->second;
}

uint64_t RawLog::AllCalls(uint32_t nr) const {
  uint64_t total = 0;
  for (const auto& [pid, by_nr] : calls) {
    auto n = by_nr.find(nr);
    if (n != by_nr.end()) total += n->second;
  }
  return total;
}

RawLog ParseRawLog(const std::string& path, char delim) {
  RawLog log;
  const std::string text = ReadFile(path);
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find(delim, start);
    if (end == std::string::npos) {
      log.well_formed = false;
      log.error = absl::StrCat("torn last record at byte ", start);
      break;
    }
    const absl::string_view token(text.data() + start, end - start);
    uint64_t value = 0;
    if (!IsCanonicalHex(token) || !absl::SimpleHexAtoi(token, &value)) {
      log.well_formed = false;
      log.error =
          absl::StrCat("malformed record '", token, "' at byte ", start);
      break;
    }
    const RawRecord r{static_cast<uint32_t>(value >> 32),
                      static_cast<uint32_t>(value)};
    log.records.push_back(r);
    if (r.IsGapMarker()) {
      ++log.gap_markers;
      log.lost += r.nr;
    } else {
      ++log.calls[r.pid][r.nr];
    }
    start = end + 1;
  }
  return log;
}

std::vector<uint32_t> SyscallsOf(const std::vector<RawRecord>& records,
                                 uint32_t pid) {
  std::vector<uint32_t> out;
  for (const RawRecord& r : records) {
    if (r.pid == pid) out.push_back(r.nr);
  }
  return out;
}

}  // namespace sysstream::harness
