// SPDX-License-Identifier: Apache-2.0
// The one registration point of the log formats: name ↔ LogFormat ↔
// Formatter factory. A new format is its Formatter plus one line in
// formats.cc.
#ifndef SYSSTREAM_CC_SINK_FORMATS_H_
#define SYSSTREAM_CC_SINK_FORMATS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cc/sink/formatter.h"
#include "cc/sink/log_format.h"

namespace sysstream {

struct FormatInfo {
  absl::string_view name;               // as --format spells it
  std::optional<LogFormat> log_format;  // unset: `decode` only (summary)
  bool decode;                          // `sysstream decode` prints it
  std::unique_ptr<Formatter> (*make)(const FormatterOptions& options,
                                     FormatOutput& out);
};

// Who asks for a format: the stream (`--format`) or `sysstream decode`.
enum class FormatUse { kStream, kDecode };

// The formats `use` accepts, its default first (raw for the stream, text
// for decode), as help texts and errors list them.
std::vector<const FormatInfo*> FormatsFor(FormatUse use);

// The format named `name` that `use` accepts, or null.
const FormatInfo* FindFormat(absl::string_view name, FormatUse use);

// The format the stream writes for `format` (every LogFormat has one).
const FormatInfo& FormatOf(LogFormat format);

// The names of FormatsFor(use): "raw, text, jsonl or bin" with (", ",
// " or "), "text|jsonl|summary|raw" with ("|", "|").
std::string FormatNames(FormatUse use, absl::string_view separator,
                        absl::string_view last_separator);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_FORMATS_H_
