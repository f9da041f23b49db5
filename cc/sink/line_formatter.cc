// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/line_formatter.h"

namespace sysstream {

void LineFormatter::Emit(const Event& event) {
  line_ = format_(event, arch_);
  line_ += '\n';
  out_.Write(line_);
}

}  // namespace sysstream
