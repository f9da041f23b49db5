// SPDX-License-Identifier: Apache-2.0
// `sysstream decode ...`: runs the decode command and picks its exit code.
#ifndef SYSSTREAM_CC_APP_DECODE_MAIN_H_
#define SYSSTREAM_CC_APP_DECODE_MAIN_H_

#include <string>
#include <vector>

namespace sysstream {

// `args` follow "decode". `stdout_closed`: standard output was not open
// when sysstream started (decode's output cannot be written).
int DecodeMain(const std::vector<std::string>& args, bool stdout_closed);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_DECODE_MAIN_H_
