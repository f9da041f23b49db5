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
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cc/cli/options.h"
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
TEST_F(LogWriterTest, CheckAgreesWithOpenOnDanglingSymlink) {
  const std::string link = Path("link.log");
  ASSERT_EQ(symlink(Path("elsewhere.log").c_str(), link.c_str()), 0);
  const absl::Status check = CheckLogPath(link, ExistingLog::kAsk);
  auto w = LogWriter::Open(link, ExistingLog::kAsk);
  EXPECT_EQ(check.ok(), w.ok()) << check << " vs " << w.status();
  EXPECT_EQ(check.code(), absl::StatusCode::kAlreadyExists) << check;
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
  Put(**w, MakeRecord(kGapPid, 12), "\t");
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
  // O_EXCL: a symlink is never followed to create a file.
  const std::string target = Path("elsewhere.log");
  const std::string link = Path("link.log");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  auto w = LogWriter::Open(link, ExistingLog::kAsk);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kAlreadyExists) << w.status();
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

TEST_F(LogWriterTest, PartialWriteIsCutBackToWholeRecords) {
  const std::string path = Path("limited.log");
  auto w = LogWriter::Open(path, ExistingLog::kAsk);
  ASSERT_TRUE(w.ok()) << w.status();
  const uint64_t first = 0x7cfc000000000000ULL;
  const uint64_t count = 200000;  // 17 bytes each, ~3.2 MiB
  {
    // 1.5 buffers: the first buffer fits, the second is written in part.
    FileSizeLimit limit(LogWriter::kBufferSize + LogWriter::kBufferSize / 2);
    if (!limit.ok()) GTEST_SKIP() << "cannot set RLIMIT_FSIZE here";
    for (uint64_t i = 0; i < count; ++i) Put(**w, first + i, "\t");
    (void)(*w)->Sync();
  }
  const absl::Status& s = (*w)->status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr(std::strerror(EFBIG)));
  EXPECT_THAT(s.message(), HasSubstr(path));
  const uint64_t written = (*w)->records_written();
  EXPECT_EQ(written, LogWriter::kBufferSize / 17) << "one whole buffer";
  EXPECT_EQ(written + (*w)->records_dropped(), count);
  const std::string content = ReadFile(path);
  EXPECT_EQ(content.size(), written * 17) << "no torn record";
  EXPECT_TRUE(content == Expected(first, written, "\t"));
}

}  // namespace
}  // namespace sysstream
