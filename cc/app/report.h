// SPDX-License-Identifier: Apache-2.0
// The lines sysstream says on stderr around a trace: what it traces, why
// it stopped and what it wrote. Each line is made by a pure function (so
// each is unit-tested); Say and Fail print them.
#ifndef SYSSTREAM_CC_APP_REPORT_H_
#define SYSSTREAM_CC_APP_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cc/stream/stream.h"

namespace sysstream {

// Prints "sysstream: LINE" on stderr.
void Say(absl::string_view line);

// Says `status`'s message; returns `exit_code`, or what `exit_code_of`
// (cc/app/exit_code.h) picks for it.
int Fail(int exit_code, const absl::Status& status);
int Fail(int (*exit_code_of)(const absl::Status&), const absl::Status& status);

// --wait begins: says what is absent.
void SayWaiting(const absl::Status& absent);

// The log as the user reads it named: "standard output" for "-" and
// /dev/stdout, else the path.
std::string LogName(const std::string& log_path);

// What is traced, e.g. "tracing 2 processes and 1 cgroup and their
// children into sysstream.log".
struct TraceScope {
  bool trace_all = false;
  size_t processes = 0;
  size_t cgroups = 0;
  bool follow = false;
  std::string rings;  // -v: the ring layout (RingLayoutText), else empty
};
std::string TracingLine(const TraceScope& scope, absl::string_view log_name);

// Why the stream ended ("stopped by SIGINT", "duration reached", ...), and
// with -- COMMAND what the command was sent on that stop.
std::string StopReason(const StreamStats& stats, bool with_command);

// The last line: events, losses, time and `reason`. With --ret the
// returns lost are counted too (calls recorded without their return).
std::string FinalLine(const StreamStats& stats, absl::string_view log_name,
                      bool with_ret, absl::string_view reason);

// --wait ended by stop signal `signo`.
std::string WaitStoppedLine(int signo);

// Children the kernel's target table had no room for.
std::string FollowFailedLine(uint64_t failed);

// Entries the merge of the rings received after it had written later
// ones (in flight on their CPU longer than the merge waits).
std::string LateEntriesLine(uint64_t entries);

// The runs of sysstream's programs the kernel skipped (StreamStats::
// skipped), empty if none.
std::string SkippedRunsLine(const StreamStats& stats);

// Ring entries of a size this build does not know: the kernel program and
// the reader disagree (a bug), so the calls in them are not in the log.
std::string MalformedEntriesLine(uint64_t entries);

// A write error: how many records reached the log and how many did not.
std::string WriteFailedLine(const absl::Status& error, uint64_t written,
                            uint64_t dropped);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_REPORT_H_
