// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

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
    case ELOOP:
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot write log '", path,
          "': it is a symbolic link, which sysstream does not follow"));
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
    if (S_ISLNK(sb.st_mode) && mode != ExistingLog::kAsk) {
      // A link planted in a shared log directory must not redirect the log.
      return PathError(path, ELOOP);
    }
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
    struct stat sb;
    w->regular_file_ = fstat(w->fd_, &sb) == 0 && S_ISREG(sb.st_mode);
    return w;
  }
  int flags = 0;
  switch (mode) {
    case ExistingLog::kAsk:
      flags = O_EXCL;
      break;
    case ExistingLog::kOverwrite:
      flags = O_TRUNC;
      break;
    case ExistingLog::kAppend:
      flags = O_APPEND;
      break;
  }
  if (absl::Status s = w->OpenFd(flags); !s.ok()) return s;
  return w;
}

absl::Status LogWriter::OpenFd(int extra_flags) {
  int fd = open(path_.c_str(),
                O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | extra_flags, 0640);
  if (fd < 0) return PathError(path_, errno);
  if (owns_fd_) close(fd_);
  fd_ = fd;
  owns_fd_ = true;
  struct stat sb;
  regular_file_ = fstat(fd_, &sb) == 0 && S_ISREG(sb.st_mode);
  file_bytes_ = regular_file_ ? static_cast<uint64_t>(sb.st_size) : 0;
  return absl::OkStatus();
}

absl::Status LogWriter::SetPreamble(std::string preamble) {
  preamble_ = std::move(preamble);
  return WritePreamble();
}

absl::Status LogWriter::WritePreamble() {
  if (preamble_.empty() || file_bytes_ > 0) return absl::OkStatus();
  size_t done = 0;
  while (done < preamble_.size()) {
    ssize_t n = write(fd_, preamble_.data() + done, preamble_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status_ = absl::ResourceExhaustedError(absl::StrCat(
          "writing log '", path_, "': ", std::strerror(errno)));
      return status_;
    }
    done += static_cast<size_t>(n);
  }
  file_bytes_ += preamble_.size();
  return absl::OkStatus();
}

absl::Status LogWriter::Reopen() {
  FlushBuffer();
  if (!owns_fd_ || !status_.ok()) return status_;
  if (regular_file_) fsync(fd_);
  absl::Status s = OpenFd(O_APPEND);
  if (!s.ok()) status_ = s;
  if (status_.ok()) (void)WritePreamble();
  return status_;
}

absl::Status LogWriter::Rotate() {
  if (regular_file_) fsync(fd_);
  for (uint32_t i = rotate_keep_; i >= 1; --i) {
    const std::string from =
        i == 1 ? path_ : absl::StrCat(path_, ".", i - 1);
    const std::string to = absl::StrCat(path_, ".", i);
    if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "rotating log: rename ", from, ": ", std::strerror(errno)));
    }
  }
  if (rotate_keep_ == 0) unlink(path_.c_str());
  ++rotations_;
  if (absl::Status s = OpenFd(O_TRUNC); !s.ok()) return s;
  return WritePreamble();
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
  if (rotate_bytes_ > 0 && owns_fd_ && file_bytes_ > 0 &&
      file_bytes_ + used_ > rotate_bytes_) {
    if (absl::Status s = Rotate(); !s.ok()) status_ = s;
    if (!status_.ok()) {
      records_dropped_ += buffered_records_;
      used_ = 0;
      buffered_records_ = 0;
      return;
    }
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
  file_bytes_ += used_;
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
