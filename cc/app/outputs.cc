// SPDX-License-Identifier: Apache-2.0
#include "cc/app/outputs.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/app/exit_code.h"
#include "cc/app/report.h"
#include "cc/common/std_stream.h"
#include "cc/sink/append_check.h"

namespace sysstream {
namespace {

// Ctrl-C (SIGINT, blocked by now) or SIGTERM at the question aborts.
absl::StatusOr<bool> ConfirmOverwrite(const std::string& path,
                                      absl::string_view noun, int* signo,
                                      AskYesNoFn ask) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return false;
  return ask(STDIN_FILENO, STDERR_FILENO,
             absl::StrCat("sysstream: ", noun, " '", path,
                          "' exists; overwrite? [y/N] "),
             signo);
}

}  // namespace

int CheckOutputPath(const std::string& path, absl::string_view noun,
                    ExistingLog* mode, AskYesNoFn ask) {
  absl::Status ok = CheckLogPath(path, *mode, noun);
  if (absl::IsAlreadyExists(ok)) {
    int signo = 0;
    absl::StatusOr<bool> yes =
        ConfirmOverwrite(path, noun == "log" ? "log file" : noun, &signo, ask);
    if (!yes.ok()) {
      std::fprintf(stderr,
                   "\nsysstream: %s at the prompt; '%s' left as it was, "
                   "nothing traced\n",
                   std::string(yes.status().message()).c_str(), path.c_str());
      return 128 + signo;
    }
    if (*yes) {
      *mode = ExistingLog::kOverwrite;
      ok = CheckLogPath(path, *mode, noun);
    }
  }
  if (!ok.ok()) return Fail(kLogFile, ok);
  return 0;
}

int CheckOutputPaths(OutputPaths* paths, AskYesNoFn ask) {
  if (int code = CheckOutputPath(paths->log, "log", &paths->log_mode, ask)) {
    return code;
  }
  if (!paths->summary.empty()) {
    if (int code = CheckOutputPath(paths->summary, "summary file",
                                   &paths->summary_mode, ask)) {
      return code;
    }
  }
  if (paths->log_mode != ExistingLog::kAppend ||
      StandardStreamFd(paths->log).has_value()) {
    return 0;
  }
  absl::Status s =
      CheckAppendable(paths->log, paths->format, paths->bin_header);
  return s.ok() ? 0 : Fail(kLogFile, s);
}

absl::StatusOr<OutputFiles> OpenOutputFiles(const OutputPaths& paths) {
  OutputFiles files;
  absl::StatusOr<std::unique_ptr<LogWriter>> log =
      LogWriter::Open(paths.log, paths.log_mode);
  if (!log.ok()) return log.status();
  files.log = std::move(*log);
  if (!paths.summary.empty()) {
    absl::StatusOr<std::unique_ptr<LogWriter>> summary =
        LogWriter::Open(paths.summary, paths.summary_mode, "summary file");
    if (!summary.ok()) return summary.status();
    files.summary = std::move(*summary);
  }
  return files;
}

absl::Status WriteSummaryFile(LogWriter& file, absl::string_view table) {
  for (absl::string_view line :
       absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    file.Write(absl::StrCat(line, "\n"));
  }
  file.StopRequested();
  return file.Sync();
}

}  // namespace sysstream
