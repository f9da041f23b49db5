// SPDX-License-Identifier: Apache-2.0
// The summary as a consumer of the same events: -c counts into the
// stream's SyscallSummary (main prints it); `decode --format summary`
// writes the table at the end.
#ifndef SYSSTREAM_CC_SINK_SUMMARY_FORMATTER_H_
#define SYSSTREAM_CC_SINK_SUMMARY_FORMATTER_H_

#include "cc/sink/event_formatter.h"
#include "cc/sink/summary.h"

namespace sysstream {

class SummaryFormatter final : public EventFormatter {
 public:
  // Counts into `summary`, writes nothing.
  SummaryFormatter(uint32_t fields, SyscallSummary& summary)
      : EventFormatter(fields), summary_(summary) {}
  // Counts, and at Finish writes the table (syscalls of options.arch).
  SummaryFormatter(const FormatterOptions& options, FormatOutput& out)
      : EventFormatter(options.fields),
        summary_(own_),
        arch_(options.arch),
        out_(&out) {}

  void Finish(std::optional<uint64_t> returns_lost) override;

 private:
  void Emit(const Event& event) override { summary_.Add(event); }

  SyscallSummary own_;
  SyscallSummary& summary_;
  const Arch arch_ = HostArch();
  FormatOutput* const out_ = nullptr;  // null: no table
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_SUMMARY_FORMATTER_H_
