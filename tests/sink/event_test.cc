// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/event.h"

#include <utility>

#include "absl/strings/str_cat.h"
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

TEST(Event, SkippedRunsMarkers) {
  Event e = EventFromRecord(0xfffffffe00000003ULL);
  EXPECT_EQ(e.skipped, 3u);
  EXPECT_EQ(e.lost, 0u);
  EXPECT_EQ(FormatText(e, Arch::kX86_64),
            "-- up to 3 calls may be missing (the kernel skipped 3 runs) --");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64), R"({"skipped":3})");
  EXPECT_EQ(FormatText(EventFromRecord(0xfffffffe00000001ULL), Arch::kX86_64),
            "-- up to 1 call may be missing (the kernel skipped 1 run) --");
}

TEST(Event, UnknownAndCompatSyscalls) {
  Event unknown = EventFromRecord((uint64_t{5} << 32) | 999);
  EXPECT_EQ(FormatText(unknown, Arch::kX86_64), "5 syscall_999(999)");
  Event compat = EventFromRecord((uint64_t{5} << 32) | SYSSTREAM_COMPAT_BIT | 3);
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

// UTF-8 names came out as \u00XX per byte: "été" read back as "Ã©tÃ©".
TEST(Event, JsonCommKeepsValidUtf8) {
  Event e = EventFromRecord((uint64_t{100} << 32) | 110);
  e.comm = "\xc3\xa9t\xc3\xa9";  // été
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            "{\"pid\":100,\"nr\":110,\"syscall\":\"getppid\",\"comm\":\"\xc3\xa9t"
            "\xc3\xa9\"}");
  e.comm = "\xe6\x97\xa5\xf0\x9f\x98\x80";  // 日😀
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            "{\"pid\":100,\"nr\":110,\"syscall\":\"getppid\",\"comm\":\"\xe6\x97"
            "\xa5\xf0\x9f\x98\x80\"}");
}

// Control characters, C1 included, are escaped, losslessly.
TEST(Event, JsonCommEscapesControls) {
  Event e = EventFromRecord((uint64_t{1} << 32) | 110);
  e.comm = std::string("a\x01\x1b[\x7f\xc2\x9b\"\\", 9);
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":1,"nr":110,"syscall":"getppid","comm":"a\u0001\u001b[\u007f\u009b\"\\"})");
}

// Bytes that are not UTF-8 (a name cut inside a character, Latin-1): the
// comm shows U+FFFD for each, and comm_hex has the exact bytes.
TEST(Event, JsonCommInvalidUtf8IsMarkedAndKept) {
  Event e = EventFromRecord((uint64_t{1} << 32) | 110);
  e.comm = "ab\xc3";  // cut after the first byte of "é"
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            "{\"pid\":1,\"nr\":110,\"syscall\":\"getppid\",\"comm\":\"ab\xef\xbf\xbd\","
            "\"comm_hex\":\"6162c3\"}");
  for (const std::string bad :
       {"\xe9t\xe9", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
        "\x80"}) {
    e.comm = bad;
    const std::string json = FormatJson(e, Arch::kX86_64);
    EXPECT_NE(json.find("\"comm_hex\":\""), std::string::npos) << json;
    EXPECT_NE(json.find("\xef\xbf\xbd"), std::string::npos) << json;
  }
  // Text lines still show any byte >= 0x80 and controls as \xNN.
  e.comm = "\xc3\xa9\n";
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "1 (\\xc3\\xa9\\x0a) getppid(110)");
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

// Issue 11 §2.8: a 64-bit process passing a number with bit 31 set (the
// kernel runs nothing: -ENOSYS) was shown as an ia32 call. The kernel side
// now marks such numbers out of range (bits 31 and 30, low 30 bits kept).
TEST(Event, OutOfRangeNumbersAreNeverCompatCalls) {
  // syscall(0x80000027) from a 64-bit process, as the kernel records it.
  Event forged = EventFromRecord((uint64_t{5} << 32) | 0xc0000027U);
  EXPECT_FALSE(forged.compat);
  EXPECT_TRUE(forged.out_of_range);
  EXPECT_EQ(forged.nr, 0x27u);
  EXPECT_EQ(FormatText(forged, Arch::kX86_64), "5 out_of_range(39)");
  EXPECT_EQ(FormatJson(forged, Arch::kX86_64),
            R"({"pid":5,"nr":39,"syscall":"out_of_range","out_of_range":true})");
  EXPECT_EQ(RecordNumber(forged), 0xc0000027U);
  // syscall(-1).
  Event minus_one = EventFromRecord((uint64_t{5} << 32) | 0xffffffffU);
  EXPECT_TRUE(minus_one.out_of_range);
  EXPECT_FALSE(minus_one.compat);
  EXPECT_EQ(FormatText(minus_one, Arch::kX86_64),
            "5 out_of_range(1073741823)");
  // The largest ia32 number still reads as one.
  Event compat = EventFromRecord((uint64_t{5} << 32) | 0xbfffffffU);
  EXPECT_TRUE(compat.compat);
  EXPECT_FALSE(compat.out_of_range);
  EXPECT_EQ(RecordNumber(compat), 0xbfffffffU);
}

// Issue 11 §3: these printed as E39/E97/E61/E514.
TEST(Event, ErrnoNamesComeFromTheGeneratedTable) {
  Event e = EventFromRecord((uint64_t{100} << 32) | 84);  // rmdir
  const std::pair<int, const char*> cases[] = {
      {39, "ENOTEMPTY"}, {97, "EAFNOSUPPORT"}, {61, "ENODATA"},
      {514, "ERESTARTNOHAND"}, {512, "ERESTARTSYS"}, {1, "EPERM"},
      {133, "EHWPOISON"}, {11, "EAGAIN"}, {35, "EDEADLK"}};
  for (const auto& [err, name] : cases) {
    e.ret = -err;
    EXPECT_EQ(FormatText(e, Arch::kX86_64),
              absl::StrCat("100 rmdir(84) = -", err, " ", name));
    EXPECT_EQ(FormatJson(e, Arch::kX86_64),
              absl::StrCat(R"({"pid":100,"nr":84,"syscall":"rmdir","ret":-)",
                           err, R"(,"errno":")", name, "\"}"));
  }
  e.ret = -520;  // unused by the kernel
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "100 rmdir(84) = -520");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":100,"nr":84,"syscall":"rmdir","ret":-520,"errno":"E520"})");
}

TEST(Event, ReturnLostIsMarked) {
  Event e = EventFromRecord((uint64_t{100} << 32) | 110);
  e.return_lost = true;
  EXPECT_EQ(FormatText(e, Arch::kX86_64), "100 getppid(110) = ? (return lost)");
  EXPECT_EQ(FormatJson(e, Arch::kX86_64),
            R"({"pid":100,"nr":110,"syscall":"getppid","ret_lost":true})");
}

}  // namespace
}  // namespace sysstream
