// SPDX-License-Identifier: Apache-2.0
#include "cc/target/container.h"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/common/error_kind.h"
#include "cc/common/fd.h"
#include "cc/common/file_io.h"
#include "cc/target/proc_stat.h"

namespace sysstream {
namespace {

using json = nlohmann::json;

// Runtime state files are small; anything larger is not what we expect.
constexpr size_t kMaxStateFile = 4 << 20;

// A runtime's state that sysstream cannot read as it should be (exit 10).
absl::Status RuntimeStateError(absl::string_view message) {
  return WithKind(absl::DataLossError(message), ErrorKind::kRuntimeState);
}

// A runtime that does not answer as it should (exit 9).
absl::Status RuntimeUnavailableError(absl::string_view message) {
  return WithKind(absl::UnavailableError(message),
                  ErrorKind::kRuntimeUnavailable);
}

// Reads a file of at most kMaxStateFile bytes. NotFound if absent.
absl::StatusOr<std::string> ReadBounded(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path, kMaxStateFile);
  if (absl::IsOutOfRange(data.status())) {
    return RuntimeStateError(
        absl::StrCat("malformed runtime state: ", path, " is too large"));
  }
  return data;
}

// The host's `path` (absolute) under config.host_root, with symbolic links
// resolved the way the host resolves them: an absolute link target is taken
// from host_root, not from our own root. (On a Debian node /var/run is a
// link to /run: seen from `kubectl debug node`, /host/var/run/docker.sock
// would otherwise lead to the debug container's own /run.) The part of the
// path that does not exist is appended as it is.
std::string Under(const RuntimeConfig& config, absl::string_view path) {
  std::string root(absl::StripSuffix(config.host_root, "/"));
  if (root.empty()) return std::string(path);  // host_root "/": as is
  std::vector<std::string> todo;  // components still to walk, reversed
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    todo.insert(todo.begin(), std::string(part));
  }
  std::vector<std::string> done;  // resolved components below root
  int links = 0;
  bool missing = false;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    if (missing) continue;
    const std::string here = absl::StrCat(root, "/", absl::StrJoin(done, "/"));
    struct stat sb;
    if (lstat(here.c_str(), &sb) != 0) {
      missing = true;
      continue;
    }
    if (!S_ISLNK(sb.st_mode)) continue;
    char target[4096];
    ssize_t n = readlink(here.c_str(), target, sizeof(target) - 1);
    if (n <= 0 || ++links > 40) {  // a loop: leave it to the caller's open()
      missing = true;
      continue;
    }
    target[n] = '\0';
    done.pop_back();
    if (target[0] == '/') done.clear();
    std::vector<std::string> parts =
        absl::StrSplit(absl::string_view(target, static_cast<size_t>(n)), '/',
                       absl::SkipEmpty());
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      todo.push_back(*it);
    }
  }
  return absl::StrCat(root, "/", absl::StrJoin(done, "/"));
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

uint32_t ReadPidFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadBounded(path);
  uint32_t pid = 0;
  if (!text.ok()) return 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid)) return 0;
  return pid;
}

std::string StringAt(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// Container names and ids are [A-Za-z0-9_.-]; pods add nothing else.
bool IsSafeName(absl::string_view s) {
  if (s.empty() || s.size() > 253 || s == "." || s == "..") return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

bool Matches(const Container& c, absl::string_view query) {
  if (c.name == query || c.id == query) return true;
  return query.size() >= 4 && absl::StartsWith(c.id, query) &&
         std::all_of(query.begin(), query.end(), [](char ch) {
           return absl::ascii_isxdigit(static_cast<unsigned char>(ch));
         });
}

// --- Docker Engine API over its unix socket -------------------------------

constexpr absl::Duration kDockerReplyTimeout = absl::Seconds(5);

struct DockerReply {
  int status = 0;
  std::string body;
};

absl::StatusOr<DockerReply> DockerGet(const std::string& socket_path,
                                      const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::InternalError("socket: " + std::string(strerror(errno)));
  }
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("docker socket path too long");
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    return RuntimeUnavailableError(absl::StrCat(
        "docker socket ", socket_path, " does not answer: ", strerror(errno)));
  }
  // HTTP/1.0: the daemon closes the connection after a plain body.
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: docker\r\n\r\n");
  if (!WriteAll(fd.get(), request)) {
    return RuntimeUnavailableError("docker socket: write failed");
  }
  // One deadline for the whole reply: a daemon that trickles bytes must not
  // hold sysstream up any longer than one that says nothing.
  const absl::Time deadline = absl::Now() + kDockerReplyTimeout;
  std::string reply;
  char buf[8192];
  for (;;) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left_ms <= 0 || poll(&p, 1, static_cast<int>(left_ms)) <= 0) {
      return RuntimeUnavailableError(
          absl::StrCat("docker socket ", socket_path, ": no complete reply in ",
                       absl::FormatDuration(kDockerReplyTimeout)));
    }
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
    if (reply.size() > kMaxStateFile) {
      return RuntimeStateError("docker reply too large");
    }
  }
  DockerReply r;
  size_t sp = reply.find(' ');
  size_t end = reply.find("\r\n\r\n");
  if (!absl::StartsWith(reply, "HTTP/") || sp == std::string::npos ||
      end == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(reply).substr(sp + 1, 3),
                        &r.status)) {
    return RuntimeStateError("malformed reply from the docker socket");
  }
  r.body = reply.substr(end + 4);
  return r;
}

std::string DockerSocket(const RuntimeConfig& config, bool* explicit_host) {
  *explicit_host = false;
  if (!config.docker_host.empty()) {
    *explicit_host = true;
    absl::string_view h = config.docker_host;
    absl::ConsumePrefix(&h, "unix://");
    return std::string(h);
  }
  return Under(config, "/var/run/docker.sock");
}

// --- state directories -----------------------------------------------------

void AddContainerdTasks(const RuntimeConfig& config,
                        std::vector<Container>* out, absl::Status* error) {
  const std::string base =
      Under(config, "/run/containerd/io.containerd.runtime.v2.task");
  for (const std::string& ns : ListDir(base)) {
    if (ns == "moby") continue;  // Docker's own; asked through its API
    for (const std::string& id : ListDir(base + "/" + ns)) {
      const std::string dir = absl::StrCat(base, "/", ns, "/", id);
      absl::StatusOr<std::string> text = ReadBounded(dir + "/config.json");
      if (!text.ok()) {  // absent: a task being created or deleted
        if (absl::IsDataLoss(text.status()) && error->ok()) {
          *error = text.status();
        }
        continue;
      }
      absl::StatusOr<Container> c = ParseOciAnnotations(*text);
      if (!c.ok()) {
        if (error->ok()) {
          *error = RuntimeStateError(
              absl::StrCat("malformed runtime state in ", dir,
                           "/config.json: ", c.status().message()));
        }
        continue;
      }
      if (c->runtime == "sandbox") continue;
      c->runtime = "containerd";
      c->id = id;
      if (c->name.empty()) c->name = id;
      c->pid = ReadPidFile(dir + "/init.pid");
      out->push_back(*c);
    }
  }
}

// containers/storage's two roots: graphroot (persistent: containers.json,
// which names Podman's containers, and Podman's userdata/config.json) and
// runroot (on tmpfs: userdata/pidfile, and CRI-O's userdata/config.json).
struct StorageRoots {
  std::string graphroot;  // host paths
  std::string runroot;
};

// The [storage] graphroot and runroot of a storage.conf (TOML); defaults for
// what it does not set. Only the two plain string keys are read.
StorageRoots ParseStorageConf(absl::string_view text) {
  StorageRoots r{"/var/lib/containers/storage", "/run/containers/storage"};
  bool in_storage = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      in_storage = line == "[storage]";
      continue;
    }
    if (!in_storage) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (value.size() < 2 || (value[0] != '"' && value[0] != '\'')) continue;
    const size_t close = value.find(value[0], 1);
    if (close == absl::string_view::npos) continue;
    value = value.substr(1, close - 1);
    if (value.empty() || value[0] != '/') continue;
    if (key == "graphroot") r.graphroot = std::string(value);
    if (key == "runroot") r.runroot = std::string(value);
  }
  return r;
}

// Every store to look in: the default one, and those named by the host's
// storage.conf (/etc/containers, then /usr/share/containers) and by
// $CONTAINERS_STORAGE_CONF (a path as sysstream sees it, like DOCKER_HOST;
// the roots it names are host paths).
std::vector<StorageRoots> StoresOf(const RuntimeConfig& config) {
  std::vector<StorageRoots> stores = {ParseStorageConf("")};
  std::vector<std::string> confs;
  if (absl::StartsWith(config.storage_conf, "/")) {
    confs.push_back(config.storage_conf);
  }
  confs.push_back(Under(config, "/etc/containers/storage.conf"));
  confs.push_back(Under(config, "/usr/share/containers/storage.conf"));
  for (const std::string& conf : confs) {
    absl::StatusOr<std::string> text = ReadBounded(conf);
    if (!text.ok()) continue;
    StorageRoots r = ParseStorageConf(*text);
    bool dup = false;
    for (const StorageRoots& s : stores) {
      dup = dup || (s.graphroot == r.graphroot && s.runroot == r.runroot);
    }
    if (!dup) stores.push_back(r);
  }
  return stores;
}

// The parent pid of `pid` from /proc/PID/stat; 0 if it cannot be read.
uint32_t ParentPid(uint32_t pid) {
  absl::StatusOr<ProcStat> stat = ReadProcStat(pid);
  return stat.ok() ? stat->ppid : 0;
}

// A pidfile outlives its container: Podman keeps userdata/pidfile after
// `podman stop`, and the pid may since have been reused. The container's
// first process is a child of its conmon (userdata/conmon.pid for Podman,
// conmon-pidfile for CRI-O): when conmon's pid is known, a pid that is not
// its child, or a pid and conmon both gone, mean the container is stopped.
uint32_t CheckedConmonChild(const std::string& userdata, uint32_t pid) {
  if (pid == 0) return 0;
  uint32_t conmon = ReadPidFile(userdata + "/conmon.pid");
  if (conmon == 0) conmon = ReadPidFile(userdata + "/conmon-pidfile");
  if (conmon == 0) return pid;  // nothing to check against
  const uint32_t ppid = ParentPid(pid);
  if (ppid != 0) return ppid == conmon ? pid : 0;
  struct stat sb;
  if (stat(absl::StrCat("/proc/", conmon).c_str(), &sb) != 0) return 0;
  return pid;  // not visible here; the caller says so
}

// CRI-O and Podman share containers/storage's layout.
void AddStorageContainers(const RuntimeConfig& config,
                          std::vector<Container>* out, absl::Status* error) {
  std::vector<std::string> seen;  // ids, once each across stores
  for (const StorageRoots& store : StoresOf(config)) {
    // Podman's names live in containers/storage's own index.
    std::vector<std::pair<std::string, std::string>> names;  // id → name
    const std::string index =
        Under(config, store.graphroot + "/overlay-containers/containers.json");
    absl::StatusOr<std::string> text = ReadBounded(index);
    if (!text.ok()) {
      if (absl::IsDataLoss(text.status()) && error->ok()) {
        *error = text.status();
      }
    } else {
      json j = json::parse(*text, nullptr, false);
      if (j.is_discarded() || !j.is_array()) {
        if (error->ok()) {
          *error = RuntimeStateError(
              absl::StrCat("malformed runtime state in ", index));
        }
      } else {
        for (const json& e : j) {
          if (!e.is_object()) continue;
          auto n = e.find("names");
          if (n != e.end() && n->is_array() && !n->empty() &&
              (*n)[0].is_string()) {
            names.emplace_back(StringAt(e, "id"), (*n)[0].get<std::string>());
          }
        }
      }
    }
    // A container that has run since boot has a runroot directory.
    const std::string base =
        Under(config, store.runroot + "/overlay-containers");
    const std::string persistent =
        Under(config, store.graphroot + "/overlay-containers");
    for (const std::string& id : ListDir(base)) {
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      const std::string dir = absl::StrCat(base, "/", id, "/userdata");
      // CRI-O writes config.json to both roots; Podman only to graphroot.
      std::string config_path = dir + "/config.json";
      absl::StatusOr<std::string> text = ReadBounded(config_path);
      if (absl::IsNotFound(text.status())) {
        config_path =
            absl::StrCat(persistent, "/", id, "/userdata/config.json");
        text = ReadBounded(config_path);
      }
      if (!text.ok()) {  // absent: being created or removed
        if (absl::IsDataLoss(text.status()) && error->ok()) {
          *error = text.status();
        }
        continue;
      }
      absl::StatusOr<Container> c = ParseOciAnnotations(*text);
      if (!c.ok()) {
        if (error->ok()) {
          *error = RuntimeStateError(absl::StrCat("malformed runtime state in ",
                                                  config_path, ": ",
                                                  c.status().message()));
        }
        continue;
      }
      seen.push_back(id);
      if (c->runtime == "sandbox") continue;
      c->id = id;
      for (const auto& [nid, name] : names) {
        if (nid == id && c->name.empty()) c->name = name;
      }
      if (c->runtime.empty()) c->runtime = "podman";
      if (c->name.empty()) c->name = id;
      c->pid = CheckedConmonChild(dir, ReadPidFile(dir + "/pidfile"));
      out->push_back(*c);
    }
  }
}

std::string Describe(const Container& c) {
  std::string s =
      absl::StrCat(c.runtime, " ", c.id.substr(0, 12), " (", c.name);
  if (!c.pod_name.empty()) {
    absl::StrAppend(&s, " in pod ", c.pod_namespace, "/", c.pod_name);
  }
  return s + ")";
}

}  // namespace

absl::StatusOr<Container> ParseOciAnnotations(absl::string_view config_json) {
  json j = json::parse(config_json.begin(), config_json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return RuntimeStateError("not a JSON object");
  }
  Container c;
  auto a = j.find("annotations");
  if (a == j.end()) return c;
  if (!a->is_object()) return RuntimeStateError("annotations is not an object");
  // containerd's CRI plugin (Kubernetes).
  if (StringAt(*a, "io.kubernetes.cri.container-type") == "sandbox" ||
      StringAt(*a, "io.kubernetes.cri-o.ContainerType") == "sandbox") {
    c.runtime = "sandbox";
    return c;
  }
  c.name = StringAt(*a, "io.kubernetes.cri.container-name");
  c.pod_name = StringAt(*a, "io.kubernetes.cri.sandbox-name");
  c.pod_namespace = StringAt(*a, "io.kubernetes.cri.sandbox-namespace");
  // CRI-O.
  if (c.name.empty()) {
    c.name = StringAt(*a, "io.kubernetes.container.name");
    if (!c.name.empty()) c.runtime = "cri-o";
  }
  if (c.pod_name.empty()) c.pod_name = StringAt(*a, "io.kubernetes.pod.name");
  if (c.pod_namespace.empty()) {
    c.pod_namespace = StringAt(*a, "io.kubernetes.pod.namespace");
  }
  // nerdctl (plain containerd).
  if (c.name.empty()) c.name = StringAt(*a, "nerdctl/name");
  return c;
}

absl::StatusOr<Container> ParseDockerInspect(absl::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return RuntimeStateError("malformed reply from the docker socket");
  }
  Container c;
  c.runtime = "docker";
  c.id = StringAt(j, "Id");
  c.name = std::string(absl::StripPrefix(StringAt(j, "Name"), "/"));
  auto st = j.find("State");
  if (c.id.empty() || st == j.end() || !st->is_object()) {
    return RuntimeStateError("docker reply lacks Id or State");
  }
  auto pid = st->find("Pid");
  if (pid != st->end() && pid->is_number_integer()) {
    const int64_t v = pid->is_number_unsigned()
                          ? static_cast<int64_t>(std::min<uint64_t>(
                                pid->get<uint64_t>(), INT64_MAX))
                          : pid->get<int64_t>();
    // PID_MAX_LIMIT is 2^22: anything above is not a pid; negative or 0
    // means not running.
    if (v > (1 << 22)) {
      return RuntimeStateError(
          absl::StrCat("docker reply has an impossible State.Pid ", v));
    }
    c.pid = v > 0 ? static_cast<uint32_t>(v) : 0;
  }
  return c;
}

// Every container the state directories name; `error` gets the first
// malformed state seen.
std::vector<Container> CollectState(const RuntimeConfig& config,
                                    absl::Status* error) {
  std::vector<Container> out;
  AddContainerdTasks(config, &out, error);
  AddStorageContainers(config, &out, error);
  return out;
}

absl::StatusOr<std::vector<Container>> ListStateContainers(
    const RuntimeConfig& config) {
  absl::Status error;
  std::vector<Container> out = CollectState(config, &error);
  if (out.empty() && !error.ok()) return error;
  return out;
}

absl::StatusOr<Container> FindContainer(absl::string_view query,
                                        const RuntimeConfig& config) {
  if (!IsSafeName(query)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid container name '", query, "'"));
  }
  std::vector<Container> found;
  bool explicit_docker = false;
  const std::string socket = DockerSocket(config, &explicit_docker);
  struct stat sb;
  if (explicit_docker || stat(socket.c_str(), &sb) == 0) {
    absl::StatusOr<DockerReply> r =
        DockerGet(socket, absl::StrCat("/containers/", query, "/json"));
    if (!r.ok()) {
      if (explicit_docker || !absl::IsUnavailable(r.status()))
        return r.status();
    } else if (r->status == 200) {
      absl::StatusOr<Container> c = ParseDockerInspect(r->body);
      if (!c.ok()) return c.status();
      found.push_back(*c);
    } else if (r->status != 404) {
      return RuntimeUnavailableError(
          absl::StrCat("docker socket ", socket, " answered HTTP ", r->status));
    }
  }
  absl::Status state_error;
  const std::vector<Container> state = CollectState(config, &state_error);
  for (const Container& c : state) {
    if (!Matches(c, query)) continue;
    bool dup = false;
    for (const Container& f : found) dup = dup || f.id == c.id;
    if (!dup) found.push_back(c);
  }
  // A malformed state file may be the very container asked for.
  if (found.empty() && !state_error.ok()) return state_error;
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no container '", query,
        "' (looked in docker, containerd, cri-o and podman state under ",
        config.host_root, ")"));
  }
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (const Container& c : found) names.push_back(Describe(c));
    return WithKind(absl::FailedPreconditionError(absl::StrCat(
                        "ambiguous container '", query, "': matches ",
                        absl::StrJoin(names, ", "), "; use its id")),
                    ErrorKind::kAmbiguousTarget);
  }
  if (found[0].pid == 0) {
    return absl::NotFoundError(
        absl::StrCat("container '", query, "' is not running"));
  }
  return found[0];
}

absl::StatusOr<std::vector<Container>> FindPod(absl::string_view pod,
                                               const RuntimeConfig& config) {
  std::vector<absl::string_view> parts = absl::StrSplit(pod, '/');
  if (parts.size() != 2 || !IsSafeName(parts[0]) || !IsSafeName(parts[1])) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid pod '", pod, "': expected NAMESPACE/NAME"));
  }
  absl::Status state_error;
  const std::vector<Container> state = CollectState(config, &state_error);
  std::vector<Container> out;
  for (const Container& c : state) {
    if (c.pod_namespace == parts[0] && c.pod_name == parts[1] && c.pid != 0) {
      out.push_back(c);
    }
  }
  if (out.empty() && !state_error.ok()) return state_error;
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("no running containers of pod '",
                                            pod,
                                            "' (looked in containerd, "
                                            "cri-o and podman state under ",
                                            config.host_root, ")"));
  }
  return out;
}

std::string DetectHostRoot(const std::string& candidate) {
  RuntimeConfig root;
  root.host_root = candidate;
  struct stat sb;
  if (candidate.empty() || stat(candidate.c_str(), &sb) != 0) return "/";
  // Runtime state, or the configuration a runtime's package installs (a
  // node whose engines use other state paths still has those).
  for (const char* marker :
       {"/run/containerd", "/run/containers", "/var/run/docker.sock",
        "/var/lib/kubelet", "/var/lib/containerd", "/var/lib/containers",
        "/var/lib/docker", "/etc/containerd", "/etc/containers", "/etc/docker",
        "/etc/crio"}) {
    // Markers as the node sees them (/host/var/run -> /run is the node's).
    if (stat(Under(root, marker).c_str(), &sb) == 0) return candidate;
  }
  return "/";
}

}  // namespace sysstream
