// SPDX-License-Identifier: Apache-2.0
// Exit codes of the real sysstream binary when --container / --pod cannot be
// resolved: fake node roots (--host-root) with containerd, CRI-O and Podman
// state, and a fake Docker Engine on a unix socket served by this process.
// Every case fails before BPF is loaded, and none may create the log file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace {

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

constexpr char kAppId[] =
    "3f2c1a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877";
constexpr char kSidecarId[] =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
constexpr char kSandboxId[] =
    "5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa";
constexpr char kPodmanId[] =
    "9e9e9e9e8d8d8d8d7c7c7c7c6b6b6b6b5a5a5a5a494949493838383827272727";
constexpr char kDockerId[] =
    "dddd0000111122223333444455556666777788889999aaaabbbbccccddddeeee";

std::string TmpDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

std::string MakeTempDir(const std::string& parent, const std::string& name) {
  std::string tmpl = absl::StrCat(parent, "/", name, "-XXXXXX");
  if (mkdtemp(&tmpl[0]) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl << ": " << std::strerror(errno);
  }
  return tmpl;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(path.substr(0, path.rfind('/')));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

bool Exists(const std::string& path) {
  struct stat sb;
  return lstat(path.c_str(), &sb) == 0;
}

std::string CriConfig(const std::string& type, const std::string& name,
                      const std::string& pod_ns, const std::string& pod) {
  return absl::StrCat(
      R"({"ociVersion": "1.1.0", "process": {"args": ["/app"]}, )",
      R"("annotations": {"io.kubernetes.cri.container-type": ")", type,
      R"(", "io.kubernetes.cri.container-name": ")", name,
      R"(", "io.kubernetes.cri.sandbox-name": ")", pod,
      R"(", "io.kubernetes.cri.sandbox-namespace": ")", pod_ns, R"("}})");
}

// A node root with runtime state, and a place for the log.
class Fake {
 public:
  Fake() : dir_(MakeTempDir(TmpDir(), "rt")) {
    std::filesystem::create_directories(root());
  }
  std::string root() const { return dir_ + "/root"; }
  std::string log() const { return dir_ + "/trace.log"; }

  void Containerd(const std::string& ns, const std::string& id,
                  const std::string& config, const std::string& pid) {
    const std::string d = absl::StrCat(
        root(), "/run/containerd/io.containerd.runtime.v2.task/", ns, "/", id);
    WriteFile(d + "/config.json", config);
    if (!pid.empty()) WriteFile(d + "/init.pid", pid + "\n");
  }
  void Podman(const std::string& id, const std::string& name,
              const std::string& pid) {
    const std::string d = absl::StrCat(
        root(), "/run/containers/storage/overlay-containers/", id, "/userdata");
    WriteFile(d + "/config.json", R"({"ociVersion": "1.1.0"})");
    if (!pid.empty()) WriteFile(d + "/pidfile", pid + "\n");
    WriteFile(
        root() +
            "/var/lib/containers/storage/overlay-containers/"
            "containers.json",
        absl::StrCat(R"([{"id": ")", id, R"(", "names": [")", name, R"("]}])"));
  }

  // Pod ns/web: its sandbox and two containers, invisible pids.
  void WebPod(const std::string& pid = kInvisiblePid) {
    Containerd("k8s.io", kSandboxId, CriConfig("sandbox", "", "ns", "web"),
               pid);
    Containerd("k8s.io", kAppId, CriConfig("container", "app", "ns", "web"),
               pid);
    Containerd("k8s.io", kSidecarId,
               CriConfig("container", "sidecar", "ns", "web"), pid);
  }

 private:
  std::string dir_;
};

struct Result {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
  std::string err;
};

std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

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
  std::vector<char*> cargv, cenv;
  for (std::string& a : argv) cargv.push_back(&a[0]);
  cargv.push_back(nullptr);
  for (std::string& e : env) cenv.push_back(&e[0]);
  cenv.push_back(nullptr);

  Result r;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return r;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  // A reader thread per pipe, so neither can fill up; a watchdog kills a
  // binary that hangs (it should fail fast).
  std::thread tout([&] { r.out = ReadAll(out[0]); });
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 300 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!done) kill(pid, SIGKILL);
  });
  r.err = ReadAll(err[0]);
  tout.join();
  int status = 0;
  waitpid(pid, &status, 0);
  done = true;
  watchdog.join();
  close(out[0]);
  close(err[0]);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
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
  fake.Containerd("k8s.io", kAppId, CriConfig("container", "web", "ns", "a"),
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
  fake.Containerd("k8s.io", kAppId, CriConfig("container", "app", "ns", "web"),
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

// Answers each connection with one canned reply until destroyed.
class FakeDocker {
 public:
  FakeDocker(const std::string& path,
             std::function<std::string(const std::string&)> handler)
      : path_(path), handler_(std::move(handler)) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
      ADD_FAILURE() << "socket path too long: " << path;
      return;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, 8) != 0) {
      ADD_FAILURE() << "bind/listen " << path << ": " << std::strerror(errno);
      return;
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
          pollfd q{c, POLLIN, 0};
          if (poll(&q, 1, 2000) <= 0) break;
          ssize_t n = read(c, buf, sizeof(buf));
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
        }
        const std::string reply = handler_(req);
        send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        close(c);
      }
    });
  }
  ~FakeDocker() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(fd_);
    unlink(path_.c_str());
  }

 private:
  std::string path_;
  std::function<std::string(const std::string&)> handler_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

std::string Http(int status, const std::string& body) {
  return absl::StrCat("HTTP/1.0 ", status,
                      " X\r\nContent-Type: "
                      "application/json\r\nApi-Version: 1.45\r\n\r\n",
                      body);
}

// Docker knows "web" only.
std::string WebOnly(const std::string& request) {
  if (absl::StartsWith(request, "GET /containers/web/json HTTP/1.0\r\n")) {
    return Http(200, absl::StrCat(R"({"Id": ")", kDockerId,
                                  R"(", "Name": "/web", "State": )",
                                  R"({"Running": true, "Pid": )", kInvisiblePid,
                                  "}}\n"));
  }
  return Http(404, R"({"message": "No such container"})");
}

// Sockets need short paths (sun_path is 108 bytes).
std::string SocketDir() {
  const std::string base = TmpDir().size() > 60 ? "/tmp" : TmpDir();
  return MakeTempDir(base, "dk");
}

TEST(RuntimeErrorsTest, DockerContainerNotVisibleHere) {
  if (Exists(absl::StrCat("/proc/", kInvisiblePid))) {
    GTEST_SKIP() << "pid " << kInvisiblePid << " exists here";
  }
  Fake fake;
  const std::string dir = SocketDir();
  const std::string sock = dir + "/docker.sock";
  {
    FakeDocker docker(sock, WebOnly);
    Result r =
        RunSysstream(Args(fake, {"--container", "web"}), "unix://" + sock);
    ExpectFailure(r, kTargetNotFound, fake, {"not visible here", "'web'"});
    // Not Docker's and nowhere else either.
    r = RunSysstream(Args(fake, {"--container", "db"}), "unix://" + sock);
    ExpectFailure(r, kTargetNotFound, fake, {"'db'"});
  }
  std::filesystem::remove_all(dir);
}

TEST(RuntimeErrorsTest, DockerGarbageIsMalformedState) {
  Fake fake;
  const std::string dir = SocketDir();
  const std::string sock = dir + "/docker.sock";
  {
    FakeDocker docker(sock, [](const std::string&) {
      return std::string("220 smtp.example.com ESMTP\r\n");
    });
    Result r =
        RunSysstream(Args(fake, {"--container", "web"}), "unix://" + sock);
    ExpectFailure(r, kRuntimeState, fake, {"docker"});
  }
  std::filesystem::remove_all(dir);
}

TEST(RuntimeErrorsTest, DockerServerErrorIsUnavailable) {
  Fake fake;
  const std::string dir = SocketDir();
  const std::string sock = dir + "/docker.sock";
  {
    FakeDocker docker(sock, [](const std::string&) {
      return Http(500, R"({"message": "server error"})");
    });
    Result r =
        RunSysstream(Args(fake, {"--container", "web"}), "unix://" + sock);
    ExpectFailure(r, kRuntimeUnavailable, fake, {"500"});
  }
  std::filesystem::remove_all(dir);
}

TEST(RuntimeErrorsTest, DockerAndStateSameNameIsAmbiguous) {
  Fake fake;
  fake.Podman(kPodmanId, "web", kInvisiblePid);
  const std::string dir = SocketDir();
  const std::string sock = dir + "/docker.sock";
  {
    FakeDocker docker(sock, WebOnly);
    Result r =
        RunSysstream(Args(fake, {"--container", "web"}), "unix://" + sock);
    ExpectFailure(r, kAmbiguousTarget, fake, {"ambiguous", "docker", "podman"});
  }
  std::filesystem::remove_all(dir);
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
