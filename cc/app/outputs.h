// SPDX-License-Identifier: Apache-2.0
// The log's and the summary file's places, checked before tracing with one
// policy, and the summary table written at the end.
#ifndef SYSSTREAM_CC_APP_OUTPUTS_H_
#define SYSSTREAM_CC_APP_OUTPUTS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cc/sink/log_format.h"
#include "cc/sink/log_writer.h"

namespace sysstream {

// Asks a yes/no question on a terminal (cc/cli/prompt.h's AskYesNo).
using AskYesNoFn = absl::StatusOr<bool> (*)(int in_fd, int out_fd,
                                            const std::string& question,
                                            int* signo);

// Checks `path` (not yet created) for the log or the summary file
// (`noun`). An existing file is never destroyed silently: on a terminal
// `ask` asks, and `*mode` becomes kOverwrite on yes. 0, or the exit code
// after saying why on stderr (128+N for signal N at the question).
int CheckOutputPath(const std::string& path, absl::string_view noun,
                    ExistingLog* mode, AskYesNoFn ask);

// Where the log and the summary file go, and what to do if they exist.
struct OutputPaths {
  std::string log;
  ExistingLog log_mode = ExistingLog::kAsk;
  std::string summary;  // empty: the table goes to stderr (or nowhere)
  ExistingLog summary_mode = ExistingLog::kAsk;
  LogFormat format = LogFormat::kRaw;  // of the log, for --append
  std::string bin_header;              // what a bin log must begin with
};

// CheckOutputPath on both (the summary file's only if named), then, with
// --append to a file, that the log is one of the same format (and, bin,
// header). 0, or the exit code.
int CheckOutputPaths(OutputPaths* paths, AskYesNoFn ask);

struct OutputFiles {
  std::unique_ptr<LogWriter> log;
  std::unique_ptr<LogWriter> summary;  // null without a summary file
};

// Opens (creates) both, as checked. The error names the file.
absl::StatusOr<OutputFiles> OpenOutputFiles(const OutputPaths& paths);

// The summary table through the descriptor opened before tracing (same
// policy as the log: O_NOFOLLOW, never clobbered without --force, 0640),
// synced.
absl::Status WriteSummaryFile(LogWriter& file, absl::string_view table);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_OUTPUTS_H_
