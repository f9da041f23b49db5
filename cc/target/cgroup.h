// SPDX-License-Identifier: Apache-2.0
// cgroups as targets: a cgroup v2 directory becomes an in-kernel filter (its
// id and depth); on cgroup v1 the processes in it are traced instead.
#ifndef SYSSTREAM_CC_TARGET_CGROUP_H_
#define SYSSTREAM_CC_TARGET_CGROUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sysstream {

// A mounted cgroup hierarchy, from /proc/self/mountinfo.
struct CgroupMount {
  std::string mount_point;  // e.g. /sys/fs/cgroup/unified
  std::string root;         // the hierarchy path shown there, usually "/"
  bool v2 = false;
};

// All cgroup mounts in a mountinfo text, in order.
std::vector<CgroupMount> ParseCgroupMounts(absl::string_view mountinfo);

// True when the cgroup v2 hierarchy is the only one (no v1 controllers):
// containers then have cgroups of their own in it.
bool IsPureCgroup2(const std::vector<CgroupMount>& mounts);

// The v2 path ("0::/a/b" line) of /proc/PID/cgroup text; NotFound if none.
absl::StatusOr<std::string> Cgroup2PathOf(absl::string_view proc_cgroup);

// Number of path components: "/" → 0, "/a/b" → 2.
uint32_t CgroupDepth(absl::string_view path);

// A cgroup to trace.
struct CgroupTarget {
  std::string path;  // as given or found
  bool v2 = false;
  uint64_t id = 0;             // v2: kernfs id (inode number of the directory)
  uint32_t level = 0;          // v2: depth below the hierarchy's root
  std::vector<uint32_t> pids;  // v1: processes in it and below it now
};

// A cgroup v2 traced in the kernel: what the filter needs (id, level) and
// where it lives (dir), to tell when it is gone.
struct TracedCgroup {
  uint64_t id = 0;
  uint32_t level = 0;
  std::string dir;
};

// True while `cgroup.dir` is that cgroup: false once it is removed, or
// replaced by a new one of the same name (another inode: a restarted
// service or container).
bool CgroupStillThere(const TracedCgroup& cgroup);

// Resolves a cgroup directory: an absolute path on a cgroup mount, or a
// path relative to the cgroup2 root ("/system.slice/foo.service").
// NotFound if there is none; FailedPrecondition (kind kTargetNotFound)
// when no cgroup filesystem is mounted at all.
absl::StatusOr<CgroupTarget> ResolveCgroup(const std::string& path);

// Makes this process see the host's whole cgroup hierarchy when it runs in
// a private cgroup namespace (Docker's default on cgroup v2): joins pid 1's
// cgroup namespace and mounts cgroup2 privately. In the host's cgroup
// namespace it returns the cgroup2 mount already there, or, when there is
// none (a container on a v1/hybrid host sees only v1 controllers), mounts
// cgroup2 privately too. Returns the cgroup2 mount to use. The only
// function here with side effects (setns, unshare, mount): called once,
// before resolving (PrepareCgroupView in resolve.h). FailedPrecondition
// with kind kNoPrivilege when it cannot.
absl::StatusOr<CgroupMount> HostCgroup2View();

// The cgroup v2 path of `pid` ("0::" line of /proc/PID/cgroup) when it is a
// cgroup of its own: not the root, and not that of its parent. A
// container's first process qualifies when its runtime made it a v2 cgroup:
// its parent, the runtime's shim or conmon, stays outside. On v1/hybrid
// hosts runc does so in the unified hierarchy too (Docker's
// /docker/<id>, Podman's /libpod_parent/libpod-<id>), and puts `exec`'d
// processes there, so the in-kernel v2 filter works on such hosts as well.
// NotFound otherwise (no v2 line, the root, shared with the parent, or the
// process gone).
absl::StatusOr<std::string> OwnCgroup2Path(uint32_t pid,
                                           const std::string& proc = "/proc");

// The processes whose /proc/PID/cgroup equals that of `pid` (its container,
// on v1 or hybrid hosts where the v2 cgroup is shared).
std::vector<uint32_t> ProcessesInSameCgroups(uint32_t pid,
                                             const std::string& proc = "/proc");

}  // namespace sysstream

#endif  // SYSSTREAM_CC_TARGET_CGROUP_H_
