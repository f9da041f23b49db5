// SPDX-License-Identifier: Apache-2.0
// Restores one global order from many rings (one per CPU or CPU group): a
// k-way merge by timestamp up to a watermark, the way perf orders per-CPU
// buffers (FINISHED_ROUND).
//
// Each ring delivers its entries in its own order. An entry is released
// only once the watermark has passed its timestamp, i.e. once no ring can
// still deliver an earlier one; the caller sets the watermark from the
// clock it read before draining every ring (see Watermark). Ties are
// broken by ring index, then by ring order, so the result is deterministic.
//
// Two guarantees hold whatever the input:
//  - each ring's entries leave in that ring's order;
//  - release keys never decrease. An entry's key is its timestamp, raised
//    to its ring's previous key if the ring went backwards, and raised to
//    the last key released if it arrived after the watermark had passed it
//    (such an entry is "late": released at once and counted, never held
//    back or dropped).
#ifndef SYSSTREAM_CC_STREAM_ORDERED_MERGE_H_
#define SYSSTREAM_CC_STREAM_ORDERED_MERGE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sysstream {

// The watermark after a drain of every ring that began at `drain_start_ns`
// (the clock the kernel stamps entries with): entries stamped up to
// `hold_ns` before it may still have been in flight (stamped, not yet
// committed) while the drain ran.
inline uint64_t Watermark(uint64_t drain_start_ns, uint64_t hold_ns) {
  return drain_start_ns > hold_ns ? drain_start_ns - hold_ns : 0;
}

template <typename Entry>
class OrderedMerge {
 public:
  explicit OrderedMerge(size_t rings) : rings_(rings), last_key_(rings, 0) {}

  size_t rings() const { return rings_.size(); }
  size_t held() const { return held_; }
  // Entries that arrived after the watermark had passed their timestamp.
  uint64_t late() const { return late_; }
  // The key of the last entry released (0 before the first).
  uint64_t released_key() const { return released_key_; }

  // An entry taken from `ring`, in that ring's order, stamped `ts`.
  void Add(size_t ring, uint64_t ts, Entry entry) {
    uint64_t key = std::max(ts, last_key_[ring]);
    if (key < floor_) {
      key = floor_;
      ++late_;
    }
    last_key_[ring] = key;
    rings_[ring].push_back(Held{key, std::move(entry)});
    ++held_;
  }

  // Passes every held entry whose key is at most `watermark` to
  // `emit(const Entry&)`, in order; returns how many. Entries added from
  // now on with an earlier timestamp are late.
  template <typename Emit>
  size_t ReleaseUpTo(uint64_t watermark, Emit&& emit) {
    floor_ = std::max(floor_, watermark);
    return Release(watermark, emit);
  }

  // Passes every held entry to `emit`, in order (on stop, after the last
  // drain); returns how many.
  template <typename Emit>
  size_t ReleaseAll(Emit&& emit) {
    const size_t n = Release(UINT64_MAX, emit);
    floor_ = std::max(floor_, released_key_);
    return n;
  }

 private:
  struct Held {
    uint64_t key;
    Entry entry;
  };

  // A ring's held entries, oldest first: a vector consumed from the front,
  // so that a steady stream reuses its memory (no allocation per entry).
  class Fifo {
   public:
    bool empty() const { return head_ == items_.size(); }
    Held& front() { return items_[head_]; }
    void push_back(Held held) { items_.push_back(std::move(held)); }
    void pop_front() {
      if (++head_ == items_.size()) {
        items_.clear();  // keeps the capacity
        head_ = 0;
      } else if (head_ >= 4096 && head_ * 2 >= items_.size()) {
        items_.erase(items_.begin(), items_.begin() + head_);
        head_ = 0;
      }
    }

   private:
    std::vector<Held> items_;
    size_t head_ = 0;
  };

  template <typename Emit>
  size_t Release(uint64_t limit, Emit& emit) {
    // A min-heap of the rings whose first held entry is due, by (key, ring).
    heap_.clear();
    for (size_t r = 0; r < rings_.size(); ++r) {
      if (!rings_[r].empty() && rings_[r].front().key <= limit) {
        heap_.push_back(r);
      }
    }
    auto later = [this](size_t a, size_t b) {
      const uint64_t ka = rings_[a].front().key, kb = rings_[b].front().key;
      return ka != kb ? ka > kb : a > b;
    };
    std::make_heap(heap_.begin(), heap_.end(), later);
    size_t released = 0;
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const size_t r = heap_.back();
      heap_.pop_back();
      Fifo& q = rings_[r];
      // Ring r's entries go out in a run while they come before every
      // other ring's first due entry (one heap step per run, not per entry:
      // often one ring is all that is due).
      // With no other ring due, the run goes to the limit.
      const uint64_t next_key =
          heap_.empty() ? UINT64_MAX : rings_[heap_.front()].front().key;
      const size_t next_ring = heap_.empty() ? SIZE_MAX : heap_.front();
      do {
        released_key_ = std::max(released_key_, q.front().key);
        emit(static_cast<const Entry&>(q.front().entry));
        q.pop_front();
        --held_;
        ++released;
      } while (!q.empty() && q.front().key <= limit &&
               (q.front().key < next_key ||
                (q.front().key == next_key && r < next_ring)));
      if (!q.empty() && q.front().key <= limit) {
        heap_.push_back(r);
        std::push_heap(heap_.begin(), heap_.end(), later);
      }
    }
    return released;
  }

  std::vector<Fifo> rings_;
  std::vector<uint64_t> last_key_;  // per ring: the key of its last entry
  std::vector<size_t> heap_;        // scratch for Release
  uint64_t floor_ = 0;              // the highest watermark released to
  uint64_t released_key_ = 0;
  uint64_t late_ = 0;
  size_t held_ = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_STREAM_ORDERED_MERGE_H_
