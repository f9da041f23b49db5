// SPDX-License-Identifier: Apache-2.0
// Fake container runtimes for tests: node roots (what --host-root names)
// holding the state of containerd, CRI-O and Podman, and a fake Docker
// Engine answering on a unix socket from a thread of the test.
#ifndef SYSSTREAM_TESTS_TARGET_FAKE_RUNTIME_H_
#define SYSSTREAM_TESTS_TARGET_FAKE_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/common/tmpdir.h"

namespace sysstream::fake_runtime {

// Ids as the runtimes make them: 64 lowercase hex digits. Tests look some
// up by a prefix, so no two of them start alike.
//
// Pod ns/web's sandbox (FakeRoot::WebPod).
inline constexpr char kWebSandboxId[] =
    "5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa5555aaaa";
// Pod ns/web's container "app".
inline constexpr char kAppId[] =
    "3f2c1a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877";
// Pod ns/web's container "sidecar".
inline constexpr char kSidecarId[] =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
// A Podman container (FakeRoot::Podman).
inline constexpr char kPodmanId[] =
    "9e9e9e9e8d8d8d8d7c7c7c7c6b6b6b6b5a5a5a5a494949493838383827272727";
// Docker's container "web" (WebOnly).
inline constexpr char kDockerId[] =
    "dddd0000111122223333444455556666777788889999aaaabbbbccccddddeeee";

// --- files -----------------------------------------------------------------

// Makes the directory `path` and any missing parents.
void MakeDirs(const std::string& path);

// Writes `text` to `path`, making its parent directories.
void WriteFile(const std::string& path, const std::string& text);

// --- OCI runtime config.json -------------------------------------------------

using Annotations = std::map<std::string, std::string>;

// A minimal OCI runtime config.json with the given annotations.
std::string OciConfig(const Annotations& annotations);

// containerd's CRI annotations for a Kubernetes container, and for its pod's
// sandbox (whose id is kWebSandboxId).
Annotations CriContainer(const std::string& name, const std::string& pod_ns,
                         const std::string& pod);
Annotations CriSandbox(const std::string& pod_ns, const std::string& pod);

// CRI-O's annotations for a container, and for its pod's infra container.
Annotations CrioContainer(const std::string& name, const std::string& pod_ns,
                          const std::string& pod);
Annotations CrioInfra(const std::string& pod_ns, const std::string& pod);

// --- node roots --------------------------------------------------------------

// A node root: a new directory under `parent` with runtime state in the
// places the runtimes keep it. A pid argument is the pid file's text as
// given; "" means no pid file (the container is not running).
class FakeRoot {
 public:
  explicit FakeRoot(const std::string& parent = testutil::TestTmpDir());

  const std::string& path() const { return root_; }

  // containerd's task directory, and the userdata directory that CRI-O and
  // Podman keep in their runroot.
  std::string ContainerdDir(const std::string& ns, const std::string& id) const;
  std::string StorageDir(const std::string& id) const;
  // Podman's containers.json, in its graphroot.
  std::string PodmanIndexPath() const;

  // A containerd task in namespace `ns`.
  void Containerd(const std::string& ns, const std::string& id,
                  const std::string& config, const std::string& pid);
  // A CRI-O or Podman container.
  void Storage(const std::string& id, const std::string& config,
               const std::string& pid);
  // containers.json naming the given containers.
  void PodmanIndex(
      const std::vector<std::pair<std::string, std::string>>& id_names);
  // The one Podman container: no annotations, named `name` in
  // containers.json.
  void Podman(const std::string& id, const std::string& name,
              const std::string& pid);

  // Pod ns/web on containerd (namespace k8s.io): its sandbox and the
  // containers "app" and "sidecar".
  void WebPod(const std::string& sandbox_pid, const std::string& app_pid,
              const std::string& sidecar_pid);

 private:
  std::string root_;
};

// --- the Docker Engine API ---------------------------------------------------

// Answers each connection on a unix socket with one canned reply from
// `handler(request)`, then closes it, until destroyed.
class FakeDocker {
 public:
  using Handler = std::function<std::string(const std::string& request)>;

  // A reply that never comes: the connection is held until destruction.
  static constexpr char kSilent[] = "\x01silent";
  // A reply that never ends: one byte every 100 ms until destruction.
  static constexpr char kTrickle[] = "\x01trickle";

  FakeDocker(const std::string& path, Handler handler);
  ~FakeDocker();
  FakeDocker(const FakeDocker&) = delete;
  FakeDocker& operator=(const FakeDocker&) = delete;

  // Every request received so far.
  std::vector<std::string> requests();

 private:
  void Serve();

  std::string path_;
  Handler handler_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
};

// An HTTP/1.0 reply as dockerd sends it.
std::string HttpReply(int status, const std::string& reason,
                      const std::string& body);

// The body of GET /containers/{id}/json for a running container.
std::string DockerInspectBody(const std::string& id, const std::string& name,
                              int64_t pid);

// A Docker with the one container "web" (kDockerId), running as `pid`;
// 404 for anything else.
FakeDocker::Handler WebOnly(int64_t pid = 4321);

// Leaves a socket file at `path` that nobody listens on, as a daemon that
// is gone does.
void StaleSocket(const std::string& path);

}  // namespace sysstream::fake_runtime

#endif  // SYSSTREAM_TESTS_TARGET_FAKE_RUNTIME_H_
