// SPDX-License-Identifier: Apache-2.0
#include "cc/common/fd.h"

#include <fcntl.h>
#include <unistd.h>

namespace sysstream {

bool MakePipe(Fd* read_end, Fd* write_end, int extra_flags) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | extra_flags) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

}  // namespace sysstream
