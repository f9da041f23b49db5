// SPDX-License-Identifier: Apache-2.0
// Syscall argument signatures (names, C types, a decoding class) for x86_64
// and arm64, generated at build time from the kernel's own prototypes
// (include/linux/syscalls.h of Debian's linux-headers-*-common, selected per
// arch by the kernel config) by gen_signatures.py; nothing here is typed by
// hand. The first building block of strace-style argument decoding.

#ifndef SYSSTREAM_CC_SYSCALLS_SYSCALL_SIGNATURES_H_
#define SYSSTREAM_CC_SYSCALLS_SYSCALL_SIGNATURES_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

// How a decoder should read one argument register.
enum class ArgKind : uint8_t {
  kSignedInt,    // int, long, pid_t, loff_t, enums: `size` bytes, signed
  kUnsignedInt,  // unsigned int, size_t, umode_t, u32, ...: `size` bytes
  kPointer,      // any address (user memory if user_pointer)
  // A NUL-terminated string in user memory: a `[const] char __user *` whose
  // name says it is one (filename, pathname, path, oldname, newname, ...;
  // the list is USER_STRING_NAMES in gen_signatures.py). Byte buffers such
  // as write's `buf` are kPointer.
  kUserString,
};

struct SyscallArg {
  absl::string_view name;  // as the kernel names it: "dfd", "filename"
  // C type without sparse annotations: "const char *" for
  // `const char __user *`, "umode_t", "const char *const *".
  absl::string_view type;
  ArgKind kind;
  uint8_t size;       // bytes the kernel reads: 4 for int, 8 for long/pointer
  bool user_pointer;  // the prototype marks it __user (pointee in user memory)
};

enum class SignatureStatus : uint8_t {
  kKnown,           // args hold the prototype's arguments
  kNotImplemented,  // the table slot is sys_ni_syscall: always -ENOSYS
  kUnknown,         // the entry point has no prototype in the kernel headers
                    // (x86's arch_prctl, iopl, modify_ldt): args is empty
};

struct SyscallSignature {
  absl::string_view name;         // syscall name: "stat"
  absl::string_view entry;        // kernel entry point: "sys_newstat"
  absl::string_view return_type;  // "long" (empty if kUnknown)
  absl::Span<const SyscallArg> args;
  SignatureStatus status;

  bool known() const { return status == SignatureStatus::kKnown; }
};

// The signature of syscall `nr` on `arch`, or nullptr if `nr` is not a
// syscall there or `arch` has no signature table (kI386).
const SyscallSignature* FindSignature(Arch arch, uint32_t nr);

// The same, by name ("openat").
const SyscallSignature* FindSignature(Arch arch, absl::string_view name);

// One entry per syscall of SyscallTable(arch), sorted by name; empty for
// kI386.
absl::Span<const SyscallSignature> SignatureTable(Arch arch);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SYSCALLS_SYSCALL_SIGNATURES_H_
