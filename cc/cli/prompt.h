// SPDX-License-Identifier: Apache-2.0
// A yes/no question on a terminal that Ctrl-C can interrupt even while
// SIGINT is blocked (main blocks the stop signals early, for the stream).
#ifndef SYSSTREAM_CC_CLI_PROMPT_H_
#define SYSSTREAM_CC_CLI_PROMPT_H_

#include <string>

#include "absl/status/statusor.h"

namespace sysstream {

// Writes `question` to `out_fd` and reads one line from `in_fd`: true for
// "y", "Y" or "yes"; false for anything else or end of input. If SIGINT or
// SIGTERM arrives first (blocked or not yet delivered: read through a
// signalfd, and consumed), CancelledError whose message names the signal,
// and `*signo` is set to it.
absl::StatusOr<bool> AskYesNo(int in_fd, int out_fd,
                              const std::string& question, int* signo);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_CLI_PROMPT_H_
