// SPDX-License-Identifier: Apache-2.0
// One decoded event, whatever its source (live ring records or a log file),
// and the formats that print it for people and tools.
#ifndef SYSSTREAM_CC_SINK_EVENT_H_
#define SYSSTREAM_CC_SINK_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "bpf/sysstream.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

struct Event {
  uint32_t pid = 0;
  uint32_t nr = 0;          // without SYSSTREAM_COMPAT_BIT
  bool compat = false;      // an ia32 syscall on x86_64
  // A number no syscall has (>= 2^31 native, >= 2^30 ia32); nr holds its
  // low 30 bits.
  bool out_of_range = false;
  uint64_t lost = 0;        // > 0: a gap marker; the other fields are unset
  // > 0: a skipped-runs marker (up to this many calls may be missing); the
  // other fields are unset.
  uint64_t skipped = 0;
  std::optional<uint64_t> ts_ns;        // --timestamps (boot clock)
  std::optional<uint32_t> tid;          // --tid
  std::optional<std::string> comm;      // --comm
  std::optional<int64_t> ret;           // --ret
  std::optional<uint64_t> duration_ns;  // --ret
  // --ret: the call was recorded but its return event was lost (ring
  // full); ret and duration_ns are unset.
  bool return_lost = false;
};

// The record's number field for `e` (compat and out-of-range bits set).
uint32_t RecordNumber(const Event& e);

// From a raw 8-byte record (pid << 32 | nr, or a gap marker).
Event EventFromRecord(uint64_t record);

// "31996 getrusage(98)" plus the rich fields that are set:
// "12.000123456 31996/31997 (bash) openat(257) = -2 ENOENT <0.000012>";
// a call whose return event was lost: "... getppid(110) = ? (return lost)";
// a gap: "-- 12 records lost --" (12 calls); skipped runs: "-- up to 3
// calls may be missing (the kernel skipped 3 runs) --". No newline.
std::string FormatText(const Event& e, Arch arch);

// One JSON object, no newline. Fields (stable): pid, nr, syscall, and when
// known compat, out_of_range, ts_ns, tid, comm, ret, errno, duration_ns,
// ret_lost; a gap marker is {"gap": N}, a skipped-runs marker
// {"skipped": N}.
std::string FormatJson(const Event& e, Arch arch);

// The syscall's name; "ia32:NAME" for compat calls (i386 table);
// "syscall_N" if unknown; "out_of_range" for an out-of-range number.
std::string SyscallLabel(const Event& e, Arch arch);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_EVENT_H_
