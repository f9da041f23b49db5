// SPDX-License-Identifier: Apache-2.0
// `sysstream decode [--format text|jsonl|summary|raw] [--arch ARCH] [FILE|-]`
#ifndef SYSSTREAM_CC_DECODE_DECODE_COMMAND_H_
#define SYSSTREAM_CC_DECODE_DECODE_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sysstream {

// Runs the decode command on args after "decode", writing to `out`.
// InvalidArgument: bad usage; NotFound/PermissionDenied: cannot open the
// file; FailedPrecondition: it is a directory; DataLoss: malformed log (the
// message names the byte offset); ResourceExhausted: `out` cannot be
// written (closed, a full disk, /dev/full).
absl::Status RunDecode(const std::vector<std::string>& args, std::FILE* out);

std::string DecodeHelpText();

}  // namespace sysstream

#endif  // SYSSTREAM_CC_DECODE_DECODE_COMMAND_H_
