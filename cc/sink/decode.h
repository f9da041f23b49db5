// SPDX-License-Identifier: Apache-2.0
// Reading raw logs back: the original utility's and sysstream's.
#ifndef SYSSTREAM_CC_SINK_DECODE_H_
#define SYSSTREAM_CC_SINK_DECODE_H_

#include <cstdint>
#include <functional>
#include <istream>

#include "absl/status/status.h"

namespace sysstream {

// Reads whitespace-separated hex records (any of tab, newline, space, as
// the delimiter may be), calling `visit` for each in order. A record that
// is not hex, or is longer than 16 digits, or a last record not followed by
// a delimiter (a torn write) is a DataLoss error that names the byte offset
// and record number; the records before it have been visited.
absl::Status DecodeRawLog(std::istream& in,
                          const std::function<void(uint64_t)>& visit);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_DECODE_H_
