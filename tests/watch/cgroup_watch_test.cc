// SPDX-License-Identifier: Apache-2.0
// CgroupWatch driven look by look with a fake resolver and a fake "still
// there" (no root, no cgroupfs, no thread); CgroupWatcher once with its
// thread.
#include "cc/watch/cgroup_watch.h"

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

TracedCgroup Cg(uint64_t id) {
  return {id, 2, "/sys/fs/cgroup/pod/c" + std::to_string(id)};
}

// The world the watch looks at: the cgroups there now, what resolving
// finds, what the probe accepts.
struct Fake {
  std::set<uint64_t> there;
  absl::StatusOr<std::vector<TracedCgroup>> found = std::vector<TracedCgroup>{};
  absl::Status add_status;
  std::vector<uint64_t> added;
  std::vector<std::string> said;
  int resolves = 0;

  CgroupWatchActions Actions() {
    CgroupWatchActions a;
    a.resolve = [this] {
      ++resolves;
      return found;
    };
    a.add = [this](const TracedCgroup& cg) {
      if (add_status.ok()) added.push_back(cg.id);
      return add_status;
    };
    a.still_there = [this](const TracedCgroup& cg) {
      return there.count(cg.id) > 0;
    };
    a.say = [this](const std::string& line) { said.push_back(line); };
    return a;
  }
};

TEST(CgroupWatchTest, NewCgroupIsTracedAndSaidOnce) {
  Fake fake;
  fake.there = {1, 2};
  CgroupWatch watch({Cg(1)}, fake.Actions());
  fake.found = std::vector<TracedCgroup>{Cg(1), Cg(2)};
  watch.Look();
  watch.Look();
  EXPECT_EQ(fake.added, std::vector<uint64_t>{2});
  EXPECT_EQ(fake.said, std::vector<std::string>{
                           "also tracing new cgroup /sys/fs/cgroup/pod/c2"});
  ASSERT_EQ(watch.known().size(), 2u);
  EXPECT_EQ(watch.known()[1].dir, "/sys/fs/cgroup/pod/c2");
}

TEST(CgroupWatchTest, RefusedCgroupIsSaidOnceAndNotRetried) {
  Fake fake;
  fake.there = {1};
  fake.add_status = absl::FailedPreconditionError("depth 3 not loaded");
  CgroupWatch watch({Cg(1)}, fake.Actions());
  fake.found = std::vector<TracedCgroup>{Cg(7)};
  watch.Look();
  watch.Look();
  EXPECT_TRUE(fake.added.empty());
  EXPECT_EQ(fake.said,
            std::vector<std::string>{"not tracing new cgroup "
                                     "/sys/fs/cgroup/pod/c7: depth 3 not "
                                     "loaded"});
  EXPECT_EQ(watch.known().size(), 1u);
}

TEST(CgroupWatchTest, AllGoneOnlyAfterALookBegunOnceGone) {
  Fake fake;
  fake.there = {1};
  CgroupWatch watch({Cg(1)}, fake.Actions());
  EXPECT_FALSE(watch.AllGone());
  EXPECT_FALSE(watch.look_wanted());
  fake.there.clear();             // removed
  EXPECT_FALSE(watch.AllGone());  // not before a look has found nothing new
  EXPECT_TRUE(watch.look_wanted());
  EXPECT_FALSE(watch.AllGone());
  watch.Look();
  EXPECT_FALSE(watch.look_wanted());
  EXPECT_TRUE(watch.AllGone());
  EXPECT_EQ(fake.resolves, 1);
}

TEST(CgroupWatchTest, ALookBegunBeforeTheCgroupWentDoesNotCount) {
  Fake fake;
  fake.there = {1};
  CgroupWatch watch({Cg(1)}, fake.Actions());
  const uint64_t early = watch.BeginLook();  // resolving, slowly
  fake.there.clear();
  EXPECT_FALSE(watch.AllGone());
  watch.FinishLook(early, std::vector<TracedCgroup>{});
  EXPECT_FALSE(watch.AllGone());
  watch.Look();
  EXPECT_TRUE(watch.AllGone());
}

TEST(CgroupWatchTest, ARestartIsNotAllGone) {
  Fake fake;
  fake.there = {1};
  CgroupWatch watch({Cg(1)}, fake.Actions());
  fake.there = {2};  // the old cgroup removed, a new one of the same name
  EXPECT_FALSE(watch.AllGone());
  fake.found = std::vector<TracedCgroup>{Cg(2)};
  watch.Look();
  EXPECT_FALSE(watch.AllGone());
  EXPECT_EQ(fake.added, std::vector<uint64_t>{2});
  fake.there.clear();  // and that one goes too
  fake.found = std::vector<TracedCgroup>{};
  EXPECT_FALSE(watch.AllGone());
  watch.Look();
  EXPECT_TRUE(watch.AllGone());
}

TEST(CgroupWatchTest, AFailedResolveAddsNothingButCountsAsALook) {
  Fake fake;
  CgroupWatch watch({Cg(1)}, fake.Actions());
  fake.found = absl::NotFoundError("no running containers of pod 'ns/p'");
  EXPECT_FALSE(watch.AllGone());
  watch.Look();
  EXPECT_TRUE(fake.said.empty());
  EXPECT_TRUE(watch.AllGone());
}

TEST(CgroupWatcherTest, ItsThreadLooksAndStops) {
  Fake fake;
  fake.there = {};
  std::mutex mu;
  CgroupWatchActions actions = fake.Actions();
  auto resolve = actions.resolve;
  actions.resolve = [&mu, resolve] {
    std::lock_guard<std::mutex> lock(mu);
    return resolve();
  };
  CgroupWatcher watcher({Cg(1)}, actions, std::chrono::milliseconds(10));
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = watcher.AllGone();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE(fake.resolves, 1);
}

}  // namespace
}  // namespace sysstream
