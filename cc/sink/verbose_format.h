// SPDX-License-Identifier: Apache-2.0
// -v: one readable line per event.
#ifndef SYSSTREAM_CC_SINK_VERBOSE_FORMAT_H_
#define SYSSTREAM_CC_SINK_VERBOSE_FORMAT_H_

#include <cstdint>
#include <string>

namespace sysstream {

// "pid 31996  getrusage(98)  7cfc00000062\n", or for a gap marker
// "-- gap: 12 records lost --  ffffffff0000000c\n". Unknown syscall
// numbers print as "syscall_NNN".
std::string FormatVerbose(uint64_t record);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_VERBOSE_FORMAT_H_
