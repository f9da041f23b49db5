// SPDX-License-Identifier: Apache-2.0
#include "cc/app/exit_code.h"

#include "absl/status/status.h"
#include "cc/common/error_kind.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

TEST(ExitCodeForKindTest, EveryKind) {
  const std::pair<ErrorKind, int> kTable[] = {
      {ErrorKind::kInternal, 1},
      {ErrorKind::kUsage, 2},
      {ErrorKind::kTargetNotFound, 3},
      {ErrorKind::kLogFile, 4},
      {ErrorKind::kNoPrivilege, 5},
      {ErrorKind::kKernelUnsupported, 6},
      {ErrorKind::kKernelLimit, 6},
      {ErrorKind::kWriteFailed, 7},
      {ErrorKind::kAmbiguousTarget, 8},
      {ErrorKind::kRuntimeUnavailable, 9},
      {ErrorKind::kRuntimeState, 10},
      {ErrorKind::kNotVisible, 3},
      {ErrorKind::kMalformedLog, 11},
      {ErrorKind::kCommandNotExecutable, 126},
      {ErrorKind::kCommandNotFound, 127},
  };
  for (const auto& [kind, code] : kTable) {
    EXPECT_EQ(ExitCodeForKind(kind), code) << static_cast<int>(kind);
  }
}

// The kind decides, whatever the canonical code or the message says.
TEST(TargetExitCodeTest, KindBeforeCode) {
  EXPECT_EQ(TargetExitCode(WithKind(absl::FailedPreconditionError("ambiguous"),
                                    ErrorKind::kAmbiguousTarget)),
            8);
  EXPECT_EQ(TargetExitCode(WithKind(absl::FailedPreconditionError(
                                        "no cgroup filesystem is mounted"),
                                    ErrorKind::kTargetNotFound)),
            3);
  EXPECT_EQ(TargetExitCode(WithKind(absl::NotFoundError("not visible here"),
                                    ErrorKind::kNotVisible)),
            3);
  EXPECT_EQ(TargetExitCode(WithKind(absl::InternalError("reading status"),
                                    ErrorKind::kTargetNotFound)),
            3);
  // A message starting "ambiguous" no longer picks 8 by itself.
  EXPECT_EQ(TargetExitCode(absl::FailedPreconditionError("ambiguous x")), 5);
}

TEST(TargetExitCodeTest, WithoutKindByCode) {
  EXPECT_EQ(TargetExitCode(absl::NotFoundError("x")), 3);
  EXPECT_EQ(TargetExitCode(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(TargetExitCode(absl::FailedPreconditionError("x")), 5);
  EXPECT_EQ(TargetExitCode(absl::UnavailableError("x")), 9);
  EXPECT_EQ(TargetExitCode(absl::DataLossError("x")), 10);
  EXPECT_EQ(TargetExitCode(absl::InternalError("x")), 1);
}

TEST(ProbeExitCodeTest, KindsAndCodes) {
  EXPECT_EQ(ProbeExitCode(WithKind(absl::InvalidArgumentError("map full"),
                                   ErrorKind::kKernelLimit)),
            6);
  EXPECT_EQ(ProbeExitCode(WithKind(absl::InternalError("EPERM"),
                                   ErrorKind::kNoPrivilege)),
            5);
  EXPECT_EQ(ProbeExitCode(absl::PermissionDeniedError("x")), 5);
  EXPECT_EQ(ProbeExitCode(absl::FailedPreconditionError("x")), 6);
  EXPECT_EQ(ProbeExitCode(absl::NotFoundError("x")), 1);
}

TEST(CommandExitCodeTest, ByCode) {
  EXPECT_EQ(CommandExitCode(absl::NotFoundError("x")), 127);
  EXPECT_EQ(CommandExitCode(absl::PermissionDeniedError("x")), 126);
  EXPECT_EQ(CommandExitCode(absl::FailedPreconditionError("x")), 126);
  EXPECT_EQ(CommandExitCode(absl::AbortedError("x")), 1);
}

TEST(DecodeExitCodeTest, ByCode) {
  EXPECT_EQ(DecodeExitCode(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(DecodeExitCode(absl::DataLossError("x")), 11);
  EXPECT_EQ(DecodeExitCode(absl::NotFoundError("x")), 4);
  EXPECT_EQ(DecodeExitCode(absl::PermissionDeniedError("x")), 4);
  EXPECT_EQ(DecodeExitCode(absl::FailedPreconditionError("x")), 4);
  EXPECT_EQ(DecodeExitCode(absl::ResourceExhaustedError("x")), 7);
  EXPECT_EQ(DecodeExitCode(absl::InternalError("x")), 1);
  EXPECT_EQ(DecodeExitCode(
                WithKind(absl::InternalError("x"), ErrorKind::kMalformedLog)),
            11);
}

}  // namespace
}  // namespace sysstream
