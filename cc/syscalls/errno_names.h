// SPDX-License-Identifier: Apache-2.0
// errno number -> name ("ENOTEMPTY"), from a table generated at build time
// from the kernel's uapi headers (gen_errno.py); the same on x86_64 and
// arm64. Includes the kernel-internal codes a tracer can see at syscall
// exit (ERESTARTSYS = 512 ... ERECALLCONFLICT = 530).
#ifndef SYSSTREAM_CC_SYSCALLS_ERRNO_NAMES_H_
#define SYSSTREAM_CC_SYSCALLS_ERRNO_NAMES_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sysstream {

// The name of errno `err` (positive), or an empty string_view if none.
absl::string_view ErrnoName(int64_t err);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SYSCALLS_ERRNO_NAMES_H_
