// SPDX-License-Identifier: Apache-2.0
// cc/common: Fd, MakePipe, ReadFile, WriteAll, ParseSize and Shown on real files,
// pipes and /proc.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "cc/common/error_kind.h"
#include "cc/common/fd.h"
#include "cc/common/file_io.h"
#include "cc/common/shown.h"
#include "cc/common/size.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

using testutil::MakeTempDir;
using testutil::TestTmpDir;

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

TEST(FdTest, ClosesOnceAndOnlyWhatItHolds) {
  int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd fd(raw);
    EXPECT_TRUE(fd.valid());
    Fd moved(std::move(fd));
    EXPECT_FALSE(fd.valid());  // NOLINT(bugprone-use-after-move): the point
    EXPECT_EQ(moved.get(), raw);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));

  int kept = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(kept, 0);
  {
    Fd fd(kept);
    EXPECT_EQ(fd.release(), kept);
  }
  EXPECT_TRUE(IsOpen(kept));
  close(kept);
}

TEST(FdTest, MakePipeGivesTwoCloexecEnds) {
  Fd r, w;
  ASSERT_TRUE(MakePipe(&r, &w, O_NONBLOCK));
  EXPECT_NE(fcntl(r.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(w.get(), F_GETFL) & O_NONBLOCK, 0);
  ASSERT_TRUE(WriteAll(w.get(), "abc"));
  char buf[4] = {};
  EXPECT_EQ(read(r.get(), buf, sizeof(buf)), 3);
  EXPECT_STREQ(buf, "abc");
}

TEST(FileIoTest, ReadsWholeFilesAndProcFiles) {
  const std::string dir = MakeTempDir(TestTmpDir(), "file_io");
  const std::string path = dir + "/f";
  std::string big(100000, 'x');
  big[54321] = 'y';
  { std::ofstream(path) << big; }
  absl::StatusOr<std::string> got = ReadFile(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, big);

  // /proc files say size 0 and are read to their end all the same.
  absl::StatusOr<std::string> status = ReadFile("/proc/self/status");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_NE(status->find("\nTgid:\t" + std::to_string(getpid()) + "\n"),
            std::string::npos);
}

TEST(FileIoTest, MissingIsNotFoundAndTooLargeIsOutOfRange) {
  const std::string dir = MakeTempDir(TestTmpDir(), "file_io_errors");
  absl::StatusOr<std::string> missing = ReadFile(dir + "/absent");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("No such file"),
            absl::string_view::npos);
  { std::ofstream(dir + "/f") << std::string(1000, 'a'); }
  EXPECT_TRUE(absl::IsOutOfRange(ReadFile(dir + "/f", 999).status()));
  EXPECT_TRUE(ReadFile(dir + "/f", 1000).ok());
}

TEST(FileIoTest, WriteAllReportsAFullPipe) {
  Fd r, w;
  ASSERT_TRUE(MakePipe(&r, &w, O_NONBLOCK));
  const std::string chunk(1 << 20, 'z');  // more than a pipe holds
  errno = 0;
  EXPECT_FALSE(WriteAll(w.get(), chunk));
  EXPECT_EQ(errno, EAGAIN);
  signal(SIGPIPE, SIG_IGN);  // as sysstream has it blocked: EPIPE instead
  r.reset();
  EXPECT_FALSE(WriteAll(w.get(), "x"));
  EXPECT_EQ(errno, EPIPE);
}

TEST(SizeTest, Suffixes) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("64K"), 64u << 10);
  EXPECT_EQ(*ParseSize("64kib"), 64u << 10);
  EXPECT_EQ(*ParseSize("8M"), 8u << 20);
  EXPECT_EQ(*ParseSize("8MiB"), 8u << 20);
  EXPECT_EQ(*ParseSize("1g"), uint64_t{1} << 30);
  EXPECT_EQ(ParseSize("").status().message(), "not a number");
  EXPECT_EQ(ParseSize("K").status().message(), "not a number");
  EXPECT_EQ(ParseSize("8KB").status().message(),
            "unknown suffix 'KB' (use K, M or G)");
  EXPECT_EQ(ParseSize("8\x01").status().message(),
            "unknown suffix '\\x01' (use K, M or G)");
}

TEST(ShownTest, EscapesWhatWouldBreakTheLine) {
  EXPECT_EQ(Shown("plain text"), "plain text");
  EXPECT_EQ(Shown("a\nb\tc\x7f"), "a\\x0ab\\x09c\\x7f");
  EXPECT_EQ(Shown(std::string("nul\0", 4)), "nul\\x00");
  // UTF-8 stays readable unless the caller asks for bytes.
  EXPECT_EQ(Shown("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(Shown("caf\xc3\xa9", ShownBytes::kNonAscii),
            "caf\\xc3\\xa9");
}

TEST(SizeTest, Bounds) {
  EXPECT_EQ(*ParseSize("1G", uint64_t{1} << 30), uint64_t{1} << 30);
  EXPECT_TRUE(absl::IsOutOfRange(ParseSize("1025M", uint64_t{1} << 30).status()));
  EXPECT_TRUE(absl::IsOutOfRange(
      ParseSize("99999999999999999999999").status()));
  EXPECT_TRUE(absl::IsOutOfRange(ParseSize("17179869184G").status()));
}

TEST(ErrorKindTest, TravelsWithTheStatusNotItsText) {
  absl::Status s = WithKind(absl::FailedPreconditionError("ambiguous-looking"),
                            ErrorKind::kNoPrivilege);
  EXPECT_EQ(KindOf(s), ErrorKind::kNoPrivilege);
  EXPECT_TRUE(IsKind(s, ErrorKind::kNoPrivilege));
  EXPECT_FALSE(IsKind(s, ErrorKind::kAmbiguousTarget));
  EXPECT_EQ(KindOf(absl::FailedPreconditionError("ambiguous name")),
            std::nullopt);
  EXPECT_TRUE(WithKind(absl::OkStatus(), ErrorKind::kUsage).ok());
  EXPECT_EQ(KindOf(WithKind(absl::OkStatus(), ErrorKind::kUsage)),
            std::nullopt);
  // A kind survives being copied into another status by the caller.
  absl::Status copy = s;
  EXPECT_EQ(KindOf(copy), ErrorKind::kNoPrivilege);
}

}  // namespace
}  // namespace sysstream
