// SPDX-License-Identifier: Apache-2.0
// The kernel's BPF objects (programs, maps, links), looked at through bpf(2)
// itself and /proc/PID/fdinfo: what sysstream holds, and what is left of it.
#ifndef SYSSTREAM_TESTS_RELIABILITY_BPF_OBJECTS_H_
#define SYSSTREAM_TESTS_RELIABILITY_BPF_OBJECTS_H_

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>

namespace reliability {

enum class BpfKind { kProg, kMap, kLink };

// Ids of every object of `kind` in the kernel now.
std::set<uint32_t> BpfIds(BpfKind kind);
// True while the object exists.
bool BpfExists(BpfKind kind, uint32_t id);
// Name of a program or map ("" if gone or a link).
std::string BpfName(BpfKind kind, uint32_t id);
// The programs / maps that now have one of `names`.
std::set<uint32_t> IdsNamed(BpfKind kind, const std::set<std::string>& names);
// The BPF objects a process holds open, from /proc/PID/fdinfo.
struct HeldObjects {
  std::set<uint32_t> progs, maps, links;
};
HeldObjects HeldBy(pid_t pid);
// ...by any process now.
HeldObjects HeldByAnyProcess();
// Number of keys in a hash map (4-byte keys), or -1.
int64_t MapEntries(uint32_t map_id);
// The map named `name` among those `pid` holds (0 if none).
uint32_t HeldMapNamed(pid_t pid, const std::string& name);

// sysstream's programs and maps (bpf/sysstream.bpf.c), as the kernel names
// them (16 characters at most).
extern const std::set<std::string> kSysstreamProgNames;
extern const std::set<std::string> kSysstreamMapNames;

}  // namespace reliability

#endif  // SYSSTREAM_TESTS_RELIABILITY_BPF_OBJECTS_H_
