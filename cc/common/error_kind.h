// SPDX-License-Identifier: Apache-2.0
// What went wrong, as a typed payload on an absl::Status, so that the exit
// code is chosen from the kind of failure and never from message text. The
// module that makes an error knows its kind and sets it (WithKind); main
// maps kinds to exit codes in one table. A status with no kind falls back
// to its canonical code, mapped per call site.
#ifndef SYSSTREAM_CC_COMMON_ERROR_KIND_H_
#define SYSSTREAM_CC_COMMON_ERROR_KIND_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sysstream {

enum class ErrorKind {
  kInternal = 1,
  kUsage,               // the command line names something impossible
  kTargetNotFound,      // a PID, container, pod or cgroup that is not there
  kLogFile,             // the log (or summary file) cannot be created
  kNoPrivilege,         // a capability or permission is missing
  kKernelUnsupported,   // the kernel lacks what sysstream needs
  kKernelLimit,         // a kernel-side table is full (targets, cgroups)
  kWriteFailed,         // the log took no more data
  kAmbiguousTarget,     // a name that matches several containers
  kRuntimeUnavailable,  // a container runtime does not answer
  kRuntimeState,        // a container runtime's state is malformed
  kNotVisible,          // found, but its processes are not visible here
  kMalformedLog,        // decode: the input is not a log it can read
  kCommandNotExecutable,
  kCommandNotFound,
};

inline constexpr char kErrorKindUrl[] = "sysstream/error-kind";

// `status` with `kind` attached (an ok status stays ok).
inline absl::Status WithKind(absl::Status status, ErrorKind kind) {
  if (!status.ok()) {
    status.SetPayload(kErrorKindUrl,
                      absl::Cord(absl::StrCat(static_cast<int>(kind))));
  }
  return status;
}

// The kind attached to `status`, if any.
inline std::optional<ErrorKind> KindOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorKindUrl);  // absl::optional
  if (!payload.has_value()) return std::nullopt;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return std::nullopt;
  return static_cast<ErrorKind>(value);
}

inline bool IsKind(const absl::Status& status, ErrorKind kind) {
  return KindOf(status) == kind;
}

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_ERROR_KIND_H_
