// SPDX-License-Identifier: Apache-2.0
#include "cc/app/watch_cgroups.h"

#include <utility>

#include "cc/app/probe_config.h"
#include "cc/app/report.h"

namespace sysstream {

std::unique_ptr<CgroupWatcher> WatchNamedCgroups(const TargetSpec& spec,
                                                 const TargetSet& targets,
                                                 Probe& probe) {
  CgroupWatchActions actions;
  actions.resolve = [&spec]() -> absl::StatusOr<std::vector<TracedCgroup>> {
    absl::StatusOr<TargetSet> now = ResolveNamedTargets(spec);
    if (!now.ok()) return now.status();
    return now->cgroups;
  };
  actions.add = [&probe](const TracedCgroup& cg) {
    return probe.AddLateCgroup(ToProbeCgroup(cg));
  };
  actions.still_there = CgroupStillThere;
  actions.say = [](const std::string& line) { Say(line); };
  return std::make_unique<CgroupWatcher>(targets.cgroups, std::move(actions));
}

}  // namespace sysstream
