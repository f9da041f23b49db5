// SPDX-License-Identifier: Apache-2.0
// Child processes for tests that run real binaries: starting them with
// pipes, waiting for them, reading what they print, and watching them
// through /proc (blocked in read(2), stopped, CPU time used).
#ifndef SYSSTREAM_TESTS_HARNESS_PROCESS_H_
#define SYSSTREAM_TESTS_HARNESS_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sysstream::harness {

struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin (write end), if piped
  int out = -1;  // its stdout (read end), if piped
  int err = -1;  // its stderr (read end), if piped
};

struct SpawnOptions {
  bool pipe_in = false;
  bool pipe_out = false;
  bool pipe_err = false;
  bool out_to_null = false;
  // The child's whole environment ("NAME=value"); unset: this process's.
  std::optional<std::vector<std::string>> env;
  // Runs in the child just before exec, its pipes in place. When this
  // process has threads, only async-signal-safe calls are allowed there.
  std::function<void()> in_child;
};

// Starts argv[0] (a path: PATH is not searched) with `argv`. Its stdin is
// /dev/null unless piped; stdout and stderr are this process's unless piped
// (or stdout sent to /dev/null). Aborts when out of pipes: no test can go on.
Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& o);

// Waits for `pid`: its exit code, 128 + the signal that killed it, or -1.
int Wait(pid_t pid);

// One line from `fd` without its '\n': what came before EOF or before
// `timeout_ms` passed, if no whole line did.
std::string ReadLine(int fd, int timeout_ms = 60000);
// Everything from `fd` up to EOF.
std::string ReadAll(int fd);
// The whole file ("" if it cannot be read).
std::string ReadFile(const std::string& path);
// Its size in bytes (0 if it cannot be stat'ed).
uint64_t FileSize(const std::string& path);
// True if anything is at `path`, a symbolic link included (not followed).
bool Exists(const std::string& path);
// $TEST_TMPDIR/`name` (/tmp/`name` outside Bazel), removed if it exists.
std::string TempPath(const std::string& name);

// Waits (10 s at most) until `pid` is blocked in read(2),
// so that its next system call comes after what the test does now. False,
// and a test failure, if it never is.
bool WaitBlockedInRead(pid_t pid);
// Waits (5 s at most) until `pid` is stopped (state T).
bool WaitStopped(pid_t pid);
// CPU time (user + system, in clock ticks) `pid` has used; -1 once it has
// exited (a zombie or gone).
long CpuTicks(pid_t pid);
// Waits (30 s at most) until `pid` has used `ticks` clock ticks of CPU time
// or has exited; false if neither happened.
bool WaitCpuTicks(pid_t pid, long ticks);
// Waits (a minute at most) until the file at `path` has grown by `bytes`
// from its size now; false if it did not.
bool WaitGrown(const std::string& path, uint64_t bytes);

}  // namespace sysstream::harness

#endif  // SYSSTREAM_TESTS_HARNESS_PROCESS_H_
