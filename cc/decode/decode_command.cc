// SPDX-License-Identifier: Apache-2.0
#include "cc/decode/decode_command.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cc/common/status_macros.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/decode.h"
#include "cc/sink/formats.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {
namespace {

struct DecodeArgs {
  const FormatInfo* format = FindFormat("text", FormatUse::kDecode);
  Arch arch = HostArch();
  bool arch_given = false;  // else a bin log's header names it
  std::string path = "-";
};

// The value of option `name` at args[*i]: "--name=VALUE" or "--name VALUE".
absl::StatusOr<std::string> OptionValue(const std::vector<std::string>& args,
                                        size_t* i, absl::string_view name) {
  const std::string eq = absl::StrCat(name, "=");
  if (absl::StartsWith(args[*i], eq)) return args[*i].substr(eq.size());
  if (*i + 1 >= args.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("option '", name, "' requires an argument"));
  }
  return args[++*i];
}

bool IsOption(const std::string& arg, absl::string_view name) {
  return arg == name || absl::StartsWith(arg, absl::StrCat(name, "="));
}

absl::Status ParseArch(const std::string& value, DecodeArgs* parsed) {
  parsed->arch_given = true;
  if (value == "x86_64" || value == "amd64") {
    parsed->arch = Arch::kX86_64;
  } else if (value == "arm64" || value == "aarch64") {
    parsed->arch = Arch::kArm64;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid arch '", value, "': expected x86_64 or arm64"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodeArgs> ParseArgs(const std::vector<std::string>& args) {
  DecodeArgs parsed;
  bool have_path = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsOption(arg, "--format")) {
      ASSIGN_OR_RETURN(const std::string value,
                       OptionValue(args, &i, "--format"));
      parsed.format = FindFormat(value, FormatUse::kDecode);
      if (parsed.format == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid format '", value, "': expected ",
                         FormatNames(FormatUse::kDecode, ", ", " or ")));
      }
    } else if (IsOption(arg, "--arch")) {
      ASSIGN_OR_RETURN(const std::string value,
                       OptionValue(args, &i, "--arch"));
      RETURN_IF_ERROR(ParseArch(value, &parsed));
    } else if (arg.size() > 1 && arg[0] == '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown decode option '", arg, "'"));
    } else if (have_path) {
      return absl::InvalidArgumentError("decode takes one FILE");
    } else {
      parsed.path = arg;
      have_path = true;
    }
  }
  return parsed;
}

// Output that cannot be written is an error (exit 7), found before the log
// is read. (A stream with no descriptor, e.g. open_memstream, is always
// open.)
absl::Status CheckOutput(std::FILE* out) {
  const int out_fd = fileno(out);
  if (out_fd >= 0 && fcntl(out_fd, F_GETFL) < 0) {
    return absl::ResourceExhaustedError(
        "cannot write the decoded log: standard output is not open");
  }
  return absl::OkStatus();
}

// FILE, or standard input for "-".
absl::StatusOr<std::istream*> OpenInput(const std::string& path,
                                        std::ifstream* file) {
  if (path == "-") return &std::cin;
  struct stat sb;
  if (stat(path.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read '", path, "': it is a directory"));
  }
  file->open(path, std::ios::binary);
  if (!*file) {
    const std::string msg =
        absl::StrCat("cannot read '", path, "': ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(msg)
                           : absl::PermissionDeniedError(msg);
  }
  return file;
}

// decode's output: the first write error is kept and nothing more is
// written (the log is still read to its end, which is cheap).
class FileOutput final : public FormatOutput {
 public:
  explicit FileOutput(std::FILE* out) : out_(out) {}

  void Write(absl::string_view record) override {
    if (write_errno_ != 0) return;
    errno = 0;
    if (std::fwrite(record.data(), 1, record.size(), out_) != record.size() ||
        std::ferror(out_)) {
      write_errno_ = errno != 0 ? errno : EIO;
    }
  }

  // Flushes; ResourceExhausted with the first write error, if any.
  absl::Status Close() {
    if (std::fflush(out_) != 0 || std::ferror(out_)) {
      if (write_errno_ == 0) write_errno_ = errno != 0 ? errno : EIO;
    }
    if (write_errno_ == 0) return absl::OkStatus();
    return absl::ResourceExhaustedError(
        absl::StrCat("writing the decoded log: ", std::strerror(write_errno_)));
  }

 private:
  std::FILE* const out_;
  int write_errno_ = 0;
};

// A bin log's header: checked, and the arch and fields it names taken.
absl::Status ReadBinHeader(std::istream& in, DecodeArgs* args,
                           FormatterOptions* options) {
  BinHeader header;
  in.read(reinterpret_cast<char*>(&header), sizeof(header));
  if (in.gcount() != sizeof(header) ||
      std::memcmp(header.magic, kBinMagic, sizeof(kBinMagic)) != 0) {
    return absl::DataLossError("not a sysstream log: bad bin header");
  }
  if (header.version != kBinVersion ||
      header.header_size != sizeof(BinHeader) ||
      header.record_size != sizeof(sysstream_event)) {
    return absl::DataLossError(absl::StrCat("unsupported bin log: version ",
                                            header.version, ", record size ",
                                            header.record_size));
  }
  if (!args->arch_given) {
    args->arch =
        header.arch == ElfMachine(Arch::kArm64) ? Arch::kArm64 : Arch::kX86_64;
  }
  options->fields = header.fields;
  return absl::OkStatus();
}

// A bin log's events after the header, until its end or a bad record.
absl::Status DecodeBinEvents(std::istream& in, Formatter& formatter) {
  uint64_t offset = sizeof(BinHeader);
  for (uint64_t n = 1;; ++n, offset += sizeof(sysstream_event)) {
    sysstream_event ev;
    in.read(reinterpret_cast<char*>(&ev), sizeof(ev));
    const std::streamsize got = in.gcount();
    if (got == 0) return absl::OkStatus();
    if (got != sizeof(ev)) {
      return absl::DataLossError(
          absl::StrCat("truncated last record at byte ", offset, " (record ", n,
                       "): ", got, " of ", sizeof(ev), " bytes"));
    }
    if (ev.kind < SYSSTREAM_EV_ENTER || ev.kind > SYSSTREAM_EV_SKIP ||
        ev.kind == SYSSTREAM_EV_THREAD_EXIT ||
        ev.size != sizeof(ev)) {
      return absl::DataLossError(absl::StrCat("invalid record at byte ", offset,
                                              " (record ", n, "): kind ",
                                              ev.kind, ", size ", ev.size));
    }
    formatter.OnEvent(ev);
  }
}

// Everything after the output is checked and the input open: the log's
// records through the format. A malformed log's error comes after what
// was decoded before it (and a failed write's before it).
absl::Status DecodeLog(std::istream& in, DecodeArgs args, std::FILE* out) {
  FileOutput output(out);
  FormatterOptions options;
  absl::Status status;
  std::unique_ptr<Formatter> formatter;
  if (in.peek() == kBinMagic[0]) {
    RETURN_IF_ERROR(ReadBinHeader(in, &args, &options));
    options.arch = args.arch;
    formatter = args.format->make(options, output);
    status = DecodeBinEvents(in, *formatter);
  } else {
    options.arch = args.arch;
    formatter = args.format->make(options, output);
    status =
        DecodeRawLog(in, [&](uint64_t record) { formatter->OnRecord(record); });
  }
  formatter->Finish(std::nullopt);
  RETURN_IF_ERROR(output.Close());
  if (in.bad()) {
    return absl::DataLossError(
        absl::StrCat("reading '", args.path, "' failed"));
  }
  return status;
}

}  // namespace

std::string DecodeHelpText() {
  return absl::StrCat("Usage: sysstream decode [--format ",
                      FormatNames(FormatUse::kDecode, "|", "|"), "]",
                      R"(
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
)");
}

absl::Status RunDecode(const std::vector<std::string>& args, std::FILE* out) {
  ASSIGN_OR_RETURN(const DecodeArgs parsed, ParseArgs(args));
  RETURN_IF_ERROR(CheckOutput(out));
  std::ifstream file;
  ASSIGN_OR_RETURN(std::istream* const in, OpenInput(parsed.path, &file));
  return DecodeLog(*in, parsed, out);
}

}  // namespace sysstream
