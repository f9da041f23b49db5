// SPDX-License-Identifier: Apache-2.0
// `sysstream -- COMMAND`: a child held just before execve until the probe is
// attached, so its very first traced syscall is the execve.
#ifndef SYSSTREAM_CC_TARGET_COMMAND_H_
#define SYSSTREAM_CC_TARGET_COMMAND_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sysstream {

// The search path when PATH is not set.
inline constexpr char kDefaultSearchPath[] = "/usr/local/bin:/usr/bin:/bin";

// Finds an executable the way a shell does: in `search_path` (PATH,
// directories separated by ':') unless it has a '/'. NotFound if there is
// none; PermissionDenied if it is not executable.
absl::StatusOr<std::string> FindExecutable(const std::string& name,
                                           const std::string& search_path);

// The error of a failed execve of `path`: NotFound (exit 127) if there is
// no such file; FailedPrecondition (126) naming a missing "#!" interpreter
// or ELF loader; PermissionDenied (126) otherwise.
absl::Status ExecError(const std::string& path, int error);

class HeldCommand {
 public:
  // Forks a child that restores `child_mask` and then waits for Release().
  // The child takes its name (comm) from `path` at once, so its execve is
  // recorded under the command's name. `stdout_to_stderr`: its standard
  // output is sysstream's standard error (the log is standard output).
  static absl::StatusOr<std::unique_ptr<HeldCommand>> Start(
      const std::string& path, const std::vector<std::string>& argv,
      const sigset_t& child_mask, bool stdout_to_stderr = false);
  ~HeldCommand();  // kills and reaps a child that never ran or still runs
  HeldCommand(const HeldCommand&) = delete;
  HeldCommand& operator=(const HeldCommand&) = delete;

  pid_t pid() const { return pid_; }
  // Lets the child execve; fails if the execve failed.
  absl::Status Release();
  // Reaps the child if it has exited; returns its status as a shell exit
  // code (128+signal when killed) or nullopt if it still runs.
  std::optional<int> TryWait();

 private:
  HeldCommand() = default;
  pid_t pid_ = -1;
  std::string path_;
  int go_fd_ = -1;     // write end: one byte releases the child
  int error_fd_ = -1;  // read end: errno of a failed execve, EOF on success
  bool reaped_ = false;
  int exit_code_ = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_TARGET_COMMAND_H_
