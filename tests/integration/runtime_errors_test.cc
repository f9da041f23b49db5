// SPDX-License-Identifier: Apache-2.0
// Exit codes of the real sysstream binary when --container / --pod cannot be
// resolved: fake node roots (--host-root) with containerd, CRI-O and Podman
// state, and a fake Docker Engine on a unix socket served by this process.
// Every case fails before BPF is loaded, and none may create the log file.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"
#include "tests/harness/process.h"
#include "tests/target/fake_runtime.h"

extern char** environ;

namespace {

using ::sysstream::fake_runtime::CriContainer;
using ::sysstream::fake_runtime::FakeDocker;
using ::sysstream::fake_runtime::FakeRoot;
using ::sysstream::fake_runtime::HttpReply;
using ::sysstream::fake_runtime::kAppId;
using ::sysstream::fake_runtime::kPodmanId;
using ::sysstream::fake_runtime::OciConfig;
using ::sysstream::fake_runtime::WebOnly;
using ::sysstream::harness::Child;
using ::sysstream::harness::Exists;
using ::sysstream::harness::ReadAll;
using ::sysstream::harness::Spawn;
using ::sysstream::harness::SpawnOptions;
using ::sysstream::harness::Wait;
using ::sysstream::testutil::MakeTempDir;
using ::sysstream::testutil::RemoveTree;
using ::sysstream::testutil::SocketTmpDir;
using ::sysstream::testutil::TestTmpDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string g_sysstream;  // path to the binary under test

// Exit codes from `sysstream --help`.
constexpr int kUsage = 2;
constexpr int kTargetNotFound = 3;
constexpr int kAmbiguousTarget = 8;
constexpr int kRuntimeUnavailable = 9;
constexpr int kRuntimeState = 10;

// A pid above the default pid_max (32768) and below the largest (2^22).
constexpr char kInvisiblePid[] = "4194000";

// A node root with runtime state, and a place for the log outside it.
class Fake : public FakeRoot {
 public:
  Fake() : log_(MakeTempDir(TestTmpDir(), "log") + "/trace.log") {}
  const std::string& root() const { return path(); }
  const std::string& log() const { return log_; }

  // Pod ns/web (FakeRoot::WebPod), no pid of it visible here.
  void WebPod() {
    FakeRoot::WebPod(kInvisiblePid, kInvisiblePid, kInvisiblePid);
  }

 private:
  std::string log_;
};

struct Result {
  int exit_code = -1;  // as from Wait: 128 + N if killed by signal N
  std::string out;
  std::string err;
};

// Runs sysstream with `args`; DOCKER_HOST is `docker_host` if given, else
// unset, whatever this process has.
Result RunSysstream(const std::vector<std::string>& args,
                    std::optional<std::string> docker_host = std::nullopt) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "DOCKER_HOST=") ||
        absl::StartsWith(*e, "BUILD_WORKING_DIRECTORY=")) {
      continue;
    }
    env.push_back(*e);
  }
  if (docker_host) env.push_back("DOCKER_HOST=" + *docker_host);
  std::vector<std::string> argv = {g_sysstream};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions o;
  o.pipe_out = true;
  o.pipe_err = true;
  o.env = std::move(env);
  const Child c = Spawn(argv, o);

  Result r;
  // A reader thread per pipe, so neither can fill up; a watchdog kills a
  // binary that hangs (it should fail fast).
  std::thread tout([&] { r.out = ReadAll(c.out); });
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 300 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!done) kill(c.pid, SIGKILL);
  });
  r.err = ReadAll(c.err);
  tout.join();
  r.exit_code = Wait(c.pid);
  done = true;
  watchdog.join();
  close(c.out);
  close(c.err);
  return r;
}

long Lines(const std::string& s) {
  return static_cast<long>(std::count(s.begin(), s.end(), '\n'));
}

// What every failure here has in common: the code, one line on stderr
// naming the problem, nothing on stdout, and no log file.
void ExpectFailure(const Result& r, int code, const Fake& fake,
                   const std::vector<std::string>& mentions) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(Lines(r.err), 1L) << r.err;
  EXPECT_THAT(r.err, StartsWith("sysstream: "));
  for (const std::string& m : mentions) EXPECT_THAT(r.err, HasSubstr(m));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(Exists(fake.log())) << fake.log();
}

std::vector<std::string> Args(const Fake& fake,
                              std::vector<std::string> targets) {
  std::vector<std::string> a = {"-f", fake.log(), "--host-root", fake.root()};
  a.insert(a.end(), targets.begin(), targets.end());
  return a;
}

// --- state only ------------------------------------------------------------

TEST(RuntimeErrorsTest, UnknownContainer) {
  Fake fake;
  fake.WebPod();
  Result r = RunSysstream(Args(fake, {"--container", "nosuchcontainer"}));
  ExpectFailure(r, kTargetNotFound, fake, {"'nosuchcontainer'"});
}

TEST(RuntimeErrorsTest, UnknownContainerOnEmptyRoot) {
  Fake fake;
  Result r = RunSysstream(Args(fake, {"--container", "web"}));
  ExpectFailure(r, kTargetNotFound, fake, {"'web'", fake.root()});
}

TEST(RuntimeErrorsTest, UnknownPod) {
  Fake fake;
  fake.WebPod();
  Result r = RunSysstream(Args(fake, {"--pod", "ns/nosuchpod"}));
  ExpectFailure(r, kTargetNotFound, fake, {"ns/nosuchpod"});
}

TEST(RuntimeErrorsTest, AmbiguousContainer) {
  Fake fake;
  fake.Containerd("k8s.io", kAppId, OciConfig(CriContainer("web", "ns", "a")),
                  kInvisiblePid);
  fake.Podman(kPodmanId, "web", kInvisiblePid);
  Result r = RunSysstream(Args(fake, {"--container", "web"}));
  ExpectFailure(r, kAmbiguousTarget, fake, {"ambiguous", "'web'"});
  EXPECT_THAT(r.err, HasSubstr(std::string(kAppId).substr(0, 12)));
  EXPECT_THAT(r.err, HasSubstr(std::string(kPodmanId).substr(0, 12)));
}

TEST(RuntimeErrorsTest, MalformedState) {
  Fake fake;
  fake.Containerd("k8s.io", kAppId, "{\"ociVersion\": ", kInvisiblePid);
  Result r = RunSysstream(Args(fake, {"--container", "app"}));
  ExpectFailure(r, kRuntimeState, fake, {"config.json"});
}

TEST(RuntimeErrorsTest, MalformedStateForPod) {
  Fake fake;
  fake.Containerd("k8s.io", kAppId, R"({"annotations": "oops"})",
                  kInvisiblePid);
  Result r = RunSysstream(Args(fake, {"--pod", "ns/web"}));
  ExpectFailure(r, kRuntimeState, fake, {"config.json"});
}

TEST(RuntimeErrorsTest, BadPodSyntax) {
  Fake fake;
  fake.WebPod();
  for (const char* pod : {"web", "ns/web/x", "/web", "ns/"}) {
    Result r = RunSysstream(Args(fake, {"--pod", pod}));
    EXPECT_EQ(r.exit_code, kUsage) << pod << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1L) << r.err;
    EXPECT_THAT(r.err, HasSubstr("NAMESPACE/NAME")) << pod;
    EXPECT_FALSE(Exists(fake.log())) << pod;
  }
}

TEST(RuntimeErrorsTest, BadNamesAreUsageErrors) {
  Fake fake;
  fake.WebPod();
  Result r = RunSysstream(Args(fake, {"--pod", "ns/we b"}));
  ExpectFailure(r, kUsage, fake, {"invalid pod"});
  r = RunSysstream(Args(fake, {"--container", "../etc"}));
  ExpectFailure(r, kUsage, fake, {"invalid container name"});
}

TEST(RuntimeErrorsTest, NotRunning) {
  Fake fake;
  fake.Containerd("k8s.io", kAppId, OciConfig(CriContainer("app", "ns", "web")),
                  "");
  Result r = RunSysstream(Args(fake, {"--container", "app"}));
  ExpectFailure(r, kTargetNotFound, fake, {"'app'", "is not running"});
}

TEST(RuntimeErrorsTest, ContainerProcessNotVisibleHere) {
  if (Exists(absl::StrCat("/proc/", kInvisiblePid))) {
    GTEST_SKIP() << "pid " << kInvisiblePid << " exists here";
  }
  Fake fake;
  fake.WebPod();
  Result r = RunSysstream(Args(fake, {"--container", "app"}));
  ExpectFailure(r, kTargetNotFound, fake,
                {"not visible here", kInvisiblePid, "'app'"});
  // By id prefix, too.
  r = RunSysstream(Args(fake, {"--container", "a1b2c3d4"}));
  ExpectFailure(r, kTargetNotFound, fake, {"not visible here", "'sidecar'"});
}

TEST(RuntimeErrorsTest, PodProcessesNotVisibleHere) {
  if (Exists(absl::StrCat("/proc/", kInvisiblePid))) {
    GTEST_SKIP() << "pid " << kInvisiblePid << " exists here";
  }
  Fake fake;
  fake.WebPod();
  Result r = RunSysstream(Args(fake, {"--pod", "ns/web"}));
  ExpectFailure(r, kTargetNotFound, fake, {"not visible here"});
}

// --- Docker ----------------------------------------------------------------

TEST(RuntimeErrorsTest, DockerHostWithoutListener) {
  Fake fake;
  fake.WebPod();  // the container exists in containerd's state, too
  Result r = RunSysstream(Args(fake, {"--container", "app"}),
                          std::string("unix:///nonexistent.sock"));
  ExpectFailure(r, kRuntimeUnavailable, fake, {"/nonexistent.sock"});
}

// A fake Docker Engine (FakeDocker) on a socket in a directory of its own;
// url() is the DOCKER_HOST that names it.
class DockerHost {
 public:
  explicit DockerHost(FakeDocker::Handler handler)
      : dir_(MakeTempDir(SocketTmpDir(), "dk")),
        docker_(std::in_place, dir_ + "/docker.sock", std::move(handler)) {}
  ~DockerHost() {
    docker_.reset();
    RemoveTree(dir_);
  }
  std::string url() const { return "unix://" + dir_ + "/docker.sock"; }

 private:
  std::string dir_;
  std::optional<FakeDocker> docker_;
};

TEST(RuntimeErrorsTest, DockerContainerNotVisibleHere) {
  if (Exists(absl::StrCat("/proc/", kInvisiblePid))) {
    GTEST_SKIP() << "pid " << kInvisiblePid << " exists here";
  }
  Fake fake;
  DockerHost docker(WebOnly(std::atol(kInvisiblePid)));
  Result r = RunSysstream(Args(fake, {"--container", "web"}), docker.url());
  ExpectFailure(r, kTargetNotFound, fake, {"not visible here", "'web'"});
  // Not Docker's and nowhere else either.
  r = RunSysstream(Args(fake, {"--container", "db"}), docker.url());
  ExpectFailure(r, kTargetNotFound, fake, {"'db'"});
}

TEST(RuntimeErrorsTest, DockerGarbageIsMalformedState) {
  Fake fake;
  DockerHost docker([](const std::string&) {
    return std::string("220 smtp.example.com ESMTP\r\n");
  });
  Result r = RunSysstream(Args(fake, {"--container", "web"}), docker.url());
  ExpectFailure(r, kRuntimeState, fake, {"docker"});
}

TEST(RuntimeErrorsTest, DockerServerErrorIsUnavailable) {
  Fake fake;
  DockerHost docker([](const std::string&) {
    return HttpReply(500, "Internal Server Error",
                     R"({"message": "server error"})");
  });
  Result r = RunSysstream(Args(fake, {"--container", "web"}), docker.url());
  ExpectFailure(r, kRuntimeUnavailable, fake, {"500"});
}

TEST(RuntimeErrorsTest, DockerAndStateSameNameIsAmbiguous) {
  Fake fake;
  fake.Podman(kPodmanId, "web", kInvisiblePid);
  DockerHost docker(WebOnly(std::atol(kInvisiblePid)));
  Result r = RunSysstream(Args(fake, {"--container", "web"}), docker.url());
  ExpectFailure(r, kAmbiguousTarget, fake, {"ambiguous", "docker", "podman"});
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: runtime_errors_test SYSSTREAM\n");
    return 2;
  }
  g_sysstream = argv[1];
  char buf[4096];
  if (realpath(g_sysstream.c_str(), buf)) g_sysstream = buf;
  // The fake Docker daemon must survive a client that hangs up early.
  std::signal(SIGPIPE, SIG_IGN);
  return RUN_ALL_TESTS();
}
