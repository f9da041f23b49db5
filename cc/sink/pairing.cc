// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/pairing.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace sysstream {

Event EventFromWire(const sysstream_event& ev, uint32_t fields) {
  Event e = EventFromRecord(ev.record);
  if (fields & kBinTimestamps) e.ts_ns = ev.ts_ns;
  if (fields & kBinTid) e.tid = ev.tid;
  if (fields & kBinComm) {
    e.comm = std::string(ev.comm, strnlen(ev.comm, sizeof(ev.comm)));
  }
  return e;
}

void EventPairer::Add(const sysstream_event& ev) {
  if (ev.kind == SYSSTREAM_EV_GAP) {
    Gap(static_cast<uint32_t>(ev.record));
    return;
  }
  if (!(fields_ & kBinRet)) {
    if (ev.kind == SYSSTREAM_EV_ENTER) out_(EventFromWire(ev, fields_));
    return;
  }
  if (ev.kind == SYSSTREAM_EV_ENTER) {
    auto it = pending_.find(ev.tid);
    if (it != pending_.end()) {
      // Its return never came (execve that replaced the thread, a lost
      // event): show it without one.
      out_(it->second.event);
      pending_.erase(it);
    }
    pending_[ev.tid] = {EventFromWire(ev, fields_), ev.ts_ns, seq_++};
    return;
  }
  if (ev.kind != SYSSTREAM_EV_EXIT) return;
  auto it = pending_.find(ev.tid);
  if (it == pending_.end()) return;  // entered before tracing started
  Event e = it->second.event;
  if (e.nr == (static_cast<uint32_t>(ev.record) & ~kCompatBit)) {
    e.ret = ev.ret;
    e.duration_ns =
        ev.ts_ns >= it->second.ts_ns ? ev.ts_ns - it->second.ts_ns : 0;
  }
  pending_.erase(it);
  out_(e);
}

void EventPairer::Gap(uint64_t lost) {
  Event e;
  e.lost = lost;
  out_(e);
}

void EventPairer::Flush() {
  std::vector<Pending> rest;
  for (auto& [tid, p] : pending_) rest.push_back(p);
  pending_.clear();
  std::sort(rest.begin(), rest.end(),
            [](const Pending& a, const Pending& b) { return a.seq < b.seq; });
  for (const Pending& p : rest) out_(p.event);
}

}  // namespace sysstream
