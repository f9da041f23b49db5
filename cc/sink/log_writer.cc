// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sysstream {
namespace {

absl::Status PathError(const std::string& path, int err) {
  std::string msg =
      absl::StrCat("cannot write log '", path, "': ", std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EISDIR:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status CheckLogPath(const std::string& path, ExistingLog mode) {
  if (path == "-") return absl::OkStatus();
  if (path.empty()) return PathError(path, ENOENT);
  struct stat sb;
  // lstat: a symlink, even a dangling one, is something that exists there.
  if (lstat(path.c_str(), &sb) == 0) {
    if (S_ISLNK(sb.st_mode) && stat(path.c_str(), &sb) != 0) {
      sb.st_mode = S_IFLNK;
    }
    if (S_ISDIR(sb.st_mode)) return PathError(path, EISDIR);
    if (mode == ExistingLog::kAsk) {
      return absl::AlreadyExistsError(absl::StrCat(
          "log file '", path,
          "' already exists: use --force to overwrite it or --append to add "
          "to it"));
    }
    if (access(path.c_str(), W_OK) != 0) return PathError(path, errno);
    return absl::OkStatus();
  }
  if (errno != ENOENT) return PathError(path, errno);
  const std::string dir = Dirname(path);
  if (stat(dir.c_str(), &sb) != 0) return PathError(path, errno);
  if (!S_ISDIR(sb.st_mode)) return PathError(path, ENOTDIR);
  if (access(dir.c_str(), W_OK) != 0) return PathError(path, errno);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Open(
    const std::string& path, ExistingLog mode) {
  std::unique_ptr<LogWriter> w(new LogWriter());
  w->path_ = path;
  w->buffer_.resize(kBufferSize);
  if (path == "-") {
    w->fd_ = STDOUT_FILENO;
  } else {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    switch (mode) {
      case ExistingLog::kAsk:
        flags |= O_EXCL;
        break;
      case ExistingLog::kOverwrite:
        flags |= O_TRUNC;
        break;
      case ExistingLog::kAppend:
        flags |= O_APPEND;
        break;
    }
    w->fd_ = open(path.c_str(), flags, 0640);
    if (w->fd_ < 0) return PathError(path, errno);
    w->owns_fd_ = true;
  }
  struct stat sb;
  w->regular_file_ = fstat(w->fd_, &sb) == 0 && S_ISREG(sb.st_mode);
  return w;
}

LogWriter::~LogWriter() {
  FlushBuffer();
  if (owns_fd_) close(fd_);
}

void LogWriter::FlushBuffer() {
  if (used_ == 0) return;
  if (!status_.ok()) {
    records_dropped_ += buffered_records_;
    used_ = 0;
    buffered_records_ = 0;
    return;
  }
  off_t start = regular_file_ ? lseek(fd_, 0, SEEK_END) : -1;
  size_t done = 0;
  while (done < used_) {
    ssize_t n = write(fd_, buffer_.data() + done, used_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      status_ = absl::ResourceExhaustedError(
          absl::StrCat("writing log '", path_, "': ", std::strerror(err)));
      // Cut a partial buffer back so no record is torn.
      if (done > 0 && start >= 0) (void)!ftruncate(fd_, start);
      records_dropped_ += buffered_records_;
      used_ = 0;
      buffered_records_ = 0;
      return;
    }
    done += static_cast<size_t>(n);
  }
  records_written_ += buffered_records_;
  used_ = 0;
  buffered_records_ = 0;
}

absl::Status LogWriter::Flush() {
  FlushBuffer();
  return status_;
}

absl::Status LogWriter::Sync() {
  FlushBuffer();
  if (status_.ok() && regular_file_ && fsync(fd_) != 0) {
    status_ = absl::ResourceExhaustedError(
        absl::StrCat("fsync log '", path_, "': ", std::strerror(errno)));
  }
  return status_;
}

}  // namespace sysstream
