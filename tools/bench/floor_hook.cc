// SPDX-License-Identifier: Apache-2.0
// floor_hook -- COMMAND [ARGS...]
//
// Runs COMMAND while the empty raw_tp/sys_enter program of bpf/floor.bpf.c
// is attached: the cost every syscall tracer pays before doing any work.
// Like any raw tracepoint the hook runs for every process on the machine,
// not only COMMAND. The hook is attached before COMMAND starts and detached
// after it exits. Exits with COMMAND's exit status (128 + signal if it was
// killed), 127 if it could not be run, 1 if the hook could not be set up,
// 2 on a usage error.
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bpf/floor_bpf.skel.h"
#include "tools/bench/bench_util.h"

namespace {

constexpr int kSetupFailed = 1;
constexpr int kUsage = 2;
constexpr int kCannotRun = 127;

// libbpf stays quiet unless FLOOR_HOOK_DEBUG is set; our own errors are one
// line each.
int LibbpfPrint(enum libbpf_print_level level, const char* format,
                va_list args) {
  static const bool debug = std::getenv("FLOOR_HOOK_DEBUG") != nullptr;
  if (!debug) return 0;
  return std::vfprintf(stderr, format, args);
}

int Fail(const char* what, int err) {
  const char* hint = "";
  if (err == EPERM || err == EACCES) hint = " (run as root or with CAP_BPF+CAP_PERFMON)";
  std::fprintf(stderr, "floor_hook: %s: %s%s\n", what, std::strerror(err),
               hint);
  return kSetupFailed;
}

int Usage() {
  std::fprintf(stderr, "usage: floor_hook -- COMMAND [ARGS...]\n");
  return kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], "--") != 0) return Usage();
  char** command = argv + 2;

  libbpf_set_print(LibbpfPrint);
  floor_bpf* skel = floor_bpf__open_and_load();
  if (skel == nullptr) return Fail("load the floor BPF program", errno);
  if (int err = floor_bpf__attach(skel); err != 0) {
    floor_bpf__destroy(skel);
    return Fail("attach raw_tp/sys_enter", err < 0 ? -err : err);
  }

  // Like system(): keyboard signals go to the command, and we stay to detach
  // and report its status.
  int exec_errno = 0;
  const pid_t pid = sysstream::bench::StartCommand(command, &exec_errno);
  if (pid < 0) {
    int e = errno;
    floor_bpf__destroy(skel);
    return Fail("pipe or fork", e);
  }

  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  const int wait_errno = errno;
  floor_bpf__destroy(skel);  // detaches and unloads

  if (exec_errno != 0) {
    std::fprintf(stderr, "floor_hook: cannot run '%s': %s\n", command[0],
                 std::strerror(exec_errno));
    return kCannotRun;
  }
  if (r < 0) return Fail("waitpid", wait_errno);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kSetupFailed;
}
