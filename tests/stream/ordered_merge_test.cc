// SPDX-License-Identifier: Apache-2.0
// OrderedMerge: the k-way merge of per-CPU rings up to a watermark, on
// made-up rings (interleavings, equal timestamps, an idle ring, a ring
// that goes backwards, late entries, drain on stop, random rounds).
#include "cc/stream/ordered_merge.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace sysstream {
namespace {

struct Tagged {
  size_t ring;
  uint64_t ts;
  int seq;  // position in its ring
};

std::vector<std::string> Names(const std::vector<Tagged>& out) {
  std::vector<std::string> names;
  for (const Tagged& t : out) {
    names.push_back(std::string(1, static_cast<char>('a' + t.ring)) +
                    std::to_string(t.seq));
  }
  return names;
}

class Collect {
 public:
  void operator()(const Tagged& t) { out.push_back(t); }
  std::vector<Tagged> out;
};

void AddAll(OrderedMerge<Tagged>& m, size_t ring,
            const std::vector<uint64_t>& stamps) {
  int seq = 0;
  for (uint64_t ts : stamps) m.Add(ring, ts, Tagged{ring, ts, seq++});
}

TEST(OrderedMergeTest, InterleavesRingsByTimestamp) {
  OrderedMerge<Tagged> m(3);
  AddAll(m, 0, {10, 40, 70});
  AddAll(m, 1, {20, 50});
  AddAll(m, 2, {30, 60, 80});
  Collect c;
  EXPECT_EQ(m.ReleaseAll(c), 8u);
  EXPECT_EQ(Names(c.out), (std::vector<std::string>{"a0", "b0", "c0", "a1",
                                                    "b1", "c1", "a2", "c2"}));
  EXPECT_EQ(m.held(), 0u);
  EXPECT_EQ(m.late(), 0u);
}

TEST(OrderedMergeTest, EqualTimestampsGoByRingThenRingOrder) {
  OrderedMerge<Tagged> m(2);
  AddAll(m, 1, {5, 5});
  AddAll(m, 0, {5, 5});
  Collect c;
  m.ReleaseAll(c);
  EXPECT_EQ(Names(c.out),
            (std::vector<std::string>{"a0", "a1", "b0", "b1"}));
}

TEST(OrderedMergeTest, HoldsWhatIsNotYetPastTheWatermark) {
  OrderedMerge<Tagged> m(2);
  AddAll(m, 0, {10, 30});
  AddAll(m, 1, {20, 40});
  Collect c;
  EXPECT_EQ(m.ReleaseUpTo(25, c), 2u);
  EXPECT_EQ(Names(c.out), (std::vector<std::string>{"a0", "b0"}));
  EXPECT_EQ(m.held(), 2u);
  // Ring 0 then delivers an entry stamped 35, before ring 1's 40.
  m.Add(0, 35, Tagged{0, 35, 2});
  EXPECT_EQ(m.ReleaseUpTo(100, c), 3u);
  EXPECT_EQ(Names(c.out), (std::vector<std::string>{"a0", "b0", "a1", "a2",
                                                    "b1"}));
}

// An idle ring (no entries at all) never holds the others back: the
// watermark comes from the clock, not from each ring's last entry.
TEST(OrderedMergeTest, AnIdleRingHoldsNothingBack) {
  OrderedMerge<Tagged> m(4);
  AddAll(m, 2, {100, 200, 300});
  Collect c;
  EXPECT_EQ(m.ReleaseUpTo(250, c), 2u);
  EXPECT_EQ(Names(c.out), (std::vector<std::string>{"c0", "c1"}));
}

// An entry that comes after the watermark passed its time is released in
// the next round, counted, and never put before what already left.
TEST(OrderedMergeTest, LateEntriesAreCountedAndKeepTheOrderMonotonic) {
  OrderedMerge<Tagged> m(2);
  AddAll(m, 0, {10, 20});
  Collect c;
  m.ReleaseUpTo(50, c);
  m.Add(1, 15, Tagged{1, 15, 0});  // stamped before what was released
  m.Add(0, 60, Tagged{0, 60, 2});
  EXPECT_EQ(m.late(), 1u);
  m.ReleaseUpTo(100, c);
  EXPECT_EQ(Names(c.out), (std::vector<std::string>{"a0", "a1", "b0", "a2"}));
  EXPECT_EQ(m.released_key(), 60u);
}

// A ring whose stamps go backwards (a program preempted between taking
// the time and reserving) keeps its own order.
TEST(OrderedMergeTest, ARingThatGoesBackwardsKeepsItsOrder) {
  OrderedMerge<Tagged> m(2);
  AddAll(m, 0, {10, 30, 25, 40});
  AddAll(m, 1, {27});
  Collect c;
  m.ReleaseAll(c);
  EXPECT_EQ(Names(c.out),
            (std::vector<std::string>{"a0", "b0", "a1", "a2", "a3"}));
}

TEST(OrderedMergeTest, WatermarkLeavesTheHoldForEntriesInFlight) {
  EXPECT_EQ(Watermark(1000, 300), 700u);
  EXPECT_EQ(Watermark(100, 300), 0u);
}

// Random rounds: rings filled with increasing stamps, drained in batches
// of random size, released to a watermark that lags the newest stamp by
// at least the hold, as the stream does. Nothing is late, so the result is
// exactly the sort by (ts, ring, ring order), and nothing is lost.
TEST(OrderedMergeTest, RandomRoundsGiveTheSortedOrder) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t rings = 1 + rng() % 8;
    std::vector<std::vector<Tagged>> input(rings);
    uint64_t now = 0;
    std::vector<Tagged> all;
    for (int i = 0; i < 2000; ++i) {
      now += rng() % 3;  // equal stamps are common
      const size_t r = rng() % rings;
      const Tagged t{r, now, static_cast<int>(input[r].size())};
      input[r].push_back(t);
      all.push_back(t);
    }
    OrderedMerge<Tagged> m(rings);
    Collect c;
    std::vector<size_t> next(rings, 0);
    const uint64_t hold = 50;
    uint64_t clock = 0;
    while (clock <= now + hold) {
      clock += rng() % 40;
      // Every ring is drained of what was "committed" by `clock`.
      for (size_t r = 0; r < rings; ++r) {
        while (next[r] < input[r].size() && input[r][next[r]].ts <= clock) {
          const Tagged& t = input[r][next[r]++];
          m.Add(r, t.ts, t);
        }
      }
      m.ReleaseUpTo(Watermark(clock, hold), c);
    }
    m.ReleaseAll(c);
    std::stable_sort(all.begin(), all.end(),
                     [](const Tagged& a, const Tagged& b) {
                       return std::tie(a.ts, a.ring, a.seq) <
                              std::tie(b.ts, b.ring, b.seq);
                     });
    ASSERT_EQ(c.out.size(), all.size()) << "trial " << trial;
    EXPECT_EQ(Names(c.out), Names(all)) << "trial " << trial;
    EXPECT_EQ(m.late(), 0u);
  }
}

// Entries that arrive late at random still all come out, each ring in its
// order, and the release keys never decrease.
TEST(OrderedMergeTest, RandomLateArrivalsLoseNothingAndKeepRingOrder) {
  std::mt19937_64 rng(777);
  OrderedMerge<Tagged> m(3);
  Collect c;
  std::vector<int> seq(3, 0);
  uint64_t now = 1000;
  size_t added = 0;
  for (int round = 0; round < 500; ++round) {
    for (int k = 0; k < 5; ++k) {
      const size_t r = rng() % 3;
      const uint64_t ts = now - rng() % 200;  // some before the watermark
      m.Add(r, ts, Tagged{r, ts, seq[r]++});
      ++added;
    }
    now += 10;
    m.ReleaseUpTo(now - 100, c);
  }
  m.ReleaseAll(c);
  ASSERT_EQ(c.out.size(), added);
  EXPECT_GT(m.late(), 0u);
  std::vector<int> last(3, -1);
  for (const Tagged& t : c.out) {
    EXPECT_EQ(t.seq, last[t.ring] + 1);
    last[t.ring] = t.seq;
  }
}

}  // namespace
}  // namespace sysstream
