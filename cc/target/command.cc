// SPDX-License-Identifier: Apache-2.0
#include "cc/target/command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace sysstream {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

}  // namespace

absl::StatusOr<std::string> FindExecutable(const std::string& name) {
  if (name.empty()) return absl::NotFoundError("empty command name");
  if (name.find('/') != std::string::npos) {
    struct stat sb;
    if (stat(name.c_str(), &sb) != 0) {
      return absl::NotFoundError(absl::StrCat("command not found: ", name, ": ",
                                              std::strerror(errno)));
    }
    if (!IsExecutableFile(name)) {
      return absl::PermissionDeniedError(
          absl::StrCat("command not executable: ", name));
    }
    return name;
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  bool seen_non_executable = false;
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
    if (access(candidate.c_str(), F_OK) == 0) seen_non_executable = true;
  }
  if (seen_non_executable) {
    return absl::PermissionDeniedError(
        absl::StrCat("command not executable: ", name));
  }
  return absl::NotFoundError(absl::StrCat("command not found: ", name));
}

absl::StatusOr<std::unique_ptr<HeldCommand>> HeldCommand::Start(
    const std::string& path, const std::vector<std::string>& argv,
    const sigset_t& child_mask) {
  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  // Everything the child needs is built before fork.
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    close(go[1]);
    close(err[0]);
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    char c;
    // The read's entry happens before the probe is attached; once it returns
    // the next syscall is the execve, which is traced.
    if (read(go[0], &c, 1) != 1) _exit(127);
    execve(path.c_str(), args.data(), environ);
    int e = errno;
    (void)!write(err[1], &e, sizeof(e));
    _exit(127);
  }
  close(go[0]);
  close(err[1]);
  std::unique_ptr<HeldCommand> cmd(new HeldCommand());
  cmd->pid_ = pid;
  cmd->go_fd_ = go[1];
  cmd->error_fd_ = err[0];
  return cmd;
}

HeldCommand::~HeldCommand() {
  if (go_fd_ >= 0) close(go_fd_);  // an unreleased child sees EOF and exits
  if (error_fd_ >= 0) close(error_fd_);
  if (pid_ > 0 && !reaped_) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
}

absl::Status HeldCommand::Release() {
  char c = 'g';
  // A child that died while held closes the pipe: EPIPE, not SIGPIPE.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t written = write(go_fd_, &c, 1);
  const int write_errno = errno;
  if (written != 1 && write_errno == EPIPE) {
    // Consume the pending SIGPIPE before unblocking it.
    timespec zero = {0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  if (written != 1) {
    errno = write_errno;
    if (write_errno == EPIPE) {
      return absl::AbortedError("the command exited before it could start");
    }
    return absl::InternalError(
        absl::StrCat("release command: ", std::strerror(errno)));
  }
  close(go_fd_);
  go_fd_ = -1;
  int e = 0;
  ssize_t n;
  do {
    n = read(error_fd_, &e, sizeof(e));
  } while (n < 0 && errno == EINTR);
  close(error_fd_);
  error_fd_ = -1;
  if (n == static_cast<ssize_t>(sizeof(e))) {
    std::string msg = absl::StrCat("execve: ", std::strerror(e));
    if (e == ENOENT) return absl::NotFoundError(msg);
    return absl::PermissionDeniedError(msg);
  }
  return absl::OkStatus();
}

std::optional<int> HeldCommand::TryWait() {
  if (reaped_) return exit_code_;
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return std::nullopt;
  reaped_ = true;
  if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit_code_ = 128 + WTERMSIG(status);
  }
  return exit_code_;
}

}  // namespace sysstream
