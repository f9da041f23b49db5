// SPDX-License-Identifier: Apache-2.0
// The consumer loop: epoll on the rings (batched kernel wakeups), a
// signalfd and a drain timer; merges the rings into one order by the
// entries' stamps (cc/stream/ordered_merge.h) and formats them into the log
// (cc/sink formats.h); on stop it detaches, drains everything, reports
// leftover losses in-band and fsyncs.
#ifndef SYSSTREAM_CC_STREAM_STREAM_H_
#define SYSSTREAM_CC_STREAM_STREAM_H_

#include <signal.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cc/sink/log_format.h"
#include "cc/sink/log_writer.h"
#include "cc/sink/summary.h"
#include "cc/stream/ring_source.h"

namespace sysstream {

// `-- COMMAND`: how a stop reaches the command sysstream started.
struct CommandControl {
  std::function<void(int signo)> send;  // signals the command's process
  std::function<bool()> exited;         // reaps it; true once it has exited
};

struct StreamOptions {
  LogFormat format = LogFormat::kRaw;
  std::string delimiter = "\t";  // raw format only
  SyscallSummary* summary = nullptr;  // counts every event if set
  uint32_t fields = 0;  // BinFields shown in text/jsonl (rich events)
  bool verbose = false;  // a readable line per event on verbose_fd
  int verbose_fd = 1;
  bool progress = false;  // a one-line progress display on stderr
  bool stop_when_targets_gone = true;
  // Asked once a second, when set and no PID target is live: true stops
  // the stream as "targets gone" (every cgroup target removed).
  std::function<bool()> cgroups_gone;
  absl::Duration drain_interval = absl::Milliseconds(50);
  // The merge of the rings writes an entry once the clock has passed its
  // stamp by merge_hold: an entry stamped earlier may still have been in
  // flight on its CPU (stamped, not yet committed) while the rings were
  // read. The clock is CLOCK_BOOTTIME unless set (tests).
  absl::Duration merge_hold = absl::Milliseconds(50);
  std::function<uint64_t()> clock;
  absl::Duration flush_interval = absl::Milliseconds(250);
  absl::Duration duration = absl::InfiniteDuration();  // --duration
  // Set with -- COMMAND: a stop (signal or --duration) is forwarded to the
  // command (SIGTERM for --duration), whose shutdown is traced for up to
  // kill_after before it is SIGKILLed; the stream ends once it has exited.
  std::optional<CommandControl> command;
  absl::Duration kill_after = absl::Seconds(5);
};

struct StreamStats {
  uint64_t events = 0;       // syscall records taken from the ring
  // Calls: events recorded + lost = calls made, with or without --ret.
  uint64_t lost = 0;         // calls (entries) the kernel could not reserve
  uint64_t returns_lost = 0;  // --ret: return events it could not reserve
  uint64_t gap_markers = 0;  // in-band markers written
  uint64_t malformed = 0;    // ring entries of an unknown size (an error)
  // Entries that reached the merge after later ones were written (in
  // flight longer than merge_hold): written at once, out of order.
  uint64_t late = 0;
  uint32_t rings = 0;
  // Skipped-runs markers written: up to this many calls may be missing.
  uint64_t maybe_missing = 0;
  SkippedRuns skipped;  // the kernel's counts at the end
  double seconds = 0;
  int stop_signal = 0;        // the signal that stopped us, if any
  bool targets_gone = false;  // every target exited
  bool duration_reached = false;
  uint64_t reopens = 0;  // SIGHUPs handled
  int forwarded_signal = 0;     // sent to the command on stop, if any
  bool command_killed = false;  // SIGKILLed after kill_after
  absl::Status write_status;  // first log write error
};

// The signals that stop sysstream (drain, summarize, exit): SIGINT,
// SIGTERM, SIGQUIT, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU. Their default
// action would kill it without draining the ring.
sigset_t StopSignals();

// "SIGTERM", or "signal 42" for one without a name.
std::string SignalName(int signo);

// Blocks the stop signals, SIGHUP, SIGUSR1, SIGUSR2 and SIGCHLD so the loop
// reads them from a signalfd, and SIGPIPE and SIGXFSZ so broken pipes and
// file size limits are write errors; `old_mask` receives the mask to
// restore in children.
absl::Status BlockStreamSignals(sigset_t* old_mask);

// Runs until a stop signal, every target has exited, the duration has
// passed, or a write error. SIGHUP reopens the log; SIGUSR1 flushes it and
// prints a status line on stderr; SIGUSR2 is ignored.
absl::StatusOr<StreamStats> RunStream(RingSource& source, LogWriter& writer,
                                      const StreamOptions& options);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_STREAM_STREAM_H_
