// SPDX-License-Identifier: Apache-2.0
// Fd: owns one file descriptor and closes it, once, when it goes out of
// scope (unless released). Move-only.
#ifndef SYSSTREAM_CC_COMMON_FD_H_
#define SYSSTREAM_CC_COMMON_FD_H_

#include <unistd.h>

#include <utility>

namespace sysstream {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held, if any, and holds `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Both ends of a pipe2(O_CLOEXEC | extra_flags); false (errno set) if it
// could not be made, with nothing left open.
bool MakePipe(Fd* read_end, Fd* write_end, int extra_flags = 0);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_FD_H_
