// SPDX-License-Identifier: Apache-2.0
// Fuzzes the command-line parser (options and PID list): the input is split
// into argv by NUL or newline. Checks the parser's promises on every input:
// an accepted command line holds only valid values (PIDs in 1..kMaxPid, each
// once; a power-of-two ring size in bounds; a non-empty delimiter), and a
// rejected one gets a one-line message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "cc/cli/options.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\0' || c == '\n') {
      args.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) args.push_back(current);

  absl::StatusOr<sysstream::Options> opts = sysstream::ParseOptions(args);
  if (!opts.ok()) {
    Check(opts.status().code() == absl::StatusCode::kInvalidArgument);
    const absl::string_view msg = opts.status().message();
    Check(!msg.empty());
    Check(msg.find('\n') == absl::string_view::npos);
    return 0;
  }
  std::unordered_set<int32_t> seen;
  for (int32_t pid : opts->pids) {
    Check(pid >= 1 && pid <= sysstream::kMaxPid);
    Check(seen.insert(pid).second);
  }
  // 0: not given (the probe picks a size per CPU count).
  Check(opts->ring_bytes == 0 ||
        (opts->ring_bytes >= sysstream::kMinRingBytes &&
         opts->ring_bytes <= sysstream::kMaxRingBytes &&
         (opts->ring_bytes & (opts->ring_bytes - 1)) == 0));
  Check(!opts->delimiter.empty());
  Check(!opts->log_path.empty());
  Check(opts->duration_ms >= 0);
  Check(opts->rotate_bytes == 0 || opts->rotate_bytes >= 4096);
  Check(opts->rotate_keep <= 1000);
  for (const std::string& pod : opts->pods) {
    Check(pod.find('/') != std::string::npos);
  }
  (void)sysstream::HelpText();
  return 0;
}
