// SPDX-License-Identifier: Apache-2.0
// Rich events → Events: fills the fields asked for and, with --ret, pairs
// each syscall's entry with its return (per thread: a thread is in at most
// one syscall at a time).
#ifndef SYSSTREAM_CC_SINK_PAIRING_H_
#define SYSSTREAM_CC_SINK_PAIRING_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "bpf/sysstream.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/event.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {

// The Event for an entry, with the fields named in `fields` (BinFields).
Event EventFromWire(const sysstream_event& ev, uint32_t fields);

// With --ret, every entry gives exactly one Event, whatever happens to its
// return:
//   - at its return event, with ret and duration (rt_sigreturn: the value
//     the kernel restored into the return register, as strace shows it);
//   - at once, without ret, for exit and exit_group (they never return);
//   - without ret and marked return_lost when the thread's next entry
//     comes first (its return event was lost: ring full);
//   - when the thread ends (SYSSTREAM_EV_THREAD_EXIT): without ret if it
//     ended inside the call (killed, or its process exec'd from another
//     thread), else marked return_lost;
//   - an execve from a thread other than the main one returns in the main
//     thread's id (the kernel gives the exec'ing thread the process id):
//     paired by process;
//   - at Flush() (stop), calls still waiting, in entry order: marked
//     return_lost if the kernel's count of lost returns says that all of
//     them lost theirs (threads whose end event was lost too), else
//     without ret (still in the call at stop, or not known).
// At most kMaxPending calls wait for their return; beyond that the oldest
// is given out without one (threads whose exit event was lost).
class EventPairer {
 public:
  static constexpr size_t kMaxPending = 1 << 16;

  EventPairer(uint32_t fields, std::function<void(const Event&)> out,
              Arch arch = HostArch());

  void Add(const sysstream_event& ev);
  void Gap(uint64_t lost);
  // `returns_lost`: the kernel's count of recorded calls whose return
  // event was lost (Probe::returns_lost), if known.
  void Flush(std::optional<uint64_t> returns_lost = std::nullopt);
  size_t pending() const { return pending_.size(); }
  uint64_t marked_lost() const { return marked_lost_; }

 private:
  struct Pending {
    Event event;
    uint64_t ts_ns;
    uint64_t seq;
  };
  bool NeverReturns(const Event& e) const;
  bool IsExecve(const Event& e) const;
  void Give(Pending p, bool return_lost);
  void PruneOldest();

  const uint32_t fields_;
  std::function<void(const Event&)> out_;
  uint32_t exit_nr_[2], exit_group_nr_[2], execve_nr_[2], execveat_nr_[2];
  absl::flat_hash_map<uint32_t, Pending> pending_;  // by tid
  uint64_t seq_ = 0;
  uint64_t marked_lost_ = 0;  // calls given out with return_lost
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_PAIRING_H_
