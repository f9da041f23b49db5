// SPDX-License-Identifier: Apache-2.0
#include "cc/target/proc_stat.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cc/common/file_io.h"

namespace sysstream {

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos ||
      close < open) {
    return absl::InvalidArgumentError("stat has no (comm)");
  }
  // After the comm: state ppid pgrp session tty_nr tpgid flags ...
  const std::vector<absl::string_view> fields =
      absl::StrSplit(text.substr(close + 1), ' ', absl::SkipEmpty());
  ProcStat st;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &st.ppid)) {
    return absl::InvalidArgumentError("stat has no state and ppid");
  }
  st.state = fields[0][0];
  if (fields.size() > 6 && !absl::SimpleAtoi(fields[6], &st.flags)) {
    st.flags = 0;
  }
  return st;
}

absl::StatusOr<ProcStat> ReadProcStat(uint32_t pid, const std::string& proc) {
  absl::StatusOr<std::string> text =
      ReadFile(absl::StrCat(proc, "/", pid, "/stat"));
  if (!text.ok()) return text.status();
  absl::StatusOr<ProcStat> st = ParseProcStat(*text);
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reading ", proc, "/", pid, "/stat: ", st.status().message()));
  }
  return st;
}

}  // namespace sysstream
