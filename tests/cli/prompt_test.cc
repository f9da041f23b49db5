// SPDX-License-Identifier: Apache-2.0
#include "cc/cli/prompt.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

// SIGINT and SIGTERM blocked, as main blocks them before the prompt.
class PromptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sigemptyset(&stop_);
    sigaddset(&stop_, SIGINT);
    sigaddset(&stop_, SIGTERM);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &stop_, &old_), 0);
    ASSERT_EQ(pipe(in_), 0);
    ASSERT_EQ(pipe(out_), 0);
  }
  void TearDown() override {
    const struct timespec zero = {0, 0};
    while (sigtimedwait(&stop_, nullptr, &zero) > 0) {
    }
    sigprocmask(SIG_SETMASK, &old_, nullptr);
    for (int fd : {in_[0], in_[1], out_[0], out_[1]}) close(fd);
  }

  absl::StatusOr<bool> Ask(int* signo) {
    return AskYesNo(in_[0], out_[1], "overwrite? [y/N] ", signo);
  }
  void Type(const std::string& s) {
    ASSERT_EQ(write(in_[1], s.data(), s.size()),
              static_cast<ssize_t>(s.size()));
  }
  std::string Shown() {
    char buf[256];
    const ssize_t n = read(out_[0], buf, sizeof(buf));
    return std::string(buf, n > 0 ? n : 0);
  }

  sigset_t stop_, old_;
  int in_[2], out_[2];
};

TEST_F(PromptTest, YesAndNo) {
  int signo = 0;
  for (const char* yes : {"y\n", "Y\n", "yes\n"}) {
    Type(yes);
    absl::StatusOr<bool> r = Ask(&signo);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(*r) << yes;
    EXPECT_EQ(Shown(), "overwrite? [y/N] ");
  }
  for (const char* no : {"n\n", "\n", "yess\n", "no\n"}) {
    Type(no);
    absl::StatusOr<bool> r = Ask(&signo);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(*r) << no;
  }
  EXPECT_EQ(signo, 0);
}

TEST_F(PromptTest, EndOfInputIsNo) {
  close(in_[1]);
  in_[1] = -1;
  int signo = 0;
  absl::StatusOr<bool> r = Ask(&signo);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r);
}

// Ctrl-C at the prompt used to be ignored (SIGINT is blocked by then).
TEST_F(PromptTest, CtrlCWhileWaitingAborts) {
  std::thread ctrl_c([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kill(getpid(), SIGINT);
  });
  int signo = 0;
  absl::StatusOr<bool> r = Ask(&signo);
  ctrl_c.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "interrupted by SIGINT");
  EXPECT_EQ(signo, SIGINT);
  // Consumed: nothing is left pending for the stream to see later.
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGINT), 0);
}

TEST_F(PromptTest, SigtermAlreadyPendingAborts) {
  ASSERT_EQ(raise(SIGTERM), 0);
  int signo = 0;
  absl::StatusOr<bool> r = Ask(&signo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(signo, SIGTERM);
  EXPECT_EQ(r.status().message(), "interrupted by SIGTERM");
}

}  // namespace
}  // namespace sysstream
