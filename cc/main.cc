// SPDX-License-Identifier: Apache-2.0
// sysstream: stream every system call of chosen processes into a log file.
// main() only wires, top to bottom: parse → resolve → check the log's place
// → create the probe → attach → stream → summarize (steps: cc/app, below).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bpf/sysstream.h"
#include "cc/app/decode_main.h"
#include "cc/app/exit_code.h"
#include "cc/app/outputs.h"
#include "cc/app/probe_config.h"
#include "cc/app/report.h"
#include "cc/app/run_steps.h"
#include "cc/app/watch_cgroups.h"
#include "cc/cli/options.h"
#include "cc/cli/prompt.h"
#include "cc/common/std_stream.h"
#include "cc/sink/bin_format.h"
#include "cc/stream/stream.h"
#include "cc/syscalls/syscall_filter.h"
#include "cc/syscalls/syscalls.h"
#include "cc/target/command.h"
#include "cc/target/resolve.h"
#include "cc/target/target.h"

namespace sysstream {
namespace {

constexpr char kVersion[] = "0.1.0";

// What to trace, from the options and the environment: DOCKER_HOST,
// CONTAINERS_STORAGE_CONF and PATH, read here and nowhere else.
TargetSpec MakeTargetSpec(const Options& opts) {
  auto env = [](const char* name, const char* otherwise = "") {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : otherwise);
  };
  TargetSpec spec;
  spec.pids = opts.pids;
  spec.self_pid = static_cast<uint32_t>(getpid());
  spec.include_self = opts.include_self;
  if (!opts.command.empty()) spec.command = opts.command[0];
  spec.search_path = env("PATH", kDefaultSearchPath);
  spec.containers = opts.containers;
  spec.pods = opts.pods;
  spec.cgroups = opts.cgroups;
  spec.runtime.host_root = opts.host_root;  // empty: detected
  spec.runtime.docker_host = env("DOCKER_HOST");
  spec.runtime.storage_conf = env("CONTAINERS_STORAGE_CONF");
  spec.wait = opts.wait;
  spec.on_wait = SayWaiting;
  return spec;
}

int Run(Options opts) {
  sigset_t child_mask;
  if (absl::Status s = BlockStreamSignals(&child_mask); !s.ok())
    return Fail(kInternal, s);

  // 1. Targets, before anything touches the kernel or the log. The host's
  //    cgroup2 view is the one step with side effects (setns, mount).
  TargetSpec spec = MakeTargetSpec(opts);
  absl::StatusOr<CgroupView> view = PrepareCgroupView(spec);
  if (!view.ok()) return Fail(TargetExitCode, view.status());
  spec.view = *view;
  absl::StatusOr<TargetSet> targets = ResolveTargets(spec);
  if (!targets.ok()) return Fail(TargetExitCode, targets.status());
  if (targets->stop_signal != 0) {
    Say(WaitStoppedLine(targets->stop_signal));
    return kOk;
  }
  for (const std::string& note : targets->notes) Say(note);
  std::vector<uint32_t> pids = targets->tgids;
  const bool has_cgroups = !targets->cgroups.empty();
  const bool trace_all = pids.empty() && opts.command.empty() && !has_cgroups;
  if (targets->follow) opts.follow = true;
  absl::StatusOr<std::vector<uint32_t>> syscalls = ResolveSyscallFilter(
      HostArch(), opts.syscalls, opts.exclude_syscalls, SYSSTREAM_MAX_SYSCALLS);
  if (!syscalls.ok()) return Fail(kUsage, syscalls.status());

  // 2. The log's place (and the summary file's), checked (not yet created).
  const uint32_t fields =
      RichFields(opts.timestamps, opts.tid, opts.comm, opts.ret, opts.format);
  const std::string bin_header =
      MakeBinHeader(HostArch(), targets->pidns.dev, targets->pidns.ino, fields);
  OutputPaths outputs = {opts.log_path, opts.existing, opts.summary_path,
                         opts.existing, opts.format,   bin_header};
  if (int code = CheckOutputPaths(&outputs, AskYesNo)) return code;
  const std::optional<int> log_stream = StandardStreamFd(opts.log_path);

  // 3. Load the BPF program.
  const TraceChoices choices = {
      trace_all,     opts.follow,     opts.include_self,
      spec.self_pid, opts.ring_bytes, opts.btf_path,
      *syscalls,     fields,          opts.ret};
  absl::StatusOr<std::unique_ptr<Probe>> probe_or = Probe::Create(
      MakeProbeOptions(choices, targets->cgroups, targets->pidns));
  if (!probe_or.ok()) return Fail(ProbeExitCode, probe_or.status());
  Probe& probe = **probe_or;

  // 4. The command, held before its execve.
  absl::StatusOr<std::unique_ptr<HeldCommand>> command =
      StartCommand(targets->command_path, opts.command, child_mask,
                   /*stdout_to_stderr=*/log_stream == STDOUT_FILENO);
  if (!command.ok()) return Fail(kInternal, command.status());

  // 5. Fill the filter and attach; records wait in the ring meanwhile.
  std::vector<uint32_t> filter = pids;
  if (opts.include_self && !trace_all) filter.push_back(spec.self_pid);
  absl::Status attached =
      FillAndAttach(probe, trace_all, filter, command->get(), &pids);
  if (!attached.ok()) return Fail(ProbeExitCode, attached);

  // 6. Let the command run (its execve is the first record), then create
  //    the log: only now is everything known to work.
  absl::Status released = *command ? (*command)->Release() : absl::OkStatus();
  if (!released.ok()) return Fail(CommandExitCode, released);
  absl::StatusOr<OutputFiles> files = OpenOutputFiles(outputs);
  if (!files.ok()) return Fail(kLogFile, files.status());
  LogWriter& writer = *files->log;

  // 7. The consumer's priority up; from here on it needs no privilege.
  if (absl::Status s = BecomeConsumer(); !s.ok())
    return Fail(kInternal, s);
  const std::string log_name = LogName(opts.log_path);
  Say(TracingLine({trace_all, pids.size(), targets->cgroups.size(),
                   opts.follow, opts.verbose ? RingLayoutText(probe.layout()) : ""},
                  log_name));
  absl::Status ready =
      PrepareLog(writer, opts.rotate_bytes, opts.rotate_keep,
                 opts.format == LogFormat::kBin ? bin_header : "");
  if (!ready.ok()) return Fail(kWriteFailed, ready);
  SyscallSummary summary;
  StreamOptions sopts = MakeStreamOptions(
      {opts.format, fields, opts.delimiter, opts.duration_ms, opts.verbose,
       opts.quiet, log_stream == STDOUT_FILENO, opts.kill_after_ms},
      opts.summary ? &summary : nullptr);
  // A cgroup lives on while its processes come and go: run until stopped or
  // every traced cgroup is gone (new ones found meanwhile are traced too).
  sopts.stop_when_targets_gone = !trace_all && !has_cgroups;
  std::unique_ptr<CgroupWatcher> watcher;
  if (has_cgroups && !trace_all) {
    watcher = WatchNamedCgroups(spec, *targets, probe);
    sopts.cgroups_gone = [&watcher] { return watcher->AllGone(); };
  }
  if (*command) sopts.command = ControlOf(**command);
  absl::StatusOr<StreamStats> stats = RunStream(probe, writer, sopts);
  if (!stats.ok()) return Fail(kInternal, stats.status());

  // 8. Summarize.
  return FinishRun(
      *stats, writer,
      {log_name, opts.ret, command->get(), opts.summary ? &summary : nullptr,
       files->summary.get(), probe.follow_failed()});
}

}  // namespace
}  // namespace sysstream

int main(int argc, char** argv) {
  bool stdout_closed = false;
  if (!sysstream::OpenStandardStreams(&stdout_closed))
    return sysstream::kInternal;
  // Under `bazel run`, relative paths mean the user's directory, not the
  // runfiles tree.
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (dir != nullptr && chdir(dir) != 0) {
    sysstream::Say(absl::StrCat("cannot enter ", dir));
    return sysstream::kInternal;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "decode") {
    return sysstream::DecodeMain({args.begin() + 1, args.end()}, stdout_closed);
  }
  absl::StatusOr<sysstream::Options> opts = sysstream::ParseOptions(args);
  if (!opts.ok()) {
    sysstream::Say(
        absl::StrCat(opts.status().message(), " (see 'sysstream --help')"));
    return sysstream::kUsage;
  }
  if (opts->help || opts->version) {
    const std::string text =
        opts->help ? sysstream::HelpText()
                   : absl::StrCat("sysstream ", sysstream::kVersion, "\n");
    std::fputs(text.c_str(), stdout);
    return sysstream::kOk;
  }
  return sysstream::Run(*opts);
}
