// SPDX-License-Identifier: Apache-2.0
// Least privilege: once the probe is attached and the log is open, the
// stream needs no capability at all.
#ifndef SYSSTREAM_CC_COMMON_PRIVILEGES_H_
#define SYSSTREAM_CC_COMMON_PRIVILEGES_H_

#include "absl/status/status.h"

namespace sysstream {

// Sets no_new_privs and drops every capability: the bounding set, the
// ambient set, and the effective, permitted and inheritable sets. The
// process keeps its uid; files it opens later (SIGHUP, rotation) are then
// subject to plain permission checks.
absl::Status DropAllCapabilities();

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_PRIVILEGES_H_
