// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/log_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cc/sink/log_format.h"
#include "cc/sink/raw_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

bool Exists(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0;
}

// Writes one raw record the way the stream does.
void Put(LogWriter& w, uint64_t record, absl::string_view delim) {
  char* out = w.Reserve(MaxRawRecordSize(delim));
  w.Commit(FormatRaw(record, delim, out));
}

std::string Expected(uint64_t first, uint64_t count, absl::string_view delim) {
  std::string s;
  char buf[32];
  for (uint64_t i = 0; i < count; ++i) {
    s.append(buf, FormatRaw(first + i, delim, buf));
  }
  return s;
}

// Each test has a directory of its own, dir_.
class LogWriterTest : public testutil::TempDirTest {
 protected:
  LogWriterTest() : TempDirTest("log_writer") {}
};

// ---- CheckLogPath ----

TEST_F(LogWriterTest, CheckNewFileInWritableDir) {
  const std::string path = Path("new.log");
  for (ExistingLog mode :
       {ExistingLog::kAsk, ExistingLog::kOverwrite, ExistingLog::kAppend}) {
    EXPECT_TRUE(CheckLogPath(path, mode).ok());
  }
  EXPECT_FALSE(Exists(path)) << "CheckLogPath must not create the file";
}

TEST_F(LogWriterTest, CheckExistingFileAsk) {
  const std::string path = Path("old.log");
  WriteFile(path, "keep me");
  absl::Status s = CheckLogPath(path, ExistingLog::kAsk);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr("--force"));
  EXPECT_THAT(s.message(), HasSubstr("--append"));
  EXPECT_EQ(ReadFile(path), "keep me");
}

TEST_F(LogWriterTest, CheckExistingFileOverwriteOrAppend) {
  const std::string path = Path("old.log");
  WriteFile(path, "keep me");
  EXPECT_TRUE(CheckLogPath(path, ExistingLog::kOverwrite).ok());
  EXPECT_TRUE(CheckLogPath(path, ExistingLog::kAppend).ok());
  EXPECT_EQ(ReadFile(path), "keep me") << "CheckLogPath must not truncate";
}

TEST_F(LogWriterTest, CheckDirectory) {
  for (ExistingLog mode :
       {ExistingLog::kAsk, ExistingLog::kOverwrite, ExistingLog::kAppend}) {
    absl::Status s = CheckLogPath(dir_, mode);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr(dir_));
  }
}

TEST_F(LogWriterTest, CheckMissingParentDir) {
  const std::string path = Path("no/such/dir/x.log");
  absl::Status s = CheckLogPath(path, ExistingLog::kOverwrite);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr(std::strerror(ENOENT)));
}

TEST_F(LogWriterTest, CheckParentIsAFile) {
  const std::string file = Path("plain");
  WriteFile(file, "");
  absl::Status s = CheckLogPath(file + "/x.log", ExistingLog::kAsk);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_F(LogWriterTest, CheckEmptyPath) {
  EXPECT_EQ(CheckLogPath("", ExistingLog::kAsk).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LogWriterTest, CheckStdout) {
  for (ExistingLog mode :
       {ExistingLog::kAsk, ExistingLog::kOverwrite, ExistingLog::kAppend}) {
    EXPECT_TRUE(CheckLogPath("-", mode).ok());
  }
}

TEST_F(LogWriterTest, CheckRelativePathInCwd) {
  // A bare file name is checked against the current directory.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  EXPECT_TRUE(CheckLogPath("bare.log", ExistingLog::kAsk).ok());
  WriteFile("bare.log", "x");
  EXPECT_EQ(CheckLogPath("bare.log", ExistingLog::kAsk).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_EQ(chdir(cwd), 0);
}

// CheckLogPath exists so that Open cannot fail after tracing has started.
// A symbolic link is refused at once in every mode: with kAsk it used to be
// "exists" (a prompt offered to overwrite it, then the open refused).
TEST_F(LogWriterTest, CheckAgreesWithOpenOnDanglingSymlink) {
  const std::string link = Path("link.log");
  ASSERT_EQ(symlink(Path("elsewhere.log").c_str(), link.c_str()), 0);
  for (ExistingLog mode :
       {ExistingLog::kAsk, ExistingLog::kOverwrite, ExistingLog::kAppend}) {
    const absl::Status check = CheckLogPath(link, mode);
    auto w = LogWriter::Open(link, mode);
    EXPECT_EQ(check.ok(), w.ok()) << check << " vs " << w.status();
    EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition) << check;
    EXPECT_THAT(check.message(), HasSubstr("symbolic link"));
    EXPECT_EQ(w.status().code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_FALSE(Exists(Path("elsewhere.log")));
}

TEST_F(LogWriterTest, CheckSymlinkToAFileIsRefusedInEveryMode) {
  const std::string target = Path("victim");
  WriteFile(target, "precious");
  const std::string link = Path("link.log");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  for (ExistingLog mode :
       {ExistingLog::kAsk, ExistingLog::kOverwrite, ExistingLog::kAppend}) {
    const absl::Status check = CheckLogPath(link, mode, "summary file");
    EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition) << check;
    EXPECT_THAT(check.message(),
                HasSubstr("cannot write summary file '" + link +
                          "': it is a symbolic link"));
    auto w = LogWriter::Open(link, mode, "summary file");
    EXPECT_FALSE(w.ok());
  }
  EXPECT_EQ(ReadFile(target), "precious");
}

TEST_F(LogWriterTest, CheckNamesTheFile) {
  const std::string path = Path("summary.txt");
  WriteFile(path, "old");
  absl::Status s = CheckLogPath(path, ExistingLog::kAsk, "summary file");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "summary file '" + path +
                             "' already exists: use --force to overwrite it "
                             "or --append to add to it");
}

// A FIFO or a device destroys nothing when written: no --force needed.
TEST_F(LogWriterTest, CheckFifoAndDeviceNeedNoForce) {
  const std::string fifo = Path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(CheckLogPath(fifo, ExistingLog::kAsk).ok());
  EXPECT_TRUE(CheckLogPath("/dev/null", ExistingLog::kAsk).ok());
}

// /dev/stdout is a symbolic link (to /proc/self/fd/1): it names the
// standard stream, like "-", and is not refused.
TEST_F(LogWriterTest, CheckStandardStreamNames) {
  for (const char* path : {"-", "/dev/stdout", "/dev/stderr",
                           "/proc/self/fd/1", "/dev/fd/2"}) {
    for (ExistingLog mode : {ExistingLog::kAsk, ExistingLog::kOverwrite}) {
      EXPECT_TRUE(CheckLogPath(path, mode).ok()) << path;
    }
  }
  // An fd that is not open is an error, not a file named so.
  absl::Status s = CheckLogPath("/proc/self/fd/987", ExistingLog::kAsk);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("file descriptor 987 is not open"));
  const int ro = open("/dev/null", O_RDONLY);
  ASSERT_GE(ro, 0);
  s = CheckLogPath(absl::StrCat("/dev/fd/", ro), ExistingLog::kAsk);
  close(ro);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("is open for reading only"));
}

TEST_F(LogWriterTest, CheckUnwritableDirWhenNotRoot) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "running as root: permission bits do not apply";
  }
  const std::string ro = Path("ro");
  ASSERT_EQ(mkdir(ro.c_str(), 0555), 0);
  EXPECT_EQ(CheckLogPath(ro + "/x.log", ExistingLog::kAsk).code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- LogWriter ----

TEST_F(LogWriterTest, WritesExactBytes) {
  const std::string path = Path("out.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->path(), path);
  Put(**w, 0x7cfc00000062ULL, "\t");
  Put(**w, 0, "\t");
  Put(**w, MakeRecord(SYSSTREAM_GAP_PID, 12), "\t");
  // Nothing reaches the file before a flush.
  EXPECT_EQ(ReadFile(path), "");
  EXPECT_EQ((*w)->records_written(), 0u);
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "7cfc00000062\t0\tffffffff0000000c\t");
  EXPECT_EQ((*w)->records_written(), 3u);
  EXPECT_EQ((*w)->records_dropped(), 0u);
  EXPECT_TRUE((*w)->status().ok());
}

TEST_F(LogWriterTest, FlushThenMoreRecords) {
  const std::string path = Path("out.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  Put(**w, 0x1, "\n");
  ASSERT_TRUE((*w)->Flush().ok());
  EXPECT_EQ(ReadFile(path), "1\n");
  EXPECT_EQ((*w)->records_written(), 1u);
  // An empty flush changes nothing.
  ASSERT_TRUE((*w)->Flush().ok());
  EXPECT_EQ((*w)->records_written(), 1u);
  Put(**w, 0x2, "\n");
  Put(**w, 0xabc, "\n");
  ASSERT_TRUE((*w)->Flush().ok());
  EXPECT_EQ(ReadFile(path), "1\n2\nabc\n");
  EXPECT_EQ((*w)->records_written(), 3u);
}

TEST_F(LogWriterTest, DestructorFlushes) {
  const std::string path = Path("out.log");
  {
    auto w = LogWriter::Open(path, ExistingLog::kAsk);
    ASSERT_TRUE(w.ok()) << w.status();
    Put(**w, 0x62, ", ");
    Put(**w, 0x63, ", ");
  }
  EXPECT_EQ(ReadFile(path), "62, 63, ");
}

TEST_F(LogWriterTest, AskRefusesExistingFile) {
  const std::string path = Path("old.log");
  WriteFile(path, "keep me");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kAlreadyExists) << w.status();
  EXPECT_THAT(w.status().message(), HasSubstr(path));
  EXPECT_EQ(ReadFile(path), "keep me");
}

TEST_F(LogWriterTest, AskRefusesDanglingSymlink) {
  // A symlink is never followed to create a file.
  const std::string target = Path("elsewhere.log");
  const std::string link = Path("link.log");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  auto w = LogWriter::Open(link, ExistingLog::kAsk);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kFailedPrecondition)
      << w.status();
  EXPECT_THAT(w.status().message(), HasSubstr("symbolic link"));
  EXPECT_FALSE(Exists(target));
}

TEST_F(LogWriterTest, OverwriteTruncates) {
  const std::string path = Path("old.log");
  WriteFile(path, "a much longer previous content\n");
  auto w = LogWriter::Open(path, ExistingLog::kOverwrite);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(ReadFile(path), "") << "truncated on open";
  Put(**w, 0x62, "\t");
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "62\t");
  EXPECT_EQ((*w)->records_written(), 1u);
}

TEST_F(LogWriterTest, OverwriteCreatesMissingFile) {
  const std::string path = Path("fresh.log");
  auto w = LogWriter::Open(path, ExistingLog::kOverwrite);
  ASSERT_TRUE(w.ok()) << w.status();
  Put(**w, 0xf, "\t");
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "f\t");
}

TEST_F(LogWriterTest, AppendAppends) {
  const std::string path = Path("old.log");
  WriteFile(path, "10\t");
  {
    auto w = LogWriter::Open(path, ExistingLog::kAppend);
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ(ReadFile(path), "10\t") << "not truncated on open";
    Put(**w, 0x11, "\t");
    ASSERT_TRUE((*w)->Flush().ok());
    EXPECT_EQ(ReadFile(path), "10\t11\t");
    // Someone else appends meanwhile; our next write still goes at the end.
    {
      std::ofstream other(path, std::ios::binary | std::ios::app);
      other << "X";
    }
    Put(**w, 0x12, "\t");
    ASSERT_TRUE((*w)->Sync().ok());
    EXPECT_EQ((*w)->records_written(), 2u);
  }
  EXPECT_EQ(ReadFile(path), "10\t11\tX12\t");
  // A second writer appends again.
  auto w2 = LogWriter::Open(path, ExistingLog::kAppend);
  ASSERT_TRUE(w2.ok()) << w2.status();
  Put(**w2, 0x13, "\t");
  ASSERT_TRUE((*w2)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "10\t11\tX12\t13\t");
  EXPECT_EQ((*w2)->records_written(), 1u);
}

TEST_F(LogWriterTest, AppendCreatesMissingFile) {
  const std::string path = Path("fresh.log");
  auto w = LogWriter::Open(path, ExistingLog::kAppend);
  ASSERT_TRUE(w.ok()) << w.status();
  Put(**w, 0x1, "\n");
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "1\n");
}

TEST_F(LogWriterTest, OpenErrors) {
  auto dir = LogWriter::Open(dir_, ExistingLog::kOverwrite);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition)
      << dir.status();
  auto missing = LogWriter::Open(Path("no/such/x.log"), ExistingLog::kAsk);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound)
      << missing.status();
}

TEST_F(LogWriterTest, NewFileMode0640) {
  const mode_t old = umask(0);
  const std::string path = Path("mode.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  umask(old);
  ASSERT_TRUE(w.ok()) << w.status();
  struct stat sb;
  ASSERT_EQ(stat(path.c_str(), &sb), 0);
  EXPECT_TRUE(S_ISREG(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 07777, 0640u);
}

TEST_F(LogWriterTest, NewFileModeHonoursUmask) {
  const mode_t old = umask(027);
  const std::string path = Path("mode.log");
  auto w = LogWriter::Open(path, ExistingLog::kOverwrite);
  umask(old);
  ASSERT_TRUE(w.ok()) << w.status();
  struct stat sb;
  ASSERT_EQ(stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0640u);
  const mode_t old2 = umask(077);
  const std::string path2 = Path("mode2.log");
  auto w2 = LogWriter::Open(path2, ExistingLog::kAppend);
  umask(old2);
  ASSERT_TRUE(w2.ok()) << w2.status();
  ASSERT_EQ(stat(path2.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
}

TEST_F(LogWriterTest, MoreThanBufferSize) {
  const std::string path = Path("big.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  // 17 bytes per record: ~3.4 MiB, several buffer flushes, and the buffer
  // size is not a multiple of the record size.
  const uint64_t first = 0x7cfc000000000000ULL;
  const uint64_t count = 200000;
  for (uint64_t i = 0; i < count; ++i) Put(**w, first + i, "\t");
  // Full buffers went out on their own, but only whole records did.
  const uint64_t written_before_sync = (*w)->records_written();
  EXPECT_GT(written_before_sync, 0u);
  EXPECT_LT(written_before_sync, count);
  const std::string partial = ReadFile(path);
  EXPECT_EQ(partial.size(), written_before_sync * 17);
  EXPECT_LE(partial.size(), (count * 17));
  EXPECT_GE(partial.size() + LogWriter::kBufferSize, count * 17);
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ((*w)->records_written(), count);
  EXPECT_EQ((*w)->records_dropped(), 0u);
  const std::string content = ReadFile(path);
  ASSERT_EQ(content.size(), count * 17);
  EXPECT_TRUE(content == Expected(first, count, "\t"));
}

TEST_F(LogWriterTest, MoreThanBufferSizeVariableLength) {
  const std::string path = Path("big.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  // Records of 2..17 bytes with a 2-byte delimiter.
  const uint64_t count = 400000;
  std::string expected;
  char buf[32];
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t v = (i * 0x9e3779b97f4a7c15ULL) >> (i % 64);
    Put(**w, v, ", ");
    expected.append(buf, FormatRaw(v, ", ", buf));
  }
  ASSERT_GT(expected.size(), 3 * LogWriter::kBufferSize);
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ((*w)->records_written(), count);
  const std::string content = ReadFile(path);
  ASSERT_EQ(content.size(), expected.size());
  EXPECT_TRUE(content == expected);
}

// The stream writes to standard output with "-f -".
TEST_F(LogWriterTest, StdoutWriter) {
  const std::string path = Path("stdout.txt");
  fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
  close(fd);
  uint64_t written = 0;
  absl::Status status;
  {
    auto w = LogWriter::Open("-", ExistingLog::kAsk);
    if (w.ok()) {
      Put(**w, 0x7cfc00000062ULL, "\n");
      Put(**w, 0x1, "\n");
      status = (*w)->Sync();
      written = (*w)->records_written();
    } else {
      status = w.status();
    }
  }
  // Standard output stays open after the writer is gone.
  const bool stdout_open = fcntl(STDOUT_FILENO, F_GETFD) != -1;
  dup2(saved, STDOUT_FILENO);
  close(saved);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(written, 2u);
  EXPECT_TRUE(stdout_open);
  EXPECT_EQ(ReadFile(path), "7cfc00000062\n1\n");
}

// ---- Write errors ----

TEST_F(LogWriterTest, FullDeviceDropsAndReports) {
  if (access("/dev/full", W_OK) != 0) {
    GTEST_SKIP() << "/dev/full is not accessible here: "
                 << std::strerror(errno);
  }
  auto w = LogWriter::Open("/dev/full", ExistingLog::kOverwrite);
  if (!w.ok()) {
    GTEST_SKIP() << "cannot open /dev/full in this sandbox: " << w.status();
  }
  // Up to a full buffer is held without any write.
  Put(**w, 0x62, "\t");
  EXPECT_TRUE((*w)->status().ok());
  const uint64_t count = 150000;  // 17 bytes each: more than one buffer
  for (uint64_t i = 1; i < count; ++i) {
    Put(**w, 0x7cfc000000000000ULL + i, "\t");
  }
  // The first full buffer has failed already.
  EXPECT_EQ((*w)->status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT((*w)->records_dropped(), 0u);
  absl::Status s = (*w)->Sync();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr("No space left on device"));
  EXPECT_THAT(s.message(), HasSubstr("/dev/full"));
  EXPECT_EQ((*w)->records_written(), 0u);
  EXPECT_EQ((*w)->records_dropped(), count);
  EXPECT_EQ((*w)->records_written() + (*w)->records_dropped(), count);
  // After the first error nothing more is attempted; the status stays.
  Put(**w, 0x1, "\t");
  EXPECT_EQ((*w)->Flush().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*w)->records_dropped(), count + 1);
  EXPECT_EQ((*w)->records_written(), 0u);
  EXPECT_THAT((*w)->status().message(), HasSubstr("No space left on device"));
}

// A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) stands in for a full
// disk on a regular file: the kernel writes up to the limit, then fails.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    ok_ = getrlimit(RLIMIT_FSIZE, &saved_rlimit_) == 0 &&
          saved_rlimit_.rlim_max >= limit;
    if (!ok_) return;
    saved_handler_ = signal(SIGXFSZ, SIG_IGN);
    struct rlimit r = saved_rlimit_;
    r.rlim_cur = limit;
    ok_ = setrlimit(RLIMIT_FSIZE, &r) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_rlimit_);
    signal(SIGXFSZ, saved_handler_);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
  struct rlimit saved_rlimit_ = {};
  sighandler_t saved_handler_ = SIG_DFL;
};

// A full disk takes what fits: the write that fails part-way keeps its
// whole records (it used to be cut back to the last whole buffer, so with
// 4 KiB free not one record of a 1 MiB buffer was kept).
TEST_F(LogWriterTest, PartialWriteKeepsWhatFitsInWholeRecords) {
  const std::string path = Path("limited.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  const uint64_t first = 0x7cfc000000000000ULL;
  const uint64_t count = 200000;  // 17 bytes each, ~3.2 MiB
  constexpr uint64_t kLimit = LogWriter::kBufferSize + LogWriter::kBufferSize / 2;
  {
    // 1.5 buffers: the first buffer fits, the second is written in part.
    FileSizeLimit limit(kLimit);
    if (!limit.ok()) GTEST_SKIP() << "cannot set RLIMIT_FSIZE here";
    for (uint64_t i = 0; i < count; ++i) Put(**w, first + i, "\t");
    (void)(*w)->Sync();
  }
  const absl::Status& s = (*w)->status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr(std::strerror(EFBIG)));
  EXPECT_THAT(s.message(), HasSubstr(path));
  const uint64_t written = (*w)->records_written();
  EXPECT_EQ(written, kLimit / 17) << "every whole record that fitted";
  EXPECT_EQ(written + (*w)->records_dropped(), count);
  const std::string content = ReadFile(path);
  EXPECT_EQ(content.size(), written * 17) << "no torn record";
  EXPECT_TRUE(content == Expected(first, written, "\t"));
}

// 4 KiB left and one 1 MiB buffer to write: what fits is kept.
TEST_F(LogWriterTest, AlmostFullDiskKeepsWhatFits) {
  const std::string path = Path("tiny.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  {
    FileSizeLimit limit(4096);
    if (!limit.ok()) GTEST_SKIP() << "cannot set RLIMIT_FSIZE here";
    for (uint64_t i = 0; i < 49152; ++i) Put(**w, 0x7cfc00000000ULL + i, "\t");
    (void)(*w)->Sync();
  }
  EXPECT_EQ((*w)->records_written(), 4096u / 13);  // 12 digits + tab
  EXPECT_EQ((*w)->records_written() + (*w)->records_dropped(), 49152u);
  EXPECT_EQ(ReadFile(path).size(), (4096u / 13) * 13);
}

// ---- Rotation ----

std::vector<std::string> RotatedFiles(const std::string& path, int keep) {
  std::vector<std::string> files;  // oldest first
  for (int i = keep; i >= 1; --i) {
    const std::string f = absl::StrCat(path, ".", i);
    if (Exists(f)) files.push_back(f);
  }
  files.push_back(path);
  return files;
}

// --rotate-size below the 1 MiB buffer is honoured: no file passes the
// size (each file used to get a whole buffer, 1 MiB for --rotate-size 4K).
TEST_F(LogWriterTest, RotationHonoursSizesBelowTheBuffer) {
  const std::string path = Path("rot.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->SetRotation(4096, 1000);
  const uint64_t first = 0x7cfc000000000000ULL;
  const uint64_t count = 2000;  // 34,000 bytes: 9 files
  for (uint64_t i = 0; i < count; ++i) Put(**w, first + i, "\t");
  ASSERT_TRUE((*w)->Sync().ok()) << (*w)->status();
  const std::vector<std::string> files = RotatedFiles(path, 1000);
  std::string all;
  for (const std::string& f : files) {
    const std::string c = ReadFile(f);
    EXPECT_LE(c.size(), 4096u) << f;
    EXPECT_EQ(c.size(), f == path ? (count * 17) % (4096 / 17 * 17)
                                  : 4096 / 17 * 17)
        << f;
    all += c;
  }
  EXPECT_EQ(files.size(), 9u);
  EXPECT_EQ((*w)->rotations(), 8u);
  EXPECT_TRUE(all == Expected(first, count, "\t"));
  EXPECT_EQ((*w)->records_written(), count);
}

// Bin: the header starts each file, and no file is header-only (those used
// to take up --rotate-keep slots).
TEST_F(LogWriterTest, BinRotationHasNoHeaderOnlyFiles) {
  const std::string path = Path("rot.bin");
  const std::string header(64, 'H');
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->SetPreamble(header).ok());
  (*w)->SetRotation(4096, 3);
  const std::string record(48, 'r');
  for (int i = 0; i < 1000; ++i) (*w)->Write(record);  // 48,000 bytes
  ASSERT_TRUE((*w)->Sync().ok()) << (*w)->status();
  const std::vector<std::string> files = RotatedFiles(path, 3);
  ASSERT_EQ(files.size(), 4u);
  for (const std::string& f : files) {
    const std::string c = ReadFile(f);
    SCOPED_TRACE(f);
    EXPECT_LE(c.size(), 4096u);
    ASSERT_GT(c.size(), 64u) << "header-only file";
    EXPECT_EQ(c.substr(0, 64), header);
    EXPECT_EQ((c.size() - 64) % 48, 0u);
    if (f != path) {
      EXPECT_EQ(c.size(), 64u + (4096 - 64) / 48 * 48);
    }
  }
  EXPECT_FALSE(Exists(path + ".4"));
}

// A record larger than the size still goes out whole, alone in its file:
// a file passes the size by at most one record, and is never empty.
TEST_F(LogWriterTest, RotationRecordLargerThanTheSize) {
  const std::string path = Path("big.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->SetRotation(4096, 5);
  const std::string big(5000, 'b');
  (*w)->Write("a\n");
  (*w)->Write(big);
  (*w)->Write("c\n");
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(ReadFile(path + ".2"), "a\n");
  EXPECT_EQ(ReadFile(path + ".1"), big);
  EXPECT_EQ(ReadFile(path), "c\n");
}

// A bin log with no record still gets its header (decode names it), once.
TEST_F(LogWriterTest, PreambleOfAnEmptyLog) {
  const std::string path = Path("empty.bin");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->SetPreamble("HEADER").ok());
  ASSERT_TRUE((*w)->Sync().ok());
  ASSERT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "HEADER");
  // Appending to it adds no second header.
  auto w2 = LogWriter::Open(path, ExistingLog::kAppend);
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*w2)->SetPreamble("HEADER").ok());
  (*w2)->Write("r1");
  ASSERT_TRUE((*w2)->Sync().ok());
  EXPECT_EQ(ReadFile(path), "HEADERr1");
}

// ---- Outputs that block ----

// Blocks SIGINT and SIGTERM (as main does) for one test, and throws away
// any left pending.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedStopSignals() {
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_, old_;
};

double SecondsSince(const struct timespec& t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return static_cast<double>(t1.tv_sec - t0.tv_sec) +
         static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

struct timespec Now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t;
}

// A FIFO without a reader: Open used to block in open(2) until SIGKILL.
TEST_F(LogWriterTest, FifoWithoutReaderNeitherBlocksNorHangs) {
  BlockedStopSignals blocked;
  const std::string fifo = Path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const struct timespec t0 = Now();
  auto w = LogWriter::Open(fifo, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  for (int i = 0; i < 10; ++i) Put(**w, 0x62, "\t");
  EXPECT_TRUE((*w)->Flush().ok()) << "a flush does not wait";
  EXPECT_LT(SecondsSince(t0), 0.5);
  // SIGTERM pending: a wait gives up at once and says why.
  ASSERT_EQ(raise(SIGTERM), 0);
  absl::Status s = (*w)->Sync();
  EXPECT_LT(SecondsSince(t0), 0.5);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_THAT(s.message(), HasSubstr("stopped by SIGTERM while waiting for a "
                                     "reader of the FIFO"));
  EXPECT_EQ((*w)->interrupt_signal(), SIGTERM);
  EXPECT_EQ((*w)->records_written(), 0u);
  EXPECT_EQ((*w)->records_dropped(), 10u);
}

// Once stopping, a FIFO that never gets a reader is given up after
// kStopGrace.
TEST_F(LogWriterTest, FifoWithoutReaderGivenUpAfterTheGraceAtStop) {
  BlockedStopSignals blocked;
  const std::string fifo = Path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto w = LogWriter::Open(fifo, ExistingLog::kOverwrite);
  ASSERT_TRUE(w.ok()) << w.status();
  Put(**w, 0x62, "\t");
  (*w)->StopRequested();
  const struct timespec t0 = Now();
  absl::Status s = (*w)->Sync();
  const double took = SecondsSince(t0);
  EXPECT_GE(took, absl::ToDoubleSeconds(LogWriter::kStopGrace) - 0.1);
  EXPECT_LT(took, absl::ToDoubleSeconds(LogWriter::kStopGrace) + 1.0);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ((*w)->records_dropped(), 1u);
}

// A reader that comes later gets every record, in order.
TEST_F(LogWriterTest, FifoReaderThatComesLaterGetsEverything) {
  BlockedStopSignals blocked;
  const std::string fifo = Path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto w = LogWriter::Open(fifo, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  Put(**w, 0x61, "\n");
  ASSERT_TRUE((*w)->Flush().ok());
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  Put(**w, 0x62, "\n");
  ASSERT_TRUE((*w)->Sync().ok()) << (*w)->status();
  char buf[64];
  const ssize_t n = read(reader, buf, sizeof(buf));
  close(reader);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "61\n62\n");
  EXPECT_EQ((*w)->records_written(), 2u);
}

// A reader that stops reading: the writer waits (back-pressure) but gives
// up at the deadline (--duration), with whole records only in the pipe.
TEST_F(LogWriterTest, StalledReaderGivenUpAtTheDeadline) {
  BlockedStopSignals blocked;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const std::string path = absl::StrCat("/proc/self/fd/", p[1]);
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->SetDeadline(absl::Now() + absl::Milliseconds(300));
  const struct timespec t0 = Now();
  uint64_t i = 0;
  // More than the pipe (64 KiB) and the buffer (1 MiB) hold.
  for (; i < 200000 && (*w)->status().ok(); ++i) Put(**w, 0x7cfc00000000ULL + i, "\t");
  (void)(*w)->Sync();
  const double took = SecondsSince(t0);
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 2.0);
  EXPECT_TRUE((*w)->deadline_reached());
  EXPECT_EQ((*w)->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT((*w)->status().message(), HasSubstr("--duration reached"));
  EXPECT_EQ((*w)->records_written() + (*w)->records_dropped(), i);
  // The pipe holds exactly the records said written, each whole.
  const int fl = fcntl(p[0], F_GETFL);
  fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = read(p[0], buf, sizeof(buf))) > 0;) got.append(buf, n);
  EXPECT_EQ(got.size(), (*w)->records_written() * 13);
  EXPECT_TRUE(got == Expected(0x7cfc00000000ULL, (*w)->records_written(), "\t"));
  // The pipe's own description was left blocking (the writer has its own).
  EXPECT_EQ(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
  w->reset();
  close(p[0]);
  close(p[1]);
}

// SIGINT while blocked on a stalled reader ends the wait.
TEST_F(LogWriterTest, StalledReaderGivenUpOnSigint) {
  BlockedStopSignals blocked;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto w = LogWriter::Open(absl::StrCat("/dev/fd/", p[1]), ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(getpid(), SIGINT);
  });
  uint64_t i = 0;
  for (; i < 200000 && (*w)->status().ok(); ++i) Put(**w, 0x1234500000000ULL + i, "\n");
  killer.join();
  (void)(*w)->Flush();  // the record put after the failure is dropped here
  EXPECT_EQ((*w)->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ((*w)->interrupt_signal(), SIGINT);
  EXPECT_EQ((*w)->records_written() + (*w)->records_dropped(), i);
  w->reset();
  close(p[0]);
  close(p[1]);
}

// /dev/stdout is the standard output (it used to be refused as a symlink).
TEST_F(LogWriterTest, DevStdoutIsStandardOutput) {
  const std::string path = Path("stdout.txt");
  fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
  close(fd);
  absl::Status status;
  {
    auto w = LogWriter::Open("/dev/stdout", ExistingLog::kAsk);
    if (w.ok()) {
      Put(**w, 0x62, "\n");
      status = (*w)->Sync();
    } else {
      status = w.status();
    }
  }
  dup2(saved, STDOUT_FILENO);
  close(saved);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(ReadFile(path), "62\n");
}

}  // namespace
}  // namespace sysstream
