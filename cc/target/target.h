// SPDX-License-Identifier: Apache-2.0
// Turns what the user named into processes to trace. No libbpf here.
#ifndef SYSSTREAM_CC_TARGET_TARGET_H_
#define SYSSTREAM_CC_TARGET_TARGET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace sysstream {

// What /proc/PID/status says that matters here.
struct ProcStatus {
  uint32_t tgid = 0;
  char state = '?';  // R, S, D, Z, X, ...
};

// Parses the text of /proc/PID/status.
absl::StatusOr<ProcStatus> ParseProcStatus(absl::string_view text);

// Whether the text of /proc/PID/stat is a kernel thread's (PF_KTHREAD).
bool IsKernelThreadStat(absl::string_view stat);

// Resolves user-given pids (process or thread ids, as seen from sysstream's
// pid namespace) to distinct process ids. NotFound names the first missing
// or already exited one, or a kernel thread.
absl::StatusOr<std::vector<uint32_t>> ResolvePids(
    absl::Span<const int32_t> pids, const std::string& proc = "/proc");

// True while the process exists and is not a zombie.
bool ProcessAlive(uint32_t pid);

// sysstream's own pid namespace.
struct PidNamespace {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool initial = true;  // the host's: no translation needed
};

// PROC_PID_INIT_INO: the inode number of the initial pid namespace.
constexpr uint64_t kInitialPidNamespaceIno = 0xEFFFFFFCULL;

absl::StatusOr<PidNamespace> CurrentPidNamespace(
    const std::string& proc = "/proc");

}  // namespace sysstream

#endif  // SYSSTREAM_CC_TARGET_TARGET_H_
