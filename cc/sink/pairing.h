// SPDX-License-Identifier: Apache-2.0
// Rich events → Events: fills the fields asked for and, with --ret, pairs
// each syscall's entry with its return (per thread: a thread is in at most
// one syscall at a time).
#ifndef SYSSTREAM_CC_SINK_PAIRING_H_
#define SYSSTREAM_CC_SINK_PAIRING_H_

#include <cstdint>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "bpf/sysstream.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/event.h"

namespace sysstream {

// The Event for an entry, with the fields named in `fields` (BinFields).
Event EventFromWire(const sysstream_event& ev, uint32_t fields);

class EventPairer {
 public:
  // `out` receives finished events: at entry without kBinRet; at return
  // (with ret and duration) with it, or unfinished (no ret) by Flush().
  EventPairer(uint32_t fields, std::function<void(const Event&)> out)
      : fields_(fields), out_(std::move(out)) {}

  void Add(const sysstream_event& ev);
  void Gap(uint64_t lost);
  // Calls that never returned (exit_group, or still blocked at stop), in
  // the order they were entered.
  void Flush();

 private:
  struct Pending {
    Event event;
    uint64_t ts_ns;
    uint64_t seq;
  };
  const uint32_t fields_;
  std::function<void(const Event&)> out_;
  absl::flat_hash_map<uint32_t, Pending> pending_;  // by tid
  uint64_t seq_ = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_PAIRING_H_
