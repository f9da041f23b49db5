// SPDX-License-Identifier: Apache-2.0
// main's steps around the stream: the standard descriptors made valid,
// the filter filled and the probe attached, and the end of a run (the last
// lines, the summary table, the exit code).
#ifndef SYSSTREAM_CC_APP_RUN_STEPS_H_
#define SYSSTREAM_CC_APP_RUN_STEPS_H_

#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cc/probe/probe.h"
#include "cc/sink/log_format.h"
#include "cc/sink/log_writer.h"
#include "cc/sink/summary.h"
#include "cc/stream/stream.h"
#include "cc/target/command.h"

namespace sysstream {

// Closed standard streams would be reused by the next open(): the log
// would then receive sysstream's own messages. Makes 0-2 valid (on
// /dev/null); false if it cannot. `*stdout_closed`: standard output was.
bool OpenStandardStreams(bool* stdout_closed);

// Starts -- COMMAND (`argv`; none if empty) held before its execve
// (HeldCommand::Start); nullptr without a command.
absl::StatusOr<std::unique_ptr<HeldCommand>> StartCommand(
    const std::string& path, const std::vector<std::string>& argv,
    const sigset_t& child_mask, bool stdout_to_stderr);

// Fills the filter with `targets` (none when tracing all) and `command`
// (traced from its execve), attaches, and forgets the targets that exited
// meanwhile. `*pids` (the targets but sysstream) gets the command's pid.
absl::Status FillAndAttach(Probe& probe, bool trace_all,
                           const std::vector<uint32_t>& targets,
                           const HeldCommand* command,
                           std::vector<uint32_t>* pids);

// The consumer's nice value: it must keep up with the producers of every
// CPU, which a fair share among many busy traced threads does not give it
// (64 threads on 2 CPUs: ~45% of the calls lost at nice 0, none at -20).
// It costs little CPU per event, so its priority takes little from them.
inline constexpr int kConsumerNice = -20;

// From the stream on: the consumer's priority raised to kConsumerNice
// while CAP_SYS_NICE is still held (where it is not, the priority stays),
// then every capability dropped (DropAllCapabilities).
absl::Status BecomeConsumer();

// The command line's part of the stream's options.
struct StreamChoices {
  LogFormat format = LogFormat::kRaw;
  uint32_t fields = 0;  // RichFields
  std::string delimiter;
  int64_t duration_ms = 0;  // 0: until stopped
  bool verbose = false;
  bool quiet = false;
  bool log_on_stdout = false;  // the verbose lines then go to stderr
  int64_t kill_after_ms = 0;
};

StreamOptions MakeStreamOptions(const StreamChoices& choices,
                                SyscallSummary* summary);

// Rotation as asked, and the bin header first in every file (`preamble`,
// empty for the text formats).
absl::Status PrepareLog(LogWriter& log, uint64_t rotate_bytes,
                        uint32_t rotate_keep, const std::string& preamble);

// How the stream signals and reaps -- COMMAND.
CommandControl ControlOf(HeldCommand& command);

struct RunEnd {
  std::string log_name;                     // LogName
  bool ret = false;                         // --ret
  HeldCommand* command = nullptr;           // -- COMMAND, if any
  const SyscallSummary* summary = nullptr;  // -c, if given
  LogWriter* summary_file = nullptr;        // --summary-file; null: stderr
  uint64_t follow_failed = 0;               // Probe::follow_failed
};

// Says how the run ended on stderr, writes the summary table, and returns
// the exit code: the command's with -- COMMAND, 7 after a write error, 4
// if the summary file cannot be written.
int FinishRun(const StreamStats& stats, const LogWriter& log,
              const RunEnd& end);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_RUN_STEPS_H_
