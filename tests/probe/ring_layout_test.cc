// SPDX-License-Identifier: Apache-2.0
// The default size of each ring by the number of rings, and how the layout
// is named on the "tracing" line.
#include "gtest/gtest.h"
#include "cc/probe/probe.h"

namespace sysstream {
namespace {

constexpr uint64_t kMiB = 1u << 20;

TEST(DefaultRingBytesTest, EightMiBUntilTheBudgetThenLessButNeverBelowOne) {
  EXPECT_EQ(DefaultRingBytes(1), 8 * kMiB);
  EXPECT_EQ(DefaultRingBytes(2), 8 * kMiB);
  EXPECT_EQ(DefaultRingBytes(32), 8 * kMiB);   // 256 MiB in all
  EXPECT_EQ(DefaultRingBytes(33), 4 * kMiB);
  EXPECT_EQ(DefaultRingBytes(64), 4 * kMiB);
  EXPECT_EQ(DefaultRingBytes(128), 2 * kMiB);
  EXPECT_EQ(DefaultRingBytes(256), 1 * kMiB);
  EXPECT_EQ(DefaultRingBytes(4096), 1 * kMiB);  // past the budget: the floor
  for (uint32_t rings = 1; rings <= 4096; ++rings) {
    const uint64_t bytes = DefaultRingBytes(rings);
    ASSERT_EQ(bytes & (bytes - 1), 0u) << rings;  // a power of two
  }
}

TEST(RingLayoutTextTest, NamesTheRingsTheirSizeAndTheTotal) {
  EXPECT_EQ(RingLayoutText({2, 1, 8 * kMiB}),
            "2 rings (1 per CPU) of 8 MiB, 16 MiB in all");
  EXPECT_EQ(RingLayoutText({1, 1, 64 << 10}),
            "1 ring (1 per CPU) of 64 KiB, 64 KiB in all");
  EXPECT_EQ(RingLayoutText({32, 2, 4 * kMiB}),
            "32 rings (1 per 2 CPUs) of 4 MiB, 128 MiB in all");
  EXPECT_EQ(RingLayoutText({4, 1, 4096}),
            "4 rings (1 per CPU) of 4 KiB, 16 KiB in all");
}

}  // namespace
}  // namespace sysstream
