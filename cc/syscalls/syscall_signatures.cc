// SPDX-License-Identifier: Apache-2.0
#include "cc/syscalls/syscall_signatures.h"

#include <algorithm>

namespace sysstream {
namespace {

// kX86_64Args, kX86_64Signatures, kArm64Args, kArm64Signatures.
#include "cc/syscalls/syscall_signature_table.inc"

}  // namespace

absl::Span<const SyscallSignature> SignatureTable(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return kX86_64Signatures;
    case Arch::kArm64:
      return kArm64Signatures;
    case Arch::kI386:
      // ia32 tasks enter compat_sys_* entry points, whose prototypes
      // (linux/compat.h) are not parsed yet.
      return {};
  }
  return {};
}

const SyscallSignature* FindSignature(Arch arch, absl::string_view name) {
  absl::Span<const SyscallSignature> table = SignatureTable(arch);
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const SyscallSignature& s,
                                absl::string_view n) { return s.name < n; });
  if (it == table.end() || it->name != name) return nullptr;
  return &*it;
}

const SyscallSignature* FindSignature(Arch arch, uint32_t nr) {
  absl::string_view name = SyscallName(arch, nr);
  if (name.empty()) return nullptr;
  return FindSignature(arch, name);
}

}  // namespace sysstream
