// SPDX-License-Identifier: Apache-2.0
#include "cc/target/command.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/common/fd.h"

extern char** environ;

namespace sysstream {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

// The interpreter a script names on its "#!" line, or "" if it has none.
std::string Interpreter(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n < 3 || buf[0] != '#' || buf[1] != '!') return "";
  std::string line(buf + 2, static_cast<size_t>(n) - 2);
  line = line.substr(0, line.find('\n'));
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  line = line.substr(start);
  return line.substr(0, line.find_first_of(" \t"));
}

}  // namespace

absl::Status ExecError(const std::string& path, int error) {
  if (error == ENOENT && access(path.c_str(), F_OK) == 0) {
    // The file is there: what is missing is what the kernel runs it with.
    const std::string interpreter = Interpreter(path);
    if (!interpreter.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": bad interpreter ", interpreter, ": ", std::strerror(error)));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        ": cannot execute: its ELF interpreter (dynamic loader) is "
        "missing"));
  }
  const std::string msg = absl::StrCat(path, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(msg);
  return absl::PermissionDeniedError(msg);
}

absl::StatusOr<std::string> FindExecutable(const std::string& name,
                                           const std::string& search_path) {
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
  bool seen_non_executable = false;
  for (absl::string_view dir : absl::StrSplit(search_path, ':')) {
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
    const sigset_t& child_mask, bool stdout_to_stderr) {
  // Closed on every early return (a failed pipe2 or fork leaks nothing).
  Fd go_read, go_write, err_read, err_write;
  if (!MakePipe(&go_read, &go_write) || !MakePipe(&err_read, &err_write)) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const size_t slash = path.rfind('/');
  const std::string name =
      path.substr(slash == std::string::npos ? 0 : slash + 1, 15);
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
    close(go_write.get());
    close(err_read.get());
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
    if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) _exit(127);
    char c;
    // The read's entry happens before the probe is attached; once it returns
    // the next syscall is the execve, which is traced.
    if (read(go_read.get(), &c, 1) != 1) _exit(127);
    execve(path.c_str(), args.data(), environ);
    int e = errno;
    (void)!write(err_write.get(), &e, sizeof(e));
    _exit(127);
  }
  std::unique_ptr<HeldCommand> cmd(new HeldCommand());
  cmd->pid_ = pid;
  cmd->path_ = path;
  cmd->go_fd_ = go_write.release();
  cmd->error_fd_ = err_read.release();
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
  if (n == static_cast<ssize_t>(sizeof(e))) return ExecError(path_, e);
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
