# SPDX-License-Identifier: Apache-2.0
# Container engines for the container tests, set up on this machine by the
# test harness (nothing here goes into any image). Source this file, then:
#
#   engines_setup docker podman    # or just one of them
#   trap engines_cleanup EXIT
#
# Idempotent on a fresh Debian 12 machine as root:
#   * installs podman, runc and docker.io from apt if missing;
#   * podman: a test-local containers.conf (equal soft/hard ulimits, runc,
#     cgroupfs, file events logger: this VM's root cannot raise rlimits and
#     crun rejects its hybrid cgroup layout) and a test-local storage.conf, so
#     the machine's own podman configuration and images are left alone;
#   * docker: a private dockerd 20.10 (own socket, data-root, exec-root,
#     containerd namespace, no bridge/iptables) whose default OCI runtime is a
#     wrapper that removes the capabilities this VM's bounding set lacks
#     (CAP_SYS_RESOURCE) from the bundle's config.json before exec'ing runc,
#     so plain `docker run --privileged` works.
#
# After engines_setup these are exported:
#   DOCKER           the docker client matching the daemon (/usr/bin/docker)
#   DOCKER_HOST      unix socket of the private dockerd
#   PODMAN           /usr/bin/podman
#   CONTAINERS_CONF, CONTAINERS_STORAGE_CONF   podman's test-local config
#   ENGINES_READY    the engines that work, e.g. "docker podman"
#   ENGINE_ERROR_docker / ENGINE_ERROR_podman  why an engine does not work
#
# Every failure is a line on stderr saying exactly what went wrong; nothing
# here exits the sourcing shell.

: "${SYSSTREAM_ENGINES_RUN:=/run/sysstream-test}"     # sockets, pids, configs
: "${SYSSTREAM_ENGINES_DATA:=/var/lib/sysstream-test}" # image/container storage
ENGINES_PACKAGES=(podman runc docker.io)
ENGINES_READY=""
_ENGINES_DOCKERD_PID=""

_engines_log() { echo "engines: $*" >&2; }

# Installs the engines' Debian packages if any is missing.
engines_install() {
  local missing=() p
  for p in "${ENGINES_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    _engines_log "not root: cannot install ${missing[*]}"
    return 1
  fi
  _engines_log "installing ${missing[*]} (apt)"
  local log="$SYSSTREAM_ENGINES_RUN/apt.log"
  mkdir -p "$SYSSTREAM_ENGINES_RUN"
  if ! { DEBIAN_FRONTEND=noninteractive timeout 600 apt-get \
           -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends \
           "${missing[@]}" >"$log" 2>&1 ||
         { DEBIAN_FRONTEND=noninteractive timeout 300 apt-get -q update >>"$log" 2>&1 &&
           DEBIAN_FRONTEND=noninteractive timeout 600 apt-get \
             -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends \
             "${missing[@]}" >>"$log" 2>&1; }; }; then
    _engines_log "apt-get install ${missing[*]} failed; last lines of $log:"
    tail -n 5 "$log" >&2
    return 1
  fi
}

# ---------------------------------------------------------------- podman

engines_setup_podman() {
  PODMAN=/usr/bin/podman
  export PODMAN
  if [ ! -x "$PODMAN" ] || [ ! -x /usr/sbin/runc ]; then
    ENGINE_ERROR_podman="podman or runc is not installed"
    return 1
  fi
  local run="$SYSSTREAM_ENGINES_RUN/podman" data="$SYSSTREAM_ENGINES_DATA/podman"
  mkdir -p "$run/tmp" "$run/storage" "$data/storage"
  # This VM: root lacks CAP_SYS_RESOURCE, so the OCI runtime cannot raise
  # rlimits (equal soft/hard limits it can set); crun rejects the v1/v2
  # hybrid cgroup layout (runc + cgroupfs work); there is no systemd journal
  # (events and container logs go to files).
  cat >"$run/containers.conf" <<EOF
# SPDX-License-Identifier: Apache-2.0
# Written by tests/container/engines.sh for the container tests only.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$run/tmp"
EOF
  cat >"$run/storage.conf" <<EOF
# SPDX-License-Identifier: Apache-2.0
# Written by tests/container/engines.sh: the tests' own image store.
[storage]
driver = "overlay"
graphroot = "$data/storage"
runroot = "$run/storage"
EOF
  export CONTAINERS_CONF="$run/containers.conf"
  export CONTAINERS_STORAGE_CONF="$run/storage.conf"
  local out
  if ! out=$(timeout 60 "$PODMAN" info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}}' 2>&1); then
    ENGINE_ERROR_podman="podman info failed: $(echo "$out" | tail -n 3)"
    return 1
  fi
  if [ "$out" != "runc cgroupfs" ]; then
    ENGINE_ERROR_podman="podman ignores $CONTAINERS_CONF (runtime/cgroup manager: $out)"
    return 1
  fi
  ENGINES_READY="$ENGINES_READY podman"
}

# ---------------------------------------------------------------- docker

# The OCI runtime the private dockerd uses by default. runc cannot grant a
# capability that is not in its own bounding set ("unable to apply caps:
# operation not permitted"), and this VM's bounding set lacks
# CAP_SYS_RESOURCE, which `--privileged` asks for. The wrapper removes every
# capability outside the bounding set from the bundle's config.json, then
# execs runc with the same arguments. On a machine with the full set it
# changes nothing.
_engines_write_runtime_wrapper() {
  local path="$1"
  cat >"$path.tmp" <<'EOF'
#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Test-harness OCI runtime wrapper (written by tests/container/engines.sh).
import json, os, sys

NAMES = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
         "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
         "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
         "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
         "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
         "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
         "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
         "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]

def bounding_set():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                mask = int(line.split()[1], 16)
    return {"CAP_" + n for i, n in enumerate(NAMES) if mask >> i & 1}

args = sys.argv[1:]
bundle = None
for i, a in enumerate(args):
    if a in ("--bundle", "-b") and i + 1 < len(args):
        bundle = args[i + 1]
    elif a.startswith("--bundle="):
        bundle = a.split("=", 1)[1]
if bundle and os.path.exists(os.path.join(bundle, "config.json")):
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        spec = json.load(f)
    caps = (spec.get("process") or {}).get("capabilities") or {}
    allowed = bounding_set()
    changed = False
    for kind, names in caps.items():
        keep = [c for c in names if c in allowed or c.upper() not in
                {"CAP_" + n for n in NAMES}]
        if keep != names:
            caps[kind] = keep
            changed = True
    if changed:
        with open(path + ".tmp", "w") as f:
            json.dump(spec, f)
        os.replace(path + ".tmp", path)
os.execv("/usr/sbin/runc", ["runc"] + args)
EOF
  chmod 0755 "$path.tmp"
  mv -f "$path.tmp" "$path"
}

_engines_docker_ok() {
  timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

engines_setup_docker() {
  # docker.io's own client, the same version as its dockerd (20.10). The
  # preinstalled /usr/local/bin/docker is a Docker 28 client; it negotiates
  # down too, but the tests pin the matching client to rule out skew.
  DOCKER=/usr/bin/docker
  export DOCKER
  if [ ! -x "$DOCKER" ] || [ ! -x /usr/sbin/dockerd ] || [ ! -x /usr/sbin/runc ]; then
    ENGINE_ERROR_docker="docker.io (dockerd, /usr/bin/docker) or runc is not installed"
    return 1
  fi
  local run="$SYSSTREAM_ENGINES_RUN/docker" data="$SYSSTREAM_ENGINES_DATA/docker"
  mkdir -p "$run" "$data"
  # DOCKER_HOST wins over any docker context. (No DOCKER_CONFIG here:
  # podman reads it too, for registry credentials.)
  export DOCKER_HOST="unix://$run/docker.sock"

  if _engines_docker_ok; then
    _engines_log "reusing the dockerd already serving $DOCKER_HOST"
    ENGINES_READY="$ENGINES_READY docker"
    return 0
  fi

  _engines_write_runtime_wrapper "$run/runc-wrapper"
  cat >"$run/daemon.json" <<EOF
{
  "data-root": "$data",
  "exec-root": "$run/exec",
  "pidfile": "$run/dockerd.pid",
  "hosts": ["unix://$run/docker.sock"],
  "containerd-namespace": "sysstream-test",
  "containerd-plugins-namespace": "sysstream-test-plugins",
  "runtimes": {"sysstream-runc": {"path": "$run/runc-wrapper"}},
  "default-runtime": "sysstream-runc",
  "bridge": "none",
  "iptables": false,
  "ip-masq": false,
  "storage-driver": "overlay2",
  "log-driver": "json-file"
}
EOF
  # A dockerd killed earlier may have left its pid file behind.
  if [ -f "$run/dockerd.pid" ]; then
    local old
    old=$(cat "$run/dockerd.pid" 2>/dev/null)
    if [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = dockerd ]; then
      _engines_log "stopping unresponsive dockerd $old"
      kill -TERM "$old" 2>/dev/null
      for _ in $(seq 100); do [ -e "/proc/$old" ] || break; sleep 0.1; done
      kill -KILL "$old" 2>/dev/null
    fi
    rm -f "$run/dockerd.pid"
  fi
  rm -f "$run/docker.sock"
  PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin \
    /usr/sbin/dockerd --config-file "$run/daemon.json" >"$run/dockerd.log" 2>&1 &
  _ENGINES_DOCKERD_PID=$!
  local i
  for i in $(seq 300); do
    _engines_docker_ok && break
    if ! kill -0 "$_ENGINES_DOCKERD_PID" 2>/dev/null; then
      ENGINE_ERROR_docker="dockerd exited at start: $(tail -n 3 "$run/dockerd.log")"
      _ENGINES_DOCKERD_PID=""
      return 1
    fi
    sleep 0.1
  done
  if ! _engines_docker_ok; then
    ENGINE_ERROR_docker="dockerd not ready after 30 s: $(tail -n 3 "$run/dockerd.log")"
    return 1
  fi
  _engines_log "started dockerd (pid $_ENGINES_DOCKERD_PID) on $DOCKER_HOST in $((i / 10)).$((i % 10)) s"
  ENGINES_READY="$ENGINES_READY docker"
}

# ---------------------------------------------------------------- both

# engines_setup [docker] [podman]: installs and configures; returns 0 if all
# requested engines work, else 1 (ENGINE_ERROR_<engine> says why).
engines_setup() {
  local want=("$@") e rc=0
  [ "${#want[@]}" -eq 0 ] && want=(docker podman)
  engines_install || true
  for e in "${want[@]}"; do
    case "$e" in
      docker) engines_setup_docker || rc=1 ;;
      podman) engines_setup_podman || rc=1 ;;
      *) _engines_log "unknown engine $e"; rc=1 ;;
    esac
  done
  ENGINES_READY="${ENGINES_READY# }"
  export ENGINES_READY ENGINE_ERROR_docker ENGINE_ERROR_podman
  for e in "${want[@]}"; do
    local var="ENGINE_ERROR_$e"
    [ -n "${!var:-}" ] && _engines_log "$e does not work here: ${!var}"
  done
  return "$rc"
}

# Stops the dockerd this shell started (not one it reused); its managed
# containerd and shims go with it.
engines_cleanup() {
  local pid="$_ENGINES_DOCKERD_PID"
  [ -n "$pid" ] || return 0
  _ENGINES_DOCKERD_PID=""
  kill -TERM "$pid" 2>/dev/null || return 0
  local i
  for i in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    _engines_log "dockerd $pid did not stop in 20 s; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}
