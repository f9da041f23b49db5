// SPDX-License-Identifier: Apache-2.0
#include "cc/cli/prompt.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sysstream {

absl::StatusOr<bool> AskYesNo(int in_fd, int out_fd,
                              const std::string& question, int* signo) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  const int sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
  for (size_t done = 0; done < question.size();) {
    const ssize_t n =
        write(out_fd, question.data() + done, question.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  std::string answer;
  bool line_done = false;
  while (!line_done) {
    pollfd p[2] = {{in_fd, POLLIN, 0}, {sfd, POLLIN, 0}};
    const int r = poll(p, sfd >= 0 ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (sfd >= 0 && (p[1].revents & POLLIN)) {
      signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        close(sfd);
        *signo = static_cast<int>(si.ssi_signo);
        return absl::CancelledError(
            absl::StrCat("interrupted by SIG", sigabbrev_np(*signo)));
      }
    }
    if (p[0].revents == 0) continue;
    char buf[256];
    const ssize_t n = read(in_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of input: no
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        line_done = true;
        break;
      }
      if (answer.size() < 16) answer += buf[i];
    }
  }
  if (sfd >= 0) close(sfd);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace sysstream
