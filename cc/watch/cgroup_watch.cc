// SPDX-License-Identifier: Apache-2.0
#include "cc/watch/cgroup_watch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sysstream {

CgroupWatch::CgroupWatch(std::vector<TracedCgroup> known,
                         CgroupWatchActions actions)
    : actions_(std::move(actions)), known_(std::move(known)) {}

bool CgroupWatch::AllGone() {
  for (const TracedCgroup& cg : known_) {
    if (actions_.still_there(cg)) {
      gone_at_ = 0;
      return false;
    }
  }
  if (gone_at_ == 0) {
    gone_at_ = started_ + 1;  // the next look to begin
    look_wanted_ = true;
    return false;
  }
  return done_ >= gone_at_;
}

uint64_t CgroupWatch::BeginLook() {
  look_wanted_ = false;
  return ++started_;
}

void CgroupWatch::FinishLook(
    uint64_t look, const absl::StatusOr<std::vector<TracedCgroup>>& now) {
  if (now.ok()) AddNew(*now);
  done_ = look;
}

void CgroupWatch::Look() {
  const uint64_t look = BeginLook();
  FinishLook(look, actions_.resolve());
}

bool CgroupWatch::Known(uint64_t id) const {
  auto same = [id](const TracedCgroup& k) { return k.id == id; };
  return std::any_of(known_.begin(), known_.end(), same) ||
         std::find(refused_.begin(), refused_.end(), id) != refused_.end();
}

// Each new cgroup is said once, traced or not.
void CgroupWatch::AddNew(const std::vector<TracedCgroup>& now) {
  for (const TracedCgroup& cg : now) {
    if (Known(cg.id)) continue;
    if (absl::Status s = actions_.add(cg); !s.ok()) {
      refused_.push_back(cg.id);
      actions_.say(
          absl::StrCat("not tracing new cgroup ", cg.dir, ": ", s.message()));
      continue;
    }
    known_.push_back(cg);
    actions_.say(absl::StrCat("also tracing new cgroup ", cg.dir));
  }
}

CgroupWatcher::CgroupWatcher(std::vector<TracedCgroup> known,
                             CgroupWatchActions actions,
                             std::chrono::milliseconds interval)
    : interval_(interval),
      watch_(std::move(known), std::move(actions)),
      thread_([this] { Run(); }) {}

CgroupWatcher::~CgroupWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool CgroupWatcher::AllGone() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool gone = watch_.AllGone();
  if (watch_.look_wanted()) wake_.notify_all();
  return gone;
}

void CgroupWatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait_for(lock, interval_,
                   [this] { return stop_ || watch_.look_wanted(); });
    if (stop_) return;
    const uint64_t look = watch_.BeginLook();
    lock.unlock();
    absl::StatusOr<std::vector<TracedCgroup>> now = watch_.actions().resolve();
    lock.lock();
    watch_.FinishLook(look, now);
  }
}

}  // namespace sysstream
