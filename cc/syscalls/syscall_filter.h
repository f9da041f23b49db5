// SPDX-License-Identifier: Apache-2.0
// -e/--syscalls and --exclude: names or numbers → the set the kernel records.
#ifndef SYSSTREAM_CC_SYSCALLS_SYSCALL_FILTER_H_
#define SYSSTREAM_CC_SYSCALLS_SYSCALL_FILTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

// Each list entry is a comma-separated list of syscall names or numbers.
// Returns the sorted numbers to record (every number below `limit` that is
// included and not excluded), or an empty vector when both lists are empty
// (no filter). InvalidArgument names an unknown syscall.
absl::StatusOr<std::vector<uint32_t>> ResolveSyscallFilter(
    Arch arch, const std::vector<std::string>& include,
    const std::vector<std::string>& exclude, uint32_t limit);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SYSCALLS_SYSCALL_FILTER_H_
