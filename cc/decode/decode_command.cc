// SPDX-License-Identifier: Apache-2.0
#include "cc/decode/decode_command.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cc/sink/decode.h"
#include "cc/sink/event.h"
#include "cc/sink/summary.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

std::string DecodeHelpText() {
  return R"(Usage: sysstream decode [--format text|jsonl|summary|raw]
                        [--arch x86_64|arm64] [FILE|-]

Reads a raw sysstream log (or one written by the original utility) from
FILE or standard input and prints it: text (default: one line per event),
jsonl (one JSON object per line), summary (calls per pid and syscall) or raw
(re-delimited by tabs). --arch names the syscalls of another machine's log
(default: this machine's). Gap markers print as "-- N records lost --".
A malformed or truncated record stops decoding with an error that names its
byte offset (exit status 11), after everything before it was printed.
)";
}

absl::Status RunDecode(const std::vector<std::string>& args, std::FILE* out) {
  std::string format = "text";
  Arch arch = HostArch();
  std::string path = "-";
  bool have_path = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    auto take = [&](const char* name) -> absl::Status {
      const std::string eq = absl::StrCat(name, "=");
      if (absl::StartsWith(arg, eq)) {
        value = arg.substr(eq.size());
        return absl::OkStatus();
      }
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("option '", name, "' requires an argument"));
      }
      value = args[++i];
      return absl::OkStatus();
    };
    if (arg == "--format" || absl::StartsWith(arg, "--format=")) {
      if (absl::Status s = take("--format"); !s.ok()) return s;
      if (value != "text" && value != "jsonl" && value != "summary" &&
          value != "raw") {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid format '", value,
            "': expected text, jsonl, summary or raw"));
      }
      format = value;
    } else if (arg == "--arch" || absl::StartsWith(arg, "--arch=")) {
      if (absl::Status s = take("--arch"); !s.ok()) return s;
      if (value == "x86_64" || value == "amd64") {
        arch = Arch::kX86_64;
      } else if (value == "arm64" || value == "aarch64") {
        arch = Arch::kArm64;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid arch '", value, "': expected x86_64 or arm64"));
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown decode option '", arg, "'"));
    } else if (have_path) {
      return absl::InvalidArgumentError("decode takes one FILE");
    } else {
      path = arg;
      have_path = true;
    }
  }

  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      const std::string msg =
          absl::StrCat("cannot read '", path, "': ", std::strerror(errno));
      return errno == ENOENT ? absl::NotFoundError(msg)
                             : absl::PermissionDeniedError(msg);
    }
    in = &file;
  }
  SyscallSummary summary;
  std::string line;
  absl::Status status = DecodeRawLog(*in, [&](uint64_t record) {
    const Event e = EventFromRecord(record);
    if (format == "summary") {
      summary.Add(e);
      return;
    }
    if (format == "raw") {
      line = absl::StrCat(absl::Hex(record), "\t");
    } else {
      line = format == "text" ? FormatText(e, arch) : FormatJson(e, arch);
      line += '\n';
    }
    std::fwrite(line.data(), 1, line.size(), out);
  });
  if (format == "summary") {
    const std::string table = summary.Table(arch);
    std::fwrite(table.data(), 1, table.size(), out);
  }
  std::fflush(out);
  return status;
}

}  // namespace sysstream
