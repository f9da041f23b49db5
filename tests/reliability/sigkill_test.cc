// SPDX-License-Identifier: Apache-2.0
// sysstream killed with SIGKILL (no chance to clean up) leaves nothing
// attached in the kernel: every program, link and map it held is gone once
// the process is, and the kernel's sysstream programs and maps (by name)
// and links are again exactly those there were before it started.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/tracer.h"
#include "tests/reliability/bpf_objects.h"

namespace reliability {
namespace {

using ::sysstream::harness::TempPath;
using ::sysstream::harness::Tracer;
using ::sysstream::harness::Workload;
using ::testing::HasSubstr;

bool AnyExists(BpfKind kind, const std::set<uint32_t>& ids) {
  for (uint32_t id : ids) {
    if (BpfExists(kind, id)) return true;
  }
  return false;
}

struct Snapshot {
  std::set<uint32_t> progs, maps, links;
  bool operator==(const Snapshot& o) const {
    return progs == o.progs && maps == o.maps && links == o.links;
  }
};

Snapshot Take() {
  return {IdsNamed(BpfKind::kProg, kSysstreamProgNames),
          IdsNamed(BpfKind::kMap, kSysstreamMapNames),
          BpfIds(BpfKind::kLink)};
}

// Starts sysstream with `args` on a busy target, kills it with SIGKILL, and
// checks that the kernel let go of everything it held.
// The baseline: the kernel frees a program or map some time after its last
// user is gone (RCU, a workqueue), so first let those of an earlier
// sysstream (the previous test) go: wait until every sysstream-named
// object is held open by a live process.
Snapshot SettledBaseline() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const Snapshot s = Take();
    const HeldObjects live = HeldByAnyProcess();
    bool settled = true;
    for (uint32_t id : s.progs) settled = settled && live.progs.count(id);
    for (uint32_t id : s.maps) settled = settled && live.maps.count(id);
    if (settled || std::chrono::steady_clock::now() > deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void KillAndCheck(std::vector<std::string> args, bool overflow) {
  const Snapshot before = SettledBaseline();
  const std::string sink = TempPath("sigkill.data");
  Workload w = Workload::Start({"writes", sink, "0"});
  args.push_back(std::to_string(w.proc.pid));
  Tracer t = Tracer::Start(args, overflow);
  ASSERT_THAT(t.ready_line, HasSubstr("sysstream: tracing"));
  w.Poke();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const HeldObjects held = HeldBy(t.proc.pid);
  // raw_tp/sys_enter and sys_exit, tp_btf fork and exit: 4 programs, each
  // attached by a link; the ring, the target maps, cpu_state, .rodata, .bss.
  EXPECT_EQ(held.progs.size(), 4u);
  EXPECT_EQ(held.links.size(), 4u);
  EXPECT_GE(held.maps.size(), 5u);
  for (uint32_t id : held.progs) {
    EXPECT_EQ(kSysstreamProgNames.count(BpfName(BpfKind::kProg, id)), 1u)
        << "unexpected program " << BpfName(BpfKind::kProg, id);
  }
  kill(t.proc.pid, SIGKILL);
  t.Finish();
  EXPECT_EQ(t.exit_code, 128 + SIGKILL);
  // The kernel frees programs and maps after the last reference is
  // dropped (RCU, a workqueue): give it a moment.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline &&
         (AnyExists(BpfKind::kLink, held.links) ||
          AnyExists(BpfKind::kProg, held.progs) ||
          AnyExists(BpfKind::kMap, held.maps))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(AnyExists(BpfKind::kLink, held.links)) << "a link survived";
  EXPECT_FALSE(AnyExists(BpfKind::kProg, held.progs)) << "a program survived";
  EXPECT_FALSE(AnyExists(BpfKind::kMap, held.maps)) << "a map survived";
  // Back to the baseline: the same sysstream-named programs and maps and
  // the same links as before. Another sysstream started or stopped outside
  // this test meanwhile would change them; so an object that is new must be
  // held open by a live process (it is that other sysstream's), never
  // orphaned in the kernel.
  Snapshot after = Take();
  while (std::chrono::steady_clock::now() < deadline && !(after == before)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    after = Take();
  }
  if (!(after == before)) {
    const HeldObjects live = HeldByAnyProcess();
    after = Take();
    auto orphans = [](const std::set<uint32_t>& now,
                      const std::set<uint32_t>& was,
                      const std::set<uint32_t>& held) {
      std::set<uint32_t> out;
      for (uint32_t id : now) {
        if (!was.count(id) && !held.count(id)) out.insert(id);
      }
      return out;
    };
    EXPECT_THAT(orphans(after.progs, before.progs, live.progs),
                ::testing::IsEmpty());
    EXPECT_THAT(orphans(after.maps, before.maps, live.maps),
                ::testing::IsEmpty());
    EXPECT_THAT(orphans(after.links, before.links, live.links),
                ::testing::IsEmpty());
    std::printf("(another sysstream ran meanwhile: baseline compared up to "
                "the objects it holds)\n");
  }
  std::printf("SIGKILL%s: it held %zu programs, %zu links, %zu maps; in the "
              "kernel before/after: %zu/%zu sysstream programs, %zu/%zu "
              "sysstream maps, %zu/%zu links\n",
              overflow ? " during ring overflow" : " mid-burst",
              held.progs.size(), held.links.size(), held.maps.size(),
              before.progs.size(), after.progs.size(), before.maps.size(),
              after.maps.size(), before.links.size(), after.links.size());
  kill(w.proc.pid, SIGKILL);
  w.Finish();
  unlink(sink.c_str());
}

TEST(Sigkill, NothingStaysAttached) {
  KillAndCheck({"-q", "--ret", "-F", "-f", TempPath("sigkill.log")}, false);
}

TEST(Sigkill, NothingStaysAttachedWhenKilledDuringOverflow) {
  KillAndCheck({"-q", "-v", "--ring-size", "4096", "--ret", "-F", "-f",
                TempPath("sigkill2.log")},
               true);
}

}  // namespace
}  // namespace reliability

int main(int argc, char** argv) {
  return sysstream::harness::BpfTestMain(argc, argv);
}
