// SPDX-License-Identifier: Apache-2.0
#include "cc/app/decode_main.h"

#include <cstdio>

#include "absl/status/status.h"
#include "cc/app/exit_code.h"
#include "cc/decode/decode_command.h"

namespace sysstream {

int DecodeMain(const std::vector<std::string>& args, bool stdout_closed) {
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(DecodeHelpText().c_str(), stdout);
      return kOk;
    }
  }
  absl::Status s =
      stdout_closed
          ? absl::ResourceExhaustedError(
                "cannot write the decoded log: standard output is not open")
          : RunDecode(args, stdout);
  if (s.ok()) return kOk;
  std::fprintf(stderr, "sysstream decode: %s\n",
               std::string(s.message()).c_str());
  return DecodeExitCode(s);
}

}  // namespace sysstream
