// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/errno_names.h"

#include <algorithm>

namespace sysstream {
namespace {

struct ErrnoEntry {
  int number;
  absl::string_view name;
};

// kErrnoNames, sorted by number.
#include "cc/syscalls/errno_table.inc"

}  // namespace

absl::string_view ErrnoName(int64_t err) {
  const auto* end = kErrnoNames + sizeof(kErrnoNames) / sizeof(*kErrnoNames);
  const auto* it = std::lower_bound(
      kErrnoNames, end, err,
      [](const ErrnoEntry& e, int64_t n) { return e.number < n; });
  if (it == end || it->number != err) return {};
  return it->name;
}

}  // namespace sysstream
