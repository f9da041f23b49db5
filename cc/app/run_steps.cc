// SPDX-License-Identifier: Apache-2.0
#include "cc/app/run_steps.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "absl/time/time.h"
#include "cc/app/exit_code.h"
#include "cc/app/outputs.h"
#include "cc/app/report.h"
#include "cc/common/privileges.h"
#include "cc/syscalls/syscalls.h"
#include "cc/target/target.h"

namespace sysstream {

bool OpenStandardStreams(bool* stdout_closed) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == STDOUT_FILENO) *stdout_closed = true;
    const int null_fd = open("/dev/null", O_RDWR | O_NOFOLLOW);
    if (null_fd < 0) return false;
    if (null_fd != fd) {  // cannot happen: the lowest free fd is `fd`
      dup2(null_fd, fd);
      close(null_fd);
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<HeldCommand>> StartCommand(
    const std::string& path, const std::vector<std::string>& argv,
    const sigset_t& child_mask, bool stdout_to_stderr) {
  if (argv.empty()) return std::unique_ptr<HeldCommand>();
  return HeldCommand::Start(path, argv, child_mask, stdout_to_stderr);
}

absl::Status FillAndAttach(Probe& probe, bool trace_all,
                           const std::vector<uint32_t>& targets,
                           const HeldCommand* command,
                           std::vector<uint32_t>* pids) {
  if (!trace_all) {
    if (absl::Status s = probe.AddTargets(targets); !s.ok()) return s;
  }
  if (command != nullptr) {
    const uint32_t cmd_pid = static_cast<uint32_t>(command->pid());
    absl::Status s = probe.AddTargets({cmd_pid}, /*wait_for_exec=*/true);
    if (!s.ok()) return s;
    pids->push_back(cmd_pid);
  }
  if (absl::Status s = probe.Attach(); !s.ok()) return s;
  if (!trace_all) probe.ForgetExited(*pids, ProcessAlive);
  return absl::OkStatus();
}

absl::Status BecomeConsumer() {
  // Only this process: -- COMMAND was forked before and keeps its own.
  (void)setpriority(PRIO_PROCESS, 0, kConsumerNice);
  return DropAllCapabilities();
}

StreamOptions MakeStreamOptions(const StreamChoices& choices,
                                SyscallSummary* summary) {
  StreamOptions sopts;
  sopts.format = choices.format;
  sopts.fields = choices.fields;
  sopts.summary = summary;
  if (choices.duration_ms > 0) {
    sopts.duration = absl::Milliseconds(choices.duration_ms);
  }
  sopts.delimiter = choices.delimiter;
  sopts.verbose = choices.verbose;
  sopts.verbose_fd = choices.log_on_stdout ? STDERR_FILENO : STDOUT_FILENO;
  sopts.progress = !choices.verbose && !choices.quiet && isatty(STDERR_FILENO);
  sopts.kill_after = absl::Milliseconds(choices.kill_after_ms);
  return sopts;
}

absl::Status PrepareLog(LogWriter& log, uint64_t rotate_bytes,
                        uint32_t rotate_keep, const std::string& preamble) {
  log.SetRotation(rotate_bytes, rotate_keep);
  if (preamble.empty()) return absl::OkStatus();
  return log.SetPreamble(preamble);
}

CommandControl ControlOf(HeldCommand& command) {
  HeldCommand* cmd = &command;
  return CommandControl{[cmd](int signo) { kill(cmd->pid(), signo); },
                        [cmd] { return cmd->TryWait().has_value(); }};
}

int FinishRun(const StreamStats& stats, const LogWriter& log,
              const RunEnd& end) {
  Say(FinalLine(stats, end.log_name, end.ret,
                StopReason(stats, end.command != nullptr)));
  if (end.summary != nullptr) {
    const std::string table = end.summary->Table(HostArch());
    if (end.summary_file == nullptr) {
      std::fputs(table.c_str(), stderr);
    } else if (absl::Status s = WriteSummaryFile(*end.summary_file, table);
               !s.ok()) {
      return Fail(kLogFile, s);
    }
  }
  if (end.follow_failed > 0) Say(FollowFailedLine(end.follow_failed));
  if (stats.late > 0) Say(LateEntriesLine(stats.late));
  if (std::string skipped = SkippedRunsLine(stats); !skipped.empty()) {
    Say(skipped);
  }
  if (stats.malformed > 0) Say(MalformedEntriesLine(stats.malformed));
  if (!stats.write_status.ok()) {
    Say(WriteFailedLine(stats.write_status, log.records_written(),
                        log.records_dropped()));
    return kWriteFailed;
  }
  if (stats.malformed > 0) return kInternal;  // the log lacks their calls
  if (end.command != nullptr) {
    if (std::optional<int> code = end.command->TryWait(); code.has_value()) {
      return *code;
    }
  }
  return kOk;
}

}  // namespace sysstream
