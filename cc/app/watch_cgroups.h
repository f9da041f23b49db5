// SPDX-License-Identifier: Apache-2.0
// The watcher wired to the probe: named targets resolved again once a
// second; new cgroups traced through the probe's mapped .bss (the
// capabilities are gone by then).
#ifndef SYSSTREAM_CC_APP_WATCH_CGROUPS_H_
#define SYSSTREAM_CC_APP_WATCH_CGROUPS_H_

#include <memory>
#include <string>

#include "cc/probe/probe.h"
#include "cc/target/resolve.h"
#include "cc/watch/cgroup_watch.h"

namespace sysstream {

// `spec` and `probe` must outlive the watcher; what it has to say goes to
// stderr.
std::unique_ptr<CgroupWatcher> WatchNamedCgroups(const TargetSpec& spec,
                                                 const TargetSet& targets,
                                                 Probe& probe);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_WATCH_CGROUPS_H_
