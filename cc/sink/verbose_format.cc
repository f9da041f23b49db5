// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/verbose_format.h"

#include "absl/strings/str_cat.h"
#include "cc/sink/raw_format.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

std::string FormatVerbose(uint64_t record) {
  const std::string hex = absl::StrCat(absl::Hex(record));
  if (IsGapMarker(record)) {
    return absl::StrCat("-- gap: ", RecordSyscall(record), " records lost --  ",
                        hex, "\n");
  }
  if (IsSkipMarker(record)) {
    return absl::StrCat("-- skipped runs: up to ", RecordSyscall(record),
                        " calls may be missing --  ", hex, "\n");
  }
  const uint32_t nr = RecordSyscall(record);
  absl::string_view name = SyscallName(HostArch(), nr);
  return absl::StrCat(
      "pid ", RecordPid(record), "  ",
      name.empty() ? absl::StrCat("syscall_", nr) : std::string(name), "(", nr,
      ")  ", hex, "\n");
}

}  // namespace sysstream
