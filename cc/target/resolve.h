// SPDX-License-Identifier: Apache-2.0
// What the user named (PIDs, -- COMMAND, containers, pods, cgroups) → what
// to trace: ResolveTargets, the one entry point. Resolving only reads
// (/proc, runtime state, cgroupfs); the one step with side effects, the
// host's cgroup2 view, is PrepareCgroupView, run once before. No libbpf
// here: cgroups are TracedCgroup, converted for the probe by the caller.
#ifndef SYSSTREAM_CC_TARGET_RESOLVE_H_
#define SYSSTREAM_CC_TARGET_RESOLVE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cc/target/cgroup.h"
#include "cc/target/container.h"
#include "cc/target/target.h"

namespace sysstream {

// How this process sees the cgroup v2 hierarchy, set up once.
struct CgroupView {
  bool pure_v2 = false;      // no v1 controllers: containers have v2 cgroups
  std::string cgroup2_root;  // the host's whole hierarchy; empty: none
};

struct TargetSpec {
  std::vector<int32_t> pids;  // PID_LIST, as parsed
  uint32_t self_pid = 0;      // sysstream's own pid
  bool include_self = false;  // -m: sysstream's own calls are recorded
  std::string command;        // -- COMMAND's name (argv[0]); empty: none
  std::string search_path;    // PATH, where the command is looked for
  std::vector<std::string> containers;  // --container
  std::vector<std::string> pods;        // --pod NS/NAME
  std::vector<std::string> cgroups;     // --cgroup PATH
  // Where runtime state is read; an empty host_root is detected.
  RuntimeConfig runtime;
  bool wait = false;  // --wait for absent containers, pods and cgroups
  CgroupView view;    // from PrepareCgroupView
  // --wait: told once, when what is named is absent and waiting begins.
  std::function<void(const absl::Status& absent)> on_wait;
};

struct TargetSet {
  PidNamespace pidns;                 // sysstream's own: PIDs are seen from it
  std::vector<uint32_t> tgids;        // processes to trace, distinct
  std::vector<TracedCgroup> cgroups;  // in-kernel cgroup v2 filters
  // The tgids stand for containers or cgroups on a cgroup v1/hybrid host:
  // their children must be followed.
  bool follow = false;
  std::string command_path;        // -- COMMAND, found
  std::vector<std::string> notes;  // to say on stderr (the v1 fallback)
  // --wait ended by this stop signal (SIGINT, SIGTERM, ...): nothing was
  // resolved.
  int stop_signal = 0;
};

// True when the spec names a container, pod or cgroup.
bool NamesContainersOrCgroups(const TargetSpec& spec);

// The host's cgroup2 view, made once before resolving: on a pure cgroup v2
// host (required: its error is returned), or on a v1/hybrid one when a
// container or pod is named (best effort: containers without a v2 cgroup
// of their own are traced by their processes). May join pid 1's cgroup
// namespace and mount cgroup2 privately (HostCgroup2View). Nothing when
// no container, pod or cgroup is named.
absl::StatusOr<CgroupView> PrepareCgroupView(const TargetSpec& spec);

// Resolves everything: sysstream's pid namespace (kind kInternal), the PIDs
// (NotFound, kind kTargetNotFound; sysstream itself is refused with
// InvalidArgument unless -m), the command (kCommandNotFound /
// kCommandNotExecutable), then the containers, pods and cgroups, waiting for
// them with spec.wait (a NotFound that is not kNotVisible). Errors keep the
// kinds set where they were made.
absl::StatusOr<TargetSet> ResolveTargets(const TargetSpec& spec);

// The containers, pods and cgroups only, once, with no wait: what the
// watcher resolves again every second. Reads only.
absl::StatusOr<TargetSet> ResolveNamedTargets(const TargetSpec& spec);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_TARGET_RESOLVE_H_
