// SPDX-License-Identifier: Apache-2.0
// --ret pairing: every entry gives exactly one event, at the right time.
#include "cc/sink/pairing.h"

#include <string>
#include <vector>

#include "cc/sink/summary.h"
#include "cc/syscalls/syscalls.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

constexpr uint32_t kPid = 100;

uint32_t Nr(const char* name) { return *SyscallNumber(Arch::kX86_64, name); }

sysstream_event Wire(uint16_t kind, uint32_t tid, uint32_t nr, int64_t ret = 0,
                     uint64_t ts = 0) {
  sysstream_event ev = {};
  ev.kind = kind;
  ev.size = sizeof(ev);
  ev.tid = tid;
  ev.ts_ns = ts;
  ev.record = (uint64_t{kPid} << 32) | nr;
  ev.ret = ret;
  return ev;
}

class PairingTest : public ::testing::Test {
 protected:
  PairingTest()
      : pairer_(
            kBinRet | kBinTid,
            [this](const Event& e) {
              lines_.push_back(FormatText(e, Arch::kX86_64));
            },
            Arch::kX86_64) {}
  void Enter(uint32_t tid, const char* name, uint64_t ts = 0) {
    pairer_.Add(Wire(SYSSTREAM_EV_ENTER, tid, Nr(name), 0, ts));
  }
  void Exit(uint32_t tid, uint32_t nr, int64_t ret, uint64_t ts = 0) {
    pairer_.Add(Wire(SYSSTREAM_EV_EXIT, tid, nr, ret, ts));
  }
  EventPairer pairer_;
  std::vector<std::string> lines_;
};

TEST_F(PairingTest, ExitAndExitGroupAreGivenAtOnce) {
  Enter(101, "exit");
  EXPECT_EQ(lines_, (std::vector<std::string>{"100/101 exit(60)"}));
  Enter(100, "exit_group");
  EXPECT_EQ(lines_.back(), "100/100 exit_group(231)");
  EXPECT_EQ(pairer_.pending(), 0u);
}

TEST_F(PairingTest, ExecveFromAnotherThreadReturnsInTheMainThread) {
  Enter(100, "ppoll");
  Enter(101, "execve");
  // The kernel ends the main thread, then the exec returns as tid 100.
  pairer_.Add(Wire(SYSSTREAM_EV_THREAD_EXIT, 100, 0, /*in_call=*/1));
  Exit(100, Nr("execve"), 0);
  Enter(100, "getppid");
  Exit(100, Nr("getppid"), 1);
  Enter(100, "exit_group");
  EXPECT_EQ(
      lines_,
      (std::vector<std::string>{
          "100/100 ppoll(271)", "100/101 execve(59) = 0 <0.000000>",
          "100/100 getppid(110) = 1 <0.000000>", "100/100 exit_group(231)"}));
}

TEST_F(PairingTest, ThreadExitForgetsItsCall) {
  Enter(102, "read");
  EXPECT_EQ(pairer_.pending(), 1u);
  // Killed inside the call.
  pairer_.Add(Wire(SYSSTREAM_EV_THREAD_EXIT, 102, 0, /*in_call=*/1));
  EXPECT_EQ(pairer_.pending(), 0u);
  // Ended outside a call: the pending call's return was lost.
  Enter(103, "getppid");
  pairer_.Add(Wire(SYSSTREAM_EV_THREAD_EXIT, 103, 0, /*in_call=*/0));
  EXPECT_EQ(lines_,
            (std::vector<std::string>{
                "100/102 read(0)", "100/103 getppid(110) = ? (return lost)"}));
}

TEST_F(PairingTest, RtSigreturnGetsTheRestoredValue) {
  Enter(100, "rt_sigreturn", 10);
  // The kernel cancels the number (-1) while restoring the registers.
  Exit(100, 0xffffffffU, 42, 1010);
  EXPECT_EQ(
      lines_,
      (std::vector<std::string>{"100/100 rt_sigreturn(15) = 42 <0.000001>"}));
}

TEST_F(PairingTest, LostReturnIsMarkedWhenTheThreadEntersAgain) {
  SyscallSummary summary;
  EventPairer p(kBinRet, [&](const Event& e) {
    lines_.push_back(FormatText(e, Arch::kX86_64));
    summary.Add(e);
  });
  p.Add(Wire(SYSSTREAM_EV_ENTER, 100, Nr("getppid")));
  // Its return event was lost (ring full); the next call comes.
  p.Add(Wire(SYSSTREAM_EV_ENTER, 100, Nr("gettid")));
  p.Add(Wire(SYSSTREAM_EV_EXIT, 100, Nr("gettid"), 100));
  // A return whose entry was lost: the pending call lost its return too.
  p.Add(Wire(SYSSTREAM_EV_ENTER, 100, Nr("getppid")));
  p.Add(Wire(SYSSTREAM_EV_EXIT, 100, Nr("gettid"), 100));
  EXPECT_EQ(lines_,
            (std::vector<std::string>{"100 getppid(110) = ? (return lost)",
                                      "100 gettid(186) = 100 <0.000000>",
                                      "100 getppid(110) = ? (return lost)"}));
  EXPECT_EQ(summary.calls(), 3u);
  EXPECT_EQ(summary.returns_lost(), 2u);
  EXPECT_NE(summary.Table(Arch::kX86_64)
                .find("returns lost                        2\n"),
            std::string::npos)
      << "[" << summary.Table(Arch::kX86_64) << "]";
}

TEST_F(PairingTest, FlushMarksWhatTheKernelCountSays) {
  Enter(100, "getppid");
  Enter(101, "read");
  pairer_.Flush(/*returns_lost=*/1);  // not both: not known which
  EXPECT_EQ(lines_, (std::vector<std::string>{"100/100 getppid(110)",
                                              "100/101 read(0)"}));
  lines_.clear();
  Enter(100, "getppid");
  Enter(101, "getppid");
  pairer_.Flush(/*returns_lost=*/2);
  EXPECT_EQ(lines_, (std::vector<std::string>{
                        "100/100 getppid(110) = ? (return lost)",
                        "100/101 getppid(110) = ? (return lost)"}));
}

TEST_F(PairingTest, PendingCallsAreBounded) {
  for (uint32_t tid = 1; tid <= EventPairer::kMaxPending + 10; ++tid) {
    Enter(tid, "read");
  }
  EXPECT_EQ(pairer_.pending(), EventPairer::kMaxPending);
  EXPECT_EQ(lines_.size(), 10u);
  EXPECT_EQ(lines_[0], "100/1 read(0)");  // the oldest first
}

}  // namespace
}  // namespace sysstream
