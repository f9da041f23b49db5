// SPDX-License-Identifier: Apache-2.0
// The original utility's log format: each record printed as "%lx" (lowercase
// hex, no leading zeros) followed by a delimiter.
#ifndef SYSSTREAM_CC_SINK_RAW_FORMAT_H_
#define SYSSTREAM_CC_SINK_RAW_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "bpf/sysstream.h"

namespace sysstream {

// Largest output of FormatRaw for a given delimiter.
inline size_t MaxRawRecordSize(absl::string_view delimiter) {
  return 16 + delimiter.size();
}

// Writes `record` as "%lx" then `delimiter` into `out` (at least
// MaxRawRecordSize bytes); returns the bytes written.
inline size_t FormatRaw(uint64_t record, absl::string_view delimiter,
                        char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  int digits = record == 0 ? 1 : (64 - __builtin_clzll(record) + 3) / 4;
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kDigits[record & 0xf];
    record >>= 4;
  }
  std::memcpy(out + digits, delimiter.data(), delimiter.size());
  return digits + delimiter.size();
}

// What separates the records of a raw log for its readers (decode, the
// --append check): any delimiter sysstream or the original utility wrote.
inline bool IsRawDelimiter(char c) {
  return c == '\t' || c == '\n' || c == ' ' || c == '\r' || c == '\0' ||
         c == ',';
}

inline uint32_t RecordPid(uint64_t record) {
  return static_cast<uint32_t>(record >> 32);
}
inline uint32_t RecordSyscall(uint64_t record) {
  return static_cast<uint32_t>(record);
}
inline bool IsGapMarker(uint64_t record) {
  return RecordPid(record) == SYSSTREAM_GAP_PID;
}
inline bool IsSkipMarker(uint64_t record) {
  return RecordPid(record) == SYSSTREAM_SKIP_PID;
}
inline uint64_t MakeRecord(uint32_t pid, uint32_t nr) {
  return (static_cast<uint64_t>(pid) << 32) | nr;
}

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_RAW_FORMAT_H_
