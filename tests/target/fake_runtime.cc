// SPDX-License-Identifier: Apache-2.0
#include "tests/target/fake_runtime.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sysstream::fake_runtime {

using json = nlohmann::json;

// --- files -----------------------------------------------------------------

void MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
}

void WriteFile(const std::string& path, const std::string& text) {
  MakeDirs(path.substr(0, path.rfind('/')));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// --- OCI runtime config.json -------------------------------------------------

std::string OciConfig(const Annotations& annotations) {
  json j = {{"ociVersion", "1.1.0"},
            {"process", {{"args", {"/pause"}}, {"cwd", "/"}}},
            {"root", {{"path", "rootfs"}}}};
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump(2);
}

Annotations CriContainer(const std::string& name, const std::string& pod_ns,
                         const std::string& pod) {
  return {{"io.kubernetes.cri.container-type", "container"},
          {"io.kubernetes.cri.container-name", name},
          {"io.kubernetes.cri.sandbox-id", kWebSandboxId},
          {"io.kubernetes.cri.sandbox-name", pod},
          {"io.kubernetes.cri.sandbox-namespace", pod_ns},
          {"io.kubernetes.cri.image-name", "docker.io/library/nginx:1.25"}};
}

Annotations CriSandbox(const std::string& pod_ns, const std::string& pod) {
  return {
      {"io.kubernetes.cri.container-type", "sandbox"},
      {"io.kubernetes.cri.sandbox-id", kWebSandboxId},
      {"io.kubernetes.cri.sandbox-name", pod},
      {"io.kubernetes.cri.sandbox-namespace", pod_ns},
      {"io.kubernetes.cri.sandbox-log-directory", "/var/log/pods/ns_web_1234"}};
}

Annotations CrioContainer(const std::string& name, const std::string& pod_ns,
                          const std::string& pod) {
  return {{"io.kubernetes.cri-o.ContainerType", "container"},
          {"io.kubernetes.cri-o.Name",
           "k8s_" + name + "_" + pod + "_" + pod_ns + "_0123-4567_0"},
          {"io.kubernetes.container.name", name},
          {"io.kubernetes.pod.name", pod},
          {"io.kubernetes.pod.namespace", pod_ns}};
}

Annotations CrioInfra(const std::string& pod_ns, const std::string& pod) {
  return {{"io.kubernetes.cri-o.ContainerType", "sandbox"},
          {"io.kubernetes.container.name", "POD"},
          {"io.kubernetes.pod.name", pod},
          {"io.kubernetes.pod.namespace", pod_ns}};
}

// --- node roots --------------------------------------------------------------

FakeRoot::FakeRoot(const std::string& parent)
    : root_(testutil::MakeTempDir(parent, "root")) {}

std::string FakeRoot::ContainerdDir(const std::string& ns,
                                    const std::string& id) const {
  return absl::StrCat(root_, "/run/containerd/io.containerd.runtime.v2.task/",
                      ns, "/", id);
}

std::string FakeRoot::StorageDir(const std::string& id) const {
  return absl::StrCat(root_, "/run/containers/storage/overlay-containers/", id,
                      "/userdata");
}

std::string FakeRoot::PodmanIndexPath() const {
  return root_ +
         "/var/lib/containers/storage/overlay-containers/containers.json";
}

void FakeRoot::Containerd(const std::string& ns, const std::string& id,
                          const std::string& config, const std::string& pid) {
  WriteFile(ContainerdDir(ns, id) + "/config.json", config);
  if (!pid.empty()) WriteFile(ContainerdDir(ns, id) + "/init.pid", pid);
}

void FakeRoot::Storage(const std::string& id, const std::string& config,
                       const std::string& pid) {
  WriteFile(StorageDir(id) + "/config.json", config);
  if (!pid.empty()) WriteFile(StorageDir(id) + "/pidfile", pid);
}

void FakeRoot::PodmanIndex(
    const std::vector<std::pair<std::string, std::string>>& id_names) {
  json j = json::array();
  for (const auto& [id, name] : id_names) {
    j.push_back({{"id", id},
                 {"names", {name}},
                 {"image", "0123"},
                 {"layer", "4567"},
                 {"metadata", "{}"},
                 {"created", "2024-01-01T00:00:00Z"}});
  }
  WriteFile(PodmanIndexPath(), j.dump());
}

void FakeRoot::Podman(const std::string& id, const std::string& name,
                      const std::string& pid) {
  Storage(id, OciConfig({}), pid);
  PodmanIndex({{id, name}});
}

void FakeRoot::WebPod(const std::string& sandbox_pid,
                      const std::string& app_pid,
                      const std::string& sidecar_pid) {
  Containerd("k8s.io", kWebSandboxId, OciConfig(CriSandbox("ns", "web")),
             sandbox_pid);
  Containerd("k8s.io", kAppId, OciConfig(CriContainer("app", "ns", "web")),
             app_pid);
  Containerd("k8s.io", kSidecarId,
             OciConfig(CriContainer("sidecar", "ns", "web")), sidecar_pid);
}

// --- the Docker Engine API ---------------------------------------------------

FakeDocker::FakeDocker(const std::string& path, Handler handler)
    : path_(path), handler_(std::move(handler)) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    ADD_FAILURE() << "socket path too long: " << path;
    return;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  unlink(path.c_str());
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd_, 16) != 0) {
    ADD_FAILURE() << "bind/listen " << path << ": " << std::strerror(errno);
    return;
  }
  thread_ = std::thread([this] { Serve(); });
}

FakeDocker::~FakeDocker() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  close(fd_);
  unlink(path_.c_str());
}

std::vector<std::string> FakeDocker::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeDocker::Serve() {
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
    }
    const std::string reply = handler_(req);
    if (reply == kTrickle) {
      const std::string start = HttpReply(200, "OK", "[");
      (void)!send(c, start.data(), start.size(), MSG_NOSIGNAL);
      while (!stop_ && send(c, " ", 1, MSG_NOSIGNAL) == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } else if (reply != kSilent) {
      size_t off = 0;
      while (off < reply.size()) {
        ssize_t n =
            send(c, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
    } else {
      // Never answer: hold the connection until told to stop.
      while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    close(c);
  }
}

std::string HttpReply(int status, const std::string& reason,
                      const std::string& body) {
  return absl::StrCat("HTTP/1.0 ", status, " ", reason,
                      "\r\nApi-Version: 1.45\r\nContent-Type: "
                      "application/json\r\nDocker-Experimental: false\r\n"
                      "Server: Docker/26.1.3 (linux)\r\n\r\n",
                      body);
}

std::string DockerInspectBody(const std::string& id, const std::string& name,
                              int64_t pid) {
  json j = {{"Id", id},
            {"Created", "2024-05-01T10:00:00.000000000Z"},
            {"Path", "nginx"},
            {"Name", "/" + name},
            {"State",
             {{"Status", "running"},
              {"Running", true},
              {"Pid", pid},
              {"ExitCode", 0}}},
            {"Config", {{"Hostname", id.substr(0, 12)}}}};
  return j.dump() + "\n";
}

FakeDocker::Handler WebOnly(int64_t pid) {
  return [pid](const std::string& request) {
    if (request.rfind("GET /containers/web/json HTTP/1.0\r\n", 0) == 0) {
      return HttpReply(200, "OK", DockerInspectBody(kDockerId, "web", pid));
    }
    return HttpReply(404, "Not Found",
                     "{\"message\":\"No such container: x\"}\n");
  };
}

void StaleSocket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path)) << path;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << path << ": " << std::strerror(errno);
  close(fd);  // the file stays, nobody listens
}

}  // namespace sysstream::fake_runtime
