// SPDX-License-Identifier: Apache-2.0
#include "tests/harness/tracer.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream::harness {

std::string g_sysstream;
std::string g_workload;

namespace {

std::string Absolute(const char* path) {
  char buf[PATH_MAX];
  return realpath(path, buf) != nullptr ? buf : path;
}

// argv for `binary` with `args`.
std::vector<std::string> Command(const std::string& binary,
                                 const std::vector<std::string>& args) {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// The number in sysstream's summary line ("sysstream: N events written to
// F, M lost, S s (why)") that ends just before `before`, searched for from
// the end of `after` ("" for the line's start); -1 if absent.
int64_t SummaryField(const std::string& text, absl::string_view after,
                     absl::string_view before) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, "sysstream: ") ||
        !absl::StrContains(line, " events written to ")) {
      continue;
    }
    size_t at = 0;
    if (!after.empty()) {
      at = line.find(after);
      if (at == absl::string_view::npos) return -1;
      at += after.size();
    }
    const size_t end = line.find(before, at);
    if (end == absl::string_view::npos) return -1;
    absl::string_view digits = line.substr(at, end - at);
    const size_t space = digits.rfind(' ');
    if (space != absl::string_view::npos) digits.remove_prefix(space + 1);
    int64_t v = -1;
    return absl::SimpleAtoi(digits, &v) ? v : -1;
  }
  return -1;
}

}  // namespace

int BpfTestMain(int argc, char** argv,
                const std::function<bool(int argc, char** argv)>& setup) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SYSSTREAM WORKLOAD\n", argv[0]);
    return 2;
  }
  g_sysstream = Absolute(argv[1]);
  g_workload = Absolute(argv[2]);
  const char* skip = nullptr;
  if (geteuid() != 0) {
    skip = "these tests need root (CAP_BPF, CAP_PERFMON)";
  } else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    skip = "kernel has no BTF (/sys/kernel/btf/vmlinux)";
  }
  if (skip != nullptr) {
    std::printf("SKIPPED: %s\n", skip);
    ::testing::GTEST_FLAG(filter) = "-*";
  } else if (setup && !setup(argc, argv)) {
    return 1;
  }
  return RUN_ALL_TESTS();
}

Tracer Tracer::Start(const std::vector<std::string>& args, bool out_to_null) {
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = out_to_null;
  Tracer t;
  t.proc = Spawn(Command(g_sysstream, args), o);
  // Notes may come first; the ready line says tracing has started.
  for (int i = 0; i < 10; ++i) {
    t.ready_line = ReadLine(t.proc.err);
    if (absl::StartsWith(t.ready_line, "sysstream: tracing")) break;
    t.notes += t.ready_line + "\n";
  }
  EXPECT_THAT(t.ready_line, ::testing::HasSubstr("sysstream: tracing"))
      << t.notes;
  return t;
}

void Tracer::Finish() {
  stderr_rest = ReadAll(proc.err);
  close(proc.err);
  proc.err = -1;
  exit_code = Wait(proc.pid);
}

int64_t Tracer::SummaryEvents() const {
  return SummaryField(stderr_rest, "", " events written to ");
}

int64_t Tracer::SummaryLost() const {
  return SummaryField(stderr_rest, ", ", " lost,");
}

bool StallConsumer(pid_t tracer, const std::function<bool()>& wait_for_calls,
                   bool keep_stopped) {
  if (kill(tracer, SIGSTOP) != 0 || !WaitStopped(tracer)) return false;
  const bool made = wait_for_calls();
  const bool continued = keep_stopped || kill(tracer, SIGCONT) == 0;
  return made && continued;
}

Workload Workload::Start(const std::vector<std::string>& args,
                         bool read_first_line) {
  SpawnOptions o;
  o.pipe_in = true;
  o.pipe_out = true;
  Workload w;
  w.proc = Spawn(Command(g_workload, args), o);
  if (read_first_line) w.first_line = ReadLine(w.proc.out);
  WaitBlockedInRead(w.proc.pid);
  return w;
}

void Workload::Poke() { EXPECT_EQ(write(proc.in, "g", 1), 1) << "poke"; }

void Workload::Go() {
  Poke();
  close(proc.in);
  proc.in = -1;
}

int Workload::Finish() {
  if (proc.in >= 0) close(proc.in);
  proc.in = -1;
  const int code = Wait(proc.pid);
  if (proc.out >= 0) close(proc.out);
  proc.out = -1;
  return code;
}

}  // namespace sysstream::harness
