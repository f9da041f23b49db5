// SPDX-License-Identifier: Apache-2.0
#include "cc/app/report.h"

#include <string.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/common/std_stream.h"

namespace sysstream {

void Say(absl::string_view line) {
  std::fprintf(stderr, "sysstream: %s\n", std::string(line).c_str());
}

int Fail(int exit_code, const absl::Status& status) {
  Say(status.message());
  return exit_code;
}

void SayWaiting(const absl::Status& absent) {
  Say(absl::StrCat("waiting (--wait): ", absent.message()));
}

int Fail(int (*exit_code_of)(const absl::Status&), const absl::Status& status) {
  return Fail(exit_code_of(status), status);
}

std::string LogName(const std::string& log_path) {
  return StandardStreamFd(log_path) == 1 ? "standard output" : log_path;
}

std::string TracingLine(const TraceScope& scope, absl::string_view log_name) {
  std::string what =
      scope.trace_all
          ? std::string("all processes")
          : absl::StrCat(scope.processes,
                         scope.processes == 1 ? " process" : " processes");
  if (scope.cgroups > 0) {
    what =
        absl::StrCat(scope.processes == 0 ? "" : what + " and ", scope.cgroups,
                     scope.cgroups == 1 ? " cgroup" : " cgroups");
  }
  const bool one =
      !scope.trace_all && scope.cgroups == 0 && scope.processes == 1;
  const char* children = "";
  if (scope.follow && !scope.trace_all) {
    children = one ? " and its children" : " and their children";
  }
  return absl::StrCat("tracing ", what, children, " into ", log_name,
                      scope.rings.empty() ? "" : " through ", scope.rings);
}

std::string StopReason(const StreamStats& stats, bool with_command) {
  std::string why;
  if (stats.stop_signal != 0) {
    why = absl::StrCat("stopped by ", SignalName(stats.stop_signal));
  } else if (stats.duration_reached) {
    why = "duration reached";
  } else if (stats.targets_gone) {
    why = "all targets exited";
  } else {
    why = "write error";
  }
  if (with_command && (stats.stop_signal != 0 || stats.duration_reached)) {
    if (stats.command_killed) {
      absl::StrAppend(&why, "; the command was killed (SIGKILL)");
    } else if (stats.forwarded_signal != 0) {
      absl::StrAppend(&why, "; ", SignalName(stats.forwarded_signal),
                      " sent to the command");
    }
  }
  return why;
}

std::string FinalLine(const StreamStats& stats, absl::string_view log_name,
                      bool with_ret, absl::string_view reason) {
  if (!stats.write_status.ok()) {
    // Not all of them reached the log: the last line says how many did.
    return absl::StrFormat("%d events, %d lost, %.2f s (%s)", stats.events,
                           stats.lost, stats.seconds, reason);
  }
  // --ret: returns lost are calls recorded without their return value,
  // not lost calls (events + lost = calls made).
  const std::string returns_lost =
      with_ret ? absl::StrCat(stats.returns_lost, " returns lost, ") : "";
  return absl::StrFormat("%d events written to %s, %d lost, %s%.2f s (%s)",
                         stats.events, log_name, stats.lost, returns_lost,
                         stats.seconds, reason);
}

std::string WaitStoppedLine(int signo) {
  return absl::StrCat("stopped by SIG", sigabbrev_np(signo),
                      " while waiting; no log written");
}

std::string FollowFailedLine(uint64_t failed) {
  return absl::StrCat(failed,
                      " children could not be followed: target table full");
}

std::string SkippedRunsLine(const StreamStats& stats) {
  const SkippedRuns& s = stats.skipped;
  if (s.sys_enter + s.sys_exit + s.fork + s.exit == 0) return "";
  return absl::StrCat(
      "the kernel skipped runs of sysstream's programs (a preempted BPF "
      "program, Linux 7.x): sys_enter ", s.sys_enter, " (up to ",
      stats.maybe_missing, " calls may be missing, marked in the log), "
      "sys_exit ", s.sys_exit, " (returns or denied calls), fork ", s.fork,
      " (children not followed), exit ", s.exit);
}

std::string LateEntriesLine(uint64_t entries) {
  return absl::StrCat(entries, entries == 1 ? " entry" : " entries",
                      " reached the merge of the rings after later ones had "
                      "been written: written at once, out of order");
}

std::string MalformedEntriesLine(uint64_t entries) {
  return absl::StrCat(entries,
                      " ring entries of an unknown size were not decoded "
                      "(a sysstream bug: the BPF program and the reader "
                      "disagree; please report it)");
}

std::string WriteFailedLine(const absl::Status& error, uint64_t written,
                            uint64_t dropped) {
  return absl::StrCat(error.message(), "; ", written, " records written, ",
                      dropped, " not written");
}

}  // namespace sysstream
