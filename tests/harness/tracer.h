// SPDX-License-Identifier: Apache-2.0
// Runs of the real sysstream binary on a workload, both started as child
// processes, for the tests that load sysstream's BPF program into the
// running kernel (//tests/integration, //tests/reliability).
#ifndef SYSSTREAM_TESTS_HARNESS_TRACER_H_
#define SYSSTREAM_TESTS_HARNESS_TRACER_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/harness/process.h"

namespace sysstream::harness {

// The binaries under test, as absolute paths (tests start them from other
// namespaces and directories too); set by BpfTestMain.
extern std::string g_sysstream;
extern std::string g_workload;

// main() of a test binary run as `TEST [GTEST_FLAGS] SYSSTREAM WORKLOAD
// [MORE...]`: sets g_sysstream and g_workload, then runs the tests, or none
// (saying why) when not root or without kernel BTF, since BPF would not
// load. When they run, `setup` (if given) first gets the arguments gtest
// left; false from it fails the run.
int BpfTestMain(int argc, char** argv,
                const std::function<bool(int argc, char** argv)>& setup = {});

// A running sysstream, waited for until its "sysstream: tracing" line.
struct Tracer {
  Child proc;               // stderr piped
  std::string ready_line;   // "sysstream: tracing ..." (or a test failure)
  std::string notes;        // stderr lines before the ready line
  std::string stderr_rest;  // stderr after the ready line, read by Finish()
  int exit_code = -1;       // set by Finish()

  // Starts g_sysstream with `args`; its stdout goes to /dev/null if
  // `out_to_null`, else to this process's.
  static Tracer Start(const std::vector<std::string>& args,
                      bool out_to_null = false);
  // Reads the rest of its stderr and waits for it to exit.
  void Finish();
  // From "sysstream: N events written to ..., M lost, ..." in stderr_rest
  // (-1 if absent).
  int64_t SummaryEvents() const;
  int64_t SummaryLost() const;
};

// Makes the ring overflow for certain, whatever the machine's speed: stops
// `tracer` (SIGSTOP) and, once it is stopped, calls `wait_for_calls`, which
// blocks until the workload has made enough calls to overflow the ring
// (e.g. WaitGrown, WaitCpuTicks); then continues the tracer unless
// `keep_stopped`. False if the tracer did not stop or continue, or
// `wait_for_calls` returned false.
bool StallConsumer(pid_t tracer, const std::function<bool()>& wait_for_calls,
                   bool keep_stopped = false);

// A workload (g_workload) blocked in read(2) on its stdin before its
// measured part, so that all of that part is traced.
struct Workload {
  Child proc;              // stdin and stdout piped
  std::string first_line;  // what it printed first, if Start read it

  // Starts it with `args` and waits until it blocks (WaitBlockedInRead),
  // first reading the line it prints before that if `read_first_line`.
  static Workload Start(const std::vector<std::string>& args,
                        bool read_first_line = false);
  // Writes one byte to its stdin (the first releases it).
  void Poke();
  // Releases it and closes its stdin: it runs to its end.
  void Go();
  // Closes its stdin (if still open), waits for it and closes its stdout;
  // its exit code (Wait).
  int Finish();
};

}  // namespace sysstream::harness

#endif  // SYSSTREAM_TESTS_HARNESS_TRACER_H_
