// SPDX-License-Identifier: Apache-2.0
// --append safety: before anything is traced, the existing log must be of
// the format about to be written and end on a record boundary, so that new
// records are never glued to a torn one or mixed into another format.
#ifndef SYSSTREAM_CC_SINK_APPEND_CHECK_H_
#define SYSSTREAM_CC_SINK_APPEND_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cc/sink/log_format.h"

namespace sysstream {

// The format an existing log's first bytes show: bin (its magic), jsonl
// ('{'), raw (hex digits and delimiters only) or text.
LogFormat DetectLogFormat(absl::string_view head);

// OK if `path` is missing, empty, not a regular file, or a log of `format`
// ending on a whole record (for bin: with the same header as `bin_header`,
// i.e. machine, pid namespace and fields). Otherwise FailedPrecondition
// with a one-line message that says what is wrong and how to go on (the
// byte offset to truncate a torn tail at, or --force).
absl::Status CheckAppendable(const std::string& path, LogFormat format,
                             absl::string_view bin_header);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_APPEND_CHECK_H_
