// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/syscalls.h"

#include <algorithm>

namespace sysstream {
namespace {

// kX86_64ByNumber, kX86_64ByName, kArm64ByNumber, kArm64ByName.
#include "cc/syscalls/syscall_tables.inc"

struct Tables {
  absl::Span<const SyscallEntry> by_number;
  absl::Span<const SyscallEntry> by_name;
};

Tables TablesFor(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return {kX86_64ByNumber, kX86_64ByName};
    case Arch::kArm64:
      return {kArm64ByNumber, kArm64ByName};
    case Arch::kI386:
      return {kI386ByNumber, kI386ByName};
  }
  return {};
}

}  // namespace

absl::string_view ArchName(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return "x86_64";
    case Arch::kArm64:
      return "arm64";
    case Arch::kI386:
      return "i386";
  }
  return "unknown";
}

absl::string_view SyscallName(Arch arch, uint32_t nr) {
  absl::Span<const SyscallEntry> table = TablesFor(arch).by_number;
  auto it = std::lower_bound(
      table.begin(), table.end(), nr,
      [](const SyscallEntry& e, uint32_t n) { return e.number < n; });
  if (it == table.end() || it->number != nr) return {};
  return it->name;
}

std::optional<uint32_t> SyscallNumber(Arch arch, absl::string_view name) {
  absl::Span<const SyscallEntry> table = TablesFor(arch).by_name;
  auto it = std::lower_bound(
      table.begin(), table.end(), name,
      [](const SyscallEntry& e, absl::string_view n) { return e.name < n; });
  if (it == table.end() || it->name != name) return std::nullopt;
  return it->number;
}

absl::Span<const SyscallEntry> SyscallTable(Arch arch) {
  return TablesFor(arch).by_number;
}

}  // namespace sysstream
