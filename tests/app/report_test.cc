// SPDX-License-Identifier: Apache-2.0
#include "cc/app/report.h"

#include <signal.h>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

TEST(LogNameTest, StandardOutputIsNamed) {
  EXPECT_EQ(LogName("-"), "standard output");
  EXPECT_EQ(LogName("/dev/stdout"), "standard output");
  EXPECT_EQ(LogName("/dev/stderr"), "/dev/stderr");
  EXPECT_EQ(LogName("x.log"), "x.log");
}

TEST(TracingLineTest, EveryScope) {
  EXPECT_EQ(TracingLine({true, 0, 0, false}, "x.log"),
            "tracing all processes into x.log");
  EXPECT_EQ(TracingLine({true, 0, 0, true}, "x.log"),
            "tracing all processes into x.log");
  EXPECT_EQ(TracingLine({false, 1, 0, false}, "x.log"),
            "tracing 1 process into x.log");
  EXPECT_EQ(TracingLine({false, 1, 0, true}, "x.log"),
            "tracing 1 process and its children into x.log");
  EXPECT_EQ(TracingLine({false, 3, 0, true}, "standard output"),
            "tracing 3 processes and their children into standard output");
  EXPECT_EQ(TracingLine({false, 0, 1, false}, "x.log"),
            "tracing 1 cgroup into x.log");
  EXPECT_EQ(TracingLine({false, 2, 2, true}, "x.log"),
            "tracing 2 processes and 2 cgroups and their children into x.log");
  EXPECT_EQ(TracingLine({false, 1, 1, true}, "x.log"),
            "tracing 1 process and 1 cgroup and their children into x.log");
  EXPECT_EQ(TracingLine({false, 1, 0, false, "2 rings"}, "x.log"),
            "tracing 1 process into x.log through 2 rings");
}

StreamStats Stats() {
  StreamStats s;
  s.events = 12;
  s.lost = 3;
  s.returns_lost = 2;
  s.seconds = 1.254;
  return s;
}

TEST(StopReasonTest, EveryReason) {
  StreamStats s = Stats();
  s.stop_signal = SIGINT;
  EXPECT_EQ(StopReason(s, false), "stopped by SIGINT");
  s.stop_signal = 0;
  s.duration_reached = true;
  EXPECT_EQ(StopReason(s, false), "duration reached");
  s.duration_reached = false;
  s.targets_gone = true;
  EXPECT_EQ(StopReason(s, false), "all targets exited");
  s.targets_gone = false;
  EXPECT_EQ(StopReason(s, false), "write error");
}

TEST(StopReasonTest, WhatTheCommandWasSent) {
  StreamStats s = Stats();
  s.stop_signal = SIGTERM;
  s.forwarded_signal = SIGTERM;
  EXPECT_EQ(StopReason(s, true),
            "stopped by SIGTERM; SIGTERM sent to the command");
  EXPECT_EQ(StopReason(s, false), "stopped by SIGTERM");
  s.command_killed = true;
  EXPECT_EQ(StopReason(s, true),
            "stopped by SIGTERM; the command was killed (SIGKILL)");
  s.stop_signal = 0;
  s.duration_reached = true;
  s.command_killed = false;
  EXPECT_EQ(StopReason(s, true),
            "duration reached; SIGTERM sent to the command");
  // The command exited by itself: nothing was sent.
  s.duration_reached = false;
  s.targets_gone = true;
  EXPECT_EQ(StopReason(s, true), "all targets exited");
}

TEST(FinalLineTest, WrittenWithAndWithoutRet) {
  EXPECT_EQ(FinalLine(Stats(), "x.log", false, "all targets exited"),
            "12 events written to x.log, 3 lost, 1.25 s (all targets exited)");
  EXPECT_EQ(FinalLine(Stats(), "standard output", true, "duration reached"),
            "12 events written to standard output, 3 lost, 2 returns lost, "
            "1.25 s (duration reached)");
}

TEST(FinalLineTest, AfterAWriteError) {
  StreamStats s = Stats();
  s.write_status = absl::ResourceExhaustedError("No space left on device");
  EXPECT_EQ(FinalLine(s, "x.log", true, "write error"),
            "12 events, 3 lost, 1.25 s (write error)");
}

TEST(OtherLinesTest, Text) {
  EXPECT_EQ(WaitStoppedLine(SIGTERM),
            "stopped by SIGTERM while waiting; no log written");
  EXPECT_EQ(FollowFailedLine(4),
            "4 children could not be followed: target table full");
  StreamStats none;
  EXPECT_EQ(SkippedRunsLine(none), "");
  StreamStats skipped;
  skipped.skipped = {7, 2, 1, 0};
  skipped.maybe_missing = 7;
  EXPECT_EQ(SkippedRunsLine(skipped),
            "the kernel skipped runs of sysstream's programs (a preempted BPF "
            "program, Linux 7.x): sys_enter 7 (up to 7 calls may be missing, "
            "marked in the log), sys_exit 2 (returns or denied calls), fork 1 "
            "(children not followed), exit 0");
  EXPECT_EQ(LateEntriesLine(1),
            "1 entry reached the merge of the rings after later ones had "
            "been written: written at once, out of order");
  EXPECT_EQ(LateEntriesLine(5),
            "5 entries reached the merge of the rings after later ones had "
            "been written: written at once, out of order");
  EXPECT_EQ(MalformedEntriesLine(3),
            "3 ring entries of an unknown size were not decoded (a sysstream "
            "bug: the BPF program and the reader disagree; please report it)");
  EXPECT_EQ(WriteFailedLine(absl::ResourceExhaustedError("disk full"), 10, 2),
            "disk full; 10 records written, 2 not written");
}

}  // namespace
}  // namespace sysstream
