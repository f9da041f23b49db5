// SPDX-License-Identifier: Apache-2.0
// sysstream's exit codes (also in --help and the README), chosen from the
// kind of an error (cc/common/error_kind.h) in one table, never from its
// message. A status with no kind falls back to its canonical code, mapped
// per step: the same code means different things at different steps.
#ifndef SYSSTREAM_CC_APP_EXIT_CODE_H_
#define SYSSTREAM_CC_APP_EXIT_CODE_H_

#include "absl/status/status.h"
#include "cc/common/error_kind.h"

namespace sysstream {

enum ExitCode {
  kOk = 0,
  kInternal = 1,
  kUsage = 2,
  kTargetNotFound = 3,
  kLogFile = 4,
  kNoPrivilege = 5,
  kKernelUnsupported = 6,
  kWriteFailed = 7,
  kAmbiguousTarget = 8,
  kRuntimeUnavailable = 9,
  kRuntimeState = 10,
  kMalformedLog = 11,
  kCommandNotExecutable = 126,
  kCommandNotFound = 127,
};

// The table: every kind's exit code.
int ExitCodeForKind(ErrorKind kind);

// Resolving targets: NotFound 3, InvalidArgument 2, FailedPrecondition 5,
// Unavailable 9, DataLoss 10 when the error has no kind.
int TargetExitCode(const absl::Status& status);
// Loading and attaching the probe: PermissionDenied 5,
// FailedPrecondition 6.
int ProbeExitCode(const absl::Status& status);
// Releasing -- COMMAND (its execve): NotFound 127, PermissionDenied and
// FailedPrecondition (a missing interpreter) 126.
int CommandExitCode(const absl::Status& status);
// `sysstream decode`: InvalidArgument 2, DataLoss 11; NotFound,
// PermissionDenied and FailedPrecondition (a directory) 4: its input;
// ResourceExhausted 7: its output.
int DecodeExitCode(const absl::Status& status);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_EXIT_CODE_H_
