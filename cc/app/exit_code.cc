// SPDX-License-Identifier: Apache-2.0
#include "cc/app/exit_code.h"

#include <optional>

namespace sysstream {
namespace {

// The kind's code if the status has one, else `by_code`'s.
template <typename ByCode>
int ExitCodeOf(const absl::Status& status, ByCode by_code) {
  if (std::optional<ErrorKind> kind = KindOf(status); kind.has_value()) {
    return ExitCodeForKind(*kind);
  }
  return by_code(status.code());
}

}  // namespace

int ExitCodeForKind(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInternal:
      return kInternal;
    case ErrorKind::kUsage:
      return kUsage;
    case ErrorKind::kTargetNotFound:
    case ErrorKind::kNotVisible:  // found, but not traceable from here
      return kTargetNotFound;
    case ErrorKind::kLogFile:
      return kLogFile;
    case ErrorKind::kNoPrivilege:
      return kNoPrivilege;
    case ErrorKind::kKernelUnsupported:
    case ErrorKind::kKernelLimit:  // a kernel table too small for the targets
      return kKernelUnsupported;
    case ErrorKind::kWriteFailed:
      return kWriteFailed;
    case ErrorKind::kAmbiguousTarget:
      return kAmbiguousTarget;
    case ErrorKind::kRuntimeUnavailable:
      return kRuntimeUnavailable;
    case ErrorKind::kRuntimeState:
      return kRuntimeState;
    case ErrorKind::kMalformedLog:
      return kMalformedLog;
    case ErrorKind::kCommandNotExecutable:
      return kCommandNotExecutable;
    case ErrorKind::kCommandNotFound:
      return kCommandNotFound;
  }
  return kInternal;  // a payload from no known kind
}

int TargetExitCode(const absl::Status& status) {
  return ExitCodeOf(status, [](absl::StatusCode code) {
    switch (code) {
      case absl::StatusCode::kNotFound:
        return kTargetNotFound;
      case absl::StatusCode::kInvalidArgument:
        return kUsage;
      case absl::StatusCode::kFailedPrecondition:
        return kNoPrivilege;
      case absl::StatusCode::kUnavailable:
        return kRuntimeUnavailable;
      case absl::StatusCode::kDataLoss:
        return kRuntimeState;
      default:
        return kInternal;
    }
  });
}

int ProbeExitCode(const absl::Status& status) {
  return ExitCodeOf(status, [](absl::StatusCode code) {
    switch (code) {
      case absl::StatusCode::kPermissionDenied:
        return kNoPrivilege;
      case absl::StatusCode::kFailedPrecondition:
        return kKernelUnsupported;
      default:
        return kInternal;
    }
  });
}

int CommandExitCode(const absl::Status& status) {
  return ExitCodeOf(status, [](absl::StatusCode code) {
    switch (code) {
      case absl::StatusCode::kNotFound:
        return kCommandNotFound;
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kFailedPrecondition:
        return kCommandNotExecutable;
      default:
        return kInternal;
    }
  });
}

int DecodeExitCode(const absl::Status& status) {
  return ExitCodeOf(status, [](absl::StatusCode code) {
    switch (code) {
      case absl::StatusCode::kInvalidArgument:
        return kUsage;
      case absl::StatusCode::kDataLoss:
        return kMalformedLog;
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kFailedPrecondition:
        return kLogFile;
      case absl::StatusCode::kResourceExhausted:
        return kWriteFailed;
      default:
        return kInternal;
    }
  });
}

}  // namespace sysstream
