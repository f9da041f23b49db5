// SPDX-License-Identifier: Apache-2.0
// Unit tests (no root, no engine) for what the real engines showed about
// their state, in the layouts podman 4.3, docker 20.10 and runc produce on
// this machine (see resolve_test.py for the same with the engines):
//   * Podman keeps a container's config.json in graphroot's userdata, its
//     pidfile and conmon.pid in runroot's; the pidfile outlives the
//     container;
//   * the store may be elsewhere (storage.conf, CONTAINERS_STORAGE_CONF);
//   * a node root at /host has absolute symlinks (/var/run -> /run) that
//     must be resolved inside it;
//   * on a v1/hybrid host runc gives each container a cgroup v2 of its own,
//     which its shim / conmon is not in (OwnCgroup2Path).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cc/target/cgroup.h"
#include "cc/target/container.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::HasSubstr;

constexpr char kId[] =
    "35a4d3d83cb6cb8f2f4d4bcc753b6807d450becdb86f73cb246609b72fae8175";

// Real podman 4.3 userdata/config.json annotations (no name in them).
constexpr char kPodmanConfig[] =
    R"({"ociVersion": "1.0.2-dev", "annotations": {)"
    R"("io.container.manager": "libpod", "io.kubernetes.cri-o.TTY": "false",)"
    R"("io.podman.annotations.autoremove": "FALSE",)"
    R"("org.opencontainers.image.stopSignal": "15"}})";

class TempDir {
 public:
  TempDir() {
    const char* t = std::getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(t != nullptr ? t : "/tmp", "/state-XXXXXX");
    path_ = mkdtemp(&tmpl[0]);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

  void Write(const std::string& rel, const std::string& text) const {
    const std::filesystem::path p = path_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void Mkdir(const std::string& rel) const {
    std::filesystem::create_directories(path_ + "/" + rel);
  }
  void Symlink(const std::string& target, const std::string& rel) const {
    const std::filesystem::path p = path_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    std::filesystem::create_symlink(target, p);
  }
  RuntimeConfig Config() const {
    RuntimeConfig c;
    c.host_root = path_;
    return c;
  }

 private:
  std::string path_;
};

// A podman container named `name` in a store at graphroot/runroot (host
// paths, under `root`).
void PodmanContainer(const TempDir& root, const std::string& graphroot,
                     const std::string& runroot, const std::string& name,
                     const std::string& pid, const std::string& conmon) {
  root.Write(graphroot + "/overlay-containers/containers.json",
             absl::StrCat(R"([{"id": ")", kId, R"(", "names": [")", name,
                          R"("], "image": "0993", "layer": "96c1"}])"));
  root.Write(absl::StrCat(graphroot, "/overlay-containers/", kId,
                          "/userdata/config.json"),
             kPodmanConfig);
  const std::string run =
      absl::StrCat(runroot, "/overlay-containers/", kId, "/userdata/");
  root.Mkdir(run);
  if (!pid.empty()) root.Write(run + "pidfile", pid);
  if (!conmon.empty()) root.Write(run + "conmon.pid", conmon);
}

// A pid that is not running (the highest pid_max allows, at most 2^22).
std::string DeadPid() { return std::to_string((1 << 22) - 3); }

TEST(PodmanStateTest, ConfigInGraphrootPidInRunroot) {
  TempDir root;
  // The container's first process is a child of its conmon: this test
  // process, child of its parent.
  PodmanContainer(root, "/var/lib/containers/storage", "/run/containers/storage",
                  "web", std::to_string(getpid()), std::to_string(getppid()));
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "podman");
  EXPECT_EQ(c->id, kId);
  EXPECT_EQ(c->pid, static_cast<uint32_t>(getpid()));
}

TEST(PodmanStateTest, StoppedContainerWithStalePidfileIsNotRunning) {
  TempDir root;
  // `podman stop` leaves pidfile and conmon.pid behind, both pids gone.
  PodmanContainer(root, "/var/lib/containers/storage", "/run/containers/storage",
                  "web", DeadPid(), std::to_string((1 << 22) - 4));
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("is not running"));
}

TEST(PodmanStateTest, ReusedPidIsNotTheContainer) {
  TempDir root;
  // The stale pid now belongs to an unrelated process (this one), whose
  // parent is not the conmon named.
  PodmanContainer(root, "/var/lib/containers/storage", "/run/containers/storage",
                  "web", std::to_string(getpid()), DeadPid());
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("is not running"));
}

TEST(PodmanStateTest, StoreFromTheHostsStorageConf) {
  TempDir root;
  root.Write("etc/containers/storage.conf",
             "# a comment\n[storage]\ndriver = \"overlay\"\n"
             "runroot = \"/srv/run\"  # trailing comment\n"
             "graphroot = '/srv/graph'\n\n"
             "[storage.options]\ngraphroot = \"/not/this\"\n");
  PodmanContainer(root, "/srv/graph", "/srv/run", "web", "4321", "");
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pid, 4321u);
  // Not in the default store: without the configuration, not found.
  root.Write("etc/containers/storage.conf", "");
  EXPECT_EQ(FindContainer("web", root.Config()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(PodmanStateTest, StoreFromContainersStorageConf) {
  TempDir root;
  TempDir conf;  // a path as sysstream sees it, not under the host root
  conf.Write("storage.conf",
             "[storage]\ngraphroot = \"/t/graph\"\nrunroot = \"/t/run\"\n");
  PodmanContainer(root, "/t/graph", "/t/run", "web", "4321", "");
  EXPECT_EQ(FindContainer("web", root.Config()).status().code(),
            absl::StatusCode::kNotFound);
  RuntimeConfig config = root.Config();
  config.storage_conf = conf.path() + "/storage.conf";  // the variable's value
  absl::StatusOr<Container> c = FindContainer("web", config);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pid, 4321u);
}

TEST(HostRootTest, AbsoluteSymlinksResolveInsideTheHostRoot) {
  TempDir root;
  // The store on another disk: /var/lib/containers -> /mnt/disk/containers.
  root.Symlink("/mnt/disk/containers", "var/lib/containers");
  PodmanContainer(root, "/mnt/disk/containers/storage", "/run/containers/storage",
                  "web", "4321", "");
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pid, 4321u);
}

TEST(HostRootTest, DockerSocketBehindVarRunSymlinkMarksANodeRoot) {
  // A Debian node: /var/run -> /run, dockerd's socket /run/docker.sock.
  TempDir root;
  root.Symlink("/run", "var/run");
  root.Write("run/docker.sock", "");
  ASSERT_FALSE(std::filesystem::exists("/run/docker.sock"))
      << "this machine has /run/docker.sock: the test would not tell";
  EXPECT_EQ(DetectHostRoot(root.path()), root.path());
  // A relative link, and a loop, resolve (or fail) inside too.
  TempDir rel;
  rel.Symlink("../run", "var/run");
  rel.Write("run/docker.sock", "");
  EXPECT_EQ(DetectHostRoot(rel.path()), rel.path());
  TempDir loop;
  loop.Symlink("/var/run", "var/run");
  EXPECT_EQ(DetectHostRoot(loop.path()), "/");
}

TEST(HostRootTest, InstalledRuntimeMarksANodeRoot) {
  TempDir root;
  root.Mkdir("etc/containers");  // podman's package, its store elsewhere
  EXPECT_EQ(DetectHostRoot(root.path()), root.path());
  TempDir other;
  other.Mkdir("etc/ssh");
  EXPECT_EQ(DetectHostRoot(other.path()), "/");
}

// --- OwnCgroup2Path -------------------------------------------------------

class FakeProc : public TempDir {
 public:
  void Process(int pid, int ppid, const std::string& comm,
               const std::string& cgroup) const {
    Write(absl::StrCat(pid, "/stat"),
          absl::StrCat(pid, " (", comm, ") S ", ppid, " ", pid, " 1 0 -1\n"));
    Write(absl::StrCat(pid, "/cgroup"), cgroup);
  }
};

// /proc/PID/cgroup on this hybrid host, as runc leaves it for docker.
std::string Hybrid(const std::string& path) {
  return absl::StrCat("8:pids:", path, "\n4:memory:", path, "\n1:cpu:", path,
                      "\n0::", path, "\n");
}

TEST(OwnCgroup2PathTest, ContainerUnderItsShim) {
  FakeProc proc;
  proc.Process(50, 1, "containerd-shim", Hybrid("/"));
  proc.Process(100, 50, "work (1) x", Hybrid("/docker/abc"));
  absl::StatusOr<std::string> own = OwnCgroup2Path(100, proc.path());
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, "/docker/abc");
  // Podman: conmon in v1 cgroups of its own, but "/" in v2.
  proc.Process(60, 1, "conmon",
               "8:pids:/libpod_parent/conmon\n0::/\n");
  proc.Process(101, 60, "workload",
               Hybrid("/libpod_parent/libpod-abc"));
  own = OwnCgroup2Path(101, proc.path());
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, "/libpod_parent/libpod-abc");
}

TEST(OwnCgroup2PathTest, NotItsOwn) {
  FakeProc proc;
  proc.Process(50, 1, "sh", Hybrid("/user.slice/s"));
  // Shared with its parent (no cgroup made for it).
  proc.Process(100, 50, "a", Hybrid("/user.slice/s"));
  // The root (runc without cgroups, or a v2 hierarchy nobody uses).
  proc.Process(101, 50, "b", "8:pids:/docker/x\n0::/\n");
  // Pure cgroup v1: no v2 line at all.
  proc.Process(102, 50, "c", "8:pids:/docker/x\n4:memory:/docker/x\n");
  // Outside our cgroup namespace: not a path we can use.
  proc.Process(103, 50, "d", "0::/../../docker/x\n");
  for (uint32_t pid : {100u, 101u, 102u, 103u, 999u}) {
    EXPECT_EQ(OwnCgroup2Path(pid, proc.path()).status().code(),
              absl::StatusCode::kNotFound)
        << pid;
  }
}

TEST(OwnCgroup2PathTest, ThisProcessOnThisMachine) {
  // Smoke test on the real /proc: whatever it says, it does not crash, and
  // an answer is a real cgroup path.
  absl::StatusOr<std::string> own = OwnCgroup2Path(getpid());
  if (own.ok()) {
    EXPECT_EQ((*own)[0], '/');
  }
}

}  // namespace
}  // namespace sysstream
