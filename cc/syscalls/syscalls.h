// SPDX-License-Identifier: Apache-2.0
// Syscall number <-> name lookup for the architectures sysstream traces.
//
// The tables are generated at build time from the kernel uapi headers
// (linux-libc-dev) by gen_syscalls.py; nothing here is typed by hand.

#ifndef SYSSTREAM_CC_SYSCALLS_SYSCALLS_H_
#define SYSSTREAM_CC_SYSCALLS_SYSCALLS_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace sysstream {

// kI386 is the table of ia32 (compat) syscalls on x86_64 hosts.
enum class Arch { kX86_64, kArm64, kI386 };

// The architecture this binary was compiled for.
constexpr Arch HostArch() {
#if defined(__x86_64__)
  return Arch::kX86_64;
#elif defined(__aarch64__)
  return Arch::kArm64;
#else
#error "sysstream supports x86_64 and arm64 only"
#endif
}

// "x86_64", "arm64" or "i386".
absl::string_view ArchName(Arch arch);

// Name of syscall `nr` on `arch` (e.g. "openat"), or an empty string_view if
// `nr` is not a syscall there.
absl::string_view SyscallName(Arch arch, uint32_t nr);

// Number of the syscall called `name` on `arch`, or nullopt if there is none.
std::optional<uint32_t> SyscallNumber(Arch arch, absl::string_view name);

struct SyscallEntry {
  uint32_t number;
  absl::string_view name;
};

// Every syscall of `arch`, sorted by number (numbers are unique).
absl::Span<const SyscallEntry> SyscallTable(Arch arch);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SYSCALLS_SYSCALLS_H_
