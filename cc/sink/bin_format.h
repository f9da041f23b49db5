// SPDX-License-Identifier: Apache-2.0
// --format bin: a 64-byte self-describing header, then fixed-size
// little-endian records, each a struct sysstream_event exactly as the
// kernel wrote it (kind ENTER/EXIT, or GAP whose `record` is a gap marker).
#ifndef SYSSTREAM_CC_SINK_BIN_FORMAT_H_
#define SYSSTREAM_CC_SINK_BIN_FORMAT_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "bpf/sysstream.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

constexpr char kBinMagic[8] = {'S', 'Y', 'S', 'S', 'T', 'R', 'M', '\n'};
constexpr uint32_t kBinVersion = 1;

// Which rich fields the records carry (BinHeader::fields).
constexpr uint32_t kBinTimestamps = 1;
constexpr uint32_t kBinTid = 2;
constexpr uint32_t kBinComm = 4;
constexpr uint32_t kBinRet = 8;

struct BinHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;  // 64
  uint32_t record_size;  // sizeof(sysstream_event) = 48
  uint32_t arch;         // ELF e_machine: 62 x86_64, 183 arm64
  uint64_t pidns_dev;    // the pid namespace pids are reported in
  uint64_t pidns_ino;
  uint32_t fields;       // BinFields the writer asked for
  uint8_t reserved[20];
};
static_assert(sizeof(BinHeader) == 64, "bin header layout");

inline uint32_t ElfMachine(Arch arch) {
  return arch == Arch::kX86_64 ? 62 : 183;
}

inline std::string MakeBinHeader(Arch arch, uint64_t pidns_dev,
                                 uint64_t pidns_ino, uint32_t fields) {
  BinHeader h = {};
  std::memcpy(h.magic, kBinMagic, sizeof(h.magic));
  h.version = kBinVersion;
  h.header_size = sizeof(BinHeader);
  h.record_size = sizeof(sysstream_event);
  h.arch = ElfMachine(arch);
  h.pidns_dev = pidns_dev;
  h.pidns_ino = pidns_ino;
  h.fields = fields;
  return std::string(reinterpret_cast<const char*>(&h), sizeof(h));
}

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_BIN_FORMAT_H_
