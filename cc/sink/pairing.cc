// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/pairing.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace sysstream {
namespace {

constexpr uint32_t kNoNr = 0xffffffffU;

uint32_t NumberOr(Arch arch, absl::string_view name) {
  return SyscallNumber(arch, name).value_or(kNoNr);
}

// The kernel cancels the number of a call in flight (-1) when it restores
// user registers (rt_sigreturn, sigreturn) or a tracer skips the call: the
// return then carries out-of-range -1 instead of the entry's number.
bool CancelledNumber(uint32_t record_nr) {
  return record_nr == (SYSSTREAM_NR_OUT_OF_RANGE | SYSSTREAM_NR_LOW_BITS);
}

}  // namespace

Event EventFromWire(const sysstream_event& ev, uint32_t fields) {
  Event e = EventFromRecord(ev.record);
  if (fields & kBinTimestamps) e.ts_ns = ev.ts_ns;
  if (fields & kBinTid) e.tid = ev.tid;
  if (fields & kBinComm) {
    e.comm = std::string(ev.comm, strnlen(ev.comm, sizeof(ev.comm)));
  }
  return e;
}

EventPairer::EventPairer(uint32_t fields, std::function<void(const Event&)> out,
                         Arch arch)
    : fields_(fields), out_(std::move(out)) {
  // [0]: the log's own architecture, [1]: ia32 compat calls.
  const Arch arches[2] = {arch, Arch::kI386};
  for (int i = 0; i < 2; ++i) {
    exit_nr_[i] = NumberOr(arches[i], "exit");
    exit_group_nr_[i] = NumberOr(arches[i], "exit_group");
    execve_nr_[i] = NumberOr(arches[i], "execve");
    execveat_nr_[i] = NumberOr(arches[i], "execveat");
  }
}

bool EventPairer::NeverReturns(const Event& e) const {
  if (e.out_of_range) return false;
  const int i = e.compat ? 1 : 0;
  return e.nr == exit_nr_[i] || e.nr == exit_group_nr_[i];
}

bool EventPairer::IsExecve(const Event& e) const {
  if (e.out_of_range) return false;
  const int i = e.compat ? 1 : 0;
  return e.nr == execve_nr_[i] || e.nr == execveat_nr_[i];
}

void EventPairer::Give(Pending p, bool return_lost) {
  p.event.return_lost = return_lost;
  if (return_lost) ++marked_lost_;
  out_(p.event);
}

void EventPairer::PruneOldest() {
  auto oldest = pending_.begin();
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->second.seq < oldest->second.seq) oldest = it;
  }
  Pending p = std::move(oldest->second);
  pending_.erase(oldest);
  Give(std::move(p), /*return_lost=*/false);
}

void EventPairer::Add(const sysstream_event& ev) {
  if (ev.kind == SYSSTREAM_EV_GAP) {
    Gap(static_cast<uint32_t>(ev.record));
    return;
  }
  if (ev.kind == SYSSTREAM_EV_SKIP) {
    Event e;
    e.skipped = static_cast<uint32_t>(ev.record);
    out_(e);
    return;
  }
  if (!(fields_ & kBinRet)) {
    if (ev.kind == SYSSTREAM_EV_ENTER) out_(EventFromWire(ev, fields_));
    return;
  }
  if (ev.kind == SYSSTREAM_EV_ENTER) {
    auto it = pending_.find(ev.tid);
    if (it != pending_.end()) {
      // A thread enters a call only after the previous one returned: that
      // return event was lost.
      Pending p = std::move(it->second);
      pending_.erase(it);
      Give(std::move(p), /*return_lost=*/true);
    }
    Event e = EventFromWire(ev, fields_);
    if (NeverReturns(e)) {
      out_(e);
      return;
    }
    if (pending_.size() >= kMaxPending) PruneOldest();
    pending_[ev.tid] = {std::move(e), ev.ts_ns, seq_++};
    return;
  }
  if (ev.kind == SYSSTREAM_EV_THREAD_EXIT) {
    auto it = pending_.find(ev.tid);
    if (it == pending_.end()) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    // Not in a call when it ended: the return of this one was lost.
    Give(std::move(p), /*return_lost=*/ev.ret == 0);
    return;
  }
  if (ev.kind != SYSSTREAM_EV_EXIT) return;
  const Event ret = EventFromRecord(ev.record);
  auto it = pending_.find(ev.tid);
  if (it == pending_.end() && IsExecve(ret) && ev.ret == 0) {
    // An execve from another thread of this process returns here, in the
    // thread whose id is the process id.
    for (auto p = pending_.begin(); p != pending_.end(); ++p) {
      if (p->second.event.pid == ret.pid && IsExecve(p->second.event)) {
        it = p;
        break;
      }
    }
  }
  if (it == pending_.end()) return;  // entered before tracing started
  Pending p = std::move(it->second);
  pending_.erase(it);
  const uint32_t ret_nr = static_cast<uint32_t>(ev.record);
  if (RecordNumber(p.event) != ret_nr && !CancelledNumber(ret_nr)) {
    // The return of a call whose entry was lost: the pending call's own
    // return came before it and was lost too.
    Give(std::move(p), /*return_lost=*/true);
    return;
  }
  p.event.ret = ev.ret;
  p.event.duration_ns = ev.ts_ns >= p.ts_ns ? ev.ts_ns - p.ts_ns : 0;
  Give(std::move(p), /*return_lost=*/false);
}

void EventPairer::Gap(uint64_t lost) {
  Event e;
  e.lost = lost;
  out_(e);
}

void EventPairer::Flush(std::optional<uint64_t> returns_lost) {
  const bool all_lost = returns_lost.has_value() && !pending_.empty() &&
                        *returns_lost >= marked_lost_ &&
                        *returns_lost - marked_lost_ == pending_.size();
  std::vector<Pending> rest;
  for (auto& [tid, p] : pending_) rest.push_back(std::move(p));
  pending_.clear();
  std::sort(rest.begin(), rest.end(),
            [](const Pending& a, const Pending& b) { return a.seq < b.seq; });
  for (Pending& p : rest) Give(std::move(p), all_lost);
}

}  // namespace sysstream
