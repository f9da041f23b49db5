// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/log_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/common/fd.h"
#include "cc/common/std_stream.h"
#include "cc/common/stop_signals.h"

namespace sysstream {
namespace {

// How often a wait looks at pending signals, the deadline and a FIFO.
constexpr absl::Duration kWaitSlice = absl::Milliseconds(50);

absl::Status PathError(absl::string_view noun, const std::string& path,
                       int err) {
  std::string msg =
      absl::StrCat("cannot write ", noun, " '", path, "': ", std::strerror(err));
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
          "cannot write ", noun, " '", path,
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

// A FIFO or a device: writing to it destroys nothing that exists.
bool IsSpecial(mode_t mode) { return S_ISFIFO(mode) || S_ISCHR(mode); }

std::string StreamName(int fd) {
  if (fd == 1) return "standard output";
  if (fd == 2) return "standard error";
  return absl::StrCat("file descriptor ", fd);
}

int PendingStopSignal() {
  sigset_t pending;
  if (sigpending(&pending) != 0) return 0;
  for (int sig : kStopSignals) {
    if (sigismember(&pending, sig) == 1) return sig;
  }
  return 0;
}

}  // namespace

absl::Status CheckLogPath(const std::string& path, ExistingLog mode,
                          absl::string_view noun) {
  if (std::optional<int> fd = StandardStreamFd(path); fd.has_value()) {
    const int fl = fcntl(*fd, F_GETFL);
    if (fl < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot write ", noun, " '", path, "': ", StreamName(*fd),
          " is not open"));
    }
    if ((fl & O_ACCMODE) == O_RDONLY) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot write ", noun, " '", path, "': ", StreamName(*fd),
          " is open for reading only"));
    }
    return absl::OkStatus();
  }
  if (path.empty()) return PathError(noun, path, ENOENT);
  struct stat sb;
  // lstat: a symlink, even a dangling one, is something that exists there.
  if (lstat(path.c_str(), &sb) == 0) {
    // A link planted in a shared log directory must not redirect the log;
    // refused at once, in every mode (no prompt that cannot be honoured).
    if (S_ISLNK(sb.st_mode)) return PathError(noun, path, ELOOP);
    if (S_ISDIR(sb.st_mode)) return PathError(noun, path, EISDIR);
    if (mode == ExistingLog::kAsk && !IsSpecial(sb.st_mode)) {
      return absl::AlreadyExistsError(absl::StrCat(
          noun == "log" ? "log file" : noun, " '", path,
          "' already exists: use --force to overwrite it or --append to add "
          "to it"));
    }
    if (access(path.c_str(), W_OK) != 0) return PathError(noun, path, errno);
    return absl::OkStatus();
  }
  if (errno != ENOENT) return PathError(noun, path, errno);
  const std::string dir = Dirname(path);
  if (stat(dir.c_str(), &sb) != 0) return PathError(noun, path, errno);
  if (!S_ISDIR(sb.st_mode)) return PathError(noun, path, ENOTDIR);
  if (access(dir.c_str(), W_OK) != 0) return PathError(noun, path, errno);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Open(
    const std::string& path, ExistingLog mode, absl::string_view noun) {
  std::unique_ptr<LogWriter> w(new LogWriter());
  w->path_ = path;
  w->noun_ = std::string(noun);
  w->buffer_.resize(kBufferSize);
  w->ends_.reserve(kBufferSize / 16);
  if (std::optional<int> fd = StandardStreamFd(path); fd.has_value()) {
    w->standard_ = true;
    struct stat sb;
    if (fstat(*fd, &sb) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot write ", noun, " '", path, "': ", StreamName(*fd),
          " is not open"));
    }
    if (IsSpecial(sb.st_mode)) {
      // A description of our own, so that O_NONBLOCK does not change the
      // stream for whoever shares it (the shell, a -- COMMAND).
      const int own =
          open(absl::StrCat("/proc/self/fd/", *fd).c_str(),
               O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (own >= 0) {
        w->AdoptFd(own, /*owned=*/true);
        return w;
      }
    }
    w->AdoptFd(*fd, /*owned=*/false);
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
  struct stat sb;
  if (lstat(path.c_str(), &sb) == 0) {
    if (S_ISLNK(sb.st_mode)) return PathError(noun, path, ELOOP);
    if (IsSpecial(sb.st_mode)) flags = 0;
  }
  if (absl::Status s = w->OpenFd(flags); !s.ok()) return s;
  return w;
}

void LogWriter::AdoptFd(int fd, bool owned) {
  owned_fd_.reset(owned ? fd : -1);
  fd_ = fd;
  fifo_pending_ = false;
  struct stat sb;
  const bool known = fstat(fd_, &sb) == 0;
  regular_file_ = known && S_ISREG(sb.st_mode);
  pipe_ = known && S_ISFIFO(sb.st_mode);
  socket_ = known && S_ISSOCK(sb.st_mode);
  const int fl = fcntl(fd_, F_GETFL);
  if (regular_file_ && owned && fl >= 0 && (fl & O_NONBLOCK)) {
    (void)fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);  // ordinary file semantics
  }
  nonblocking_ = !regular_file_ && fl >= 0 && (fl & O_NONBLOCK) != 0;
  file_bytes_ = regular_file_ ? static_cast<uint64_t>(sb.st_size) : 0;
  preamble_pending_ = file_bytes_ == 0;
  preamble_done_ = 0;
}

absl::Status LogWriter::OpenFd(int extra_flags) {
  // O_NONBLOCK: opening a FIFO must not wait for its reader.
  int fd = open(path_.c_str(),
                O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
                    O_NOCTTY | extra_flags,
                0640);
  if (fd < 0 && errno == ENXIO) {
    // A FIFO without a reader: connect later (ConnectFifo).
    owned_fd_.reset();
    fd_ = -1;
    fifo_pending_ = true;
    regular_file_ = false;
    pipe_ = true;
    file_bytes_ = 0;
    preamble_pending_ = true;
    preamble_done_ = 0;
    return absl::OkStatus();
  }
  if (fd < 0) {
    const int err = errno;
    struct stat sb;
    if (err == EEXIST && lstat(path_.c_str(), &sb) == 0 &&
        S_ISLNK(sb.st_mode)) {
      return PathError(noun_, path_, ELOOP);
    }
    return PathError(noun_, path_, err);
  }
  AdoptFd(fd, /*owned=*/true);
  return absl::OkStatus();
}

bool LogWriter::ConnectFifo() {
  const int fd = open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC |
                                         O_NOFOLLOW | O_NOCTTY);
  if (fd >= 0) {
    AdoptFd(fd, /*owned=*/true);
    stalled_since_ = absl::InfinitePast();
    return true;
  }
  if (errno != ENXIO && errno != EINTR) {
    status_ = absl::ResourceExhaustedError(absl::StrCat(
        "writing ", noun_, " '", path_, "': ", std::strerror(errno)));
  }
  return false;
}

absl::Status LogWriter::SetPreamble(std::string preamble) {
  preamble_ = std::move(preamble);
  return absl::OkStatus();
}

void LogWriter::Write(absl::string_view record) {
  char* out = Reserve(record.size());
  std::memcpy(out, record.data(), record.size());
  Commit(record.size());
}

std::string LogWriter::Blocked() const {
  if (fifo_pending_) return "waiting for a reader of the FIFO";
  return "the output took no data (its reader does not read)";
}

void LogWriter::Fail(int err) {
  status_ = absl::ResourceExhaustedError(absl::StrCat(
      "writing ", noun_, " '", path_, "': ", std::strerror(err)));
  // A record written in part is cut back, so the file ends on a record
  // boundary (only a file can be cut; a pipe's reader has what it has).
  const size_t record_start = ends_head_ == 0 ? 0 : ends_[ends_head_ - 1];
  const size_t torn = head_ > record_start ? head_ - record_start : 0;
  if (torn > 0 && regular_file_) {
    const off_t end = lseek(fd_, 0, SEEK_CUR);
    if (end >= static_cast<off_t>(torn)) {
      (void)!ftruncate(fd_, end - static_cast<off_t>(torn));
      file_bytes_ -= std::min<uint64_t>(file_bytes_, torn);
    }
  }
  DropBuffered();
}

void LogWriter::DropBuffered() {
  records_dropped_ += ends_.size() - ends_head_;
  used_ = 0;
  head_ = 0;
  ends_.clear();
  ends_head_ = 0;
}

void LogWriter::Advance(size_t n) {
  head_ += n;
  file_bytes_ += n;
  while (ends_head_ < ends_.size() && ends_[ends_head_] <= head_) {
    ++ends_head_;
    ++records_written_;
  }
  stalled_since_ = absl::InfinitePast();
}

ssize_t LogWriter::WriteSome(const char* data, size_t len) {
  for (;;) {
    if (!regular_file_ && !nonblocking_ && !socket_) {
      // A stream we could not make non-blocking: write only when it says
      // it has room (a pipe then takes up to PIPE_BUF bytes at once).
      pollfd p = {fd_, POLLOUT, 0};
      if (poll(&p, 1, 0) == 0) return 0;
    }
    const ssize_t n = socket_ ? send(fd_, data, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                              : write(fd_, data, len);
    if (n > 0) return n;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    Fail(n == 0 ? EIO : errno);
    return -1;
  }
}

bool LogWriter::WaitForOutput() {
  const absl::Time now = absl::Now();
  if (stalled_since_ == absl::InfinitePast()) stalled_since_ = now;
  auto give_up = [&](absl::Status s) {
    status_ = std::move(s);
    DropBuffered();
    return false;
  };
  if (const int sig = PendingStopSignal(); sig != 0) {
    interrupt_signal_ = sig;
    return give_up(absl::CancelledError(absl::StrCat(
        "writing ", noun_, " '", path_, "': stopped by SIG", sigabbrev_np(sig),
        " while ", Blocked())));
  }
  if (now >= deadline_) {
    deadline_reached_ = true;
    return give_up(absl::DeadlineExceededError(
        absl::StrCat("writing ", noun_, " '", path_,
                     "': --duration reached while ", Blocked())));
  }
  if (now - stalled_since_ >= stall_limit_) {
    return give_up(absl::UnavailableError(absl::StrCat(
        "writing ", noun_, " '", path_, "': gave up after ",
        absl::FormatDuration(stall_limit_), " at stop: ", Blocked())));
  }
  absl::Duration slice = std::min(kWaitSlice, deadline_ - now);
  slice = std::min(slice, stall_limit_ - (now - stalled_since_));
  const int ms = std::max<int>(1, static_cast<int>(absl::ToInt64Milliseconds(
                                      absl::Ceil(slice, absl::Milliseconds(1)))));
  if (fd_ < 0) {
    (void)poll(nullptr, 0, ms);  // a FIFO reader cannot be polled for
  } else {
    pollfd p = {fd_, POLLOUT, 0};
    (void)poll(&p, 1, ms);
  }
  return true;
}

void LogWriter::WriteOut(bool wait) {
  while (head_ < used_ || (wait && preamble_pending_ && !preamble_.empty() &&
                           rotations_ == 0 && fd_ >= 0 && status_.ok())) {
    if (!status_.ok()) {
      DropBuffered();
      return;
    }
    if (fifo_pending_) {
      if (ConnectFifo() || !status_.ok()) continue;
      if (!wait || !WaitForOutput()) return;
      continue;
    }
    if (preamble_pending_ && !preamble_.empty()) {
      const ssize_t n = WriteSome(preamble_.data() + preamble_done_,
                                  preamble_.size() - preamble_done_);
      if (n < 0) return;
      if (n == 0) {
        if (!wait || !WaitForOutput()) return;
        continue;
      }
      preamble_done_ += static_cast<size_t>(n);
      file_bytes_ += static_cast<uint64_t>(n);
      stalled_since_ = absl::InfinitePast();
      if (preamble_done_ == preamble_.size()) preamble_pending_ = false;
      continue;
    }
    if (head_ == used_) break;
    // The current record, then as many whole records as may go at once.
    size_t k = ends_head_;
    const bool rotating = rotate_bytes_ > 0 && regular_file_ && !standard_;
    if (rotating && head_ == (k == 0 ? 0 : ends_[k - 1]) &&
        file_bytes_ > preamble_.size() &&
        file_bytes_ + (ends_[k] - head_) > rotate_bytes_) {
      if (absl::Status s = Rotate(); !s.ok()) {
        status_ = s;
        continue;
      }
      continue;  // the new file's preamble first
    }
    size_t limit = used_ - head_;
    if (rotating) {
      limit = rotate_bytes_ > file_bytes_ ? rotate_bytes_ - file_bytes_ : 0;
    } else if (pipe_) {
      limit = PIPE_BUF;  // atomic: a reader never sees half a record
    }
    size_t end = used_;  // the end of the last record
    if (limit < used_ - head_) {
      while (k + 1 < ends_.size() && ends_[k + 1] - head_ <= limit) ++k;
      end = ends_[k];
    }
    const ssize_t n = WriteSome(buffer_.data() + head_, end - head_);
    if (n < 0) return;
    if (n == 0) {
      if (!wait || !WaitForOutput()) return;
      continue;
    }
    Advance(static_cast<size_t>(n));
  }
  if (head_ == used_) {
    used_ = 0;
    head_ = 0;
    ends_.clear();
    ends_head_ = 0;
  }
}

void LogWriter::MakeRoom() {
  WriteOut(/*wait=*/true);
  if (head_ != 0 || used_ != 0) DropBuffered();  // gave up
}

absl::Status LogWriter::Reopen() {
  WriteOut(/*wait=*/true);
  if (standard_ || !status_.ok()) return status_;
  if (regular_file_) fsync(fd_);
  absl::Status s = OpenFd(O_APPEND);
  if (!s.ok()) status_ = s;
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
  return OpenFd(O_TRUNC);
}

LogWriter::~LogWriter() {
  StopRequested();
  WriteOut(/*wait=*/true);
}

absl::Status LogWriter::Flush() {
  WriteOut(/*wait=*/false);
  return status_;
}

absl::Status LogWriter::Sync() {
  WriteOut(/*wait=*/true);
  if (status_.ok() && regular_file_ && fsync(fd_) != 0) {
    status_ = absl::ResourceExhaustedError(absl::StrCat(
        "fsync ", noun_, " '", path_, "': ", std::strerror(errno)));
  }
  return status_;
}

}  // namespace sysstream
