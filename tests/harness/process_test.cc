// SPDX-License-Identifier: Apache-2.0
// The process helpers the BPF tests stand on: pipes, exit codes, the
// environment, and the /proc states they wait for.
#include "tests/harness/process.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace sysstream::harness {
namespace {

TEST(ProcessTest, PipesAndExitCode) {
  SpawnOptions o;
  o.pipe_in = true;
  o.pipe_out = true;
  o.pipe_err = true;
  Child c =
      Spawn({"/bin/sh", "-c",
             "echo first; echo oops >&2; read x; echo \"got $x\"; exit 3"},
            o);
  EXPECT_EQ(ReadLine(c.out), "first");
  ASSERT_EQ(write(c.in, "in\n", 3), 3);
  close(c.in);
  EXPECT_EQ(ReadAll(c.out), "got in\n");
  EXPECT_EQ(ReadAll(c.err), "oops\n");
  EXPECT_EQ(Wait(c.pid), 3);
  close(c.out);
  close(c.err);
}

TEST(ProcessTest, EnvironmentReplacesOurs) {
  SpawnOptions o;
  o.pipe_out = true;
  o.env = std::vector<std::string>{"ONLY=1"};
  Child c = Spawn({"/bin/sh", "-c", "echo \"$ONLY ${HOME:-no-home}\""}, o);
  EXPECT_EQ(ReadAll(c.out), "1 no-home\n");
  EXPECT_EQ(Wait(c.pid), 0);
  close(c.out);
}

TEST(ProcessTest, InChildRunsBeforeExec) {
  SpawnOptions o;
  o.in_child = [] { _exit(42); };
  EXPECT_EQ(Wait(Spawn({"/bin/true"}, o).pid), 42);
}

TEST(ProcessTest, WaitGivesSignalsAsShellsDo) {
  EXPECT_EQ(Wait(Spawn({"/bin/sh", "-c", "kill -9 $$"}, {}).pid),
            128 + SIGKILL);
  EXPECT_EQ(Wait(Spawn({"/nonexistent/program"}, {}).pid), 126);
  EXPECT_EQ(Wait(-1), -1);  // never "any child"
}

TEST(ProcessTest, ReadLineGivesUpAfterItsTimeout) {
  SpawnOptions o;
  o.pipe_in = true;
  o.pipe_out = true;
  Child c = Spawn({"/bin/sh", "-c", "printf partial; read x; exit 0"}, o);
  EXPECT_EQ(ReadLine(c.out, 300), "partial");
  close(c.in);
  EXPECT_EQ(Wait(c.pid), 0);
  close(c.out);
}

TEST(ProcessTest, BlockedInReadStoppedAndCpuTicks) {
  SpawnOptions o;
  o.pipe_in = true;
  Child c = Spawn({"/bin/sh", "-c", "read x"}, o);
  EXPECT_TRUE(WaitBlockedInRead(c.pid));
  EXPECT_GE(CpuTicks(c.pid), 0);
  ASSERT_EQ(kill(c.pid, SIGSTOP), 0);
  EXPECT_TRUE(WaitStopped(c.pid));
  ASSERT_EQ(kill(c.pid, SIGKILL), 0);
  // A zombie has exited: no more CPU time, and nothing to wait for.
  EXPECT_TRUE(WaitCpuTicks(c.pid, 1000000));
  EXPECT_EQ(CpuTicks(c.pid), -1);
  EXPECT_EQ(Wait(c.pid), 128 + SIGKILL);
  close(c.in);
}

TEST(ProcessTest, FilesAndTempPaths) {
  const std::string path = TempPath("process_test.file");
  EXPECT_FALSE(Exists(path));
  EXPECT_EQ(ReadFile(path), "");
  EXPECT_EQ(FileSize(path), 0u);
  std::ofstream(path) << "12345";
  EXPECT_EQ(ReadFile(path), "12345");
  EXPECT_EQ(FileSize(path), 5u);
  EXPECT_TRUE(WaitGrown(path, 0));
  // TempPath starts afresh.
  EXPECT_EQ(TempPath("process_test.file"), path);
  EXPECT_FALSE(Exists(path));
  // A dangling symbolic link is there all the same.
  ASSERT_EQ(symlink("/nonexistent", path.c_str()), 0);
  EXPECT_TRUE(Exists(path));
  unlink(path.c_str());
}

}  // namespace
}  // namespace sysstream::harness
