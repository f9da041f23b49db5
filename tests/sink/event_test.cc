// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/event.h"

#include "gtest/gtest.h"

namespace sysstream {
namespace {

TEST(Event, TheOriginalsWorkedExample) {
  Event e = EventFromRecord(0x7cfc00000062ULL);
  EXPECT_EQ(e.pid, 31996u);
  EXPECT_EQ(e.nr, 98u);
  EXPECT_FALSE(e.compat);
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "31996 getrusage(98)");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":31996,"nr":98,"syscall":"getrusage"})");
  // The same number on arm64 is another syscall.
  EXPECT_EQ(FormatText(e, Arch::kArm64), "31996 futex(98)");
}

TEST(Event, ArchDecidesTheName) {
  Event e = EventFromRecord((uint64_t{7} << 32) | 56);
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "7 clone(56)");
  EXPECT_EQ(FormatText(e, Arch::kArm64), "7 openat(56)");
}

TEST(Event, GapMarkers) {
  Event e = EventFromRecord(0xffffffff0000000cULL);
  EXPECT_EQ(e.lost, 12u);
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "-- 12 records lost --");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64), R"({"gap":12})");
}

TEST(Event, UnknownAndCompatSyscalls) {
  Event unknown = EventFromRecord((uint64_t{5} << 32) | 999);
  EXPECT_EQ(FormatText(unknown, Arch::kX86_64), "5 syscall_999(999)");
  Event compat = EventFromRecord((uint64_t{5} << 32) | kCompatBit | 3);
  EXPECT_TRUE(compat.compat);
  EXPECT_EQ(compat.nr, 3u);
  EXPECT_EQ(FormatText(compat, Arch::kX86_64), "5 ia32:read(3)");
  EXPECT_EQ(FormatJson(compat, Arch::kX86_64),
            R"({"pid":5,"nr":3,"syscall":"ia32:read","compat":true})");
}

TEST(Event, ThreadNamesCannotForgeTextLines) {
  Event e = EventFromRecord((uint64_t{100} << 32) | 110);
  e.comm = "x)\n4242 (init";
  EXPECT_EQ(FormatText(e, Arch::kX86_64),
            "100 (x\\x29\\x0a4242 \\x28init) getppid(110)");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":100,"nr":110,"syscall":"getppid","comm":"x)\u000a4242 (init"})");
}

TEST(Event, RichFields) {
  Event e = EventFromRecord((uint64_t{100} << 32) | 257);
  e.ts_ns = 12000123456ULL;
  e.tid = 101;
  e.comm = "ba\"sh";
  e.ret = -2;
  e.duration_ns = 12345;
  EXPECT_EQ(FormatText(e, Arch::kX86_64),
            "12.000123456 100/101 (ba\"sh) openat(257) = -2 ENOENT <0.000012>");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":100,"nr":257,"syscall":"openat","ts_ns":12000123456,)"
            R"("tid":101,"comm":"ba\"sh","ret":-2,"errno":"ENOENT",)"
            R"("duration_ns":12345})");
  e.ret = 3;
  EXPECT_NE(FormatJson(e, Arch::kX86_64).find(R"("ret":3,"duration_ns")"),
            std::string::npos);
}

}  // namespace
}  // namespace sysstream
