// SPDX-License-Identifier: Apache-2.0
// The base of the formats that show decoded Events (text, jsonl, the
// summary): a bare record is one Event at once; rich events go through an
// EventPairer, which fills the fields asked for and pairs --ret returns.
#ifndef SYSSTREAM_CC_SINK_EVENT_FORMATTER_H_
#define SYSSTREAM_CC_SINK_EVENT_FORMATTER_H_

#include "cc/sink/event.h"
#include "cc/sink/formatter.h"
#include "cc/sink/pairing.h"

namespace sysstream {

class EventFormatter : public Formatter {
 public:
  // The pairer calls back into this object: never copied.
  EventFormatter(const EventFormatter&) = delete;
  EventFormatter& operator=(const EventFormatter&) = delete;

  void OnRecord(uint64_t record) final { Emit(EventFromRecord(record)); }
  void OnEvent(const sysstream_event& event) final { pairer_.Add(event); }
  void Finish(std::optional<uint64_t> returns_lost) override {
    pairer_.Flush(returns_lost);
  }

 protected:
  // `fields`: the BinFields the rich events carry.
  explicit EventFormatter(uint32_t fields)
      : pairer_(fields, [this](const Event& e) { Emit(e); }) {}
  // Each finished Event (a call, with its return if paired, or a gap).
  virtual void Emit(const Event& event) = 0;

 private:
  EventPairer pairer_;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_EVENT_FORMATTER_H_
