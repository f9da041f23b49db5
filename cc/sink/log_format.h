// SPDX-License-Identifier: Apache-2.0
// The log's format and what to do with a log that already exists: sink's
// vocabulary, which the command line (cc/cli) fills in.
#ifndef SYSSTREAM_CC_SINK_LOG_FORMAT_H_
#define SYSSTREAM_CC_SINK_LOG_FORMAT_H_

namespace sysstream {

// What to do when the log file already exists.
enum class ExistingLog {
  kAsk,        // ask on a terminal, refuse otherwise (default)
  kOverwrite,  // --force
  kAppend,     // --append
};

enum class LogFormat { kRaw, kText, kJsonl, kBin };

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_LOG_FORMAT_H_
