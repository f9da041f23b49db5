// SPDX-License-Identifier: Apache-2.0
// A hand-written parser: getopt keeps global state and cannot tell "-5" (a bad
// PID) from an unknown option, and both matter for clear error messages.
#include "cc/cli/options.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/common/shown.h"
#include "cc/common/size.h"
#include "cc/common/status_macros.h"
#include "cc/common/std_stream.h"

namespace sysstream {
namespace {

enum class OptionId {
  kFile,
  kIncludeSelf,
  kVerbose,
  kHelp,
  kVersion,
  kFollow,
  kQuiet,
  kDelimiter,
  kForce,
  kAppend,
  kRingSize,
  kBtf,
  kContainer,
  kPod,
  kCgroup,
  kHostRoot,
  kWait,
  kSyscalls,
  kExclude,
  kFormat,
  kSummary,
  kSummaryFile,
  kDuration,
  kKillAfter,
  kRotateSize,
  kRotateKeep,
  kTimestamps,
  kTid,
  kComm,
  kRet,
};

// Which Apply function handles an option.
enum class OptionGroup { kFlag, kOutput, kTrace, kTarget };

struct OptionSpec {
  absl::string_view long_name;  // without the leading "--"
  char short_name;              // '\0' if the option has no short form
  bool takes_value;
  OptionId id;
  OptionGroup group;
};

constexpr OptionGroup kFlag = OptionGroup::kFlag;
constexpr OptionGroup kOutput = OptionGroup::kOutput;
constexpr OptionGroup kTrace = OptionGroup::kTrace;
constexpr OptionGroup kTarget = OptionGroup::kTarget;

constexpr OptionSpec kOptionSpecs[] = {
    {"file", 'f', true, OptionId::kFile, kOutput},
    {"include-self", 'm', false, OptionId::kIncludeSelf, kFlag},
    {"verbose", 'v', false, OptionId::kVerbose, kFlag},
    {"help", 'h', false, OptionId::kHelp, kFlag},
    {"version", '\0', false, OptionId::kVersion, kFlag},
    {"follow", 'F', false, OptionId::kFollow, kFlag},
    {"quiet", 'q', false, OptionId::kQuiet, kFlag},
    {"delimiter", '\0', true, OptionId::kDelimiter, kOutput},
    {"force", '\0', false, OptionId::kForce, kOutput},
    {"append", '\0', false, OptionId::kAppend, kOutput},
    {"ring-size", '\0', true, OptionId::kRingSize, kTrace},
    {"btf", '\0', true, OptionId::kBtf, kTrace},
    {"container", 'C', true, OptionId::kContainer, kTarget},
    {"pod", 'p', true, OptionId::kPod, kTarget},
    {"cgroup", 'g', true, OptionId::kCgroup, kTarget},
    {"host-root", '\0', true, OptionId::kHostRoot, kTarget},
    {"wait", 'W', false, OptionId::kWait, kFlag},
    {"syscalls", 'e', true, OptionId::kSyscalls, kTrace},
    {"exclude", '\0', true, OptionId::kExclude, kTrace},
    {"format", '\0', true, OptionId::kFormat, kOutput},
    {"summary", 'c', false, OptionId::kSummary, kFlag},
    {"summary-file", '\0', true, OptionId::kSummaryFile, kOutput},
    {"duration", '\0', true, OptionId::kDuration, kTrace},
    {"kill-after", '\0', true, OptionId::kKillAfter, kTrace},
    {"rotate-size", '\0', true, OptionId::kRotateSize, kOutput},
    {"rotate-keep", '\0', true, OptionId::kRotateKeep, kOutput},
    {"timestamps", '\0', false, OptionId::kTimestamps, kFlag},
    {"tid", '\0', false, OptionId::kTid, kFlag},
    {"comm", '\0', false, OptionId::kComm, kFlag},
    {"ret", '\0', false, OptionId::kRet, kFlag},
};

const OptionSpec* FindLong(absl::string_view name) {
  for (const OptionSpec& spec : kOptionSpecs) {
    if (spec.long_name == name) return &spec;
  }
  return nullptr;
}

const OptionSpec* FindShort(char name) {
  for (const OptionSpec& spec : kOptionSpecs) {
    if (spec.short_name != '\0' && spec.short_name == name) return &spec;
  }
  return nullptr;
}

absl::Status Invalid(absl::string_view what, absl::string_view text,
                     absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " '", Shown(text), "': ", why));
}

bool IsAsciiDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// One entry of a PID list: decimal digits only, 1..kMaxPid.
absl::StatusOr<int32_t> ParsePid(absl::string_view text) {
  if (text.size() > 1 && text[0] == '-' && IsAsciiDigits(text.substr(1))) {
    return Invalid("invalid PID", text, "must be a positive integer");
  }
  if (!IsAsciiDigits(text)) return Invalid("invalid PID", text, "not a number");
  // Leading zeros are harmless; strip them so that the length check below
  // catches overflow before any arithmetic.
  absl::string_view digits = text;
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  const std::string max_text = absl::StrCat(kMaxPid);
  int64_t value = 0;
  if (digits.size() <= max_text.size()) {
    for (char c : digits) value = value * 10 + (c - '0');
  } else {
    value = int64_t{kMaxPid} + 1;
  }
  if (value == 0) {
    return Invalid("invalid PID", text, "must be a positive integer");
  }
  if (value > kMaxPid) {
    return Invalid("invalid PID", text,
                   absl::StrCat("larger than the maximum ", kMaxPid));
  }
  return static_cast<int32_t>(value);
}

// Collects the positional PID_LIST, which may span several arguments:
// entries are separated by commas and/or whitespace, so "1,2 3", "1, 2" and
// "1 ,2" all mean the same. An empty entry ("1,,2", a leading or trailing
// comma) is an error rather than silently ignored: it usually means a shell
// variable expanded to nothing.
class PidListParser {
 public:
  explicit PidListParser(std::vector<int32_t>* pids) : pids_(pids) {}

  // One command-line argument.
  absl::Status AddArgument(absl::string_view arg) {
    std::vector<absl::string_view> words =
        absl::StrSplit(arg, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
    if (words.empty()) return EmptyEntry(arg);
    for (absl::string_view word : words) RETURN_IF_ERROR(AddWord(word));
    return absl::OkStatus();
  }

  // Called once all arguments are seen: the list must not end in a comma.
  absl::Status Finish() {
    if (pending_comma_) return EmptyEntry(previous_word_);
    return absl::OkStatus();
  }

 private:
  static absl::Status EmptyEntry(absl::string_view list) {
    return Invalid("invalid PID list", list, "empty entry");
  }

  absl::Status AddWord(absl::string_view word) {
    const std::vector<absl::string_view> pieces = absl::StrSplit(word, ',');
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (!pieces[i].empty()) {
        ASSIGN_OR_RETURN(const int32_t pid, ParsePid(pieces[i]));
        if (seen_.insert(pid).second) pids_->push_back(pid);
        continue;
      }
      if (i == 0) {
        // A leading comma separates this word from the previous entry; it is
        // empty if there is none, or if the previous word ended with a comma.
        if (pending_comma_) {
          return EmptyEntry(absl::StrCat(previous_word_, " ", word));
        }
        if (seen_.empty()) return EmptyEntry(word);
      } else if (i + 1 < pieces.size()) {
        return EmptyEntry(word);
      }
      // A trailing comma: the entry must come in a later word.
    }
    pending_comma_ = pieces.size() > 1 && pieces.back().empty();
    previous_word_ = std::string(word);
    return absl::OkStatus();
  }

  std::vector<int32_t>* pids_;
  std::unordered_set<int32_t> seen_;
  bool pending_comma_ = false;
  std::string previous_word_;
};

// The characters `sysstream decode` (cc/sink/decode.cc) takes as record
// delimiters: a delimiter made of anything else (a hex digit, a letter)
// would make the log unreadable.
bool IsDecodableDelimiterChar(char c) {
  return c == '\t' || c == '\n' || c == ' ' || c == '\r' || c == '\0' ||
         c == ',';
}

// Longest --delimiter, so that a record stays small.
constexpr size_t kMaxDelimiterSize = 16;

// Decodes \t \n \r \0 \\ so that a delimiter can be typed on a shell line,
// then checks that `sysstream decode` can read the log back.
absl::StatusOr<std::string> DecodeDelimiter(absl::string_view text) {
  if (text.empty()) {
    return Invalid("invalid delimiter", text, "must not be empty");
  }
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) {
      return Invalid("invalid delimiter", text, "ends with a lone '\\'");
    }
    switch (text[++i]) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        return Invalid(
            "invalid delimiter", text,
            absl::StrCat("unknown escape '\\", Shown(text.substr(i, 1)),
                         "' (known: \\t \\n \\r \\0 \\\\)"));
    }
  }
  for (char c : out) {
    if (!IsDecodableDelimiterChar(c)) {
      return Invalid("invalid delimiter", text,
                     "only tab, newline, carriage return, space, comma and "
                     "NUL (\\t \\n \\r ' ' , \\0) can be read back by "
                     "'sysstream decode'");
    }
  }
  if (out.size() > kMaxDelimiterSize) {
    return Invalid("invalid delimiter", text,
                   absl::StrCat("longer than ", kMaxDelimiterSize, " bytes"));
  }
  return out;
}

// --ring-size: a size (cc/common/size.h) that the BPF ring can have.
absl::StatusOr<uint64_t> ParseRingSize(absl::string_view text) {
  absl::StatusOr<uint64_t> bytes = ParseSize(text, kMaxRingBytes);
  if (absl::IsOutOfRange(bytes.status())) {
    return Invalid(
        "invalid ring size", text,
        absl::StrCat("must be at most ", kMaxRingBytes, " bytes (1 GiB)"));
  }
  if (!bytes.ok()) {
    return Invalid("invalid ring size", text, bytes.status().message());
  }
  if (*bytes < kMinRingBytes) {
    return Invalid(
        "invalid ring size", text,
        absl::StrCat("must be at least ", kMinRingBytes, " bytes (4 KiB)"));
  }
  if ((*bytes & (*bytes - 1)) != 0) {
    return Invalid("invalid ring size", text, "must be a power of two");
  }
  return *bytes;
}

absl::Status NeedsNonEmpty(absl::string_view spelled, absl::string_view value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("option '", spelled, "' requires a non-empty argument"));
}

// The field an option without a value sets; nullptr for the others.
bool Options::*FlagField(OptionId id) {
  switch (id) {
    case OptionId::kIncludeSelf:
      return &Options::include_self;
    case OptionId::kVerbose:
      return &Options::verbose;
    case OptionId::kHelp:
      return &Options::help;
    case OptionId::kVersion:
      return &Options::version;
    case OptionId::kFollow:
      return &Options::follow;
    case OptionId::kQuiet:
      return &Options::quiet;
    case OptionId::kWait:
      return &Options::wait;
    case OptionId::kTimestamps:
      return &Options::timestamps;
    case OptionId::kTid:
      return &Options::tid;
    case OptionId::kComm:
      return &Options::comm;
    case OptionId::kRet:
      return &Options::ret;
    case OptionId::kSummary:
      return &Options::summary;
    default:
      return nullptr;
  }
}

absl::StatusOr<LogFormat> ParseFormat(absl::string_view value) {
  if (value == "raw") return LogFormat::kRaw;
  if (value == "text") return LogFormat::kText;
  if (value == "jsonl") return LogFormat::kJsonl;
  if (value == "bin") return LogFormat::kBin;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid format '", Shown(value), "': expected raw, text, jsonl or bin"));
}

// A time for --duration (positive) or --kill-after (0 allowed), in ms.
absl::StatusOr<int64_t> ParseMilliseconds(absl::string_view value,
                                          bool allow_zero,
                                          absl::string_view what,
                                          absl::string_view expected) {
  absl::Duration d;
  if (!absl::ParseDuration(std::string(value), &d) ||
      d < absl::ZeroDuration() || (!allow_zero && d == absl::ZeroDuration()) ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " '", Shown(value), "': ", expected));
  }
  return absl::ToInt64Milliseconds(d);
}

// -f, --delimiter, --force/--append, --format, --summary-file and rotation.
absl::Status ApplyOutputOption(const OptionSpec& spec,
                               absl::string_view spelled,
                               absl::string_view value, Options& options) {
  switch (spec.id) {
    case OptionId::kFile:
      RETURN_IF_ERROR(NeedsNonEmpty(spelled, value));
      options.log_path = std::string(value);
      break;
    case OptionId::kDelimiter: {
      ASSIGN_OR_RETURN(options.delimiter, DecodeDelimiter(value));
      break;
    }
    case OptionId::kForce:
    case OptionId::kAppend: {
      const ExistingLog wanted = spec.id == OptionId::kForce
                                     ? ExistingLog::kOverwrite
                                     : ExistingLog::kAppend;
      if (options.existing != ExistingLog::kAsk && options.existing != wanted) {
        return absl::InvalidArgumentError(
            "--force and --append are mutually exclusive");
      }
      options.existing = wanted;
      break;
    }
    case OptionId::kFormat: {
      ASSIGN_OR_RETURN(options.format, ParseFormat(value));
      break;
    }
    case OptionId::kSummaryFile:
      RETURN_IF_ERROR(NeedsNonEmpty(spelled, value));
      options.summary = true;
      options.summary_path = std::string(value);
      break;
    case OptionId::kRotateSize: {
      absl::StatusOr<uint64_t> bytes = ParseSize(value);
      if (!bytes.ok() || *bytes < 4096) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid rotate size '", Shown(value),
                         "': expected at least 4096 bytes, e.g. 100M or 1G"));
      }
      options.rotate_bytes = *bytes;
      break;
    }
    case OptionId::kRotateKeep: {
      uint32_t keep = 0;
      if (!absl::SimpleAtoi(value, &keep) || keep > 1000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid rotate count '", Shown(value), "': expected 0 to 1000"));
      }
      options.rotate_keep = keep;
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

// --ring-size, --btf, the syscall filters and the times.
absl::Status ApplyTraceOption(const OptionSpec& spec, absl::string_view spelled,
                              absl::string_view value, Options& options) {
  switch (spec.id) {
    case OptionId::kRingSize: {
      ASSIGN_OR_RETURN(options.ring_bytes, ParseRingSize(value));
      break;
    }
    case OptionId::kBtf:
      RETURN_IF_ERROR(NeedsNonEmpty(spelled, value));
      options.btf_path = std::string(value);
      break;
    case OptionId::kSyscalls:
    case OptionId::kExclude:
      RETURN_IF_ERROR(NeedsNonEmpty(spelled, value));
      (spec.id == OptionId::kSyscalls ? options.syscalls
                                      : options.exclude_syscalls)
          .emplace_back(value);
      break;
    case OptionId::kDuration: {
      ASSIGN_OR_RETURN(
          options.duration_ms,
          ParseMilliseconds(
              value, /*allow_zero=*/false, "duration",
              "expected a positive time such as 30s, 5m, 1h30m or 500ms"));
      if (options.duration_ms == 0) options.duration_ms = 1;
      break;
    }
    case OptionId::kKillAfter: {
      ASSIGN_OR_RETURN(
          options.kill_after_ms,
          ParseMilliseconds(
              value, /*allow_zero=*/true, "kill-after time",
              "expected a time such as 5s, 500ms or 0 (kill at once)"));
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

// --container, --pod, --cgroup and --host-root.
absl::Status ApplyTargetOption(const OptionSpec& spec,
                               absl::string_view spelled,
                               absl::string_view value, Options& options) {
  RETURN_IF_ERROR(NeedsNonEmpty(spelled, value));
  switch (spec.id) {
    case OptionId::kContainer:
      options.containers.emplace_back(value);
      break;
    case OptionId::kPod:
      if (std::count(value.begin(), value.end(), '/') != 1 ||
          value.front() == '/' || value.back() == '/') {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid pod '", Shown(value), "': expected NAMESPACE/NAME"));
      }
      options.pods.emplace_back(value);
      break;
    case OptionId::kCgroup:
      options.cgroups.emplace_back(value);
      break;
    case OptionId::kHostRoot:
      options.host_root = std::string(value);
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

// `spelled` is the option as the user wrote it ("-f" or "--file"), for
// messages; `value` is empty for options that take none.
absl::Status Apply(const OptionSpec& spec, absl::string_view spelled,
                   absl::string_view value, Options& options) {
  switch (spec.group) {
    case OptionGroup::kFlag:
      options.*FlagField(spec.id) = true;
      return absl::OkStatus();
    case OptionGroup::kOutput:
      return ApplyOutputOption(spec, spelled, value, options);
    case OptionGroup::kTrace:
      return ApplyTraceOption(spec, spelled, value, options);
    case OptionGroup::kTarget:
      return ApplyTargetOption(spec, spelled, value, options);
  }
  return absl::OkStatus();
}

absl::Status RequiresArgument(absl::string_view spelled) {
  return absl::InvalidArgumentError(
      absl::StrCat("option '", Shown(spelled), "' requires an argument"));
}

absl::Status UnknownOption(absl::string_view spelled) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown option '", Shown(spelled), "'"));
}

}  // namespace

absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args) {
  Options options;
  PidListParser pid_list(&options.pids);
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];

    if (arg == "--") {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError("'--' must be followed by a command");
      }
      options.command.assign(args.begin() + i + 1, args.end());
      break;
    }

    if (absl::StartsWith(arg, "--")) {
      const absl::string_view body = arg.substr(2);
      const size_t eq = body.find('=');
      const absl::string_view name = body.substr(0, eq);
      const std::string spelled = absl::StrCat("--", name);
      const OptionSpec* spec = FindLong(name);
      if (spec == nullptr) return UnknownOption(name.empty() ? arg : spelled);
      absl::string_view value;
      if (eq != absl::string_view::npos) {
        if (!spec->takes_value) {
          return absl::InvalidArgumentError(
              absl::StrCat("option '", spelled, "' takes no argument"));
        }
        value = body.substr(eq + 1);
      } else if (spec->takes_value) {
        if (i + 1 == args.size()) return RequiresArgument(spelled);
        value = args[++i];
      }
      RETURN_IF_ERROR(Apply(*spec, spelled, value, options));
      continue;
    }

    // "-" alone and "-5" (a negative number) are PID_LIST entries, rejected
    // there with a message about PIDs rather than about options.
    if (arg.size() > 1 && arg[0] == '-' &&
        !absl::ascii_isdigit(static_cast<unsigned char>(arg[1]))) {
      for (size_t j = 1; j < arg.size(); ++j) {
        const std::string spelled = absl::StrCat("-", arg.substr(j, 1));
        const OptionSpec* spec = FindShort(arg[j]);
        if (spec == nullptr) return UnknownOption(spelled);
        if (!spec->takes_value) {
          RETURN_IF_ERROR(Apply(*spec, spelled, "", options));
          continue;
        }
        // The rest of the argument ("-ffile"), else the next argument.
        absl::string_view value = arg.substr(j + 1);
        if (absl::StartsWith(value, "=")) {
          // getopt would take "=x" as the value: almost never what was
          // meant (-f=x would create a file named "=x").
          const OptionSpec& s = *spec;
          return absl::InvalidArgumentError(absl::StrCat(
              "option '", spelled, "' given as '", Shown(arg), "': write '",
              spelled, " ", Shown(value.substr(1)), "'",
              s.long_name.empty() ? std::string()
                                  : absl::StrCat(" or '--", s.long_name, "=",
                                                 Shown(value.substr(1)), "'")));
        }
        if (value.empty()) {
          if (i + 1 == args.size()) return RequiresArgument(spelled);
          value = args[++i];
        }
        RETURN_IF_ERROR(Apply(*spec, spelled, value, options));
        break;
      }
      continue;
    }

    RETURN_IF_ERROR(pid_list.AddArgument(arg));
  }
  RETURN_IF_ERROR(pid_list.Finish());
  if (options.rotate_bytes > 0 &&
      StandardStreamFd(options.log_path).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rotate-size needs a log file: '", Shown(options.log_path),
        "' is a standard stream, which cannot be rotated"));
  }
  if (!options.summary_path.empty() &&
      options.summary_path == options.log_path &&
      !StandardStreamFd(options.log_path).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--summary-file '", Shown(options.summary_path),
                     "' is the log file: name another file"));
  }
  if (options.wait && options.containers.empty() && options.pods.empty() &&
      options.cgroups.empty()) {
    return absl::InvalidArgumentError(
        "--wait needs a --container, --pod or --cgroup to wait for");
  }
  return options;
}

std::string HelpText() {
  return R"(Usage: sysstream [options] [PID_LIST...]
       sysstream [options] -- COMMAND [ARGS...]

Trace system calls with eBPF and stream them to a log file as they happen.

Targets:
  PID_LIST              process IDs separated by commas and/or spaces,
                        e.g. "1,2 3"; a process is traced with all its threads
  -- COMMAND [ARGS...]  start COMMAND and trace it; everything after "--" is
                        passed to it unchanged (PIDs may be given before "--")
  With no PIDs and no command, every process on the system is traced
  (sysstream's own calls are excluded unless -m is given).
  sysstream stops on SIGINT or SIGTERM, or when every target has exited; it
  then drains what the kernel recorded, fsyncs the log and prints a summary.

Options:
  -f, --file FILE       write the log to FILE; "-" (or /dev/stdout,
                        /dev/stderr, /proc/self/fd/N) is that open stream
                        (default: sysstream.log)
      --force           overwrite an existing log file
      --append          append to an existing log file
                        (default: ask on a terminal, refuse otherwise)
      --delimiter STR   written after each record: tab, newline, CR, space,
                        comma or NUL (what decode reads back); the escapes
                        \t \n \r \0 are decoded (default: \t)
      --ring-size SIZE  size of each BPF ring buffer (one per CPU): a power
                        of two from 4 KiB to 1 GiB; suffixes K, M, G or
                        KiB, MiB, GiB (default: 8 MiB, less beyond 32
                        CPUs: 256 MiB in all, at least 1 MiB each)
      --btf PATH        kernel BTF file, for kernels without
                        /sys/kernel/btf/vmlinux (default: the kernel's own)

Containers (each repeatable; combine freely with PIDs):
  -C, --container NAME  a Docker, Podman, containerd or CRI-O container, by
                        name, id or id prefix
  -p, --pod NS/NAME     every container of a Kubernetes pod
  -g, --cgroup PATH     every process in a cgroup and below it: a path on a
                        cgroup mount, or relative to the cgroup2 root
      --host-root DIR   the node's root filesystem, where runtime state is
                        read (default: /host if it looks like a node root,
                        as under kubectl debug node; else /)
  -W, --wait            if a named container, pod or cgroup is not there
                        (yet), wait for it instead of exiting 3: check
                        again every second until it appears or SIGINT or
                        SIGTERM arrives (a DaemonSet on nodes without the pod)
  A container with a cgroup v2 of its own (pure v2 hosts, and hybrid ones
  where runc gives it one) is traced by that cgroup, in the kernel, so
  processes started later (docker exec) are traced too; otherwise its
  current processes and their children are traced (with a note). Names
  are resolved again every second: a container that restarted is traced in
  its new cgroup; when every traced cgroup has been removed (the container
  or pod is gone) and no PID target is left, sysstream stops.
  -e, --syscalls LIST   record only these syscalls: names or numbers,
                        comma-separated, e.g. "read,write,openat"
      --exclude LIST    record every syscall but these (e.g. "futex");
                        both filters run in the kernel, before the ring
  -F, --follow          also trace children forked by the targets; exited
                        processes are forgotten (default: off)
  -m, --include-self    also record sysstream's own system calls
                        (default: off)
  -q, --quiet           no progress line on a terminal (default: off)
  -v, --verbose         print each event to standard output: pid, syscall
                        name and number, record (default: off)
  -h, --help            print this help and exit
      --version         print the version and exit

Output:
      --format FMT      raw (default: the original's hex records), text
                        (one readable line per event), jsonl (one JSON
                        object per line: pid, nr, syscall; gaps as "gap")
                        or bin (48-byte little-endian records after a
                        64-byte header; the fastest, all fields kept)
      --timestamps      text/jsonl: time of each call (CLOCK_BOOTTIME)
      --tid             text/jsonl: the thread id
      --comm            text/jsonl: the thread's name
      --ret             return value (errno name) and duration of each call;
                        text/jsonl lines then appear when calls return
  -c, --summary         at exit, print calls per pid and syscall on stderr
      --summary-file F  write that table to F instead
      --duration TIME   stop after TIME (30s, 5m, 1h, 500ms)
      --kill-after TIME with -- COMMAND: on a stop (SIGINT, SIGTERM, ...,
                        --duration) the command gets the signal (SIGTERM
                        for --duration) and TIME to exit, traced, before
                        SIGKILL (default: 5s; 0: SIGKILL at once)
      --rotate-size N   start a new log file before it would exceed N bytes
                        (at least 4K; K, M, G suffixes; a file holds at least
                        one record); old ones become FILE.1, FILE.2..
                        (not with -f -)
      --rotate-keep N   old files to keep when rotating (default: 5)
  SIGHUP reopens the log file (for logrotate's move-then-signal).

Decoding:
  sysstream decode [--format text|jsonl|summary] [--arch x86_64|arm64]
                   [FILE|-]
                        read a raw log (sysstream's or the original's) and
                        print it readably (default: text)

Log format:
  Each record is the lowercase hex (printf "%lx") of
  (pid << 32 | syscall_nr), followed by the delimiter. A gap marker has the
  pid field 0xffffffff; its low 32 bits count the records that were lost
  (ring buffer full) since the previous marker. A skipped-runs marker has
  the pid field 0xfffffffe: up to its low 32 bits' count of calls may be
  missing there (runs of the BPF program the kernel skipped; Linux 7.x).
  Records are merged from one ring per CPU into the order the calls
  entered the kernel (by the kernel's clock).

Exit status:
  0        success; with -- COMMAND, the command's exit status
           (128+N if it was killed by signal N)
  1        internal error
  2        usage error
  3        target not found
  4        log file error (also --summary-file, --append checks, decode's
           FILE)
  5        missing privileges
  6        kernel unsupported or no BTF
  7        write error while streaming, or an output that took nothing
           until the stop (also decode's output)
  8        ambiguous container name
  9        container runtime unreachable (e.g. DOCKER_HOST socket)
  10       malformed container runtime state
  11       decode: malformed log
  126/127  COMMAND not executable / not found
  130/143  SIGINT / SIGTERM at the overwrite question (nothing traced)
)";
}

}  // namespace sysstream
