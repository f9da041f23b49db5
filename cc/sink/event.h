// SPDX-License-Identifier: Apache-2.0
// One decoded event, whatever its source (live ring records or a log file),
// and the formats that print it for people and tools.
#ifndef SYSSTREAM_CC_SINK_EVENT_H_
#define SYSSTREAM_CC_SINK_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "cc/syscalls/syscalls.h"

namespace sysstream {

// The bit that marks a 32-bit compat (ia32) syscall in a record's number.
constexpr uint32_t kCompatBit = 0x80000000U;

struct Event {
  uint32_t pid = 0;
  uint32_t nr = 0;          // without kCompatBit
  bool compat = false;      // an ia32 syscall on x86_64
  uint64_t lost = 0;        // > 0: a gap marker; the other fields are unset
  std::optional<uint64_t> ts_ns;        // --timestamps (boot clock)
  std::optional<uint32_t> tid;          // --tid
  std::optional<std::string> comm;      // --comm
  std::optional<int64_t> ret;           // --ret
  std::optional<uint64_t> duration_ns;  // --ret
};

// From a raw 8-byte record (pid << 32 | nr, or a gap marker).
Event EventFromRecord(uint64_t record);

// "31996 getrusage(98)" plus the rich fields that are set:
// "12.000123456 31996/31997 (bash) openat(257) = -2 ENOENT <0.000012>";
// a gap: "-- 12 records lost --". No newline.
std::string FormatText(const Event& e, Arch arch);

// One JSON object, no newline. Fields (stable): pid, nr, syscall, and when
// known compat, ts_ns, tid, comm, ret, errno, duration_ns; a gap marker is
// {"gap": N}.
std::string FormatJson(const Event& e, Arch arch);

// The syscall's name; "ia32:NAME" for compat calls (i386 table);
// "syscall_N" if unknown.
std::string SyscallLabel(const Event& e, Arch arch);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_EVENT_H_
