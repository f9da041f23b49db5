// SPDX-License-Identifier: Apache-2.0
// ResolveTargets on this machine's /proc: PIDs, sysstream's own PID and
// the command, with the error kinds main maps to exit codes.
#include "cc/target/resolve.h"

#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "cc/common/error_kind.h"
#include "cc/target/command.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

TargetSpec PidSpec(std::vector<int32_t> pids) {
  TargetSpec spec;
  spec.pids = std::move(pids);
  spec.self_pid = static_cast<uint32_t>(getpid());
  spec.search_path = kDefaultSearchPath;
  return spec;
}

TEST(ResolveTargetsTest, PidsResolveToProcesses) {
  TargetSpec spec = PidSpec({static_cast<int32_t>(getppid())});
  absl::StatusOr<TargetSet> set = ResolveTargets(spec);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->tgids,
            std::vector<uint32_t>{static_cast<uint32_t>(getppid())});
  EXPECT_TRUE(set->cgroups.empty());
  EXPECT_FALSE(set->follow);
  EXPECT_EQ(set->stop_signal, 0);
}

TEST(ResolveTargetsTest, MissingPidIsTargetNotFound) {
  absl::StatusOr<TargetSet> set = ResolveTargets(PidSpec({4194304}));
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(), "no such process: 4194304");
  EXPECT_EQ(KindOf(set.status()), ErrorKind::kTargetNotFound);
}

TEST(ResolveTargetsTest, OwnPidIsRefusedWithoutIncludeSelf) {
  const int32_t self = static_cast<int32_t>(getpid());
  TargetSpec spec = PidSpec({self});
  absl::StatusOr<TargetSet> set = ResolveTargets(spec);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(),
            "PID " + std::to_string(self) +
                " is sysstream itself: use -m to record its own calls");
  EXPECT_EQ(KindOf(set.status()), ErrorKind::kUsage);
  spec.include_self = true;  // and nothing else to trace
  set = ResolveTargets(spec);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "PID " + std::to_string(self) +
                " is sysstream itself: give another target (with -m its "
                "calls are recorded too)");
  spec.command = "sh";  // with a command, -m and its PID are enough
  set = ResolveTargets(spec);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->tgids.empty());
  EXPECT_FALSE(set->command_path.empty());
}

TEST(ResolveTargetsTest, CommandErrorsHaveKinds) {
  TargetSpec spec = PidSpec({});
  spec.command = "no-such-command-xyz";
  absl::StatusOr<TargetSet> set = ResolveTargets(spec);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(), "command not found: no-such-command-xyz");
  EXPECT_EQ(KindOf(set.status()), ErrorKind::kCommandNotFound);
  spec.command = "/proc/self/status";  // there, not executable
  set = ResolveTargets(spec);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(KindOf(set.status()), ErrorKind::kCommandNotExecutable);
}

TEST(ResolveTargetsTest, MissingCgroupIsWaitableNotFound) {
  TargetSpec spec = PidSpec({});
  spec.cgroups = {"/no-such-cgroup-xyz"};
  absl::StatusOr<TargetSet> set = ResolveTargets(spec);
  ASSERT_FALSE(set.ok());
  EXPECT_TRUE(absl::IsNotFound(set.status())) << set.status();
  EXPECT_FALSE(KindOf(set.status()).has_value());
}

TEST(PrepareCgroupViewTest, NothingNamedTouchesNothing) {
  absl::StatusOr<CgroupView> view = PrepareCgroupView(PidSpec({1}));
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_FALSE(view->pure_v2);
  EXPECT_EQ(view->cgroup2_root, "");
}

TEST(ResolveNamedTargetsTest, NothingNamedIsEmpty) {
  absl::StatusOr<TargetSet> set = ResolveNamedTargets(PidSpec({1}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->tgids.empty());
  EXPECT_TRUE(set->cgroups.empty());
}

}  // namespace
}  // namespace sysstream
