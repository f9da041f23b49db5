// SPDX-License-Identifier: Apache-2.0
// Container names → processes, from the container runtimes' own state on
// the host (no Kubernetes API needed): Docker's Engine API on its socket,
// containerd's and CRI-O's / Podman's state directories.
#ifndef SYSSTREAM_CC_TARGET_CONTAINER_H_
#define SYSSTREAM_CC_TARGET_CONTAINER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sysstream {

// Where to look. host_root is "/" on the host, or the node's root mounted
// elsewhere (/host under `kubectl debug node --profile=sysadmin`).
struct RuntimeConfig {
  std::string host_root = "/";
  std::string docker_host;  // DOCKER_HOST (unix://PATH); empty: default
  // CONTAINERS_STORAGE_CONF: one more storage.conf, a path as sysstream
  // sees it (like docker_host); used only when absolute.
  std::string storage_conf;
};

struct Container {
  std::string runtime;  // "docker", "containerd", "cri-o", "podman"
  std::string id;
  std::string name;
  std::string pod_namespace;  // Kubernetes pods only
  std::string pod_name;
  uint32_t pid = 0;  // its init process, in the host's pid namespace
};

// Finds one container by name, full id or id prefix (at least 4 hex
// digits). NotFound if none; FailedPrecondition (kind kAmbiguousTarget) if
// several; Unavailable (kRuntimeUnavailable) if DOCKER_HOST names a socket
// that does not answer; DataLoss (kRuntimeState) for malformed runtime
// state.
absl::StatusOr<Container> FindContainer(absl::string_view query,
                                        const RuntimeConfig& config);

// Every container of a Kubernetes pod "NAMESPACE/NAME" (sandboxes excluded).
absl::StatusOr<std::vector<Container>> FindPod(absl::string_view pod,
                                               const RuntimeConfig& config);

// All containers the state directories name (containerd, CRI-O, Podman).
absl::StatusOr<std::vector<Container>> ListStateContainers(
    const RuntimeConfig& config);

// Parses an OCI runtime config.json's annotations into a Container
// (runtime, id and pid filled in by the caller). DataLoss if malformed.
absl::StatusOr<Container> ParseOciAnnotations(absl::string_view config_json);

// Parses Docker's GET /containers/NAME/json response body.
absl::StatusOr<Container> ParseDockerInspect(absl::string_view body);

// "/host" when it looks like a node's root (kubectl debug node), else "/".
std::string DetectHostRoot(const std::string& candidate = "/host");

}  // namespace sysstream

#endif  // SYSSTREAM_CC_TARGET_CONTAINER_H_
