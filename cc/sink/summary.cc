// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/summary.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sysstream {

void SyscallSummary::Add(const Event& e) {
  if (e.lost > 0) {
    lost_ += e.lost;
    return;
  }
  if (e.skipped > 0) {
    maybe_missing_ += e.skipped;
    return;
  }
  const uint64_t key = (static_cast<uint64_t>(e.pid) << 32) | RecordNumber(e);
  Row& row = rows_[key];
  ++row.calls;
  ++calls_;
  if (e.return_lost) {
    has_ret_ = true;
    ++returns_lost_;
  }
  if (e.ret) {
    has_ret_ = true;
    if (*e.ret < 0 && *e.ret >= -4095) ++row.errors;
  }
  if (e.duration_ns) {
    has_time_ = true;
    row.time_ns += *e.duration_ns;
  }
}

std::string SyscallSummary::Table(Arch arch) const {
  std::vector<std::pair<uint64_t, Row>> sorted(rows_.begin(), rows_.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if ((a.first >> 32) != (b.first >> 32)) return a.first < b.first;
    if (a.second.calls != b.second.calls) return a.second.calls > b.second.calls;
    return a.first < b.first;
  });
  std::string out = absl::StrFormat("%10s  %-24s %12s", "PID", "SYSCALL",
                                    "CALLS");
  if (has_ret_) absl::StrAppend(&out, absl::StrFormat(" %10s", "ERRORS"));
  if (has_time_) absl::StrAppend(&out, absl::StrFormat(" %14s", "SECONDS"));
  out += "\n";
  for (const auto& [key, row] : sorted) {
    Event e = EventFromRecord(key);
    absl::StrAppend(&out, absl::StrFormat("%10d  %-24s %12d", e.pid,
                                          SyscallLabel(e, arch), row.calls));
    if (has_ret_) absl::StrAppend(&out, absl::StrFormat(" %10d", row.errors));
    if (has_time_) {
      absl::StrAppend(&out, absl::StrFormat(" %14.6f", row.time_ns / 1e9));
    }
    out += "\n";
  }
  absl::StrAppend(&out, absl::StrFormat("%10s  %-24s %12d\n", "", "total",
                                        calls_));
  absl::StrAppend(&out, absl::StrFormat("%10s  %-24s %12d\n", "", "lost",
                                        lost_));
  if (maybe_missing_ > 0) {
    absl::StrAppend(&out, absl::StrFormat("%10s  %-24s %12d\n", "",
                                          "may be missing (up to)", maybe_missing_));
  }
  // Calls counted in "total" whose return value is unknown: not lost calls.
  if (has_ret_) {
    absl::StrAppend(&out, absl::StrFormat("%10s  %-24s %12d\n", "",
                                          "returns lost", returns_lost_));
  }
  return out;
}

}  // namespace sysstream
