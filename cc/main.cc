// SPDX-License-Identifier: Apache-2.0
// sysstream: stream every system call of chosen processes into a log file.
// main() only wires the modules together and is the only place that prints
// errors and picks exit codes.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cc/cli/options.h"
#include "cc/cli/prompt.h"
#include "cc/common/std_stream.h"
#include "cc/sink/append_check.h"
#include "cc/common/privileges.h"
#include "cc/decode/decode_command.h"
#include "cc/probe/probe.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/summary.h"
#include "cc/sink/log_writer.h"
#include "cc/stream/stream.h"
#include "cc/syscalls/syscall_filter.h"
#include "cc/syscalls/syscalls.h"
#include "bpf/sysstream.h"
#include "cc/target/cgroup.h"
#include "cc/target/command.h"
#include "cc/target/container.h"
#include "cc/target/target.h"

namespace sysstream {
namespace {

// Exit codes (also in --help and the README).
enum ExitCode {
  kOk = 0,
  kInternal = 1,
  kUsage = 2,
  kTargetNotFound = 3,
  kLogFile = 4,
  kNoPrivilege = 5,
  kKernelUnsupported = 6,
  kWriteFailed = 7,
  kAmbiguousTarget = 8,
  kRuntimeUnavailable = 9,
  kRuntimeState = 10,
  kMalformedLog = 11,
  kCommandNotExecutable = 126,
  kCommandNotFound = 127,
};

constexpr char kVersion[] = "0.1.0";

int Fail(int code, const absl::Status& status) {
  std::fprintf(stderr, "sysstream: %s\n",
               std::string(status.message()).c_str());
  return code;
}

// Errors from turning container, pod and cgroup names into targets.
int TargetFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return Fail(kTargetNotFound, status);
    case absl::StatusCode::kInvalidArgument:
      return Fail(kUsage, status);
    case absl::StatusCode::kFailedPrecondition:
      return Fail(absl::StartsWith(status.message(), "ambiguous")
                      ? kAmbiguousTarget
                      : kNoPrivilege,
                  status);
    case absl::StatusCode::kUnavailable:
      return Fail(kRuntimeUnavailable, status);
    case absl::StatusCode::kDataLoss:
      return Fail(kRuntimeState, status);
    default:
      return Fail(kInternal, status);
  }
}

// Containers, pods and cgroups → pids to follow and/or cgroup v2 filters.
struct ContainerTargets {
  std::vector<uint32_t> pids;
  std::vector<ProbeCgroup> cgroups;
  std::vector<std::string> cgroup_dirs;  // of `cgroups`, same order
  bool follow = false;  // pids stand for containers on a v1/hybrid host
};

// Marks a NotFound error that waiting cannot cure (a container found whose
// processes this pid namespace cannot see).
constexpr char kNotWaitable[] = "sysstream/not-waitable";

bool Waitable(const absl::Status& status) {
  return absl::IsNotFound(status) &&
         !status.GetPayload(kNotWaitable).has_value();
}

// `quiet`: no note about the cgroup v1 fallback (when resolving again).
absl::StatusOr<ContainerTargets> ResolveContainerTargets(const Options& opts,
                                                         bool quiet = false) {
  ContainerTargets out;
  if (opts.containers.empty() && opts.pods.empty() && opts.cgroups.empty()) {
    return out;
  }
  RuntimeConfig rc;
  rc.host_root = opts.host_root.empty() ? DetectHostRoot() : opts.host_root;
  if (const char* h = std::getenv("DOCKER_HOST"); h != nullptr) {
    rc.docker_host = h;
  }
  std::vector<Container> containers;
  for (const std::string& name : opts.containers) {
    absl::StatusOr<Container> c = FindContainer(name, rc);
    if (!c.ok()) return c.status();
    containers.push_back(*c);
  }
  for (const std::string& pod : opts.pods) {
    absl::StatusOr<std::vector<Container>> cs = FindPod(pod, rc);
    if (!cs.ok()) return cs.status();
    containers.insert(containers.end(), cs->begin(), cs->end());
  }
  std::string mountinfo;
  {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream ss;
    ss << in.rdbuf();
    mountinfo = ss.str();
  }
  for (const Container& c : containers) {
    if (!ProcessAlive(c.pid)) {
      absl::Status invisible = absl::NotFoundError(absl::StrCat(
          "process ", c.pid, " of container '", c.name,
          "' is not visible here: run sysstream in the host's pid namespace "
          "(--pid=host)"));
      invisible.SetPayload(kNotWaitable, absl::Cord("1"));
      return invisible;
    }
  }
  const bool pure_v2 = IsPureCgroup2(ParseCgroupMounts(mountinfo));
  std::string cgroup2_root;
  if (pure_v2) {
    absl::StatusOr<CgroupMount> view = HostCgroup2View();
    if (!view.ok()) return view.status();
    cgroup2_root = view->mount_point;
  }
  bool noted = false;
  auto note_v1 = [&](const std::string& what) {
    if (noted || quiet) return;
    noted = true;
    std::fprintf(stderr,
                 "sysstream: no per-container cgroup v2 here (cgroup v1 or "
                 "hybrid host): tracing the current processes of %s and "
                 "their children; processes added later (exec) are missed\n",
                 what.c_str());
  };
  for (const Container& c : containers) {
    if (pure_v2) {
      std::ifstream in(absl::StrCat("/proc/", c.pid, "/cgroup"));
      std::stringstream ss;
      ss << in.rdbuf();
      absl::StatusOr<std::string> path = Cgroup2PathOf(ss.str());
      if (!path.ok()) return path.status();
      absl::StatusOr<CgroupTarget> cg =
          ResolveCgroup(absl::StrCat(cgroup2_root, *path));
      if (!cg.ok()) return cg.status();
      out.cgroups.push_back({cg->id, cg->level});
      out.cgroup_dirs.push_back(cg->path);
    } else {
      // v1/hybrid: runc also gives a container a cgroup of its own in the
      // unified (v2) hierarchy; when it has one, filter on it in the kernel.
      absl::StatusOr<std::string> own = OwnCgroup2Path(c.pid);
      if (own.ok() && cgroup2_root.empty()) {
        absl::StatusOr<CgroupMount> view = HostCgroup2View();
        if (view.ok()) cgroup2_root = view->mount_point;
        own = OwnCgroup2Path(c.pid);  // as seen from the host's namespace
      }
      absl::StatusOr<CgroupTarget> cg = absl::NotFoundError("");
      if (own.ok() && !cgroup2_root.empty()) {
        cg = ResolveCgroup(absl::StrCat(cgroup2_root, *own));
      }
      if (cg.ok() && cg->v2) {
        out.cgroups.push_back({cg->id, cg->level});
        out.cgroup_dirs.push_back(cg->path);
        continue;
      }
      note_v1(absl::StrCat("container '", c.name, "'"));
      std::vector<uint32_t> pids = ProcessesInSameCgroups(c.pid);
      out.pids.insert(out.pids.end(), pids.begin(), pids.end());
      out.follow = true;
    }
  }
  for (const std::string& path : opts.cgroups) {
    absl::StatusOr<CgroupTarget> cg = ResolveCgroup(path);
    if (!cg.ok()) return cg.status();
    if (cg->v2) {
      out.cgroups.push_back({cg->id, cg->level});
      out.cgroup_dirs.push_back(cg->path);
    } else {
      note_v1(absl::StrCat("cgroup ", path));
      out.pids.insert(out.pids.end(), cg->pids.begin(), cg->pids.end());
      out.follow = true;
    }
  }
  if (out.pids.empty() && out.cgroups.empty()) {
    return absl::NotFoundError("the named containers have no processes");
  }
  return out;
}

// --wait: resolves again every second while what was named is absent.
// nullopt when SIGINT or SIGTERM (blocked, as for the stream) came first;
// `*signo` then says which.
std::optional<absl::StatusOr<ContainerTargets>> ResolveOrWait(
    const Options& opts, int* signo) {
  absl::StatusOr<ContainerTargets> t = ResolveContainerTargets(opts);
  if (!opts.wait || !Waitable(t.status())) return t;
  std::fprintf(stderr, "sysstream: waiting (--wait): %s\n",
               std::string(t.status().message()).c_str());
  const sigset_t stop = StopSignals();
  for (;;) {
    const struct timespec second = {1, 0};
    const int sig = sigtimedwait(&stop, nullptr, &second);
    if (sig > 0) {
      *signo = sig;
      return std::nullopt;
    }
    t = ResolveContainerTargets(opts);
    if (!Waitable(t.status())) return t;
  }
}

// True once every cgroup in `dirs` is gone: removed, or replaced by a new
// one of the same name (another inode: a restarted service or container).
bool CgroupsGone(const std::vector<std::string>& dirs,
                 const std::vector<ProbeCgroup>& cgroups) {
  for (size_t i = 0; i < dirs.size(); ++i) {
    struct stat sb;
    if (stat(dirs[i].c_str(), &sb) == 0 && sb.st_ino == cgroups[i].id) {
      return false;
    }
  }
  return true;
}

// Resolves the named containers, pods and cgroups again once a second, on
// a thread of its own (a slow runtime, e.g. a Docker daemon that takes
// seconds to answer, must not hold up draining the ring), and traces the
// cgroups that appeared since (a container that restarted, a service
// started again) through the mapped .bss: the capabilities are gone by
// now. Each new cgroup is said once on stderr, traced or not.
class CgroupWatcher {
 public:
  CgroupWatcher(const Options& opts, Probe& probe,
                const ContainerTargets& known)
      : opts_(opts), probe_(probe), known_(known), thread_([this] { Run(); }) {}
  ~CgroupWatcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  CgroupWatcher(const CgroupWatcher&) = delete;
  CgroupWatcher& operator=(const CgroupWatcher&) = delete;

  // True once every traced cgroup is gone and a look at the runtime begun
  // after that found no new one: a restart removes the old cgroup before
  // the new one can be seen, which must not end the stream.
  bool AllGone() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!CgroupsGone(known_.cgroup_dirs, known_.cgroups)) {
      gone_at_ = 0;
      return false;
    }
    if (gone_at_ == 0) {
      gone_at_ = started_ + 1;  // the next look to begin
      look_now_ = true;
      wake_.notify_all();
      return false;
    }
    return done_ >= gone_at_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait_for(lock, std::chrono::seconds(1),
                     [this] { return stop_ || look_now_; });
      if (stop_) return;
      look_now_ = false;
      const uint64_t look = ++started_;
      lock.unlock();
      absl::StatusOr<ContainerTargets> now =
          ResolveContainerTargets(opts_, /*quiet=*/true);
      lock.lock();
      // Not ok: e.g. none of the pod's containers runs just now.
      if (now.ok()) AddNew(*now);
      done_ = look;
    }
  }

  void AddNew(const ContainerTargets& now) {
    for (size_t i = 0; i < now.cgroups.size(); ++i) {
      const ProbeCgroup& cg = now.cgroups[i];
      auto same = [&](const ProbeCgroup& k) { return k.id == cg.id; };
      if (std::any_of(known_.cgroups.begin(), known_.cgroups.end(), same) ||
          std::find(refused_.begin(), refused_.end(), cg.id) !=
              refused_.end()) {
        continue;
      }
      if (absl::Status s = probe_.AddLateCgroup(cg); !s.ok()) {
        refused_.push_back(cg.id);
        std::fprintf(stderr, "sysstream: not tracing new cgroup %s: %s\n",
                     now.cgroup_dirs[i].c_str(),
                     std::string(s.message()).c_str());
        continue;
      }
      known_.cgroups.push_back(cg);
      known_.cgroup_dirs.push_back(now.cgroup_dirs[i]);
      std::fprintf(stderr, "sysstream: also tracing new cgroup %s\n",
                   now.cgroup_dirs[i].c_str());
    }
  }

  const Options& opts_;
  Probe& probe_;
  std::mutex mu_;
  std::condition_variable wake_;
  ContainerTargets known_;         // guarded by mu_
  std::vector<uint64_t> refused_;  // guarded by mu_
  bool stop_ = false;              // guarded by mu_
  bool look_now_ = false;          // guarded by mu_
  uint64_t started_ = 0;           // looks begun, guarded by mu_
  uint64_t done_ = 0;              // the last look finished, guarded by mu_
  uint64_t gone_at_ = 0;  // the look that must finish before "all gone"
  std::thread thread_;    // last: starts once the members above exist
};

// Errors from loading and attaching BPF.
int ProbeFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
      return Fail(kNoPrivilege, status);
    case absl::StatusCode::kFailedPrecondition:
      return Fail(kKernelUnsupported, status);
    default:
      return Fail(kInternal, status);
  }
}

// An existing log file is never destroyed silently: on a terminal, ask.
// Ctrl-C (SIGINT, blocked by now) or SIGTERM at the question aborts.
absl::StatusOr<bool> ConfirmOverwrite(const std::string& path,
                                      absl::string_view noun, int* signo) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return false;
  return AskYesNo(STDIN_FILENO, STDERR_FILENO,
                  absl::StrCat("sysstream: ", noun, " '", path,
                               "' exists; overwrite? [y/N] "),
                  signo);
}

// The log's or the summary file's place, checked (not yet created): the
// same policy for both. `*mode` becomes kOverwrite if the user said yes.
// 0, or the exit code.
int CheckOutputPath(const std::string& path, absl::string_view noun,
                    ExistingLog* mode) {
  absl::Status ok = CheckLogPath(path, *mode, noun);
  if (absl::IsAlreadyExists(ok)) {
    int signo = 0;
    absl::StatusOr<bool> yes = ConfirmOverwrite(
        path, noun == "log" ? "log file" : noun, &signo);
    if (!yes.ok()) {
      std::fprintf(stderr, "\nsysstream: %s at the prompt; '%s' left as it "
                   "was, nothing traced\n",
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

int Run(const Options& cli) {
  Options opts = cli;
  sigset_t child_mask;
  if (absl::Status s = BlockStreamSignals(&child_mask); !s.ok()) {
    return Fail(kInternal, s);
  }

  // 1. Targets, before anything touches the kernel or the log.
  absl::StatusOr<PidNamespace> pidns = CurrentPidNamespace();
  if (!pidns.ok()) return Fail(kInternal, pidns.status());
  std::vector<uint32_t> pids;
  if (!opts.pids.empty()) {
    absl::StatusOr<std::vector<uint32_t>> resolved = ResolvePids(opts.pids);
    if (!resolved.ok()) return Fail(kTargetNotFound, resolved.status());
    pids = *resolved;
    // sysstream's own calls are -m's business, and tracing itself as a
    // target would stop at once.
    const uint32_t self = static_cast<uint32_t>(getpid());
    if (std::find(pids.begin(), pids.end(), self) != pids.end()) {
      if (!opts.include_self) {
        return Fail(kUsage, absl::InvalidArgumentError(absl::StrCat(
                                "PID ", self,
                                " is sysstream itself: use -m to record "
                                "its own calls")));
      }
      pids.erase(std::find(pids.begin(), pids.end(), self));
      if (pids.empty() && opts.command.empty()) {
        return Fail(kUsage, absl::InvalidArgumentError(absl::StrCat(
                                "PID ", self,
                                " is sysstream itself: give another target "
                                "(with -m its calls are recorded too)")));
      }
    }
  }
  std::string command_path;
  if (!opts.command.empty()) {
    absl::StatusOr<std::string> found = FindExecutable(opts.command[0]);
    if (!found.ok()) {
      return Fail(found.status().code() == absl::StatusCode::kNotFound
                      ? kCommandNotFound
                      : kCommandNotExecutable,
                  found.status());
    }
    command_path = *found;
  }
  int wait_signal = 0;
  std::optional<absl::StatusOr<ContainerTargets>> waited =
      ResolveOrWait(opts, &wait_signal);
  if (!waited.has_value()) {
    std::fprintf(stderr,
                 "sysstream: stopped by SIG%s while waiting; no log written\n",
                 sigabbrev_np(wait_signal));
    return kOk;
  }
  absl::StatusOr<ContainerTargets>& ctargets = *waited;
  if (!ctargets.ok()) return TargetFailure(ctargets.status());
  for (uint32_t pid : ctargets->pids) {
    if (std::find(pids.begin(), pids.end(), pid) == pids.end()) {
      pids.push_back(pid);
    }
  }
  if (ctargets->follow) opts.follow = true;
  const bool has_cgroups = !ctargets->cgroups.empty();
  const bool trace_all = pids.empty() && opts.command.empty() && !has_cgroups;

  absl::StatusOr<std::vector<uint32_t>> syscall_filter = ResolveSyscallFilter(
      HostArch(), opts.syscalls, opts.exclude_syscalls, SYSSTREAM_MAX_SYSCALLS);
  if (!syscall_filter.ok()) return Fail(kUsage, syscall_filter.status());

  // 2. The log's place (and the summary file's), checked (not yet created).
  if (int code = CheckOutputPath(opts.log_path, "log", &opts.existing);
      code != 0) {
    return code;
  }
  ExistingLog summary_existing = cli.existing;
  if (!opts.summary_path.empty()) {
    if (int code = CheckOutputPath(opts.summary_path, "summary file",
                                   &summary_existing);
        code != 0) {
      return code;
    }
  }
  // Rich events when any rich field is asked for, and always for bin.
  uint32_t fields = (opts.timestamps ? kBinTimestamps : 0u) |
                    (opts.tid ? kBinTid : 0u) | (opts.comm ? kBinComm : 0u) |
                    (opts.ret ? kBinRet : 0u);
  if (opts.format == LogFormat::kBin) {
    fields |= kBinTimestamps | kBinTid | kBinComm;
  }
  if (opts.existing == ExistingLog::kAppend &&
      !StandardStreamFd(opts.log_path).has_value()) {
    if (absl::Status s = CheckAppendable(
            opts.log_path, opts.format,
            MakeBinHeader(HostArch(), pidns->dev, pidns->ino, fields));
        !s.ok()) {
      return Fail(kLogFile, s);
    }
  }

  // 3. Load the BPF program.
  ProbeOptions popts;
  popts.trace_all = trace_all;
  popts.follow = opts.follow;
  popts.include_self = opts.include_self;
  popts.self_pid = static_cast<uint32_t>(getpid());
  popts.pidns_translate = !pidns->initial;
  popts.pidns_dev = pidns->dev;
  popts.pidns_ino = pidns->ino;
  popts.ring_bytes = opts.ring_bytes;
  popts.btf_path = opts.btf_path;
  popts.cgroups = ctargets->cgroups;
  popts.syscalls = *syscall_filter;
  popts.rich_events = fields != 0;
  popts.with_ret = opts.ret;
  absl::StatusOr<std::unique_ptr<Probe>> probe_or = Probe::Create(popts);
  if (!probe_or.ok()) return ProbeFailure(probe_or.status());
  Probe& probe = **probe_or;

  // 4. The command, held before its execve.
  std::unique_ptr<HeldCommand> command;
  if (!opts.command.empty()) {
    absl::StatusOr<std::unique_ptr<HeldCommand>> started =
        HeldCommand::Start(command_path, opts.command, child_mask,
                           /*stdout_to_stderr=*/StandardStreamFd(
                               opts.log_path) == STDOUT_FILENO);
    if (!started.ok()) return Fail(kInternal, started.status());
    command = std::move(*started);
  }
  std::vector<uint32_t> targets = pids;
  if (opts.include_self && !trace_all) targets.push_back(popts.self_pid);

  // 5. Fill the filter and attach; records wait in the ring meanwhile.
  if (!trace_all) {
    if (absl::Status s = probe.AddTargets(targets); !s.ok()) {
      return ProbeFailure(s);
    }
  }
  if (command) {
    const uint32_t cmd_pid = static_cast<uint32_t>(command->pid());
    if (absl::Status s = probe.AddTargets({cmd_pid}, /*wait_for_exec=*/true);
        !s.ok()) {
      return ProbeFailure(s);
    }
    pids.push_back(cmd_pid);
  }
  if (absl::Status s = probe.Attach(); !s.ok()) return ProbeFailure(s);
  if (!trace_all) probe.ForgetExited(pids, ProcessAlive);

  // 6. Let the command run (its execve is the first record), then create
  //    the log: only now is everything known to work.
  if (command) {
    if (absl::Status s = command->Release(); !s.ok()) {
      if (absl::IsNotFound(s)) return Fail(kCommandNotFound, s);
      if (absl::IsPermissionDenied(s) || absl::IsFailedPrecondition(s)) {
        return Fail(kCommandNotExecutable, s);
      }
      return Fail(kInternal, s);
    }
  }
  absl::StatusOr<std::unique_ptr<LogWriter>> writer =
      LogWriter::Open(opts.log_path, opts.existing);
  if (!writer.ok()) return Fail(kLogFile, writer.status());
  std::unique_ptr<LogWriter> summary_file;
  if (!opts.summary_path.empty()) {
    absl::StatusOr<std::unique_ptr<LogWriter>> opened =
        LogWriter::Open(opts.summary_path, summary_existing, "summary file");
    if (!opened.ok()) return Fail(kLogFile, opened.status());
    summary_file = std::move(*opened);
  }

  // 7. From here on the stream needs no privilege: drop them all.
  if (absl::Status s = DropAllCapabilities(); !s.ok()) {
    return Fail(kInternal, s);
  }

  const std::optional<int> log_stream = StandardStreamFd(opts.log_path);
  const bool log_is_stream = log_stream == 1;
  std::string what =
      trace_all ? std::string("all processes")
                : absl::StrCat(pids.size(),
                               pids.size() == 1 ? " process" : " processes");
  if (has_cgroups) {
    what = absl::StrCat(pids.empty() ? "" : what + " and ",
                        ctargets->cgroups.size(),
                        ctargets->cgroups.size() == 1 ? " cgroup" : " cgroups");
  }
  const bool one = !trace_all && !has_cgroups && pids.size() == 1;
  std::fprintf(
      stderr, "sysstream: tracing %s%s into %s\n", what.c_str(),
      opts.follow && !trace_all ? (one ? " and its children"
                                       : " and their children")
                                : "",
      log_is_stream ? "standard output" : opts.log_path.c_str());

  (*writer)->SetRotation(opts.rotate_bytes, opts.rotate_keep);
  if (opts.format == LogFormat::kBin) {
    if (absl::Status s = (*writer)->SetPreamble(MakeBinHeader(
            HostArch(), pidns->dev, pidns->ino, fields));
        !s.ok()) {
      return Fail(kWriteFailed, s);
    }
  }
  SyscallSummary summary;
  StreamOptions sopts;
  sopts.format = opts.format;
  sopts.fields = fields;
  sopts.summary = opts.summary ? &summary : nullptr;
  if (opts.duration_ms > 0) sopts.duration = absl::Milliseconds(opts.duration_ms);
  sopts.delimiter = opts.delimiter;
  sopts.verbose = opts.verbose;
  sopts.verbose_fd = log_stream == STDOUT_FILENO ? STDERR_FILENO : STDOUT_FILENO;
  sopts.progress = !opts.verbose && !opts.quiet && isatty(STDERR_FILENO);
  // A cgroup lives on while its processes come and go: run until stopped.
  sopts.stop_when_targets_gone = !trace_all && !has_cgroups;
  // Once a second: the new cgroups of named containers that started again
  // are traced too; when every traced cgroup is gone (its container or pod
  // is) and no PID target is left, the stream stops.
  std::optional<CgroupWatcher> watcher;
  if (has_cgroups && !trace_all) {
    watcher.emplace(opts, probe, *ctargets);
    sopts.cgroups_gone = [&watcher] { return watcher->AllGone(); };
  }
  if (command) {
    HeldCommand* cmd = command.get();
    sopts.command = CommandControl{
        [cmd](int signo) { kill(cmd->pid(), signo); },
        [cmd] { return cmd->TryWait().has_value(); }};
    sopts.kill_after = absl::Milliseconds(opts.kill_after_ms);
  }
  absl::StatusOr<StreamStats> stats = RunStream(probe, **writer, sopts);
  if (!stats.ok()) return Fail(kInternal, stats.status());

  std::string why;
  if (stats->stop_signal != 0) {
    why = absl::StrCat("stopped by ", SignalName(stats->stop_signal));
  } else if (stats->duration_reached) {
    why = "duration reached";
  } else if (stats->targets_gone) {
    why = "all targets exited";
  } else {
    why = "write error";
  }
  if (command && (stats->stop_signal != 0 || stats->duration_reached)) {
    if (stats->command_killed) {
      absl::StrAppend(&why, "; the command was killed (SIGKILL)");
    } else if (stats->forwarded_signal != 0) {
      absl::StrAppend(&why, "; ", SignalName(stats->forwarded_signal),
                      " sent to the command");
    }
  }
  // --ret: returns lost are calls recorded without their return value,
  // not lost calls (events + lost = calls made).
  const std::string returns_lost =
      opts.ret ? absl::StrCat(stats->returns_lost, " returns lost, ") : "";
  if (stats->write_status.ok()) {
    std::fprintf(
        stderr, "sysstream: %llu events written to %s, %llu lost, %s%.2f s (%s)\n",
        static_cast<unsigned long long>(stats->events),
        log_is_stream ? "standard output" : opts.log_path.c_str(),
        static_cast<unsigned long long>(stats->lost), returns_lost.c_str(),
        stats->seconds, why.c_str());
  } else {
    // Not all of them reached the log: the last line says how many did.
    std::fprintf(stderr, "sysstream: %llu events, %llu lost, %.2f s (%s)\n",
                 static_cast<unsigned long long>(stats->events),
                 static_cast<unsigned long long>(stats->lost), stats->seconds,
                 why.c_str());
  }
  if (opts.summary) {
    const std::string table = summary.Table(HostArch());
    if (opts.summary_path.empty()) {
      std::fputs(table.c_str(), stderr);
    } else {
      // Through the descriptor opened before tracing (same policy as the
      // log: O_NOFOLLOW, never clobbered without --force, 0640).
      for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
        summary_file->Write(absl::StrCat(line, "\n"));
      }
      summary_file->StopRequested();
      if (absl::Status s = summary_file->Sync(); !s.ok()) {
        return Fail(kLogFile, s);
      }
    }
  }
  if (uint64_t failed = probe.follow_failed(); failed > 0) {
    std::fprintf(stderr,
                 "sysstream: %llu children could not be followed: target "
                 "table full\n",
                 static_cast<unsigned long long>(failed));
  }
  if (!stats->write_status.ok()) {
    std::fprintf(stderr,
                 "sysstream: %s; %llu records written, %llu not written\n",
                 std::string(stats->write_status.message()).c_str(),
                 static_cast<unsigned long long>((*writer)->records_written()),
                 static_cast<unsigned long long>((*writer)->records_dropped()));
    return kWriteFailed;
  }
  if (command) {
    if (std::optional<int> code = command->TryWait(); code.has_value()) {
      return *code;
    }
  }
  return kOk;
}

}  // namespace
}  // namespace sysstream

int main(int argc, char** argv) {
  // Closed standard streams would be reused by the next open(): the log
  // would then receive sysstream's own messages. Make 0-2 valid first.
  bool stdout_closed = false;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      if (fd == STDOUT_FILENO) stdout_closed = true;
      const int null_fd = open("/dev/null", O_RDWR | O_NOFOLLOW);
      if (null_fd < 0) return sysstream::kInternal;
      if (null_fd != fd) {  // cannot happen: the lowest free fd is `fd`
        dup2(null_fd, fd);
        close(null_fd);
      }
    }
  }
  // Under `bazel run`, relative paths mean the user's directory, not the
  // runfiles tree.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
      dir != nullptr) {
    if (chdir(dir) != 0) {
      std::fprintf(stderr, "sysstream: cannot enter %s\n", dir);
      return sysstream::kInternal;
    }
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "decode") {
    args.erase(args.begin());
    for (const std::string& a : args) {
      if (a == "-h" || a == "--help") {
        std::fputs(sysstream::DecodeHelpText().c_str(), stdout);
        return sysstream::kOk;
      }
    }
    // decode's output is standard output: closed, it cannot be written.
    absl::Status s =
        stdout_closed
            ? absl::ResourceExhaustedError(
                  "cannot write the decoded log: standard output is not open")
            : sysstream::RunDecode(args, stdout);
    if (s.ok()) return sysstream::kOk;
    std::fprintf(stderr, "sysstream decode: %s\n",
                 std::string(s.message()).c_str());
    switch (s.code()) {
      case absl::StatusCode::kInvalidArgument:
        return sysstream::kUsage;
      case absl::StatusCode::kDataLoss:
        return sysstream::kMalformedLog;
      case absl::StatusCode::kNotFound:
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kFailedPrecondition:  // a directory
        return sysstream::kLogFile;
      case absl::StatusCode::kResourceExhausted:  // its output
        return sysstream::kWriteFailed;
      default:
        return sysstream::kInternal;
    }
  }
  absl::StatusOr<sysstream::Options> opts = sysstream::ParseOptions(args);
  if (!opts.ok()) {
    std::fprintf(stderr, "sysstream: %s (see 'sysstream --help')\n",
                 std::string(opts.status().message()).c_str());
    return sysstream::kUsage;
  }
  if (opts->help) {
    std::fputs(sysstream::HelpText().c_str(), stdout);
    return sysstream::kOk;
  }
  if (opts->version) {
    std::printf("sysstream %s\n", sysstream::kVersion);
    return sysstream::kOk;
  }
  return sysstream::Run(*opts);
}
