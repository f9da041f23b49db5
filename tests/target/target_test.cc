// SPDX-License-Identifier: Apache-2.0
#include "cc/target/target.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A real /proc/PID/status (Linux 6.18, taken from /proc/self/status), with
// the fields this test varies as placeholders.
constexpr char kStatusTemplate[] =
    "Name:\tcat\n"
    "Umask:\t0022\n"
    "State:\t$STATE\n"
    "Tgid:\t$TGID\n"
    "Ngid:\t0\n"
    "Pid:\t$PID\n"
    "PPid:\t11770\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t$TGID\t1\n"
    "NSpid:\t$PID\t1\n"
    "NSpgid:\t11770\n"
    "NSsid:\t10731\n"
    "Kthread:\t0\n"
    "VmPeak:\t    3060 kB\n"
    "VmSize:\t    3060 kB\n"
    "VmLck:\t       0 kB\n"
    "VmPin:\t       0 kB\n"
    "VmHWM:\t    1768 kB\n"
    "VmRSS:\t    1768 kB\n"
    "RssAnon:\t     112 kB\n"
    "RssFile:\t    1656 kB\n"
    "RssShmem:\t       0 kB\n"
    "VmData:\t     360 kB\n"
    "VmStk:\t     132 kB\n"
    "VmExe:\t      20 kB\n"
    "VmLib:\t    1528 kB\n"
    "VmPTE:\t      44 kB\n"
    "VmSwap:\t       0 kB\n"
    "HugetlbPages:\t       0 kB\n"
    "CoreDumping:\t0\n"
    "THP_enabled:\t1\n"
    "untag_mask:\t0xffffffffffffffff\n"
    "Threads:\t1\n"
    "SigQ:\t0/96365\n"
    "SigPnd:\t0000000000000000\n"
    "ShdPnd:\t0000000000000000\n"
    "SigBlk:\t0000000000000000\n"
    "SigIgn:\t0000000000000000\n"
    "SigCgt:\t0000000000000000\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n"
    "Speculation_Store_Bypass:\tvulnerable\n"
    "SpeculationIndirectBranch:\talways enabled\n"
    "Cpus_allowed:\t3\n"
    "Cpus_allowed_list:\t0-1\n"
    "Mems_allowed:\t00000000,00000001\n"
    "Mems_allowed_list:\t0\n"
    "voluntary_ctxt_switches:\t0\n"
    "nonvoluntary_ctxt_switches:\t0\n";

std::string Status(uint32_t pid, uint32_t tgid, absl::string_view state) {
  return absl::StrReplaceAll(kStatusTemplate, {{"$STATE", state},
                                               {"$TGID", absl::StrCat(tgid)},
                                               {"$PID", absl::StrCat(pid)}});
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- ParseProcStatus ----

TEST(IsKernelThreadStatTest, FlagsFieldAfterTheLastParenthesis) {
  // kthreadd: flags 0x208040 (PF_KTHREAD set).
  EXPECT_TRUE(IsKernelThreadStat(
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2"));
  // A user process whose name holds ") S 0 0 0 0 -1 2129984": the fields
  // count from the last ')'.
  EXPECT_FALSE(IsKernelThreadStat(
      "77 (x) S 0 0 0 0 -1 2129984) S 1 77 77 0 -1 4194560 0 0 0 0 0"));
  EXPECT_FALSE(IsKernelThreadStat(
      "1 (systemd) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 2"));
  EXPECT_FALSE(IsKernelThreadStat("garbage"));
  EXPECT_FALSE(IsKernelThreadStat("3 (short) S 0"));
}

TEST(ParseProcStatusTest, Process) {
  auto st = ParseProcStatus(Status(11773, 11773, "R (running)"));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->tgid, 11773u);
  EXPECT_EQ(st->state, 'R');
}

TEST(ParseProcStatusTest, Thread) {
  auto st = ParseProcStatus(Status(11780, 11773, "S (sleeping)"));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->tgid, 11773u) << "Tgid, not Pid or NStgid";
  EXPECT_EQ(st->state, 'S');
}

TEST(ParseProcStatusTest, States) {
  for (const char* state :
       {"R (running)", "S (sleeping)", "D (disk sleep)", "T (stopped)",
        "t (tracing stop)", "Z (zombie)", "X (dead)", "I (idle)"}) {
    auto st = ParseProcStatus(Status(42, 42, state));
    ASSERT_TRUE(st.ok()) << state << ": " << st.status();
    EXPECT_EQ(st->state, state[0]);
    EXPECT_EQ(st->tgid, 42u);
  }
}

TEST(ParseProcStatusTest, LargestPid) {
  auto st = ParseProcStatus(Status(4194304, 4194304, "S (sleeping)"));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->tgid, 4194304u);
}

TEST(ParseProcStatusTest, MinimalText) {
  auto st = ParseProcStatus("State:\tS (sleeping)\nTgid:\t7\n");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->tgid, 7u);
  EXPECT_EQ(st->state, 'S');
  // Without the final newline too.
  st = ParseProcStatus("Tgid:\t8\nState:\tZ (zombie)");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->tgid, 8u);
  EXPECT_EQ(st->state, 'Z');
}

TEST(ParseProcStatusTest, MissingTgid) {
  std::string text = Status(11773, 11773, "R (running)");
  text = absl::StrReplaceAll(text, {{"\nTgid:\t11773\n", "\n"}});
  ASSERT_EQ(text.find("\nTgid:"), std::string::npos);
  ASSERT_NE(text.find("NStgid:"), std::string::npos);
  auto st = ParseProcStatus(text);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument)
      << st.status();
}

TEST(ParseProcStatusTest, MissingState) {
  std::string text = Status(11773, 11773, "R (running)");
  text = absl::StrReplaceAll(text, {{"State:\tR (running)\n", ""}});
  auto st = ParseProcStatus(text);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument)
      << st.status();
}

TEST(ParseProcStatusTest, EmptyState) {
  auto st = ParseProcStatus("State:\t\nTgid:\t1\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseProcStatusTest, Empty) {
  auto st = ParseProcStatus("");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseProcStatusTest, MalformedTgid) {
  for (const char* bad :
       {"abc", "", "-1", "12x", "1 2", "0x10", "99999999999999999999"}) {
    std::string text = absl::StrReplaceAll(
        kStatusTemplate,
        {{"$STATE", "S (sleeping)"}, {"$TGID", bad}, {"$PID", "5"}});
    auto st = ParseProcStatus(text);
    ASSERT_FALSE(st.ok()) << "Tgid '" << bad << "' accepted as " << st->tgid;
    EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument)
        << st.status();
    EXPECT_THAT(st.status().message(), HasSubstr("Tgid")) << bad;
  }
}

TEST(ParseProcStatusTest, RealSelfStatus) {
  auto st = ParseProcStatus(ReadFile("/proc/self/status"));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->tgid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(st->state, 'R');
}

// ---- ResolvePids with a fake /proc ----

class FakeProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string tmpl =
        absl::StrCat(base && *base ? base : "/tmp", "/target_XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    root_ = tmpl;
    proc_ = root_ + "/proc";
    ASSERT_EQ(mkdir(proc_.c_str(), 0755), 0);
  }
  void TearDown() override {
    std::string cmd = absl::StrCat("rm -rf '", root_, "'");
    (void)!std::system(cmd.c_str());
  }
  void Add(uint32_t pid, uint32_t tgid, absl::string_view state) {
    AddRaw(pid, Status(pid, tgid, state));
  }
  void AddRaw(uint32_t pid, const std::string& text) {
    const std::string dir = absl::StrCat(proc_, "/", pid);
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
    std::ofstream out(dir + "/status");
    out << text;
    ASSERT_TRUE(out.good());
  }
  std::string root_, proc_;
};

TEST_F(FakeProcTest, Process) {
  Add(100, 100, "S (sleeping)");
  auto r = ResolvePids({100}, proc_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(100u));
}

TEST_F(FakeProcTest, ThreadResolvesToProcess) {
  Add(100, 100, "S (sleeping)");
  Add(105, 100, "R (running)");
  auto r = ResolvePids({105}, proc_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(100u));
}

TEST_F(FakeProcTest, ThreadAndProcessDeduplicated) {
  Add(100, 100, "S (sleeping)");
  Add(105, 100, "R (running)");
  Add(106, 100, "D (disk sleep)");
  for (const std::vector<int32_t>& in :
       {std::vector<int32_t>{100, 105}, std::vector<int32_t>{105, 100},
        std::vector<int32_t>{105, 106}, std::vector<int32_t>{100, 100, 106}}) {
    auto r = ResolvePids(in, proc_);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_THAT(*r, ElementsAre(100u));
  }
}

TEST_F(FakeProcTest, OrderPreserved) {
  Add(300, 300, "S (sleeping)");
  Add(100, 100, "S (sleeping)");
  Add(200, 200, "R (running)");
  Add(201, 200, "S (sleeping)");
  auto r = ResolvePids({300, 201, 100, 200, 300}, proc_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(300u, 200u, 100u));
}

TEST_F(FakeProcTest, Empty) {
  auto r = ResolvePids({}, proc_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, IsEmpty());
}

TEST_F(FakeProcTest, Zombie) {
  Add(100, 100, "S (sleeping)");
  Add(200, 200, "Z (zombie)");
  auto r = ResolvePids({100, 200}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_EQ(r.status().message(), "process 200 has already exited");
}

TEST_F(FakeProcTest, Dead) {
  Add(200, 200, "X (dead)");
  auto r = ResolvePids({200}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_EQ(r.status().message(), "process 200 has already exited");
}

TEST_F(FakeProcTest, Missing) {
  Add(100, 100, "S (sleeping)");
  auto r = ResolvePids({100, 12345}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_EQ(r.status().message(), "no such process: 12345");
}

TEST_F(FakeProcTest, FirstFailureIsNamed) {
  Add(200, 200, "Z (zombie)");
  auto r = ResolvePids({7, 200}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no such process: 7");
  r = ResolvePids({200, 7}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "process 200 has already exited");
}

TEST_F(FakeProcTest, NonPositivePids) {
  auto r = ResolvePids({0}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no such process: 0");
  r = ResolvePids({-1}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no such process: -1");
}

TEST_F(FakeProcTest, MalformedStatusIsInternal) {
  AddRaw(100, "Name:\tx\nState:\tS (sleeping)\n");
  auto r = ResolvePids({100}, proc_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(proc_ + "/100/status"));
}

TEST_F(FakeProcTest, NoSelfNsPid) {
  auto ns = CurrentPidNamespace(proc_);
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kFailedPrecondition)
      << ns.status();
  EXPECT_THAT(ns.status().message(), HasSubstr(proc_ + "/self/ns/pid"));
}

// ---- The real /proc ----

// Waits (bounded) until /proc says `pid` is a zombie.
bool WaitForZombie(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    auto st = ParseProcStatus(ReadFile(absl::StrCat("/proc/", pid, "/status")));
    if (st.ok() && st->state == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(RealProcTest, Self) {
  auto r = ResolvePids({getpid()});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(static_cast<uint32_t>(getpid())));
}

TEST(RealProcTest, OwnThreadResolvesToSelf) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::thread t([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (tid == 0) std::this_thread::yield();
  ASSERT_NE(tid.load(), getpid());
  auto r = ResolvePids({tid.load(), getpid()});
  auto alone = ResolvePids({tid.load()});
  done = true;
  t.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(static_cast<uint32_t>(getpid())));
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_THAT(*alone, ElementsAre(static_cast<uint32_t>(getpid())));
}

TEST(RealProcTest, CurrentPidNamespace) {
  auto ns = CurrentPidNamespace();
  ASSERT_TRUE(ns.ok()) << ns.status();
  struct stat sb;
  ASSERT_EQ(stat("/proc/self/ns/pid", &sb), 0) << std::strerror(errno);
  EXPECT_EQ(ns->ino, static_cast<uint64_t>(sb.st_ino));
  EXPECT_EQ(ns->dev, static_cast<uint64_t>(sb.st_dev));
  EXPECT_NE(ns->ino, 0u);
  EXPECT_EQ(ns->initial, ns->ino == kInitialPidNamespaceIno);
}

TEST(RealProcTest, ProcessAliveSelf) {
  EXPECT_TRUE(ProcessAlive(static_cast<uint32_t>(getpid())));
  EXPECT_TRUE(ProcessAlive(static_cast<uint32_t>(getppid())) || getppid() == 0);
}

TEST(RealProcTest, ProcessAliveNonexistent) {
  EXPECT_FALSE(ProcessAlive(0));
  EXPECT_FALSE(ProcessAlive(0xfffffffeU));
}

TEST(RealProcTest, ZombieAndReapedChild) {
  pid_t child = fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) _exit(0);
  ASSERT_TRUE(WaitForZombie(child));
  EXPECT_FALSE(ProcessAlive(static_cast<uint32_t>(child)));
  auto r = ResolvePids({child});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("process ", child, " has already exited"));
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(ProcessAlive(static_cast<uint32_t>(child)));
  r = ResolvePids({child});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), absl::StrCat("no such process: ", child));
}

TEST(RealProcTest, RunningChildIsAlive) {
  pid_t child = fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    pause();
    _exit(0);
  }
  EXPECT_TRUE(ProcessAlive(static_cast<uint32_t>(child)));
  auto r = ResolvePids({child, getpid()});
  kill(child, SIGKILL);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(static_cast<uint32_t>(child),
                              static_cast<uint32_t>(getpid())));
}

// A process whose main thread has exited (pthread_exit) keeps running on its
// other threads, but its /proc/PID/status says "State: Z (zombie)".
void* SleepThenExit(void*) {
  sleep(30);
  _exit(0);
}

TEST(RealProcTest, ProcessWithExitedMainThreadIsAlive) {
  pid_t child = fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    pthread_t t;
    if (pthread_create(&t, nullptr, SleepThenExit, nullptr) != 0) _exit(1);
    // Like pthread_exit, but without unwinding through gtest's frames.
    syscall(SYS_exit, 0);
  }
  ASSERT_TRUE(WaitForZombie(child));  // the leader; a thread still runs
  const std::string status = ReadFile(absl::StrCat("/proc/", child, "/status"));
  bool has_live_thread = false;
  const std::string task_dir = absl::StrCat("/proc/", child, "/task");
  if (DIR* d = opendir(task_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      auto st = ParseProcStatus(
          ReadFile(absl::StrCat(task_dir, "/", e->d_name, "/status")));
      if (st.ok() && st->state != 'Z' && st->state != 'X') {
        has_live_thread = true;
      }
    }
    closedir(d);
  }
  const bool alive = ProcessAlive(static_cast<uint32_t>(child));
  auto r = ResolvePids({child});
  kill(child, SIGKILL);
  int wstatus;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(has_live_thread) << status;
  EXPECT_TRUE(alive);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(static_cast<uint32_t>(child)));
}

}  // namespace
}  // namespace sysstream
