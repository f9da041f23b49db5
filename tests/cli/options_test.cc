// SPDX-License-Identifier: Apache-2.0
#include "cc/cli/options.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Parses and expects success; on failure the test fails with the message.
Options ParseOk(const std::vector<std::string>& args) {
  absl::StatusOr<Options> options = ParseOptions(args);
  EXPECT_TRUE(options.ok()) << options.status();
  return options.ok() ? *options : Options{};
}

// The exact error message, or "OK" so that a wrong success shows in the diff.
std::string ParseError(const std::vector<std::string>& args) {
  absl::StatusOr<Options> options = ParseOptions(args);
  if (options.ok()) return "OK";
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument)
      << options.status();
  return std::string(options.status().message());
}

TEST(ParseOptionsTest, Defaults) {
  const Options options = ParseOk({});
  EXPECT_EQ(options.log_path, "sysstream.log");
  EXPECT_FALSE(options.include_self);
  EXPECT_FALSE(options.verbose);
  EXPECT_FALSE(options.help);
  EXPECT_FALSE(options.version);
  EXPECT_FALSE(options.follow);
  EXPECT_FALSE(options.quiet);
  EXPECT_EQ(options.delimiter, "\t");
  EXPECT_EQ(options.existing, ExistingLog::kAsk);
  EXPECT_EQ(options.ring_bytes, 0u);  // chosen by the probe per CPU count
  EXPECT_EQ(options.btf_path, "");
  EXPECT_THAT(options.pids, IsEmpty());
  EXPECT_THAT(options.command, IsEmpty());
}

struct BoolFlag {
  std::string short_form;  // empty if none
  std::string long_form;
  bool Options::*field;
};

const std::vector<BoolFlag>& BoolFlags() {
  static const auto* flags = new std::vector<BoolFlag>{
      {"-m", "--include-self", &Options::include_self},
      {"-v", "--verbose", &Options::verbose},
      {"-h", "--help", &Options::help},
      {"", "--version", &Options::version},
      {"-F", "--follow", &Options::follow},
      {"-q", "--quiet", &Options::quiet},
  };
  return *flags;
}

TEST(ParseOptionsTest, EachBoolFlagSetsOnlyItsField) {
  for (const BoolFlag& flag : BoolFlags()) {
    std::vector<std::string> forms = {flag.long_form};
    if (!flag.short_form.empty()) forms.push_back(flag.short_form);
    for (const std::string& form : forms) {
      SCOPED_TRACE(form);
      const Options options = ParseOk({form});
      for (const BoolFlag& other : BoolFlags()) {
        EXPECT_EQ(options.*(other.field), other.field == flag.field)
            << other.long_form;
      }
    }
  }
}

TEST(ParseOptionsTest, BoolFlagsRejectAValue) {
  for (const BoolFlag& flag : BoolFlags()) {
    EXPECT_EQ(ParseError({flag.long_form + "=1"}),
              "option '" + flag.long_form + "' takes no argument");
    EXPECT_EQ(ParseError({flag.long_form + "="}),
              "option '" + flag.long_form + "' takes no argument");
  }
  EXPECT_EQ(ParseError({"--force=yes"}), "option '--force' takes no argument");
  EXPECT_EQ(ParseError({"--append=1"}), "option '--append' takes no argument");
}

TEST(ParseOptionsTest, BoolFlagsRepeatedAreHarmless) {
  const Options options = ParseOk({"-v", "--verbose", "-vv"});
  EXPECT_TRUE(options.verbose);
}

TEST(ParseOptionsTest, BundledShortFlags) {
  Options options = ParseOk({"-mv"});
  EXPECT_TRUE(options.include_self);
  EXPECT_TRUE(options.verbose);
  EXPECT_FALSE(options.quiet);

  options = ParseOk({"-qFhmv"});
  EXPECT_TRUE(options.quiet);
  EXPECT_TRUE(options.follow);
  EXPECT_TRUE(options.help);
  EXPECT_TRUE(options.include_self);
  EXPECT_TRUE(options.verbose);
}

TEST(ParseOptionsTest, FileForms) {
  EXPECT_EQ(ParseOk({"-f", "out.log"}).log_path, "out.log");
  EXPECT_EQ(ParseOk({"-fout.log"}).log_path, "out.log");
  EXPECT_EQ(ParseOk({"--file", "out.log"}).log_path, "out.log");
  EXPECT_EQ(ParseOk({"--file=out.log"}).log_path, "out.log");
  EXPECT_EQ(ParseOk({"--file=a=b"}).log_path, "a=b");
  EXPECT_EQ(ParseOk({"-f", "/var/log/x y.log"}).log_path, "/var/log/x y.log");
  // The last occurrence wins.
  EXPECT_EQ(ParseOk({"-f", "a", "--file", "b"}).log_path, "b");
}

TEST(ParseOptionsTest, FileDashIsStdout) {
  EXPECT_EQ(ParseOk({"-f", "-"}).log_path, "-");
  EXPECT_EQ(ParseOk({"-f-"}).log_path, "-");
  EXPECT_EQ(ParseOk({"--file", "-"}).log_path, "-");
  EXPECT_EQ(ParseOk({"--file=-"}).log_path, "-");
}

TEST(ParseOptionsTest, ValueIsTakenVerbatimEvenIfItLooksLikeAnOption) {
  // As with getopt: the argument after an option that needs one is its value.
  const Options options = ParseOk({"-f", "-v"});
  EXPECT_EQ(options.log_path, "-v");
  EXPECT_FALSE(options.verbose);
  EXPECT_EQ(ParseOk({"--file", "--verbose"}).log_path, "--verbose");
}

TEST(ParseOptionsTest, BundledFlagsThenValue) {
  Options options = ParseOk({"-mffile"});
  EXPECT_TRUE(options.include_self);
  EXPECT_EQ(options.log_path, "file");

  options = ParseOk({"-vf", "x.log", "7"});
  EXPECT_TRUE(options.verbose);
  EXPECT_EQ(options.log_path, "x.log");
  EXPECT_THAT(options.pids, ElementsAre(7));

  // Everything after -f in the same argument is the file name.
  options = ParseOk({"-fmv"});
  EXPECT_EQ(options.log_path, "mv");
  EXPECT_FALSE(options.include_self);
  EXPECT_FALSE(options.verbose);
}

TEST(ParseOptionsTest, MissingArgument) {
  EXPECT_EQ(ParseError({"-f"}), "option '-f' requires an argument");
  EXPECT_EQ(ParseError({"-mvf"}), "option '-f' requires an argument");
  EXPECT_EQ(ParseError({"--file"}), "option '--file' requires an argument");
  EXPECT_EQ(ParseError({"--delimiter"}),
            "option '--delimiter' requires an argument");
  EXPECT_EQ(ParseError({"--ring-size"}),
            "option '--ring-size' requires an argument");
  EXPECT_EQ(ParseError({"--btf"}), "option '--btf' requires an argument");
}

TEST(ParseOptionsTest, EmptyPathsAreRejected) {
  EXPECT_EQ(ParseError({"--file="}),
            "option '--file' requires a non-empty argument");
  EXPECT_EQ(ParseError({"-f", ""}),
            "option '-f' requires a non-empty argument");
  EXPECT_EQ(ParseError({"--btf="}),
            "option '--btf' requires a non-empty argument");
  EXPECT_EQ(ParseError({"--btf", ""}),
            "option '--btf' requires a non-empty argument");
}

TEST(ParseOptionsTest, Btf) {
  EXPECT_EQ(ParseOk({"--btf", "/boot/vmlinux.btf"}).btf_path,
            "/boot/vmlinux.btf");
  EXPECT_EQ(ParseOk({"--btf=/tmp/k.btf"}).btf_path, "/tmp/k.btf");
}

TEST(ParseOptionsTest, UnknownOptions) {
  EXPECT_EQ(ParseError({"--frobnicate"}), "unknown option '--frobnicate'");
  EXPECT_EQ(ParseError({"--frobnicate=3"}), "unknown option '--frobnicate'");
  EXPECT_EQ(ParseError({"-x"}), "unknown option '-x'");
  EXPECT_EQ(ParseError({"-mxv"}), "unknown option '-x'");
  // Long names must match exactly: no abbreviations, no single-dash longs.
  EXPECT_EQ(ParseError({"--verb"}), "unknown option '--verb'");
  EXPECT_EQ(ParseError({"--Verbose"}), "unknown option '--Verbose'");
  // "-verbose" is -v then -e with the value "rbose" (an unknown syscall
  // later); a single-dash long name with no value-taking letter fails here.
  EXPECT_EQ(ParseError({"-vx"}), "unknown option '-x'");
  // Short-only letters have no long spelling of one letter.
  EXPECT_EQ(ParseError({"--f", "x"}), "unknown option '--f'");
  EXPECT_EQ(ParseError({"--=x"}), "unknown option '--=x'");
}

TEST(ParseOptionsTest, FirstErrorInArgumentOrderWins) {
  EXPECT_EQ(ParseError({"--bogus", "abc"}), "unknown option '--bogus'");
  EXPECT_EQ(ParseError({"abc", "--bogus"}), "invalid PID 'abc': not a number");
}

TEST(ParseOptionsTest, HelpDoesNotStopParsing) {
  Options options = ParseOk({"-h", "12", "-v"});
  EXPECT_TRUE(options.help);
  EXPECT_TRUE(options.verbose);
  EXPECT_THAT(options.pids, ElementsAre(12));
  EXPECT_EQ(ParseError({"--help", "abc"}), "invalid PID 'abc': not a number");
  EXPECT_EQ(ParseError({"-h", "--nope"}), "unknown option '--nope'");
}

TEST(ParseOptionsTest, PidListsCommaAndSpaceSeparated) {
  EXPECT_THAT(ParseOk({"42"}).pids, ElementsAre(42));
  EXPECT_THAT(ParseOk({"1,2", "3"}).pids, ElementsAre(1, 2, 3));
  // `sysstream 1, 2` and its relatives: a comma may end or start an argument
  // or stand alone between two entries.
  EXPECT_THAT(ParseOk({"1,", "2"}).pids, ElementsAre(1, 2));
  EXPECT_THAT(ParseOk({"1", ",2"}).pids, ElementsAre(1, 2));
  EXPECT_THAT(ParseOk({"1", ",", "2"}).pids, ElementsAre(1, 2));
  // A quoted list with spaces inside one argument means the same.
  EXPECT_THAT(ParseOk({"1, 2 3"}).pids, ElementsAre(1, 2, 3));
  EXPECT_THAT(ParseOk({" 5\t6\n"}).pids, ElementsAre(5, 6));
}

TEST(ParseOptionsTest, PidsMayBeInterleavedWithOptions) {
  const Options options = ParseOk({"10", "-v", "20,30", "--quiet", "40"});
  EXPECT_THAT(options.pids, ElementsAre(10, 20, 30, 40));
  EXPECT_TRUE(options.verbose);
  EXPECT_TRUE(options.quiet);
}

TEST(ParseOptionsTest, PidsDeduplicatedInFirstSeenOrder) {
  EXPECT_THAT(ParseOk({"3,1,3", "1", "2,3"}).pids, ElementsAre(3, 1, 2));
  EXPECT_THAT(ParseOk({"7", "007"}).pids, ElementsAre(7));
}

TEST(ParseOptionsTest, PidBounds) {
  EXPECT_THAT(ParseOk({"1"}).pids, ElementsAre(1));
  EXPECT_THAT(ParseOk({"4194304"}).pids, ElementsAre(4194304));
  EXPECT_THAT(ParseOk({"0004194304"}).pids, ElementsAre(4194304));
  EXPECT_EQ(ParseError({"4194305"}),
            "invalid PID '4194305': larger than the maximum 4194304");
  EXPECT_EQ(ParseError({"99999999"}),
            "invalid PID '99999999': larger than the maximum 4194304");
  EXPECT_EQ(ParseError({"99999999999999999999999"}),
            "invalid PID '99999999999999999999999': larger than the maximum "
            "4194304");
}

TEST(ParseOptionsTest, InvalidPids) {
  EXPECT_EQ(ParseError({"-5"}), "invalid PID '-5': must be a positive integer");
  EXPECT_EQ(ParseError({"-0"}), "invalid PID '-0': must be a positive integer");
  EXPECT_EQ(ParseError({"0"}), "invalid PID '0': must be a positive integer");
  EXPECT_EQ(ParseError({"000"}),
            "invalid PID '000': must be a positive integer");
  EXPECT_EQ(ParseError({"abc"}), "invalid PID 'abc': not a number");
  EXPECT_EQ(ParseError({"+5"}), "invalid PID '+5': not a number");
  EXPECT_EQ(ParseError({"12x"}), "invalid PID '12x': not a number");
  EXPECT_EQ(ParseError({"0x10"}), "invalid PID '0x10': not a number");
  EXPECT_EQ(ParseError({"1.5"}), "invalid PID '1.5': not a number");
  EXPECT_EQ(ParseError({"-"}), "invalid PID '-': not a number");
  EXPECT_EQ(ParseError({"-5x"}), "invalid PID '-5x': not a number");
  // The offending entry is named, not the whole list.
  EXPECT_EQ(ParseError({"1,-5,3"}),
            "invalid PID '-5': must be a positive integer");
  EXPECT_EQ(ParseError({"-5,3"}),
            "invalid PID '-5': must be a positive integer");
  EXPECT_EQ(ParseError({"1,abc"}), "invalid PID 'abc': not a number");
  EXPECT_EQ(ParseError({"2", "3,0"}),
            "invalid PID '0': must be a positive integer");
}

TEST(ParseOptionsTest, EmptyPidListEntries) {
  EXPECT_EQ(ParseError({"1,,2"}), "invalid PID list '1,,2': empty entry");
  EXPECT_EQ(ParseError({"1,"}), "invalid PID list '1,': empty entry");
  EXPECT_EQ(ParseError({"1,2,"}), "invalid PID list '1,2,': empty entry");
  EXPECT_EQ(ParseError({",1"}), "invalid PID list ',1': empty entry");
  EXPECT_EQ(ParseError({","}), "invalid PID list ',': empty entry");
  EXPECT_EQ(ParseError({"1", ",,2"}), "invalid PID list ',,2': empty entry");
  EXPECT_EQ(ParseError({"1,", ",2"}), "invalid PID list '1, ,2': empty entry");
  EXPECT_EQ(ParseError({"1", ",", ","}), "invalid PID list ', ,': empty entry");
  EXPECT_EQ(ParseError({"1,", "-v"}), "invalid PID list '1,': empty entry");
  // An empty argument, e.g. "$PIDS" with PIDS unset, must not silently mean
  // "trace everything".
  EXPECT_EQ(ParseError({""}), "invalid PID list '': empty entry");
  EXPECT_EQ(ParseError({"1", " "}), "invalid PID list ' ': empty entry");
}

TEST(ParseOptionsTest, CommandAfterDoubleDash) {
  const Options options =
      ParseOk({"-v", "--", "ls", "-l", "--", "-v", "--file=x", "1,,2", ""});
  EXPECT_TRUE(options.verbose);
  EXPECT_EQ(options.log_path, "sysstream.log");
  EXPECT_THAT(options.pids, IsEmpty());
  EXPECT_THAT(options.command,
              ElementsAre("ls", "-l", "--", "-v", "--file=x", "1,,2", ""));
}

TEST(ParseOptionsTest, PidsAndCommand) {
  const Options options = ParseOk({"1,2", "3", "-m", "--", "make", "-j8"});
  EXPECT_THAT(options.pids, ElementsAre(1, 2, 3));
  EXPECT_TRUE(options.include_self);
  EXPECT_THAT(options.command, ElementsAre("make", "-j8"));
}

TEST(ParseOptionsTest, DoubleDashErrors) {
  EXPECT_EQ(ParseError({"--"}), "'--' must be followed by a command");
  EXPECT_EQ(ParseError({"-v", "1", "--"}),
            "'--' must be followed by a command");
  EXPECT_EQ(ParseError({"1,", "--", "ls"}),
            "invalid PID list '1,': empty entry");
  // "--" as the value of an option is that value, not the separator.
  const Options options = ParseOk({"-f", "--", "--", "true"});
  EXPECT_EQ(options.log_path, "--");
  EXPECT_THAT(options.command, ElementsAre("true"));
}

TEST(ParseOptionsTest, ForceAndAppend) {
  EXPECT_EQ(ParseOk({"--force"}).existing, ExistingLog::kOverwrite);
  EXPECT_EQ(ParseOk({"--append"}).existing, ExistingLog::kAppend);
  EXPECT_EQ(ParseOk({"--force", "--force"}).existing, ExistingLog::kOverwrite);
  EXPECT_EQ(ParseOk({"--append", "--append"}).existing, ExistingLog::kAppend);
  EXPECT_EQ(ParseError({"--force", "--append"}),
            "--force and --append are mutually exclusive");
  EXPECT_EQ(ParseError({"--append", "-v", "--force"}),
            "--force and --append are mutually exclusive");
}

TEST(ParseOptionsTest, RingSizeValues) {
  const struct {
    std::string text;
    uint64_t bytes;
  } kCases[] = {
      {"4096", 4096},
      {"65536", 65536},
      {"4K", 4096},
      {"4k", 4096},
      {"4KiB", 4096},
      {"4kib", 4096},
      {"4KIB", 4096},
      {"64K", 64 << 10},
      {"8M", 8 << 20},
      {"8m", 8 << 20},
      {"8MiB", 8 << 20},
      {"512mib", uint64_t{512} << 20},
      {"1G", uint64_t{1} << 30},
      {"1g", uint64_t{1} << 30},
      {"1GiB", uint64_t{1} << 30},
      {"1073741824", uint64_t{1} << 30},
      {"0016M", 16 << 20},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ParseOk({"--ring-size", c.text}).ring_bytes, c.bytes);
    EXPECT_EQ(ParseOk({"--ring-size=" + c.text}).ring_bytes, c.bytes);
  }
}

TEST(ParseOptionsTest, RingSizeErrors) {
  const struct {
    std::string text;
    std::string why;
  } kCases[] = {
      {"", "not a number"},
      {"abc", "not a number"},
      {"K", "not a number"},
      {"-4K", "not a number"},
      {"+4K", "not a number"},
      {" 4K", "not a number"},
      {"8X", "unknown suffix 'X' (use K, M or G)"},
      {"8KB", "unknown suffix 'KB' (use K, M or G)"},
      {"8 M", "unknown suffix ' M' (use K, M or G)"},
      {"1.5M", "unknown suffix '.5M' (use K, M or G)"},
      {"0", "must be at least 4096 bytes (4 KiB)"},
      {"2048", "must be at least 4096 bytes (4 KiB)"},
      {"2K", "must be at least 4096 bytes (4 KiB)"},
      {"4095", "must be at least 4096 bytes (4 KiB)"},
      {"4097", "must be a power of two"},
      {"12K", "must be a power of two"},
      {"3M", "must be a power of two"},
      {"2G", "must be at most 1073741824 bytes (1 GiB)"},
      {"1025M", "must be at most 1073741824 bytes (1 GiB)"},
      {"1073741825", "must be at most 1073741824 bytes (1 GiB)"},
      // Too large for 64 bits, before and after applying the suffix.
      {"18446744073709551616", "must be at most 1073741824 bytes (1 GiB)"},
      {"17179869184G", "must be at most 1073741824 bytes (1 GiB)"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ParseError({"--ring-size", c.text}),
              "invalid ring size '" + c.text + "': " + c.why);
  }
}

TEST(ParseOptionsTest, DelimiterEscapes) {
  const struct {
    std::string typed;
    std::string decoded;
  } kCases[] = {
      {"\\t", "\t"},    {"\\n", "\n"}, {"\\0", std::string(1, '\0')},
      {"\\r", "\r"},    {",", ","},    {", ", ", "},
      {",\\n", ",\n"},  {" ", " "},    {"\\0\\0", std::string(2, '\0')},
      {"\t", "\t"},  // a real tab passes through
      {"\r\n", "\r\n"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.typed);
    EXPECT_EQ(ParseOk({"--delimiter", c.typed}).delimiter, c.decoded);
    EXPECT_EQ(ParseOk({"--delimiter=" + c.typed}).delimiter, c.decoded);
  }
}

TEST(ParseOptionsTest, DelimiterErrors) {
  EXPECT_EQ(ParseError({"--delimiter", ""}),
            "invalid delimiter '': must not be empty");
  EXPECT_EQ(ParseError({"--delimiter="}),
            "invalid delimiter '': must not be empty");
  EXPECT_EQ(ParseError({"--delimiter", "\\q"}),
            "invalid delimiter '\\q': unknown escape '\\q' "
            "(known: \\t \\n \\r \\0 \\\\)");
  EXPECT_EQ(ParseError({"--delimiter", "a\\x41"}),
            "invalid delimiter 'a\\x41': unknown escape '\\x' "
            "(known: \\t \\n \\r \\0 \\\\)");
  EXPECT_EQ(ParseError({"--delimiter", "x\\"}),
            "invalid delimiter 'x\\': ends with a lone '\\'");
}

// A delimiter that `sysstream decode` cannot tell from a record (a hex
// digit: "1" after "1a2b" reads as the record "1a2b1") or does not know
// (";", a backslash, a letter) would make the log unreadable.
TEST(ParseOptionsTest, DelimiterMustBeReadableByDecode) {
  const std::string kWhy =
      "only tab, newline, carriage return, space, comma and NUL (\\t \\n "
      "\\r ' ' , \\0) can be read back by 'sysstream decode'";
  for (const std::string bad : {"1", "a", "F", "x", ";", "; ", "\\\\", "\\\\n",
                                "|", "-", ",a", "\\tz"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseError({"--delimiter", bad}),
              "invalid delimiter '" + bad + "': " + kWhy);
  }
  EXPECT_EQ(
      ParseError({"--delimiter", std::string(17, ' ')}),
      "invalid delimiter '" + std::string(17, ' ') + "': longer than 16 bytes");
  EXPECT_EQ(ParseOk({"--delimiter", std::string(16, ' ')}).delimiter,
            std::string(16, ' '));
}

// -f=x: getopt would create a file named "=x"; the long form's '=' works.
TEST(ParseOptionsTest, ShortOptionWithEqualsIsRejected) {
  EXPECT_EQ(ParseError({"-f=x"}),
            "option '-f' given as '-f=x': write '-f x' or '--file=x'");
  EXPECT_EQ(ParseError({"-qf=x.log"}),
            "option '-f' given as '-qf=x.log': write '-f x.log' or "
            "'--file=x.log'");
  EXPECT_EQ(ParseError({"-e=getppid"}),
            "option '-e' given as '-e=getppid': write '-e getppid' or "
            "'--syscalls=getppid'");
  EXPECT_EQ(ParseOk({"--file=x"}).log_path, "x");
  EXPECT_EQ(ParseOk({"-fx"}).log_path, "x");
  EXPECT_EQ(ParseOk({"-f", "=x"}).log_path, "=x");  // asked for plainly
}

// The summary cannot go into the log (its second O_EXCL open would fail
// after the log was created).
TEST(ParseOptionsTest, SummaryFileIsNotTheLog) {
  EXPECT_EQ(ParseError({"-f", "x.log", "--summary-file", "x.log"}),
            "--summary-file 'x.log' is the log file: name another file");
  EXPECT_EQ(ParseOk({"-f", "-", "--summary-file", "-"}).summary_path, "-");
  EXPECT_EQ(ParseOk({"--summary-file", "s.txt"}).summary_path, "s.txt");
}

// Standard output cannot be rotated: say so instead of ignoring it.
TEST(ParseOptionsTest, RotateSizeNeedsAFile) {
  for (const std::string path :
       {"-", "/dev/stdout", "/dev/stderr", "/proc/self/fd/1", "/dev/fd/3"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(ParseError({"-f", path, "--rotate-size", "1M"}),
              "--rotate-size needs a log file: '" + path +
                  "' is a standard stream, which cannot be rotated");
  }
  EXPECT_EQ(ParseOk({"-f", "x.log", "--rotate-size", "4K"}).rotate_bytes,
            4096u);
  EXPECT_EQ(ParseOk({"-f", "-"}).log_path, "-");
}

TEST(ParseOptionsTest, ErrorsAreOneLineEvenWithControlCharacters) {
  EXPECT_EQ(ParseError({"--foo\nbar"}), "unknown option '--foo\\x0abar'");
  EXPECT_EQ(ParseError({"1,\x1b[2J"}), "invalid PID '\\x1b[2J': not a number");
  const struct {
    std::vector<std::string> args;
    std::string message;
  } kBad[] = {
      {{"--foo\nbar"}, "unknown option '--foo\\x0abar'"},
      {{"-\n"}, "unknown option '-\\x0a'"},
      {{"--ring-size", "8\nM"},
       "invalid ring size '8\\x0aM': unknown suffix '\\x0aM' (use K, M or G)"},
      {{"--delimiter", "\n\\q"},
       "invalid delimiter '\\x0a\\q': unknown escape '\\q' (known: \\t \\n "
       "\\r \\0 \\\\)"},
      {{"1,\n,2"}, "invalid PID list '1, ,2': empty entry"},
      {{"--"}, "'--' must be followed by a command"},
      {{"--force", "--append"}, "--force and --append are mutually exclusive"},
      {{"-f"}, "option '-f' requires an argument"},
      {{"--verbose=\n"}, "option '--verbose' takes no argument"},
  };
  for (const auto& c : kBad) {
    SCOPED_TRACE(c.message);
    EXPECT_EQ(ParseError(c.args), c.message);
  }
}

TEST(ParseOptionsTest, ContainerPodCgroupAndHostRoot) {
  Options o =
      ParseOk({"-C", "web", "--container=db", "-p", "ns/api", "--cgroup",
               "/sys/fs/cgroup/x", "-g", "/y", "--host-root", "/host"});
  EXPECT_EQ(o.containers, (std::vector<std::string>{"web", "db"}));
  EXPECT_EQ(o.pods, (std::vector<std::string>{"ns/api"}));
  EXPECT_EQ(o.cgroups, (std::vector<std::string>{"/sys/fs/cgroup/x", "/y"}));
  EXPECT_EQ(o.host_root, "/host");
  EXPECT_EQ(ParseError({"--pod", "web"}),
            "invalid pod 'web': expected NAMESPACE/NAME");
  EXPECT_EQ(ParseError({"--pod", "a/b/c"}),
            "invalid pod 'a/b/c': expected NAMESPACE/NAME");
  EXPECT_EQ(ParseError({"--container="}),
            "option '--container' requires a non-empty argument");
}

TEST(ParseOptionsTest, WaitNeedsSomethingToWaitFor) {
  EXPECT_FALSE(ParseOk({"-C", "web"}).wait);
  EXPECT_TRUE(ParseOk({"-W", "-C", "web"}).wait);
  EXPECT_TRUE(ParseOk({"--wait", "--pod", "ns/web"}).wait);
  EXPECT_TRUE(ParseOk({"--cgroup", "/x", "--wait"}).wait);
  const std::string want =
      "--wait needs a --container, --pod or --cgroup to wait for";
  EXPECT_EQ(ParseError({"--wait"}), want);
  EXPECT_EQ(ParseError({"-W", "123"}), want);
  EXPECT_EQ(ParseError({"-W", "--", "true"}), want);
  EXPECT_EQ(ParseError({"--wait=yes", "-C", "web"}),
            "option '--wait' takes no argument");
}

TEST(ParseOptionsTest, SyscallFiltersAccumulate) {
  Options o =
      ParseOk({"-e", "read,write", "--syscalls=openat", "--exclude", "futex"});
  EXPECT_EQ(o.syscalls, (std::vector<std::string>{"read,write", "openat"}));
  EXPECT_EQ(o.exclude_syscalls, (std::vector<std::string>{"futex"}));
}

TEST(ParseOptionsTest, FormatsSummaryDurationRotation) {
  EXPECT_EQ(ParseOk({}).format, LogFormat::kRaw);
  EXPECT_EQ(ParseOk({"--format", "text"}).format, LogFormat::kText);
  EXPECT_EQ(ParseOk({"--format=jsonl"}).format, LogFormat::kJsonl);
  EXPECT_EQ(ParseError({"--format", "xml"}),
            "invalid format 'xml': expected raw, text, jsonl or bin");
  EXPECT_TRUE(ParseOk({"-c"}).summary);
  Options sf = ParseOk({"--summary-file", "/tmp/s"});
  EXPECT_TRUE(sf.summary);
  EXPECT_EQ(sf.summary_path, "/tmp/s");
  EXPECT_EQ(ParseOk({"--duration", "1m30s"}).duration_ms, 90000);
  EXPECT_EQ(ParseOk({"--duration=500ms"}).duration_ms, 500);
  EXPECT_EQ(ParseError({"--duration", "soon"}),
            "invalid duration 'soon': expected a positive time such as 30s, "
            "5m, 1h30m or 500ms");
  EXPECT_EQ(ParseError({"--duration", "-5s"}),
            "invalid duration '-5s': expected a positive time such as 30s, "
            "5m, 1h30m or 500ms");
  EXPECT_EQ(ParseError({"--duration", "0s"}),
            "invalid duration '0s': expected a positive time such as 30s, "
            "5m, 1h30m or 500ms");
  EXPECT_EQ(ParseOk({}).kill_after_ms, 5000);
  EXPECT_EQ(ParseOk({"--kill-after", "250ms"}).kill_after_ms, 250);
  EXPECT_EQ(ParseOk({"--kill-after=0"}).kill_after_ms, 0);
  EXPECT_EQ(ParseError({"--kill-after", "-1s"}),
            "invalid kill-after time '-1s': expected a time such as 5s, "
            "500ms or 0 (kill at once)");
  EXPECT_EQ(ParseOk({"--rotate-size", "100M"}).rotate_bytes, 100u << 20);
  EXPECT_EQ(ParseOk({"--rotate-size", "4096"}).rotate_bytes, 4096u);
  EXPECT_EQ(ParseError({"--rotate-size", "10"}),
            "invalid rotate size '10': expected at least 4096 bytes, e.g. "
            "100M or 1G");
  EXPECT_EQ(ParseOk({}).rotate_keep, 5u);
  EXPECT_EQ(ParseOk({"--rotate-keep", "0"}).rotate_keep, 0u);
  EXPECT_EQ(ParseError({"--rotate-keep", "x"}),
            "invalid rotate count 'x': expected 0 to 1000");
}

// One size syntax for every option (cc/common/size.h): "KB", "MB" and a
// "B" suffix are not sizes.
TEST(ParseOptionsTest, RotateSizeSuffixes) {
  EXPECT_EQ(ParseOk({"--rotate-size", "4K"}).rotate_bytes, 4096u);
  EXPECT_EQ(ParseOk({"--rotate-size", "2MiB"}).rotate_bytes, 2u << 20);
  EXPECT_EQ(ParseOk({"--rotate-size", "1g"}).rotate_bytes, 1u << 30);
  for (const std::string bad : {"4KB", "1MB", "4096B", "1GB", "x", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseError({"--rotate-size", bad}),
              "invalid rotate size '" + bad +
                  "': expected at least 4096 bytes, e.g. 100M or 1G");
  }
}

// The rich fields, each on its own and together; they take no value.
TEST(ParseOptionsTest, RichFieldFlags) {
  const Options none = ParseOk({});
  EXPECT_FALSE(none.timestamps);
  EXPECT_FALSE(none.tid);
  EXPECT_FALSE(none.comm);
  EXPECT_FALSE(none.ret);
  const Options ts = ParseOk({"--timestamps"});
  EXPECT_TRUE(ts.timestamps);
  EXPECT_FALSE(ts.tid || ts.comm || ts.ret);
  const Options tid = ParseOk({"--tid"});
  EXPECT_TRUE(tid.tid);
  EXPECT_FALSE(tid.timestamps || tid.comm || tid.ret);
  const Options comm = ParseOk({"--comm"});
  EXPECT_TRUE(comm.comm);
  EXPECT_FALSE(comm.timestamps || comm.tid || comm.ret);
  const Options ret = ParseOk({"--ret"});
  EXPECT_TRUE(ret.ret);
  EXPECT_FALSE(ret.timestamps || ret.tid || ret.comm);
  const Options all =
      ParseOk({"--timestamps", "--tid", "--comm", "--ret", "--format", "text"});
  EXPECT_TRUE(all.timestamps && all.tid && all.comm && all.ret);
  EXPECT_EQ(all.format, LogFormat::kText);
  for (const std::string flag : {"timestamps", "tid", "comm", "ret"}) {
    EXPECT_EQ(ParseError({"--" + flag + "=1"}),
              "option '--" + flag + "' takes no argument");
  }
  EXPECT_EQ(ParseError({"--tids"}), "unknown option '--tids'");
}

TEST(ParseOptionsTest, FormatBin) {
  EXPECT_EQ(ParseOk({"--format", "bin"}).format, LogFormat::kBin);
  EXPECT_EQ(ParseOk({"--format=bin", "--ret"}).format, LogFormat::kBin);
  EXPECT_EQ(ParseError({"--format", "BIN"}),
            "invalid format 'BIN': expected raw, text, jsonl or bin");
  EXPECT_EQ(ParseError({"--format", "binary"}),
            "invalid format 'binary': expected raw, text, jsonl or bin");
  EXPECT_EQ(ParseError({"--format"}), "option '--format' requires an argument");
}

TEST(HelpTextTest, MentionsEveryOption) {
  const std::string help = HelpText();
  for (const char* option : {"--file",
                             "--include-self",
                             "--verbose",
                             "--help",
                             "--version",
                             "--follow",
                             "--quiet",
                             "--delimiter",
                             "--force",
                             "--append",
                             "--ring-size",
                             "--btf",
                             "--container",
                             "--pod",
                             "--cgroup",
                             "--host-root",
                             "--wait",
                             "-W,",
                             "--syscalls",
                             "--exclude",
                             "--format",
                             "--summary",
                             "--summary-file",
                             "--duration",
                             "--kill-after",
                             "--rotate-size",
                             "--rotate-keep",
                             "-f,",
                             "-m,",
                             "-v,",
                             "-h,",
                             "-F,",
                             "-q,",
                             "-C,",
                             "-p,",
                             "-g,",
                             "-e,",
                             "-c,",
                             "sysstream decode"}) {
    EXPECT_THAT(help, ::testing::HasSubstr(option)) << option;
  }
}

TEST(HelpTextTest, StatesUsageDefaultsFormatAndExitCodes) {
  const std::string help = HelpText();
  for (const char* text : {
           "sysstream [options] [PID_LIST...]",
           "sysstream [options] -- COMMAND [ARGS...]",
           "default: sysstream.log",
           "default: 8 MiB",
           "default: \\t",
           "%lx",
           "pid << 32 | syscall_nr",
           "0xffffffff",
           "0xfffffffe",
           "one ring per CPU",
           "every process on the system is traced",
           "128+N",
           "126/127",
       }) {
    EXPECT_THAT(help, ::testing::HasSubstr(text)) << text;
  }
  for (int code : {0, 1, 2, 3, 4, 5, 6, 7}) {
    EXPECT_THAT(
        help, ::testing::HasSubstr("\n  " + std::to_string(code) + "        "))
        << code;
  }
}

TEST(HelpTextTest, FitsEightyColumns) {
  const std::string help = HelpText();
  ASSERT_FALSE(help.empty());
  EXPECT_EQ(help.back(), '\n');
  EXPECT_EQ(help.find('\t'), std::string::npos);
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    EXPECT_LE(line.size(), 80u) << line;
    EXPECT_TRUE(line.empty() || line.back() != ' ')
        << "trailing space: " << line;
  }
}

}  // namespace
}  // namespace sysstream
