// SPDX-License-Identifier: Apache-2.0
// --format text and jsonl: one line per event, by FormatText or FormatJson
// (event.h).
#ifndef SYSSTREAM_CC_SINK_LINE_FORMATTER_H_
#define SYSSTREAM_CC_SINK_LINE_FORMATTER_H_

#include <string>

#include "cc/sink/event_formatter.h"

namespace sysstream {

class LineFormatter final : public EventFormatter {
 public:
  // The line of one event, without its newline.
  using LineFormat = std::string (*)(const Event& event, Arch arch);

  LineFormatter(LineFormat format, const FormatterOptions& options,
                FormatOutput& out)
      : EventFormatter(options.fields),
        format_(format),
        arch_(options.arch),
        out_(out) {}

 private:
  void Emit(const Event& event) override;

  const LineFormat format_;
  const Arch arch_;
  FormatOutput& out_;
  std::string line_;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_LINE_FORMATTER_H_
