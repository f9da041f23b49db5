// SPDX-License-Identifier: Apache-2.0
// Unit tests of cc/target/cgroup: mountinfo and /proc/PID/cgroup parsing on
// pure cgroup v2, hybrid and v1 hosts, and grouping processes of a fake /proc
// tree by cgroup. A few read-only checks run against this machine's cgroups.
#include "cc/target/cgroup.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// /proc/self/mountinfo of a pure cgroup v2 host (systemd, unified), with the
// lines around the cgroup mount that a real one has.
constexpr char kPureV2Mountinfo[] =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs "
    "rw\n"
    "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc "
    "rw\n"
    "28 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - "
    "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
    "31 22 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - "
    "pstore pstore rw\n"
    "47 30 0:40 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:19 - "
    "bpf bpf rw,mode=700\n";

// A hybrid host (systemd's "hybrid" mode): v1 controllers plus a cgroup2
// hierarchy without controllers at /sys/fs/cgroup/unified.
constexpr char kHybridMountinfo[] =
    "24 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs "
    "rw\n"
    "31 24 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs "
    "tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime "
    "shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
    "33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime "
    "shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
    "36 31 0:33 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime "
    "shared:15 - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime "
    "shared:16 - cgroup cgroup rw,cpu,cpuacct\n"
    "38 31 0:35 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime "
    "shared:17 - cgroup cgroup rw,pids\n";

// A legacy (v1-only) host: no cgroup2 at all.
constexpr char kV1Mountinfo[] =
    "25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs "
    "tmpfs ro,mode=755\n"
    "26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime "
    "shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/"
    "systemd-cgroups-agent,name=systemd\n"
    "29 25 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime "
    "shared:10 - cgroup cgroup rw,memory\n";

std::vector<std::string> MountPoints(const std::vector<CgroupMount>& mounts) {
  std::vector<std::string> out;
  for (const CgroupMount& m : mounts) out.push_back(m.mount_point);
  return out;
}

// --- ParseCgroupMounts -----------------------------------------------------

TEST(ParseCgroupMountsTest, PureCgroup2) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(kPureV2Mountinfo);
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(mounts[0].root, "/");
  EXPECT_TRUE(mounts[0].v2);
}

TEST(ParseCgroupMountsTest, HybridKeepsOrderAndVersions) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(kHybridMountinfo);
  EXPECT_THAT(MountPoints(mounts),
              ElementsAre("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd",
                          "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu,cpuacct",
                          "/sys/fs/cgroup/pids"));
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_TRUE(mounts[0].v2);
  for (size_t i = 1; i < mounts.size(); ++i) {
    EXPECT_FALSE(mounts[i].v2) << mounts[i].mount_point;
    EXPECT_EQ(mounts[i].root, "/");
  }
}

TEST(ParseCgroupMountsTest, V1Only) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(kV1Mountinfo);
  EXPECT_THAT(MountPoints(mounts),
              ElementsAre("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/memory"));
  for (const CgroupMount& m : mounts) EXPECT_FALSE(m.v2);
}

TEST(ParseCgroupMountsTest, NoOptionalFieldsAndSeveralOptionalFields) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(
      "40 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
      "41 31 0:39 / /a rw shared:1 master:2 propagate_from:3 unbindable - "
      "cgroup cgroup rw,pids\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(mounts[0].v2);
  EXPECT_EQ(mounts[1].mount_point, "/a");
  EXPECT_FALSE(mounts[1].v2);
}

TEST(ParseCgroupMountsTest, UnescapesOctalEscapes) {
  // The kernel escapes space, tab, newline and backslash as \ooo.
  std::vector<CgroupMount> mounts = ParseCgroupMounts(
      "50 28 0:45 / /mnt/my\\040cgroup rw,relatime - cgroup2 none rw\n"
      "51 28 0:46 / /mnt/tab\\011and\\134slash rw - cgroup2 none rw\n"
      "52 28 0:47 / /mnt/end\\040 rw - cgroup2 none rw\n");
  EXPECT_THAT(
      MountPoints(mounts),
      ElementsAre("/mnt/my cgroup", "/mnt/tab\tand\\slash", "/mnt/end "));
}

TEST(ParseCgroupMountsTest, LeavesNonEscapesAlone) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(
      "50 28 0:45 / /mnt/a\\9zz rw - cgroup2 none rw\n"
      "51 28 0:46 / /mnt/b\\04 rw - cgroup2 none rw\n");
  EXPECT_THAT(MountPoints(mounts), ElementsAre("/mnt/a\\9zz", "/mnt/b\\04"));
}

TEST(ParseCgroupMountsTest, NonRootRootField) {
  // Seen in a container without a cgroup namespace: the host's cgroup of
  // the container is bind-mounted as its /sys/fs/cgroup.
  std::vector<CgroupMount> mounts = ParseCgroupMounts(
      "712 705 0:26 /kubepods.slice/kubepods-pod1.slice/cri-containerd-"
      "0123abcd.scope /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - "
      "cgroup2 cgroup rw,nsdelegate\n"
      "713 705 0:27 /docker/with\\040space /sys/fs/cgroup/memory rw - cgroup "
      "cgroup rw,memory\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(
      mounts[0].root,
      "/kubepods.slice/kubepods-pod1.slice/cri-containerd-0123abcd.scope");
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup");
  EXPECT_TRUE(mounts[0].v2);
  EXPECT_EQ(mounts[1].root, "/docker/with space");
  EXPECT_FALSE(mounts[1].v2);
}

TEST(ParseCgroupMountsTest, IgnoresOtherFilesystemsAndJunk) {
  EXPECT_THAT(ParseCgroupMounts(""), IsEmpty());
  EXPECT_THAT(ParseCgroupMounts("\n\n"), IsEmpty());
  EXPECT_THAT(ParseCgroupMounts("garbage\n1 2 3\n"), IsEmpty());
  // No separator, or nothing after it.
  EXPECT_THAT(ParseCgroupMounts("30 22 0:26 / /sys/fs/cgroup rw shared:9 "
                                "cgroup2 cgroup2 rw\n"
                                "30 22 0:26 / /sys/fs/cgroup rw shared:9 -\n"),
              IsEmpty());
  // A mount *source* named cgroup2 on another filesystem type.
  EXPECT_THAT(ParseCgroupMounts("60 28 0:50 / /mnt rw - tmpfs cgroup2 rw\n"),
              IsEmpty());
  EXPECT_THAT(ParseCgroupMounts(kPureV2Mountinfo).size(), 1u);
}

// --- IsPureCgroup2 -------------------------------------------------------

TEST(IsPureCgroup2Test, EachLayout) {
  EXPECT_TRUE(IsPureCgroup2(ParseCgroupMounts(kPureV2Mountinfo)));
  EXPECT_FALSE(IsPureCgroup2(ParseCgroupMounts(kHybridMountinfo)));
  EXPECT_FALSE(IsPureCgroup2(ParseCgroupMounts(kV1Mountinfo)));
  EXPECT_FALSE(IsPureCgroup2({}));
}

TEST(IsPureCgroup2Test, SeveralV2MountsArePure) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(
      std::string(kPureV2Mountinfo) +
      "90 28 0:26 / /tmp/sysstream-cgroup-abc rw - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(mounts.size(), 2u);
  EXPECT_TRUE(IsPureCgroup2(mounts));
}

// --- Cgroup2PathOf ---------------------------------------------------------

TEST(Cgroup2PathOfTest, PureV2) {
  absl::StatusOr<std::string> p =
      Cgroup2PathOf("0::/system.slice/docker-abc.scope\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, "/system.slice/docker-abc.scope");
}

TEST(Cgroup2PathOfTest, RootAndNoTrailingNewline) {
  absl::StatusOr<std::string> p = Cgroup2PathOf("0::/");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, "/");
}

TEST(Cgroup2PathOfTest, Hybrid) {
  absl::StatusOr<std::string> p = Cgroup2PathOf(
      "12:pids:/system.slice/docker-abc.scope\n"
      "11:memory:/system.slice/docker-abc.scope\n"
      "10:cpu,cpuacct:/system.slice/docker-abc.scope\n"
      "1:name=systemd:/system.slice/docker-abc.scope\n"
      "0::/system.slice/docker-abc.scope\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, "/system.slice/docker-abc.scope");
}

TEST(Cgroup2PathOfTest, KeepsColonsInThePath) {
  absl::StatusOr<std::string> p =
      Cgroup2PathOf("0::/kubepods/pod1/cri-containerd:abc\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, "/kubepods/pod1/cri-containerd:abc");
}

TEST(Cgroup2PathOfTest, V1OnlyIsNotFound) {
  absl::StatusOr<std::string> p = Cgroup2PathOf(
      "11:memory:/docker/abc\n"
      "10:pids:/docker/abc\n"
      "1:name=systemd:/docker/abc\n");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Cgroup2PathOf("").status().code(), absl::StatusCode::kNotFound);
  // "10::" is hierarchy 10, not the v2 line.
  EXPECT_EQ(Cgroup2PathOf("10::/x\n").status().code(),
            absl::StatusCode::kNotFound);
}

// --- CgroupDepth -----------------------------------------------------------

TEST(CgroupDepthTest, Components) {
  EXPECT_EQ(CgroupDepth("/"), 0u);
  EXPECT_EQ(CgroupDepth(""), 0u);
  EXPECT_EQ(CgroupDepth("/a"), 1u);
  EXPECT_EQ(CgroupDepth("/a/b"), 2u);
  EXPECT_EQ(CgroupDepth("/system.slice/docker-abc.scope"), 2u);
  EXPECT_EQ(CgroupDepth("/a//b/"), 2u);
  EXPECT_EQ(CgroupDepth("a/b/c"), 3u);
  EXPECT_EQ(CgroupDepth("/./a/."), 1u);
}

// --- ProcessesInSameCgroups --------------------------------------------

class FakeProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(tmp ? tmp : "/tmp", "/proc-XXXXXX");
    ASSERT_NE(mkdtemp(&tmpl[0]), nullptr);
    proc_ = tmpl;
  }

  // A /proc/PID directory, with a cgroup file unless `cgroup` is null.
  void AddPid(const std::string& pid, const char* cgroup) {
    const std::string dir = absl::StrCat(proc_, "/", pid);
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
    if (cgroup != nullptr) {
      std::ofstream(dir + "/cgroup") << cgroup;
    }
  }

  std::string proc_;
};

constexpr char kHybridA[] =
    "12:pids:/docker/aaa\n11:memory:/docker/aaa\n0::/system.slice/"
    "docker.service\n";
constexpr char kHybridB[] =
    "12:pids:/docker/bbb\n11:memory:/docker/bbb\n0::/system.slice/"
    "docker.service\n";

TEST_F(FakeProcTest, SameCgroupFileSortedNumerically) {
  AddPid("1", "0::/init.scope\n");
  AddPid("1000", kHybridA);
  AddPid("99", kHybridA);
  AddPid("205", kHybridB);  // same v2 cgroup, other v1 cgroups
  AddPid("7", kHybridA);
  AddPid("30", "12:pids:/docker/aaa\n");  // a prefix of kHybridA
  AddPid("31", nullptr);                  // gone meanwhile: no cgroup file
  AddPid("self", kHybridA);               // not a pid
  AddPid("sys", kHybridA);
  std::ofstream(proc_ + "/12") << "a plain file, not a process";

  EXPECT_THAT(ProcessesInSameCgroups(99, proc_), ElementsAre(7, 99, 1000));
  EXPECT_THAT(ProcessesInSameCgroups(1000, proc_), ElementsAre(7, 99, 1000));
  EXPECT_THAT(ProcessesInSameCgroups(205, proc_), ElementsAre(205));
  EXPECT_THAT(ProcessesInSameCgroups(1, proc_), ElementsAre(1));
}

TEST_F(FakeProcTest, PureV2) {
  AddPid("10", "0::/system.slice/docker-abc.scope\n");
  AddPid("11", "0::/system.slice/docker-abc.scope\n");
  AddPid("12", "0::/system.slice/docker-abc.scope/sub\n");
  AddPid("13", "0::/system.slice/docker-abd.scope\n");
  EXPECT_THAT(ProcessesInSameCgroups(11, proc_), ElementsAre(10, 11));
  EXPECT_THAT(ProcessesInSameCgroups(12, proc_), ElementsAre(12));
}

TEST_F(FakeProcTest, UnknownOrEmptyPid) {
  AddPid("10", "0::/a\n");
  AddPid("11", "");
  AddPid("12", "");
  AddPid("13", nullptr);
  EXPECT_THAT(ProcessesInSameCgroups(4242, proc_), IsEmpty());
  EXPECT_THAT(ProcessesInSameCgroups(11, proc_), IsEmpty());
  EXPECT_THAT(ProcessesInSameCgroups(13, proc_), IsEmpty());
  EXPECT_THAT(ProcessesInSameCgroups(10, proc_ + "/missing"), IsEmpty());
}

TEST(ProcessesInSameCgroupsTest, RealProcIncludesSelf) {
  const uint32_t self = static_cast<uint32_t>(getpid());
  std::vector<uint32_t> pids = ProcessesInSameCgroups(self);
  EXPECT_THAT(pids, ::testing::Contains(self));
  EXPECT_TRUE(std::is_sorted(pids.begin(), pids.end()));
}

// --- ResolveCgroup / HostCgroup2View on this machine (read-only) ------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const CgroupMount* FirstV2(const std::vector<CgroupMount>& mounts) {
  for (const CgroupMount& m : mounts) {
    if (m.v2) return &m;
  }
  return nullptr;
}

TEST(ResolveCgroupTest, Cgroup2MountAndRelativePaths) {
  std::vector<CgroupMount> mounts =
      ParseCgroupMounts(ReadFile("/proc/self/mountinfo"));
  const CgroupMount* v2 = FirstV2(mounts);
  if (v2 == nullptr) GTEST_SKIP() << "no cgroup2 mount here";
  struct stat sb;
  ASSERT_EQ(stat(v2->mount_point.c_str(), &sb), 0);

  absl::StatusOr<CgroupTarget> t = ResolveCgroup(v2->mount_point);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->v2);
  EXPECT_EQ(t->id, sb.st_ino);
  EXPECT_EQ(t->level, CgroupDepth(v2->root));
  EXPECT_THAT(t->pids, IsEmpty());

  // "/" relative to the cgroup2 root is the same directory.
  absl::StatusOr<CgroupTarget> rel = ResolveCgroup("/");
  ASSERT_TRUE(rel.ok()) << rel.status();
  EXPECT_TRUE(rel->v2);
  EXPECT_EQ(rel->id, sb.st_ino);

  // A child directory, given both ways, is one level deeper.
  DIR* d = opendir(v2->mount_point.c_str());
  ASSERT_NE(d, nullptr);
  std::string child;
  while (dirent* e = readdir(d)) {
    if (e->d_type == DT_DIR && e->d_name[0] != '.') {
      child = e->d_name;
      break;
    }
  }
  closedir(d);
  if (child.empty()) return;
  struct stat csb;
  ASSERT_EQ(stat((v2->mount_point + "/" + child).c_str(), &csb), 0);
  for (const std::string& path :
       {v2->mount_point + "/" + child, "/" + child, child}) {
    absl::StatusOr<CgroupTarget> c = ResolveCgroup(path);
    ASSERT_TRUE(c.ok()) << path << ": " << c.status();
    EXPECT_TRUE(c->v2) << path;
    EXPECT_EQ(c->id, csb.st_ino) << path;
    EXPECT_EQ(c->level, CgroupDepth(v2->root) + 1) << path;
  }
}

TEST(ResolveCgroupTest, MissingIsNotFound) {
  absl::StatusOr<CgroupTarget> t =
      ResolveCgroup("/sysstream-test-no-such-cgroup/really");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound) << t.status();
  EXPECT_THAT(std::string(t.status().message()),
              ::testing::HasSubstr("/sysstream-test-no-such-cgroup/really"));
}

TEST(ResolveCgroupTest, V1HierarchyListsItsProcesses) {
  std::vector<CgroupMount> mounts =
      ParseCgroupMounts(ReadFile("/proc/self/mountinfo"));
  const CgroupMount* v1 = nullptr;
  for (const CgroupMount& m : mounts) {
    if (!m.v2 && m.root == "/") {
      v1 = &m;
      break;
    }
  }
  if (v1 == nullptr) GTEST_SKIP() << "no v1 hierarchy mounted at its root";
  absl::StatusOr<CgroupTarget> t = ResolveCgroup(v1->mount_point);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->v2);
  EXPECT_EQ(t->id, 0u);
  // The whole hierarchy holds every process of this pid namespace that the
  // hierarchy shows, this one included.
  EXPECT_THAT(t->pids, ::testing::Contains(static_cast<uint32_t>(getpid())));
}

TEST(HostCgroup2ViewTest, InInitialNamespaceIsTheMountedOne) {
  struct stat ns;
  if (stat("/proc/self/ns/cgroup", &ns) != 0 || ns.st_ino != 0xEFFFFFFBULL) {
    // It would join pid 1's cgroup namespace: not in a unit test.
    GTEST_SKIP() << "not in the initial cgroup namespace";
  }
  std::vector<CgroupMount> mounts =
      ParseCgroupMounts(ReadFile("/proc/self/mountinfo"));
  const CgroupMount* v2 = FirstV2(mounts);
  absl::StatusOr<CgroupMount> view = HostCgroup2View();
  if (v2 == nullptr) {
    EXPECT_EQ(view.status().code(), absl::StatusCode::kFailedPrecondition);
    return;
  }
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->mount_point, v2->mount_point);
  EXPECT_TRUE(view->v2);
}

}  // namespace
}  // namespace sysstream
