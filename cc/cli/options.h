// SPDX-License-Identifier: Apache-2.0
// Command-line options as plain data. Parsing is a pure function so it can be
// unit-tested without root and without global flag state.
#ifndef SYSSTREAM_CC_CLI_OPTIONS_H_
#define SYSSTREAM_CC_CLI_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cc/sink/log_format.h"

namespace sysstream {

// Linux PID_MAX_LIMIT on 64-bit: no PID can be larger.
inline constexpr int32_t kMaxPid = 4194304;
// Bounds for --ring-size (the BPF ring buffer must be a power-of-two number of
// pages; 1 GiB is far beyond any useful size and keeps the value in 32 bits).
inline constexpr uint64_t kMinRingBytes = uint64_t{4} << 10;
inline constexpr uint64_t kMaxRingBytes = uint64_t{1} << 30;

struct Options {
  std::string log_path = "sysstream.log";  // -f/--file ("-" is stdout)
  bool include_self = false;               // -m/--include-self
  bool verbose = false;                    // -v/--verbose
  bool help = false;                       // -h/--help
  bool version = false;                    // --version
  bool follow = false;                     // -F/--follow
  bool quiet = false;                      // -q/--quiet: no progress line
  // --delimiter, with the escapes \t \n \0 \\ already decoded.
  std::string delimiter = "\t";
  ExistingLog existing = ExistingLog::kAsk;  // --force / --append
  // --ring-size: each ring's size (there is one per CPU), a power of two in
  // [kMinRingBytes, kMaxRingBytes]; 0: chosen by the number of rings.
  uint64_t ring_bytes = 0;
  // --btf: kernel BTF file for kernels without /sys/kernel/btf/vmlinux.
  std::string btf_path;
  // Positional PID_LIST, deduplicated, in first-seen order.
  std::vector<int32_t> pids;
  std::vector<std::string> syscalls;          // -e/--syscalls, repeatable
  std::vector<std::string> exclude_syscalls;  // --exclude, repeatable
  std::vector<std::string> containers;        // -C/--container, repeatable
  std::vector<std::string> pods;              // -p/--pod NS/NAME, repeatable
  std::vector<std::string> cgroups;           // -g/--cgroup PATH, repeatable
  std::string host_root;                      // --host-root; empty: detect
  bool wait = false;                          // -W/--wait for absent containers
  LogFormat format = LogFormat::kRaw;         // --format
  bool timestamps = false;                    // --timestamps
  bool tid = false;                           // --tid
  bool comm = false;                          // --comm
  bool ret = false;                           // --ret
  bool summary = false;                       // -c/--summary
  std::string summary_path;                   // --summary-file; empty: stderr
  int64_t duration_ms = 0;                    // --duration; 0: until stopped
  int64_t kill_after_ms = 5000;               // --kill-after (-- COMMAND)
  uint64_t rotate_bytes = 0;                  // --rotate-size; 0: never
  uint32_t rotate_keep = 5;                   // --rotate-keep
  // Everything after "--", verbatim: the command and its arguments.
  std::vector<std::string> command;
};

// Parses argv[1..]. Errors are InvalidArgument with a one-line message that
// names the offending argument, e.g. "invalid PID 'abc': not a number".
absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args);

// The --help text.
std::string HelpText();

}  // namespace sysstream

#endif  // SYSSTREAM_CC_CLI_OPTIONS_H_
