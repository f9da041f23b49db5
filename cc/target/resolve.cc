// SPDX-License-Identifier: Apache-2.0
#include "cc/target/resolve.h"

#include <signal.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "cc/common/error_kind.h"
#include "cc/common/file_io.h"
#include "cc/common/status_macros.h"
#include "cc/common/stop_signals.h"
#include "cc/target/command.h"
#include "cc/target/target.h"

namespace sysstream {
namespace {

void AddDistinct(uint32_t pid, std::vector<uint32_t>* pids) {
  if (std::find(pids->begin(), pids->end(), pid) == pids->end()) {
    pids->push_back(pid);
  }
}

// The PID_LIST, less sysstream itself: its own calls are -m's business,
// and tracing itself as a target would stop at once.
absl::Status ResolvePidList(const TargetSpec& spec, TargetSet* set) {
  if (spec.pids.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<uint32_t>> resolved = ResolvePids(spec.pids);
  if (!resolved.ok()) {
    return WithKind(resolved.status(), ErrorKind::kTargetNotFound);
  }
  set->tgids = *resolved;
  auto self = std::find(set->tgids.begin(), set->tgids.end(), spec.self_pid);
  if (self == set->tgids.end()) return absl::OkStatus();
  if (!spec.include_self) {
    return WithKind(absl::InvalidArgumentError(absl::StrCat(
                        "PID ", spec.self_pid,
                        " is sysstream itself: use -m to record its own "
                        "calls")),
                    ErrorKind::kUsage);
  }
  set->tgids.erase(self);
  if (set->tgids.empty() && spec.command.empty()) {
    return WithKind(absl::InvalidArgumentError(absl::StrCat(
                        "PID ", spec.self_pid,
                        " is sysstream itself: give another target (with -m "
                        "its calls are recorded too)")),
                    ErrorKind::kUsage);
  }
  return absl::OkStatus();
}

absl::Status FindCommand(const TargetSpec& spec, TargetSet* set) {
  if (spec.command.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> found =
      FindExecutable(spec.command, spec.search_path);
  if (!found.ok()) {
    return WithKind(found.status(), absl::IsNotFound(found.status())
                                        ? ErrorKind::kCommandNotFound
                                        : ErrorKind::kCommandNotExecutable);
  }
  set->command_path = *found;
  return absl::OkStatus();
}

// The named containers and those of the named pods, each with a process
// visible from here.
absl::StatusOr<std::vector<Container>> FindContainers(const TargetSpec& spec) {
  RuntimeConfig rc = spec.runtime;
  if (rc.host_root.empty()) rc.host_root = DetectHostRoot();
  std::vector<Container> containers;
  for (const std::string& name : spec.containers) {
    ASSIGN_OR_RETURN(Container c, FindContainer(name, rc));
    containers.push_back(c);
  }
  for (const std::string& pod : spec.pods) {
    ASSIGN_OR_RETURN(std::vector<Container> cs, FindPod(pod, rc));
    containers.insert(containers.end(), cs.begin(), cs.end());
  }
  for (const Container& c : containers) {
    if (!ProcessAlive(c.pid)) {
      // Waiting cannot cure this: the process runs, elsewhere.
      return WithKind(
          absl::NotFoundError(absl::StrCat(
              "process ", c.pid, " of container '", c.name,
              "' is not visible here: run sysstream in the host's pid "
              "namespace (--pid=host)")),
          ErrorKind::kNotVisible);
    }
  }
  return containers;
}

void AddCgroup(const CgroupTarget& cg, TargetSet* set) {
  set->cgroups.push_back({cg.id, cg.level, cg.path});
}

// Once per resolution: processes traced instead of a cgroup's.
void NoteV1Fallback(const std::string& what, TargetSet* set) {
  if (!set->notes.empty()) return;
  set->notes.push_back(absl::StrCat(
      "no per-container cgroup v2 here (cgroup v1 or hybrid host): tracing "
      "the current processes of ",
      what, " and their children; processes added later (exec) are missed"));
}

absl::Status AddContainer(const Container& c, const CgroupView& view,
                          TargetSet* set) {
  if (view.pure_v2) {
    const std::string text =
        ReadFile(absl::StrCat("/proc/", c.pid, "/cgroup")).value_or("");
    ASSIGN_OR_RETURN(std::string path, Cgroup2PathOf(text));
    ASSIGN_OR_RETURN(CgroupTarget cg,
                     ResolveCgroup(absl::StrCat(view.cgroup2_root, path)));
    AddCgroup(cg, set);
    return absl::OkStatus();
  }
  // v1/hybrid: runc also gives a container a cgroup of its own in the
  // unified (v2) hierarchy; when it has one, filter on it in the kernel.
  absl::StatusOr<std::string> own = OwnCgroup2Path(c.pid);
  absl::StatusOr<CgroupTarget> cg = absl::NotFoundError("");
  if (own.ok() && !view.cgroup2_root.empty()) {
    cg = ResolveCgroup(absl::StrCat(view.cgroup2_root, *own));
  }
  if (cg.ok() && cg->v2) {
    AddCgroup(*cg, set);
    return absl::OkStatus();
  }
  NoteV1Fallback(absl::StrCat("container '", c.name, "'"), set);
  for (uint32_t pid : ProcessesInSameCgroups(c.pid)) set->tgids.push_back(pid);
  set->follow = true;
  return absl::OkStatus();
}

absl::Status AddCgroupPath(const std::string& path, TargetSet* set) {
  ASSIGN_OR_RETURN(CgroupTarget cg, ResolveCgroup(path));
  if (cg.v2) {
    AddCgroup(cg, set);
    return absl::OkStatus();
  }
  NoteV1Fallback(absl::StrCat("cgroup ", path), set);
  set->tgids.insert(set->tgids.end(), cg.pids.begin(), cg.pids.end());
  set->follow = true;
  return absl::OkStatus();
}

// Worth waiting for: absent, not merely invisible from here.
bool Waitable(const absl::Status& status) {
  return absl::IsNotFound(status) && !IsKind(status, ErrorKind::kNotVisible);
}

// --wait: resolves again every second while what was named is absent,
// until it is there or a stop signal (blocked, as for the stream) comes.
absl::StatusOr<TargetSet> ResolveOrWait(const TargetSpec& spec) {
  absl::StatusOr<TargetSet> named = ResolveNamedTargets(spec);
  if (!spec.wait || !Waitable(named.status())) return named;
  if (spec.on_wait) spec.on_wait(named.status());
  sigset_t stop;
  sigemptyset(&stop);
  for (int signo : kStopSignals) sigaddset(&stop, signo);
  for (;;) {
    const struct timespec second = {1, 0};
    const int sig = sigtimedwait(&stop, nullptr, &second);
    if (sig > 0) {
      TargetSet stopped;
      stopped.stop_signal = sig;
      return stopped;
    }
    named = ResolveNamedTargets(spec);
    if (!Waitable(named.status())) return named;
  }
}

}  // namespace

bool NamesContainersOrCgroups(const TargetSpec& spec) {
  return !spec.containers.empty() || !spec.pods.empty() ||
         !spec.cgroups.empty();
}

absl::StatusOr<CgroupView> PrepareCgroupView(const TargetSpec& spec) {
  CgroupView view;
  if (!NamesContainersOrCgroups(spec)) return view;
  view.pure_v2 = IsPureCgroup2(
      ParseCgroupMounts(ReadFile("/proc/self/mountinfo").value_or("")));
  if (view.pure_v2) {
    ASSIGN_OR_RETURN(CgroupMount mount, HostCgroup2View());
    view.cgroup2_root = mount.mount_point;
    return view;
  }
  // v1/hybrid: a --cgroup path needs no view; a container may have a v2
  // cgroup of its own, seen only through the host's hierarchy.
  if (spec.containers.empty() && spec.pods.empty()) return view;
  absl::StatusOr<CgroupMount> mount = HostCgroup2View();
  if (mount.ok()) view.cgroup2_root = mount->mount_point;
  return view;
}

absl::StatusOr<TargetSet> ResolveNamedTargets(const TargetSpec& spec) {
  TargetSet set;
  if (!NamesContainersOrCgroups(spec)) return set;
  ASSIGN_OR_RETURN(std::vector<Container> containers, FindContainers(spec));
  for (const Container& c : containers) {
    RETURN_IF_ERROR(AddContainer(c, spec.view, &set));
  }
  for (const std::string& path : spec.cgroups) {
    RETURN_IF_ERROR(AddCgroupPath(path, &set));
  }
  if (set.tgids.empty() && set.cgroups.empty()) {
    return absl::NotFoundError("the named containers have no processes");
  }
  return set;
}

absl::StatusOr<TargetSet> ResolveTargets(const TargetSpec& spec) {
  TargetSet set;
  absl::StatusOr<PidNamespace> pidns = CurrentPidNamespace();
  if (!pidns.ok()) return WithKind(pidns.status(), ErrorKind::kInternal);
  set.pidns = *pidns;
  RETURN_IF_ERROR(ResolvePidList(spec, &set));
  RETURN_IF_ERROR(FindCommand(spec, &set));
  ASSIGN_OR_RETURN(TargetSet named, ResolveOrWait(spec));
  if (named.stop_signal != 0) {
    set.stop_signal = named.stop_signal;
    return set;
  }
  for (uint32_t pid : named.tgids) AddDistinct(pid, &set.tgids);
  set.cgroups = std::move(named.cgroups);
  set.follow = named.follow;
  set.notes = std::move(named.notes);
  return set;
}

}  // namespace sysstream
