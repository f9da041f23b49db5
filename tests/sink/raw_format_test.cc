// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/raw_format.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

// Formats into a buffer that is larger than needed and pre-filled with a
// canary, so writes past the returned length are caught.
std::string Format(uint64_t record, absl::string_view delimiter) {
  const size_t max = MaxRawRecordSize(delimiter);
  std::vector<char> buf(max + 16, '#');
  const size_t n = FormatRaw(record, delimiter, buf.data());
  EXPECT_LE(n, max) << std::hex << record;
  for (size_t i = n; i < buf.size(); ++i) {
    EXPECT_EQ(buf[i], '#') << "byte " << i << " written past the end for "
                           << std::hex << record;
  }
  return std::string(buf.data(), n);
}

// The reference: what the original utility printed.
std::string Reference(uint64_t record, absl::string_view delimiter) {
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%" PRIx64, record);
  return std::string(buf, n) + std::string(delimiter);
}

TEST(RawFormatTest, WorkedExample) {
  const uint64_t record = 0x7cfc00000062ULL;
  EXPECT_EQ(RecordPid(record), 31996u);
  EXPECT_EQ(RecordSyscall(record), 98u);
  EXPECT_FALSE(IsGapMarker(record));
  EXPECT_EQ(MakeRecord(31996, 98), record);
  EXPECT_EQ(Format(record, "\t"), "7cfc00000062\t");
}

TEST(RawFormatTest, GoldenValues) {
  EXPECT_EQ(Format(0, "\t"), "0\t");
  EXPECT_EQ(Format(1, "\t"), "1\t");
  EXPECT_EQ(Format(0xf, "\t"), "f\t");
  EXPECT_EQ(Format(0x10, "\t"), "10\t");
  EXPECT_EQ(Format(0xff, "\t"), "ff\t");
  EXPECT_EQ(Format(0x100, "\t"), "100\t");
  EXPECT_EQ(Format(0xabcdef, "\t"), "abcdef\t");
  EXPECT_EQ(Format(0xffffffffULL, "\t"), "ffffffff\t");
  EXPECT_EQ(Format(0x100000000ULL, "\t"), "100000000\t");
  EXPECT_EQ(Format(0x8000000000000000ULL, "\t"), "8000000000000000\t");
  EXPECT_EQ(Format(0xffffffffffffffffULL, "\t"), "ffffffffffffffff\t");
  EXPECT_EQ(Format(0x0123456789abcdefULL, "\t"), "123456789abcdef\t");
}

TEST(RawFormatTest, EmptyDelimiter) {
  EXPECT_EQ(Format(0, ""), "0");
  EXPECT_EQ(Format(0xf, ""), "f");
  EXPECT_EQ(Format(0x10, ""), "10");
  EXPECT_EQ(Format(0xffffffffffffffffULL, ""), "ffffffffffffffff");
}

TEST(RawFormatTest, GapMarker) {
  const uint64_t gap = MakeRecord(SYSSTREAM_GAP_PID, 12);
  EXPECT_EQ(gap, 0xffffffff0000000cULL);
  EXPECT_TRUE(IsGapMarker(gap));
  EXPECT_EQ(RecordPid(gap), 0xffffffffu);
  EXPECT_EQ(RecordSyscall(gap), 12u);
  EXPECT_EQ(Format(gap, "\t"), "ffffffff0000000c\t");
  EXPECT_EQ(Format(gap, ""), "ffffffff0000000c");
}

TEST(RawFormatTest, IsGapMarkerOnlyForPidAllOnes) {
  EXPECT_FALSE(IsGapMarker(0));
  EXPECT_FALSE(IsGapMarker(MakeRecord(0xfffffffeU, 12)));
  EXPECT_FALSE(IsGapMarker(0x00000000ffffffffULL));
  EXPECT_TRUE(IsGapMarker(MakeRecord(0xffffffffU, 0)));
  EXPECT_TRUE(IsGapMarker(0xffffffffffffffffULL));
}

TEST(RawFormatTest, MakeRecordRoundTrip) {
  const uint32_t values[] = {
      0, 1, 98, 31996, 0x7fffffffU, 0x80000000U, 0xfffffffeU, 0xffffffffU};
  for (uint32_t pid : values) {
    for (uint32_t nr : values) {
      const uint64_t r = MakeRecord(pid, nr);
      EXPECT_EQ(RecordPid(r), pid);
      EXPECT_EQ(RecordSyscall(r), nr);
      EXPECT_EQ(r, (uint64_t{pid} << 32) + nr);
    }
  }
}

TEST(RawFormatTest, MultiCharDelimiters) {
  EXPECT_EQ(Format(0x7cfc00000062ULL, "\n"), "7cfc00000062\n");
  EXPECT_EQ(Format(0x7cfc00000062ULL, ", "), "7cfc00000062, ");
  EXPECT_EQ(Format(0, ", "), "0, ");
  EXPECT_EQ(Format(0xffffffffffffffffULL, ", "), "ffffffffffffffff, ");
  EXPECT_EQ(Format(0x2a, " | record | "), "2a | record | ");
}

TEST(RawFormatTest, NulDelimiter) {
  const std::string nul(1, '\0');
  const std::string out = Format(0x62, nul);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out, std::string("62\0", 3));
}

TEST(RawFormatTest, MaxRawRecordSize) {
  EXPECT_EQ(MaxRawRecordSize(""), 16u);
  EXPECT_EQ(MaxRawRecordSize("\t"), 17u);
  EXPECT_EQ(MaxRawRecordSize(", "), 18u);
  // The bound is reached by the largest value and never exceeded.
  char buf[64];
  EXPECT_EQ(FormatRaw(0xffffffffffffffffULL, "\t", buf), 17u);
  EXPECT_EQ(FormatRaw(0x8000000000000000ULL, ", ", buf), 18u);
}

TEST(RawFormatTest, ReturnValueIsLength) {
  char buf[64];
  EXPECT_EQ(FormatRaw(0, "\t", buf), 2u);
  EXPECT_EQ(FormatRaw(0xf, "\t", buf), 2u);
  EXPECT_EQ(FormatRaw(0x10, "\t", buf), 3u);
  EXPECT_EQ(FormatRaw(0x7cfc00000062ULL, "\t", buf), 13u);
  EXPECT_EQ(FormatRaw(0x7cfc00000062ULL, "", buf), 12u);
}

TEST(RawFormatTest, MatchesSnprintfAtEveryBoundary) {
  for (const char* delim : {"\t", "\n", ", ", ""}) {
    for (int bit = 0; bit < 64; ++bit) {
      const uint64_t p = uint64_t{1} << bit;
      for (uint64_t v : {p, p - 1, p + 1, p | (p - 1), ~p, ~(p - 1)}) {
        ASSERT_EQ(Format(v, delim), Reference(v, delim))
            << std::hex << v << " bit " << std::dec << bit;
      }
    }
    // Every number of hex digits, all digit values.
    for (int digits = 1; digits <= 16; ++digits) {
      for (uint64_t d = 0; d < 16; ++d) {
        uint64_t v = 0;
        for (int i = 0; i < digits; ++i) v = (v << 4) | ((d + i) & 0xf);
        ASSERT_EQ(Format(v, delim), Reference(v, delim)) << std::hex << v;
      }
    }
  }
}

TEST(RawFormatTest, MatchesSnprintfForPseudoRandomValues) {
  std::mt19937_64 rng(0x5eed5eedULL);
  char buf[64];
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng();
    // Spread values over every length, not just 16-digit ones.
    v >>= (i % 65 == 64) ? 63 : (i % 64);
    const size_t n = FormatRaw(v, "\t", buf);
    ASSERT_EQ(std::string(buf, n), Reference(v, "\t")) << std::hex << v;
  }
}

}  // namespace
}  // namespace sysstream
