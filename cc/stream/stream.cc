// SPDX-License-Identifier: Apache-2.0
#include "cc/stream/stream.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/common/fd.h"
#include "cc/common/file_io.h"
#include "cc/common/status_macros.h"
#include "cc/common/stop_signals.h"
#include "cc/sink/formats.h"
#include "cc/sink/raw_format.h"
#include "cc/sink/record_sink.h"
#include "cc/sink/summary_formatter.h"
#include "cc/sink/verbose_format.h"
#include "cc/stream/ordered_merge.h"

namespace sysstream {
namespace {

// Everything the loop reads from its signalfd.
sigset_t StreamSignals() {
  sigset_t set = StopSignals();
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  return set;
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The clock the kernel stamps ring entries with.
uint64_t BoottimeNs() {
  timespec ts = {};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<uint64_t>(ts.tv_nsec);
}

// An entry while the merge holds it: 16 bytes; a rich event waits apart,
// in the EventPool (most entries are bare records, held by the hundred
// thousand for the merge's hold).
struct HeldEntry {
  static constexpr uint32_t kNoEvent = UINT32_MAX;
  uint64_t record = 0;  // if event == kNoEvent
  uint32_t gap = 0;
  uint32_t event = kNoEvent;  // its slot in the EventPool
};

// Rich events held by the merge, in slots reused once written.
class EventPool {
 public:
  uint32_t Put(const sysstream_event& event) {
    if (free_.empty()) {
      events_.push_back(event);
      return static_cast<uint32_t>(events_.size() - 1);
    }
    const uint32_t slot = free_.back();
    free_.pop_back();
    events_[slot] = event;
    return slot;
  }
  const sysstream_event& At(uint32_t slot) const { return events_[slot]; }
  void Free(uint32_t slot) { free_.push_back(slot); }

 private:
  std::vector<sysstream_event> events_;
  std::vector<uint32_t> free_;
};

using EntryMerge = OrderedMerge<HeldEntry>;

// Each ring's entries, as a drain hands them over, into the merge.
class MergeInput final : public EntrySink {
 public:
  MergeInput(EntryMerge& merge, EventPool& events)
      : merge_(merge), events_(events) {}
  void OnEntry(uint32_t ring, const RingEntry& entry) override {
    HeldEntry held;
    held.gap = entry.gap;
    if (entry.is_event) {
      held.event = events_.Put(entry.event);
    } else {
      held.record = entry.record;
    }
    merge_.Add(ring, entry.ts_ns, held);
  }

 private:
  EntryMerge& merge_;
  EventPool& events_;
};

// Each record and event of the ring: counted, shown with -v, formatted into
// the log and, with -c, counted in the summary (Formatters of cc/sink).
class StreamSink final : public RecordSink {
 public:
  StreamSink(LogWriter& writer, const StreamOptions& options)
      : log_(FormatOf(options.format)
                 .make(FormatterOptions{HostArch(), options.fields,
                                        options.delimiter},
                       writer)),
        verbose_(options.verbose),
        verbose_fd_(options.verbose_fd) {
    if (options.summary != nullptr) {
      summary_ =
          std::make_unique<SummaryFormatter>(options.fields, *options.summary);
    }
  }

  // An entry of the merged stream: its CPU's losses before it (as a gap
  // marker), then its record or event (whose slot is then free).
  void OnEntry(const HeldEntry& entry, EventPool& events) {
    if (entry.gap != 0) OnRecord(MakeRecord(SYSSTREAM_GAP_PID, entry.gap));
    if (entry.event != HeldEntry::kNoEvent) {
      OnEvent(events.At(entry.event));
      events.Free(entry.event);
    } else {
      OnRecord(entry.record);
    }
  }

  // A bare record (raw mode) or a gap or skipped-runs marker (every mode).
  void OnRecord(uint64_t record) override {
    if (IsGapMarker(record)) {
      lost_ += RecordSyscall(record);
      ++gap_markers_;
    } else if (IsSkipMarker(record)) {
      maybe_missing_ += RecordSyscall(record);
      Verbose(record);
    } else {
      ++events_;
      Verbose(record);
    }
    log_->OnRecord(record);
    if (summary_ != nullptr) summary_->OnRecord(record);
  }

  // A rich event: entries count as events (calls); returns complete them;
  // a thread's end only tells the pairing (never written to a log).
  void OnEvent(const sysstream_event& ev) override {
    if (ev.kind == SYSSTREAM_EV_ENTER) {
      ++events_;
      Verbose(ev.record);
    }
    log_->OnEvent(ev);
    if (summary_ != nullptr) summary_->OnEvent(ev);
  }

  // At stop: calls still waiting for their return; `returns_lost` is the
  // kernel's count of lost return events.
  void Finish(uint64_t returns_lost) {
    log_->Finish(returns_lost);
    if (summary_ != nullptr) summary_->Finish(returns_lost);
  }

  void FlushVerbose() {
    (void)WriteAll(verbose_fd_, verbose_text_);
    verbose_text_.clear();
  }

  uint64_t events() const { return events_; }
  uint64_t lost() const { return lost_; }
  uint64_t gap_markers() const { return gap_markers_; }
  uint64_t maybe_missing() const { return maybe_missing_; }

 private:
  void Verbose(uint64_t record) {
    if (!verbose_) return;
    verbose_text_ += FormatVerbose(record);
    if (verbose_text_.size() > (64 << 10)) FlushVerbose();
  }

  const std::unique_ptr<Formatter> log_;
  std::unique_ptr<Formatter> summary_;  // -c
  const bool verbose_;
  const int verbose_fd_;
  std::string verbose_text_;
  uint64_t events_ = 0;
  uint64_t lost_ = 0;
  uint64_t gap_markers_ = 0;
  uint64_t maybe_missing_ = 0;
};

// RunStream's steps: Open (descriptors), Run (until a stop), Finish (the
// drain and the last losses).
class StreamLoop {
 public:
  StreamLoop(RingSource& source, LogWriter& writer,
             const StreamOptions& options)
      : source_(source),
        writer_(writer),
        options_(options),
        sink_(writer, options),
        merge_(source.rings() + 1),  // the last: skipped-runs markers
        merge_input_(merge_, events_),
        clock_(options.clock ? options.clock : BoottimeNs),
        hold_ns_(static_cast<uint64_t>(
            absl::ToInt64Nanoseconds(options.merge_hold))) {}

  absl::Status Open();
  absl::Status Run();
  absl::Status Finish();
  const StreamStats& stats() const { return stats_; }

 private:
  // Waits for the ring, a signal or the timer; true if the timer expired.
  absl::StatusOr<bool> Wait();
  void ReadSignals();
  void OnSignal(const signalfd_siginfo& si);
  // After each drain: a write error, the targets gone, the command exited.
  void CheckStop();
  // Each drain_interval: deadlines, cgroups, flushes, progress.
  void OnTick(absl::Time now);
  void ShowProgress(absl::Time now);
  // `forward`: the signal for the command, 0 if it already has it.
  void RequestStop(int forward);
  void KillCommand();
  // Drains every ring and writes what no ring can still precede; on a
  // timer tick, marks the runs the kernel skipped (a bpf() call a program:
  // not on every wakeup).
  absl::Status DrainRound(bool tick);
  // Runs the kernel skipped since the last look: a marker at `ts`.
  void MarkSkippedRuns(uint64_t ts);
  absl::Status DrainAll();
  void ReportUnreportedLosses();

  RingSource& source_;
  LogWriter& writer_;
  const StreamOptions& options_;
  StreamSink sink_;
  EntryMerge merge_;
  EventPool events_;
  MergeInput merge_input_;
  const std::function<uint64_t()> clock_;
  const uint64_t hold_ns_;
  uint64_t skipped_seen_ = 0;  // sys_enter runs skipped, already marked
  StreamStats stats_;
  Fd signal_fd_, timer_fd_, epoll_fd_;
  absl::Time start_, last_flush_, last_progress_, last_cgroup_check_;
  uint64_t progress_events_ = 0;
  bool progress_shown_ = false;
  bool stop_ = false;
  // -- COMMAND: a stop first reaches the command, whose shutdown is traced
  // until it exits or kill_after passes.
  bool command_stopping_ = false;
  absl::Time kill_at_ = absl::InfiniteFuture();
};

absl::Status StreamLoop::Open() {
  sigset_t signals = StreamSignals();
  signal_fd_.reset(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_.valid()) return Errno("signalfd");
  timer_fd_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_fd_.valid()) return Errno("timerfd_create");
  itimerspec its = {};
  its.it_interval = absl::ToTimespec(options_.drain_interval);
  its.it_value = its.it_interval;
  if (timerfd_settime(timer_fd_.get(), 0, &its, nullptr) != 0) {
    return Errno("timerfd_settime");
  }
  epoll_fd_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd_.valid()) return Errno("epoll_create1");
  for (int fd : {source_.ready_fd(), signal_fd_.get(), timer_fd_.get()}) {
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return Errno("epoll_ctl");
    }
  }
  return absl::OkStatus();
}

absl::Status StreamLoop::Run() {
  start_ = absl::Now();
  last_flush_ = last_progress_ = last_cgroup_check_ = start_;
  // A blocked output (a FIFO without a reader, a stalled reader) gives up
  // at the end of --duration, or on SIGINT/SIGTERM (LogWriter).
  writer_.SetDeadline(start_ + options_.duration);
  while (!stop_) {
    ASSIGN_OR_RETURN(const bool tick, Wait());
    RETURN_IF_ERROR(DrainRound(tick));
    CheckStop();
    if (tick) OnTick(absl::Now());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> StreamLoop::Wait() {
  epoll_event events[4];
  int n;
  do {
    n = epoll_wait(epoll_fd_.get(), events, 4, -1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Errno("epoll_wait");
  bool tick = false;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.fd == signal_fd_.get()) {
      ReadSignals();
    } else if (events[i].data.fd == timer_fd_.get()) {
      uint64_t expirations;
      (void)!read(timer_fd_.get(), &expirations, sizeof(expirations));
      tick = true;
    }
  }
  return tick;
}

void StreamLoop::ReadSignals() {
  signalfd_siginfo si;
  while (read(signal_fd_.get(), &si, sizeof(si)) == sizeof(si)) OnSignal(si);
}

void StreamLoop::OnSignal(const signalfd_siginfo& si) {
  const int signo = static_cast<int>(si.ssi_signo);
  if (signo == SIGCHLD || signo == SIGUSR2) return;
  if (signo == SIGHUP) {
    // logrotate moved the file: continue in a new one.
    (void)writer_.Reopen();
    ++stats_.reopens;
    return;
  }
  if (signo == SIGUSR1) {
    (void)writer_.Flush();
    (void)WriteAll(
        2, absl::StrFormat("sysstream: %d events, %d lost, %.2f s (SIGUSR1)\n",
                           sink_.events(), sink_.lost(),
                           absl::ToDoubleSeconds(absl::Now() - start_)));
    return;
  }
  if (stats_.stop_signal == 0) stats_.stop_signal = signo;
  // A terminal's Ctrl-C or Ctrl-\ (SI_KERNEL) reached the command too, as
  // it shares sysstream's process group: not sent twice.
  RequestStop(si.ssi_code == SI_KERNEL ? 0 : signo);
}

void StreamLoop::CheckStop() {
  if (!writer_.status().ok()) stop_ = true;
  if (options_.stop_when_targets_gone && source_.live_targets() <= 0) {
    stats_.targets_gone = true;
    stop_ = true;
  }
  if (command_stopping_ && options_.command->exited()) stop_ = true;
}

void StreamLoop::OnTick(absl::Time now) {
  if (command_stopping_ && now >= kill_at_) KillCommand();
  if (now - start_ >= options_.duration && !stats_.duration_reached &&
      stats_.stop_signal == 0) {
    stats_.duration_reached = true;
    RequestStop(SIGTERM);
  }
  if (options_.cgroups_gone && now - last_cgroup_check_ >= absl::Seconds(1)) {
    last_cgroup_check_ = now;
    if (source_.live_targets() <= 0 && options_.cgroups_gone()) {
      stats_.targets_gone = true;
      stop_ = true;
    }
  }
  if (now - last_flush_ >= options_.flush_interval) {
    (void)writer_.Flush();
    if (options_.verbose) sink_.FlushVerbose();
    last_flush_ = now;
  }
  if (options_.progress && now - last_progress_ >= absl::Seconds(1)) {
    ShowProgress(now);
  }
}

void StreamLoop::ShowProgress(absl::Time now) {
  const double dt = absl::ToDoubleSeconds(now - last_progress_);
  const uint64_t rate = static_cast<uint64_t>(
      static_cast<double>(sink_.events() - progress_events_) / dt);
  (void)WriteAll(
      2, absl::StrFormat("\rsysstream: %d events, %d lost, %d events/s\033[K",
                         sink_.events(), sink_.lost(), rate));
  progress_shown_ = true;
  progress_events_ = sink_.events();
  last_progress_ = now;
}

void StreamLoop::RequestStop(int forward) {
  if (!options_.command.has_value() || options_.command->exited()) {
    stop_ = true;
    return;
  }
  if (command_stopping_) {  // asked again: no more waiting
    KillCommand();
    return;
  }
  command_stopping_ = true;
  if (options_.kill_after <= absl::ZeroDuration()) {
    KillCommand();
    return;
  }
  if (forward != 0) {
    options_.command->send(forward);
    stats_.forwarded_signal = forward;
  }
  kill_at_ = absl::Now() + options_.kill_after;
}

void StreamLoop::KillCommand() {
  if (stats_.command_killed) return;
  options_.command->send(SIGKILL);
  stats_.command_killed = true;
}

absl::Status StreamLoop::Finish() {
  // The writer gave up on a blocked output: say why the stream stopped.
  if (stats_.stop_signal == 0) stats_.stop_signal = writer_.interrupt_signal();
  if (writer_.deadline_reached()) stats_.duration_reached = true;
  // The rest is written unless the output takes nothing for a while.
  writer_.StopRequested();
  // Stop producing, then take every record still in the ring.
  source_.Detach();
  RETURN_IF_ERROR(DrainAll());
  ReportUnreportedLosses();
  sink_.Finish(source_.returns_lost());
  if (options_.verbose) sink_.FlushVerbose();
  stats_.write_status = writer_.Sync();
  if (progress_shown_) (void)WriteAll(2, "\r\033[K");
  stats_.events = sink_.events();
  stats_.lost = sink_.lost();
  stats_.returns_lost = source_.returns_lost();
  stats_.gap_markers = sink_.gap_markers();
  stats_.malformed = source_.malformed_entries();
  stats_.late = merge_.late();
  stats_.maybe_missing = sink_.maybe_missing();
  stats_.skipped = source_.skipped_runs();
  stats_.rings = source_.rings();
  stats_.seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  return absl::OkStatus();
}

// The clock is read before the rings: an entry stamped up to hold_ns_
// before it was committed by then, so every ring has delivered it.
absl::Status StreamLoop::DrainRound(bool tick) {
  const uint64_t drain_start = clock_();
  RETURN_IF_ERROR(source_.Drain(&merge_input_).status());
  if (tick) MarkSkippedRuns(drain_start);
  merge_.ReleaseUpTo(Watermark(drain_start, hold_ns_),
                     [this](const HeldEntry& e) { sink_.OnEntry(e, events_); });
  return absl::OkStatus();
}

// The skipped runs happened before `ts` (and after the previous marker):
// the marker goes into the merge there, as if from a ring of its own.
void StreamLoop::MarkSkippedRuns(uint64_t ts) {
  const uint64_t now = source_.skipped_runs().sys_enter;
  uint64_t n = now > skipped_seen_ ? now - skipped_seen_ : 0;
  skipped_seen_ = std::max(skipped_seen_, now);
  while (n > 0) {
    const uint32_t part =
        static_cast<uint32_t>(n > SYSSTREAM_GAP_MAX ? SYSSTREAM_GAP_MAX : n);
    HeldEntry marker;
    marker.record = MakeRecord(SYSSTREAM_SKIP_PID, part);
    merge_.Add(source_.rings(), ts, marker);
    n -= part;
  }
}

// On stop, after Detach: every ring to its end, then all of it in order.
absl::Status StreamLoop::DrainAll() {
  for (;;) {
    ASSIGN_OR_RETURN(const uint64_t drained, source_.Drain(&merge_input_));
    if (drained == 0) break;
  }
  MarkSkippedRuns(clock_());
  merge_.ReleaseAll([this](const HeldEntry& e) { sink_.OnEntry(e, events_); });
  return absl::OkStatus();
}

// Losses never followed by a record on their CPU: reported at the end.
void StreamLoop::ReportUnreportedLosses() {
  uint64_t leftover = source_.TakeUnreportedLost();
  while (leftover > 0) {
    const uint32_t n = static_cast<uint32_t>(
        leftover > SYSSTREAM_GAP_MAX ? SYSSTREAM_GAP_MAX : leftover);
    sink_.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, n));
    leftover -= n;
  }
}

}  // namespace

std::string SignalName(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev)
                           : absl::StrCat("signal ", signo);
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : kStopSignals) sigaddset(&set, signo);
  return set;
}

absl::Status BlockStreamSignals(sigset_t* old_mask) {
  sigset_t set = StreamSignals();
  // SIGPIPE and SIGXFSZ stay blocked (not read): a closed reader of "-f -"
  // or of a held command's pipe, or a file size limit, shows up as EPIPE or
  // EFBIG where it happens.
  sigaddset(&set, SIGPIPE);
  sigaddset(&set, SIGXFSZ);
  if (sigprocmask(SIG_BLOCK, &set, old_mask) != 0) return Errno("sigprocmask");
  return absl::OkStatus();
}

absl::StatusOr<StreamStats> RunStream(RingSource& source, LogWriter& writer,
                                      const StreamOptions& options) {
  StreamLoop loop(source, writer, options);
  RETURN_IF_ERROR(loop.Open());
  RETURN_IF_ERROR(loop.Run());
  RETURN_IF_ERROR(loop.Finish());
  return loop.stats();
}

}  // namespace sysstream
