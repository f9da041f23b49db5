// SPDX-License-Identifier: Apache-2.0
#include "cc/target/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cc/common/error_kind.h"
#include "cc/common/fd.h"
#include "cc/common/file_io.h"
#include "cc/target/proc_stat.h"

namespace sysstream {
namespace {

// PROC_CGROUP_INIT_INO: the initial cgroup namespace.
constexpr uint64_t kInitialCgroupNamespaceIno = 0xEFFFFFFBULL;

// A /proc or cgroupfs file, "" if it cannot be read (the process or
// cgroup is gone).
std::string ReadOrEmpty(const std::string& path) {
  return ReadFile(path).value_or("");
}

// mountinfo escapes spaces and such as \040 (octal).
std::string UnescapeMountField(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (int k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') octal = false;
        v = v * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  std::string out(absl::StripSuffix(a, "/"));
  if (!absl::StartsWith(b, "/")) out += "/";
  out += std::string(b);
  return out;
}

void CollectProcs(const std::string& dir, std::vector<uint32_t>* pids) {
  for (absl::string_view line :
       absl::StrSplit(ReadOrEmpty(dir + "/cgroup.procs"), '\n')) {
    uint32_t pid;
    if (absl::SimpleAtoi(line, &pid)) pids->push_back(pid);
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    if (e->d_type == DT_DIR && e->d_name[0] != '.') {
      CollectProcs(dir + "/" + e->d_name, pids);
    }
  }
  closedir(d);
}

}  // namespace

std::vector<CgroupMount> ParseCgroupMounts(absl::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n')) {
    // id parent major:minor root mount-point options [optional...] - fstype
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 7) continue;
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 1 >= f.size()) continue;
    absl::string_view fstype = f[dash + 1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.root = UnescapeMountField(f[3]);
    m.mount_point = UnescapeMountField(f[4]);
    m.v2 = fstype == "cgroup2";
    mounts.push_back(m);
  }
  return mounts;
}

bool IsPureCgroup2(const std::vector<CgroupMount>& mounts) {
  bool v2 = false;
  for (const CgroupMount& m : mounts) {
    if (!m.v2) return false;
    v2 = true;
  }
  return v2;
}

absl::StatusOr<std::string> Cgroup2PathOf(absl::string_view proc_cgroup) {
  for (absl::string_view line : absl::StrSplit(proc_cgroup, '\n')) {
    if (absl::ConsumePrefix(&line, "0::")) return std::string(line);
  }
  return absl::NotFoundError("no cgroup v2 line");
}

uint32_t CgroupDepth(absl::string_view path) {
  uint32_t depth = 0;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (!part.empty() && part != ".") ++depth;
  }
  return depth;
}

absl::StatusOr<CgroupTarget> ResolveCgroup(const std::string& path) {
  const std::vector<CgroupMount> mounts =
      ParseCgroupMounts(ReadOrEmpty("/proc/self/mountinfo"));
  if (mounts.empty()) {
    // Not a missing privilege: the cgroup named cannot be found here.
    return WithKind(
        absl::FailedPreconditionError("no cgroup filesystem is mounted"),
        ErrorKind::kTargetNotFound);
  }
  // Find the mount holding `path`, or treat it as relative to cgroup2's root.
  const CgroupMount* mount = nullptr;
  std::string dir;
  for (const CgroupMount& m : mounts) {
    if (path == m.mount_point ||
        absl::StartsWith(path, absl::StrCat(m.mount_point, "/"))) {
      if (mount == nullptr ||
          m.mount_point.size() > mount->mount_point.size()) {
        mount = &m;
        dir = path;
      }
    }
  }
  if (mount == nullptr) {
    for (const CgroupMount& m : mounts) {
      if (m.v2) {
        mount = &m;
        dir = JoinPath(m.mount_point, path);
        break;
      }
    }
  }
  struct stat sb;
  if (mount == nullptr || stat(dir.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    return absl::NotFoundError(absl::StrCat("no such cgroup: ", path));
  }
  CgroupTarget t;
  t.path = dir;
  t.v2 = mount->v2;
  if (t.v2) {
    t.id = sb.st_ino;
    t.level =
        CgroupDepth(mount->root) +
        CgroupDepth(absl::string_view(dir).substr(mount->mount_point.size()));
  } else {
    CollectProcs(dir, &t.pids);
  }
  return t;
}

absl::StatusOr<CgroupMount> HostCgroup2View() {
  std::vector<CgroupMount> mounts =
      ParseCgroupMounts(ReadOrEmpty("/proc/self/mountinfo"));
  struct stat ns;
  const bool in_initial = stat("/proc/self/ns/cgroup", &ns) != 0 ||
                          ns.st_ino == kInitialCgroupNamespaceIno;
  if (in_initial) {
    for (const CgroupMount& m : mounts) {
      if (m.v2 && m.root == "/") return m;
    }
    // None (or only part of it): a container on a v1/hybrid host. Mount it.
  } else {
    // In a private cgroup namespace: join the host's (pid 1 with
    // --pid=host) and mount cgroup2 where only we see it.
    Fd fd(open("/proc/1/ns/cgroup", O_RDONLY | O_CLOEXEC));
    if (!fd.valid() || setns(fd.get(), CLONE_NEWCGROUP) != 0) {
      return WithKind(
          absl::FailedPreconditionError(absl::StrCat(
              "in a private cgroup namespace and cannot join the host's (",
              std::strerror(errno),
              "): run with --pid=host and CAP_SYS_ADMIN plus CAP_SYS_PTRACE "
              "(to open /proc/1/ns/cgroup), or with --cgroupns=host")),
          ErrorKind::kNoPrivilege);
    }
  }
  char tmpl[] = "/tmp/sysstream-cgroup-XXXXXX";
  // The mount is private to this process (its own mount namespace); the
  // empty directory stays in this container's own /tmp while it runs.
  bool made = false;
  if (unshare(CLONE_NEWNS) != 0 ||
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      !(made = mkdtemp(tmpl) != nullptr) ||
      mount("cgroup2", tmpl, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            nullptr) != 0) {
    const int err = errno;
    if (made) rmdir(tmpl);
    return WithKind(absl::FailedPreconditionError(
                        absl::StrCat("cannot mount the host's cgroup2 "
                                     "hierarchy: ",
                                     std::strerror(err))),
                    ErrorKind::kNoPrivilege);
  }
  CgroupMount m;
  m.mount_point = tmpl;
  m.root = "/";
  m.v2 = true;
  return m;
}

absl::StatusOr<std::string> OwnCgroup2Path(uint32_t pid,
                                           const std::string& proc) {
  absl::StatusOr<ProcStat> stat = ReadProcStat(pid, proc);
  if (!stat.ok()) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " is gone"));
  }
  const uint32_t ppid = stat->ppid;
  absl::StatusOr<std::string> text =
      ReadFile(absl::StrCat(proc, "/", pid, "/cgroup"));
  absl::StatusOr<std::string> own =
      text.ok() ? Cgroup2PathOf(*text) : text.status();
  if (!own.ok()) {
    return absl::NotFoundError(
        absl::StrCat("process ", pid, " has no cgroup v2"));
  }
  if (CgroupDepth(*own) == 0 || absl::StrContains(*own, "/..")) {
    return absl::NotFoundError(
        absl::StrCat("process ", pid, " is not in a cgroup v2 of its own"));
  }
  // The parent (pid 0 for the initial processes) must be elsewhere.
  if (ppid != 0) {
    absl::StatusOr<std::string> parent_text =
        ReadFile(absl::StrCat(proc, "/", ppid, "/cgroup"));
    absl::StatusOr<std::string> parent =
        parent_text.ok() ? Cgroup2PathOf(*parent_text) : parent_text.status();
    if (!parent.ok() || *parent == *own) {
      return absl::NotFoundError(absl::StrCat(
          "process ", pid, " shares its cgroup v2 with its parent ", ppid));
    }
  }
  return *own;
}

std::vector<uint32_t> ProcessesInSameCgroups(uint32_t pid,
                                             const std::string& proc) {
  std::vector<uint32_t> out;
  const std::string want = ReadOrEmpty(absl::StrCat(proc, "/", pid, "/cgroup"));
  if (want.empty()) return out;
  DIR* d = opendir(proc.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    uint32_t other;
    if (!absl::SimpleAtoi(e->d_name, &other)) continue;
    if (ReadOrEmpty(absl::StrCat(proc, "/", other, "/cgroup")) == want) {
      out.push_back(other);
    }
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool CgroupStillThere(const TracedCgroup& cgroup) {
  struct stat sb;
  return stat(cgroup.dir.c_str(), &sb) == 0 && sb.st_ino == cgroup.id;
}

}  // namespace sysstream
