// SPDX-License-Identifier: Apache-2.0
#include "cc/stream/stream.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/common/stop_signals.h"
#include "cc/sink/event.h"
#include "cc/sink/pairing.h"
#include "cc/sink/raw_format.h"
#include "cc/sink/verbose_format.h"

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

// RAII for a plain fd.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Formats each record or event into the log (and, with -v, a readable line).
class LogSink : public RecordSink {
 public:
  LogSink(LogWriter& writer, const StreamOptions& options)
      : writer_(writer),
        format_(options.format),
        summary_(options.summary),
        delimiter_(options.delimiter),
        max_size_(MaxRawRecordSize(delimiter_)),
        verbose_(options.verbose),
        verbose_fd_(options.verbose_fd),
        // Decoded events feed only text/jsonl lines and the summary: raw
        // and bin logs skip that work on the hot path.
        wants_events_(options.format == LogFormat::kText ||
                      options.format == LogFormat::kJsonl ||
                      options.summary != nullptr),
        pairer_(options.fields, [this](const Event& e) { Emit(e); }) {}

  // A bare record (raw mode) or a gap marker (every mode).
  void OnRecord(uint64_t record) override {
    const bool gap = IsGapMarker(record);
    if (gap) {
      lost_ += RecordSyscall(record);
      ++gap_markers_;
    } else {
      ++events_;
      Verbose(record);
    }
    if (format_ == LogFormat::kRaw) {
      WriteRaw(record);
    } else if (format_ == LogFormat::kBin) {
      sysstream_event ev = {};
      ev.kind = gap ? SYSSTREAM_EV_GAP : SYSSTREAM_EV_ENTER;
      ev.size = sizeof(ev);
      ev.record = record;
      WriteBin(ev);
    }
    if (!wants_events_) return;
    if (gap) {
      pairer_.Gap(RecordSyscall(record));
    } else {
      Emit(EventFromRecord(record));
    }
  }

  // A rich event: entries count as events (calls); returns complete them;
  // a thread's end only tells the pairing (never written to a log).
  void OnEvent(const sysstream_event& ev) override {
    if (ev.kind == SYSSTREAM_EV_ENTER) {
      ++events_;
      Verbose(ev.record);
      if (format_ == LogFormat::kRaw) WriteRaw(ev.record);
    }
    if (format_ == LogFormat::kBin && ev.kind != SYSSTREAM_EV_THREAD_EXIT) {
      WriteBin(ev);
    }
    if (wants_events_) pairer_.Add(ev);
  }

  // At stop: calls still waiting for their return; `returns_lost` is the
  // kernel's count of lost return events.
  void Finish(uint64_t returns_lost) { pairer_.Flush(returns_lost); }

  void FlushVerbose() {
    WriteAll(verbose_fd_, verbose_text_);
    verbose_text_.clear();
  }

  uint64_t events() const { return events_; }
  uint64_t lost() const { return lost_; }
  uint64_t gap_markers() const { return gap_markers_; }

 private:
  void WriteRaw(uint64_t record) {
    char* out = writer_.Reserve(max_size_);
    writer_.Commit(FormatRaw(record, delimiter_, out));
  }

  void WriteBin(const sysstream_event& ev) {
    char* out = writer_.Reserve(sizeof(ev));
    std::memcpy(out, &ev, sizeof(ev));
    writer_.Commit(sizeof(ev));
  }

  // A finished event: a line in text/jsonl, a row in the summary.
  void Emit(const Event& e) {
    if (format_ == LogFormat::kText || format_ == LogFormat::kJsonl) {
      line_ = format_ == LogFormat::kText ? FormatText(e, HostArch())
                                          : FormatJson(e, HostArch());
      line_ += '\n';
      char* out = writer_.Reserve(line_.size());
      std::memcpy(out, line_.data(), line_.size());
      writer_.Commit(line_.size());
    }
    if (summary_ != nullptr) summary_->Add(e);
  }

  void Verbose(uint64_t record) {
    if (!verbose_) return;
    verbose_text_ += FormatVerbose(record);
    if (verbose_text_.size() > (64 << 10)) FlushVerbose();
  }

  LogWriter& writer_;
  const LogFormat format_;
  SyscallSummary* const summary_;
  const std::string delimiter_;
  const size_t max_size_;
  const bool verbose_;
  const int verbose_fd_;
  const bool wants_events_;
  EventPairer pairer_;
  std::string verbose_text_;
  std::string line_;
  uint64_t events_ = 0;
  uint64_t lost_ = 0;
  uint64_t gap_markers_ = 0;
};

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

absl::StatusOr<StreamStats> RunStream(Probe& probe, LogWriter& writer,
                                      const StreamOptions& options) {
  sigset_t signals = StreamSignals();
  Fd sfd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (sfd.get() < 0) return Errno("signalfd");
  Fd tfd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (tfd.get() < 0) return Errno("timerfd_create");
  itimerspec its = {};
  its.it_interval = absl::ToTimespec(options.drain_interval);
  its.it_value = its.it_interval;
  if (timerfd_settime(tfd.get(), 0, &its, nullptr) != 0) {
    return Errno("timerfd_settime");
  }
  Fd epfd(epoll_create1(EPOLL_CLOEXEC));
  if (epfd.get() < 0) return Errno("epoll_create1");
  for (int fd : {probe.ready_fd(), sfd.get(), tfd.get()}) {
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epfd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return Errno("epoll_ctl");
    }
  }

  LogSink sink(writer, options);
  StreamStats stats;
  const absl::Time start = absl::Now();
  // A blocked output (a FIFO without a reader, a stalled reader) gives up
  // at the end of --duration, or on SIGINT/SIGTERM (LogWriter).
  writer.SetDeadline(start + options.duration);
  absl::Time last_flush = start, last_progress = start,
             last_cgroup_check = start;
  uint64_t progress_events = 0;
  bool progress_shown = false;

  bool stop = false;
  // -- COMMAND: a stop first reaches the command, whose shutdown is traced
  // until it exits or kill_after passes.
  bool command_stopping = false;
  absl::Time kill_at = absl::InfiniteFuture();
  auto kill_command = [&] {
    if (stats.command_killed) return;
    options.command->send(SIGKILL);
    stats.command_killed = true;
  };
  // `forward`: the signal for the command, 0 if it already has it.
  auto request_stop = [&](int forward) {
    if (!options.command.has_value() || options.command->exited()) {
      stop = true;
      return;
    }
    if (command_stopping) {  // asked again: no more waiting
      kill_command();
      return;
    }
    command_stopping = true;
    if (options.kill_after <= absl::ZeroDuration()) {
      kill_command();
      return;
    }
    if (forward != 0) {
      options.command->send(forward);
      stats.forwarded_signal = forward;
    }
    kill_at = absl::Now() + options.kill_after;
  };
  while (!stop) {
    epoll_event events[4];
    int n = epoll_wait(epfd.get(), events, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("epoll_wait");
    }
    bool tick = false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == sfd.get()) {
        signalfd_siginfo si;
        while (read(sfd.get(), &si, sizeof(si)) == sizeof(si)) {
          const int signo = static_cast<int>(si.ssi_signo);
          if (signo == SIGCHLD || signo == SIGUSR2) continue;
          if (signo == SIGHUP) {
            // logrotate moved the file: continue in a new one.
            (void)writer.Reopen();
            ++stats.reopens;
            continue;
          }
          if (signo == SIGUSR1) {
            (void)writer.Flush();
            WriteAll(2, absl::StrFormat(
                            "sysstream: %d events, %d lost, %.2f s (SIGUSR1)\n",
                            sink.events(), sink.lost(),
                            absl::ToDoubleSeconds(absl::Now() - start)));
            continue;
          }
          if (stats.stop_signal == 0) stats.stop_signal = signo;
          // A terminal's Ctrl-C or Ctrl-\ (SI_KERNEL) reached the command
          // too, as it shares sysstream's process group: not sent twice.
          request_stop(si.ssi_code == SI_KERNEL ? 0 : signo);
        }
      } else if (events[i].data.fd == tfd.get()) {
        uint64_t expirations;
        (void)!read(tfd.get(), &expirations, sizeof(expirations));
        tick = true;
      }
    }
    absl::StatusOr<uint64_t> drained = probe.Drain(&sink);
    if (!drained.ok()) return drained.status();
    if (!writer.status().ok()) stop = true;
    if (options.stop_when_targets_gone && probe.live_targets() <= 0) {
      stats.targets_gone = true;
      stop = true;
    }
    if (command_stopping && options.command->exited()) stop = true;
    if (!tick) continue;
    const absl::Time now = absl::Now();
    if (command_stopping && now >= kill_at) kill_command();
    if (now - start >= options.duration && !stats.duration_reached &&
        stats.stop_signal == 0) {
      stats.duration_reached = true;
      request_stop(SIGTERM);
    }
    if (options.cgroups_gone && now - last_cgroup_check >= absl::Seconds(1)) {
      last_cgroup_check = now;
      if (probe.live_targets() <= 0 && options.cgroups_gone()) {
        stats.targets_gone = true;
        stop = true;
      }
    }
    if (now - last_flush >= options.flush_interval) {
      (void)writer.Flush();
      if (options.verbose) sink.FlushVerbose();
      last_flush = now;
    }
    if (options.progress && now - last_progress >= absl::Seconds(1)) {
      const double dt = absl::ToDoubleSeconds(now - last_progress);
      const uint64_t rate = static_cast<uint64_t>(
          static_cast<double>(sink.events() - progress_events) / dt);
      WriteAll(2, absl::StrFormat(
                      "\rsysstream: %d events, %d lost, %d events/s\033[K",
                      sink.events(), sink.lost(), rate));
      progress_shown = true;
      progress_events = sink.events();
      last_progress = now;
    }
  }

  // The writer gave up on a blocked output: say why the stream stopped.
  if (stats.stop_signal == 0) stats.stop_signal = writer.interrupt_signal();
  if (writer.deadline_reached()) stats.duration_reached = true;
  // The rest is written unless the output takes nothing for a while.
  writer.StopRequested();

  // Stop producing, then take every record still in the ring.
  probe.Detach();
  for (;;) {
    absl::StatusOr<uint64_t> drained = probe.Drain(&sink);
    if (!drained.ok()) return drained.status();
    if (*drained == 0) break;
  }
  // Losses never followed by a record on their CPU: report them at the end.
  uint64_t leftover = probe.TakeUnreportedLost();
  while (leftover > 0) {
    uint32_t n = leftover > 0xffffffffULL ? 0xffffffffU
                                          : static_cast<uint32_t>(leftover);
    sink.OnRecord(MakeRecord(kGapPid, n));
    leftover -= n;
  }
  sink.Finish(probe.returns_lost());
  if (options.verbose) sink.FlushVerbose();
  stats.write_status = writer.Sync();
  if (progress_shown) WriteAll(2, "\r\033[K");
  stats.events = sink.events();
  stats.lost = sink.lost();
  stats.returns_lost = probe.returns_lost();
  stats.gap_markers = sink.gap_markers();
  stats.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return stats;
}

}  // namespace sysstream
