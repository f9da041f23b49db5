// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/summary_formatter.h"

namespace sysstream {

void SummaryFormatter::Finish(std::optional<uint64_t> returns_lost) {
  EventFormatter::Finish(returns_lost);
  if (out_ != nullptr) out_->Write(summary_.Table(arch_));
}

}  // namespace sysstream
