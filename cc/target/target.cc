// SPDX-License-Identifier: Apache-2.0
#include "cc/target/target.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cc/common/file_io.h"
#include "cc/target/proc_stat.h"

namespace sysstream {
namespace {

// A zombie thread-group leader (its main thread called pthread_exit) still
// runs on its other threads: the process is alive if any thread is.
bool AnyThreadAlive(const std::string& proc, uint32_t pid);

}  // namespace

absl::StatusOr<ProcStatus> ParseProcStatus(absl::string_view text) {
  ProcStatus st;
  bool have_tgid = false, have_state = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "Tgid:")) {
      line = absl::StripAsciiWhitespace(line);
      if (!absl::SimpleAtoi(line, &st.tgid)) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed Tgid line: '", line, "'"));
      }
      have_tgid = true;
    } else if (absl::ConsumePrefix(&line, "State:")) {
      line = absl::StripLeadingAsciiWhitespace(line);
      if (line.empty()) {
        return absl::InvalidArgumentError("malformed State line");
      }
      st.state = line[0];
      have_state = true;
    }
  }
  if (!have_tgid || !have_state) {
    return absl::InvalidArgumentError("status has no Tgid or State line");
  }
  return st;
}

bool IsKernelThreadStat(absl::string_view stat) {
  absl::StatusOr<ProcStat> st = ParseProcStat(stat);
  return st.ok() && (st->flags & kPfKthread) != 0;
}

absl::StatusOr<std::vector<uint32_t>> ResolvePids(
    absl::Span<const int32_t> pids, const std::string& proc) {
  std::vector<uint32_t> out;
  for (int32_t pid : pids) {
    absl::StatusOr<std::string> text =
        ReadFile(absl::StrCat(proc, "/", pid, "/status"));
    if (!text.ok()) {
      return absl::NotFoundError(absl::StrCat("no such process: ", pid));
    }
    absl::StatusOr<ProcStatus> st = ParseProcStatus(*text);
    if (!st.ok()) {
      return absl::InternalError(absl::StrCat(
          "reading ", proc, "/", pid, "/status: ", st.status().message()));
    }
    if ((st->state == 'Z' || st->state == 'X') &&
        !AnyThreadAlive(proc, static_cast<uint32_t>(pid))) {
      return absl::NotFoundError(
          absl::StrCat("process ", pid, " has already exited"));
    }
    absl::StatusOr<ProcStat> stat =
        ReadProcStat(static_cast<uint32_t>(pid), proc);
    if (stat.ok() && (stat->flags & kPfKthread) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "PID ", pid, " is a kernel thread: it makes no system calls"));
    }
    // A thread id stands for its whole process: every thread is traced.
    if (std::find(out.begin(), out.end(), st->tgid) == out.end()) {
      out.push_back(st->tgid);
    }
  }
  return out;
}

bool ProcessAlive(uint32_t pid) {
  absl::StatusOr<std::string> text =
      ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!text.ok()) return false;
  absl::StatusOr<ProcStatus> st = ParseProcStatus(*text);
  if (!st.ok()) return false;
  if (st->state != 'Z' && st->state != 'X') return true;
  return AnyThreadAlive("/proc", pid);
}

namespace {

bool AnyThreadAlive(const std::string& proc, uint32_t pid) {
  const std::string task_dir = absl::StrCat(proc, "/", pid, "/task");
  DIR* dir = opendir(task_dir.c_str());
  if (dir == nullptr) return false;
  bool alive = false;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    absl::StatusOr<std::string> text =
        ReadFile(absl::StrCat(task_dir, "/", e->d_name, "/status"));
    if (!text.ok()) continue;
    absl::StatusOr<ProcStatus> st = ParseProcStatus(*text);
    if (st.ok() && st->state != 'Z' && st->state != 'X') {
      alive = true;
      break;
    }
  }
  closedir(dir);
  return alive;
}

}  // namespace

absl::StatusOr<PidNamespace> CurrentPidNamespace(const std::string& proc) {
  struct stat sb;
  const std::string path = proc + "/self/ns/pid";
  if (stat(path.c_str(), &sb) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat ", path, ": ", std::strerror(errno)));
  }
  PidNamespace ns;
  ns.dev = sb.st_dev;
  ns.ino = sb.st_ino;
  ns.initial = sb.st_ino == kInitialPidNamespaceIno;
  return ns;
}

}  // namespace sysstream
