// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/syscall_filter.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sysstream {
namespace {

absl::Status AddAll(Arch arch, const std::vector<std::string>& lists,
                    uint32_t limit, std::set<uint32_t>* out) {
  for (const std::string& list : lists) {
    for (absl::string_view item : absl::StrSplit(list, ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid syscall list '", list, "': empty entry"));
      }
      uint32_t nr;
      if (absl::SimpleAtoi(item, &nr)) {
        if (nr >= limit) {
          return absl::InvalidArgumentError(absl::StrCat(
              "syscall number ", nr, " is out of range (below ", limit, ")"));
        }
      } else if (std::optional<uint32_t> n = SyscallNumber(arch, item); n) {
        nr = *n;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown syscall '", item, "' on ", ArchName(arch)));
      }
      out->insert(nr);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> ResolveSyscallFilter(
    Arch arch, const std::vector<std::string>& include,
    const std::vector<std::string>& exclude, uint32_t limit) {
  if (include.empty() && exclude.empty()) return std::vector<uint32_t>();
  std::set<uint32_t> in, out;
  if (absl::Status s = AddAll(arch, include, limit, &in); !s.ok()) return s;
  if (absl::Status s = AddAll(arch, exclude, limit, &out); !s.ok()) return s;
  if (include.empty()) {
    for (uint32_t nr = 0; nr < limit; ++nr) in.insert(nr);
  }
  std::vector<uint32_t> result;
  for (uint32_t nr : in) {
    if (out.count(nr) == 0) result.push_back(nr);
  }
  if (result.empty()) {
    return absl::InvalidArgumentError(
        "the syscall filter excludes every syscall");
  }
  return result;
}

}  // namespace sysstream
