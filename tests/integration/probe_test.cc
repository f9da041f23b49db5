// SPDX-License-Identifier: Apache-2.0
// The probe's errors at the kernel's limits: each says which table is full
// or too small, carries ErrorKind::kKernelLimit, and keeps its canonical
// code (main's exit codes). Loads the real BPF object into the running
// kernel; needs root and kernel BTF.
#include "cc/probe/probe.h"

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bpf/sysstream.h"
#include "cc/common/error_kind.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

// A probe that is loaded but never attached: it traces nothing.
std::unique_ptr<Probe> LoadedProbe(const ProbeOptions& options) {
  absl::StatusOr<std::unique_ptr<Probe>> probe = Probe::Create(options);
  EXPECT_TRUE(probe.ok()) << probe.status();
  return probe.ok() ? std::move(*probe) : nullptr;
}

// `status` is a kernel limit with this canonical code and message.
void ExpectLimit(const absl::Status& status, absl::StatusCode code,
                 absl::string_view message) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(status.message(), message);
  EXPECT_TRUE(IsKind(status, ErrorKind::kKernelLimit)) << status;
}

class ProbeLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_BPF, CAP_PERFMON)";
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
      GTEST_SKIP() << "kernel has no BTF (/sys/kernel/btf/vmlinux)";
    }
    options_.ring_bytes = 64 << 10;
  }
  ProbeOptions options_;
};

TEST_F(ProbeLimits, FullTargetTableSaysSo) {
  std::unique_ptr<Probe> probe = LoadedProbe(options_);
  ASSERT_NE(probe, nullptr);
  // Pids that need not exist: the probe only fills its map.
  std::vector<uint32_t> pids;
  for (uint32_t pid = 1; pid <= SYSSTREAM_MAX_TARGETS; ++pid) {
    pids.push_back(pid);
  }
  ASSERT_TRUE(probe->AddTargets(pids).ok());
  EXPECT_EQ(probe->live_targets(), SYSSTREAM_MAX_TARGETS);
  const uint32_t one_more = SYSSTREAM_MAX_TARGETS + 1;
  ExpectLimit(probe->AddTargets({one_more}),
              absl::StatusCode::kFailedPrecondition,
              "add target 65537: the target table is full (at most 65536 "
              "processes)");
  EXPECT_EQ(probe->live_targets(), SYSSTREAM_MAX_TARGETS);
}

TEST_F(ProbeLimits, TooManyCgroupDepthsSaySo) {
  for (uint32_t level = 1; level <= SYSSTREAM_MAX_CGROUP_LEVELS + 1; ++level) {
    options_.cgroups.push_back({/*id=*/1000 + level, level});
  }
  ExpectLimit(Probe::Create(options_).status(),
              absl::StatusCode::kInvalidArgument,
              "target cgroups sit at 9 different depths; at most 8");
}

TEST_F(ProbeLimits, SyscallBeyondTheFilterSaysSo) {
  options_.syscalls = {0, SYSSTREAM_MAX_SYSCALLS};
  ExpectLimit(Probe::Create(options_).status(),
              absl::StatusCode::kInvalidArgument,
              "syscall number 1024 is beyond the filter's range (1024)");
}

TEST_F(ProbeLimits, LateCgroupAtANewDepthSaysSo) {
  options_.cgroups = {{/*id=*/4242, /*level=*/2}};
  std::unique_ptr<Probe> probe = LoadedProbe(options_);
  ASSERT_NE(probe, nullptr);
  ExpectLimit(probe->AddLateCgroup({/*id=*/4343, /*level=*/3}),
              absl::StatusCode::kFailedPrecondition,
              "cgroup 4343 sits at depth 3, where no target cgroup was when "
              "tracing started");
  EXPECT_TRUE(probe->AddLateCgroup({/*id=*/4444, /*level=*/2}).ok());
}

}  // namespace
}  // namespace sysstream
