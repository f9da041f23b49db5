// SPDX-License-Identifier: Apache-2.0
// Fuzzes what is read from /proc about cgroups: mountinfo
// (ParseCgroupMounts, IsPureCgroup2) and /proc/PID/cgroup (Cgroup2PathOf),
// and CgroupDepth on every path they yield.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "cc/target/cgroup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<sysstream::CgroupMount> mounts =
      sysstream::ParseCgroupMounts(text);
  (void)sysstream::IsPureCgroup2(mounts);
  for (const sysstream::CgroupMount& m : mounts) {
    // Unescaping (\040 → ' ') never makes a field longer.
    if (m.mount_point.size() > size || m.root.size() > size) std::abort();
    (void)sysstream::CgroupDepth(m.mount_point);
    (void)sysstream::CgroupDepth(m.root);
  }
  absl::StatusOr<std::string> path = sysstream::Cgroup2PathOf(text);
  if (path.ok()) {
    if (path->size() > size) std::abort();
    if (sysstream::CgroupDepth(*path) > path->size()) std::abort();
  } else if (path.status().code() != absl::StatusCode::kNotFound) {
    std::abort();
  }
  return 0;
}
