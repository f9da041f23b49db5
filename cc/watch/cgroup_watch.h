// SPDX-License-Identifier: Apache-2.0
// Named containers, pods and cgroups resolved again while tracing: the
// cgroups that appeared since (a container that restarted, a service
// started again) are traced too, and once every traced cgroup is gone the
// stream may stop. CgroupWatch is the logic, with no thread and no clock
// (each look is called directly, so tests drive it step by step);
// CgroupWatcher runs its looks once a second on a thread of its own.
#ifndef SYSSTREAM_CC_WATCH_CGROUP_WATCH_H_
#define SYSSTREAM_CC_WATCH_CGROUP_WATCH_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cc/target/cgroup.h"

namespace sysstream {

struct CgroupWatchActions {
  // Resolves the named targets again: their cgroups now. Not ok: e.g. none
  // of the pod's containers runs just now.
  std::function<absl::StatusOr<std::vector<TracedCgroup>>()> resolve;
  // Traces a cgroup that appeared (the probe's late cgroup table).
  std::function<absl::Status(const TracedCgroup&)> add;
  // True while a cgroup traced is still there (CgroupStillThere).
  std::function<bool(const TracedCgroup&)> still_there;
  // A line for the user ("also tracing new cgroup DIR").
  std::function<void(const std::string&)> say;
};

// Callers serialize the calls (CgroupWatcher holds a mutex).
class CgroupWatch {
 public:
  CgroupWatch(std::vector<TracedCgroup> known, CgroupWatchActions actions);

  // True once every traced cgroup is gone and a look begun after that
  // found no new one: a restart removes the old cgroup before the new one
  // can be seen, which must not end the stream. The first time every
  // cgroup is seen gone it asks for a look at once (look_wanted).
  bool AllGone();
  bool look_wanted() const { return look_wanted_; }

  // One look, in two steps so that the resolving (slow: a runtime's
  // socket) can run unlocked: BeginLook, then actions.resolve(), then
  // FinishLook with what it found. Look() does all three.
  uint64_t BeginLook();
  void FinishLook(uint64_t look,
                  const absl::StatusOr<std::vector<TracedCgroup>>& now);
  void Look();

  const CgroupWatchActions& actions() const { return actions_; }
  const std::vector<TracedCgroup>& known() const { return known_; }

 private:
  void AddNew(const std::vector<TracedCgroup>& now);
  bool Known(uint64_t id) const;

  CgroupWatchActions actions_;
  std::vector<TracedCgroup> known_;
  std::vector<uint64_t> refused_;  // ids the probe would not take
  bool look_wanted_ = false;
  uint64_t started_ = 0;  // looks begun
  uint64_t done_ = 0;     // the last look finished
  uint64_t gone_at_ = 0;  // the look that must finish before "all gone"
};

// A CgroupWatch looked through once a second (and at once when AllGone
// asks), on a thread of its own: a slow runtime, e.g. a Docker daemon that
// takes seconds to answer, must not hold up draining the ring.
class CgroupWatcher {
 public:
  CgroupWatcher(std::vector<TracedCgroup> known, CgroupWatchActions actions,
                std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~CgroupWatcher();  // stops the thread and waits for it
  CgroupWatcher(const CgroupWatcher&) = delete;
  CgroupWatcher& operator=(const CgroupWatcher&) = delete;

  bool AllGone();

 private:
  void Run();

  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  CgroupWatch watch_;   // guarded by mu_
  bool stop_ = false;   // guarded by mu_
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_WATCH_CGROUP_WATCH_H_
