// SPDX-License-Identifier: Apache-2.0
// The one parser of /proc/PID/stat: "pid (comm) state ppid pgrp session
// tty_nr tpgid flags ...". comm may hold spaces and parentheses, so the
// fields are counted from the last ')'.
#ifndef SYSSTREAM_CC_TARGET_PROC_STAT_H_
#define SYSSTREAM_CC_TARGET_PROC_STAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sysstream {

// What sysstream reads from /proc/PID/stat.
struct ProcStat {
  std::string comm;    // between the first '(' and the last ')'
  char state = '?';    // R, S, D, Z, X, ...
  uint32_t ppid = 0;   // 0 for the initial processes
  uint64_t flags = 0;  // PF_*; 0 when the text ends before it
};

// PF_KTHREAD (linux/sched.h): a kernel thread.
inline constexpr uint64_t kPfKthread = 0x00200000;

// Parses the text of /proc/PID/stat. InvalidArgument if it has no "(comm)"
// or no numeric ppid after it.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// Reads and parses PROC/PID/stat; NotFound once the process is gone.
absl::StatusOr<ProcStat> ReadProcStat(uint32_t pid,
                                      const std::string& proc = "/proc");

}  // namespace sysstream

#endif  // SYSSTREAM_CC_TARGET_PROC_STAT_H_
