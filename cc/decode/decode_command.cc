// SPDX-License-Identifier: Apache-2.0
#include "cc/decode/decode_command.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/decode.h"
#include "cc/sink/pairing.h"
#include "cc/sink/event.h"
#include "cc/sink/summary.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

std::string DecodeHelpText() {
  return R"(Usage: sysstream decode [--format text|jsonl|summary|raw]
                        [--arch x86_64|arm64] [FILE|-]

Reads a raw or bin sysstream log (or a raw one written by the original
utility) from FILE or standard input and prints it: text (default: one line per event),
jsonl (one JSON object per line), summary (calls per pid and syscall) or raw
(re-delimited by tabs). --arch names the syscalls of another machine's log
(default: this machine's). Gap markers print as "-- N records lost --".
A malformed or truncated record stops decoding with an error that names its
byte offset (exit status 11), after everything before it was printed.
A FILE that is missing, unreadable or a directory exits 4; output that
cannot be written (a full disk, /dev/full, a closed standard output) exits 7.
)";
}

absl::Status RunDecode(const std::vector<std::string>& args, std::FILE* out) {
  std::string format = "text";
  Arch arch = HostArch();
  bool arch_given = false;
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
      arch_given = true;
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

  // Output that cannot be written is an error (exit 7), found before the
  // log is read, or at the first failed write.
  // (A stream with no descriptor, e.g. open_memstream, is always open.)
  const int out_fd = fileno(out);
  if (out_fd >= 0 && fcntl(out_fd, F_GETFL) < 0) {
    return absl::ResourceExhaustedError(
        "cannot write the decoded log: standard output is not open");
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    struct stat sb;
    if (stat(path.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read '", path, "': it is a directory"));
    }
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
  // The first write error; once there is one, nothing more is written
  // (the log is still read to its end, which is cheap).
  int write_errno = 0;
  auto write_failed = [&] { return write_errno != 0; };
  auto put = [&](const std::string& text) {
    if (write_failed()) return;
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size() ||
        std::ferror(out)) {
      write_errno = errno != 0 ? errno : EIO;
    }
  };
  auto emit = [&](const Event& e) {
    if (format == "summary") {
      summary.Add(e);
      return;
    }
    line = format == "text" ? FormatText(e, arch) : FormatJson(e, arch);
    line += '\n';
    put(line);
  };
  auto emit_raw = [&](uint64_t record) {
    line = absl::StrCat(absl::Hex(record), "\t");
    put(line);
  };
  absl::Status status;
  if (in->peek() == kBinMagic[0]) {
    // A bin log: header, then fixed-size events.
    BinHeader header;
    in->read(reinterpret_cast<char*>(&header), sizeof(header));
    if (in->gcount() != sizeof(header) ||
        std::memcmp(header.magic, kBinMagic, sizeof(kBinMagic)) != 0) {
      return absl::DataLossError("not a sysstream log: bad bin header");
    }
    if (header.version != kBinVersion ||
        header.header_size != sizeof(BinHeader) ||
        header.record_size != sizeof(sysstream_event)) {
      return absl::DataLossError(absl::StrCat(
          "unsupported bin log: version ", header.version, ", record size ",
          header.record_size));
    }
    if (!arch_given) {
      arch = header.arch == ElfMachine(Arch::kArm64) ? Arch::kArm64
                                                       : Arch::kX86_64;
    }
    EventPairer pairer(header.fields, emit);
    uint64_t offset = sizeof(header);
    for (uint64_t n = 1;; ++n) {
      sysstream_event ev;
      in->read(reinterpret_cast<char*>(&ev), sizeof(ev));
      const std::streamsize got = in->gcount();
      if (got == 0) break;
      if (got != sizeof(ev)) {
        status = absl::DataLossError(absl::StrCat(
            "truncated last record at byte ", offset, " (record ", n, "): ",
            got, " of ", sizeof(ev), " bytes"));
        break;
      }
      if (ev.kind < SYSSTREAM_EV_ENTER || ev.kind > SYSSTREAM_EV_GAP ||
          ev.size != sizeof(ev)) {
        status = absl::DataLossError(absl::StrCat(
            "invalid record at byte ", offset, " (record ", n, "): kind ",
            ev.kind, ", size ", ev.size));
        break;
      }
      if (format == "raw") {
        if (ev.kind != SYSSTREAM_EV_EXIT) emit_raw(ev.record);
      } else {
        pairer.Add(ev);
      }
      offset += sizeof(ev);
    }
    pairer.Flush();
  } else {
    status = DecodeRawLog(*in, [&](uint64_t record) {
      if (format == "raw") {
        emit_raw(record);
      } else {
        emit(EventFromRecord(record));
      }
    });
  }
  if (format == "summary" && !write_failed()) {
    const std::string table = summary.Table(arch);
    std::fwrite(table.data(), 1, table.size(), out);
  }
  if (std::fflush(out) != 0 || std::ferror(out)) {
    if (write_errno == 0) write_errno = errno != 0 ? errno : EIO;
  }
  if (write_errno != 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "writing the decoded log: ", std::strerror(write_errno)));
  }
  if (in->bad()) {
    return absl::DataLossError(absl::StrCat("reading '", path, "' failed"));
  }
  return status;
}

}  // namespace sysstream
