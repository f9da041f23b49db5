// SPDX-License-Identifier: Apache-2.0
// Each Formatter's exact bytes, record by record: bare records, rich events,
// gap markers, --ret pairing and thread ends, delimiters; and the one
// registration point of the formats.
#include <cstring>
#include <string>
#include <vector>

#include "bpf/sysstream.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/bin_formatter.h"
#include "cc/sink/formats.h"
#include "cc/sink/line_formatter.h"
#include "cc/sink/raw_format.h"
#include "cc/sink/raw_formatter.h"
#include "cc/sink/summary.h"
#include "cc/sink/summary_formatter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint32_t kPid = 31996;
constexpr uint32_t kTid = 31997;
constexpr uint32_t kGetrusage = 98;  // x86_64
constexpr uint32_t kOpenat = 257;
constexpr uint32_t kGetppid = 110;
constexpr uint32_t kAllFields = kBinTimestamps | kBinTid | kBinComm | kBinRet;
constexpr uint64_t kTs = 12000123456;  // 12.000123456 s

// Every Write, one string each (a record never split or joined).
class Records : public FormatOutput {
 public:
  void Write(absl::string_view record) override {
    written.emplace_back(record);
  }
  std::vector<std::string> written;
};

sysstream_event Wire(uint16_t kind, uint32_t nr, uint64_t ts = kTs,
                     int64_t ret = 0, uint32_t tid = kTid) {
  sysstream_event ev = {};
  ev.kind = kind;
  ev.size = sizeof(ev);
  ev.tid = tid;
  ev.ts_ns = ts;
  ev.record = MakeRecord(kPid, nr);
  ev.ret = ret;
  std::memcpy(ev.comm, "bash", 4);
  return ev;
}

sysstream_event GapEvent(uint32_t lost) {
  sysstream_event ev = {};
  ev.kind = SYSSTREAM_EV_GAP;
  ev.size = sizeof(ev);
  ev.record = MakeRecord(SYSSTREAM_GAP_PID, lost);
  return ev;
}

FormatterOptions X86(uint32_t fields = 0) {
  FormatterOptions o;
  o.arch = Arch::kX86_64;
  o.fields = fields;
  return o;
}

std::string Bytes(const sysstream_event& ev) {
  return std::string(reinterpret_cast<const char*>(&ev), sizeof(ev));
}

TEST(RawFormatterTest, RecordsAndGapMarkersWithTheDelimiter) {
  Records out;
  RawFormatter raw("\t", out);
  raw.OnRecord(MakeRecord(kPid, kGetrusage));
  raw.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, 12));
  raw.OnRecord(0);
  EXPECT_THAT(out.written,
              ElementsAre("7cfc00000062\t", "ffffffff0000000c\t", "0\t"));
}

TEST(RawFormatterTest, AnyDelimiterAndNone) {
  Records comma, none;
  RawFormatter a(", ", comma);
  RawFormatter b("", none);
  for (Formatter* f :
       {static_cast<Formatter*>(&a), static_cast<Formatter*>(&b)}) {
    f->OnRecord(MakeRecord(kPid, kGetrusage));
    f->OnRecord(0xffffffffffffffffULL);
  }
  EXPECT_THAT(comma.written,
              ElementsAre("7cfc00000062, ", "ffffffffffffffff, "));
  EXPECT_THAT(none.written, ElementsAre("7cfc00000062", "ffffffffffffffff"));
}

TEST(RawFormatterTest, RichEventsShowEntriesAndGapsOnly) {
  Records out;
  RawFormatter raw("\n", out);
  raw.OnEvent(Wire(SYSSTREAM_EV_ENTER, kOpenat));
  raw.OnEvent(Wire(SYSSTREAM_EV_EXIT, kOpenat, kTs + 1, -2));
  raw.OnEvent(Wire(SYSSTREAM_EV_THREAD_EXIT, 0, kTs + 2, 1));
  raw.OnEvent(GapEvent(3));
  raw.Finish(5);
  EXPECT_THAT(out.written, ElementsAre("7cfc00000101\n", "ffffffff00000003\n"));
}

TEST(BinFormatterTest, RecordsBecomeEnterAndGapEvents) {
  Records out;
  BinFormatter bin(out);
  bin.OnRecord(MakeRecord(kPid, kGetrusage));
  bin.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, 12));
  sysstream_event enter = {};
  enter.kind = SYSSTREAM_EV_ENTER;
  enter.size = 48;
  enter.record = 0x7cfc00000062ULL;
  sysstream_event gap = {};
  gap.kind = SYSSTREAM_EV_GAP;
  gap.size = 48;
  gap.record = 0xffffffff0000000cULL;
  EXPECT_THAT(out.written, ElementsAre(Bytes(enter), Bytes(gap)));
}

// A skipped-runs marker keeps its kind through every format: raw as a
// record, bin as an EV_SKIP event, text and jsonl as their markers, and
// the summary counts it apart.
TEST(FormatterTest, SkippedRunsMarkersInEveryFormat) {
  const uint64_t marker = MakeRecord(SYSSTREAM_SKIP_PID, 5);
  Records raw_out, bin_out, text_out, jsonl_out;
  RawFormatter raw("\t", raw_out);
  BinFormatter bin(bin_out);
  LineFormatter text(FormatText, X86(kBinRet), text_out);
  LineFormatter jsonl(FormatJson, X86(kBinRet), jsonl_out);
  for (Formatter* f : std::vector<Formatter*>{&raw, &bin, &text, &jsonl}) {
    f->OnRecord(marker);
  }
  EXPECT_THAT(raw_out.written, ElementsAre("fffffffe00000005\t"));
  sysstream_event skip = {};
  skip.kind = SYSSTREAM_EV_SKIP;
  skip.size = 48;
  skip.record = marker;
  EXPECT_THAT(bin_out.written, ElementsAre(Bytes(skip)));
  EXPECT_THAT(text_out.written,
              ElementsAre("-- up to 5 calls may be missing (the kernel "
                          "skipped 5 runs) --\n"));
  EXPECT_THAT(jsonl_out.written, ElementsAre("{\"skipped\":5}\n"));
  // From a bin log (decode): the event gives the same marker.
  Records text_again, raw_again;
  LineFormatter text2(FormatText, X86(kBinRet), text_again);
  RawFormatter raw2("\t", raw_again);
  text2.OnEvent(skip);
  raw2.OnEvent(skip);
  EXPECT_EQ(text_again.written, text_out.written);
  EXPECT_THAT(raw_again.written, ElementsAre("fffffffe00000005\t"));
  SyscallSummary summary;
  SummaryFormatter counts(kBinRet, summary);
  counts.OnRecord(MakeRecord(kPid, kGetrusage));
  counts.OnEvent(skip);
  EXPECT_EQ(summary.calls(), 1u);
  EXPECT_EQ(summary.lost(), 0u);
  EXPECT_EQ(summary.maybe_missing(), 5u);
  EXPECT_THAT(summary.Table(Arch::kX86_64),
              HasSubstr("may be missing (up to)              5\n"));
}

TEST(BinFormatterTest, EventsAsTheKernelWroteThemButNoThreadEnds) {
  Records out;
  BinFormatter bin(out);
  const sysstream_event enter = Wire(SYSSTREAM_EV_ENTER, kOpenat);
  const sysstream_event exit = Wire(SYSSTREAM_EV_EXIT, kOpenat, kTs + 9, -2);
  bin.OnEvent(enter);
  bin.OnEvent(Wire(SYSSTREAM_EV_THREAD_EXIT, 0, kTs + 10, 0));
  bin.OnEvent(exit);
  bin.Finish(std::nullopt);
  ASSERT_EQ(out.written.size(), 2u);
  EXPECT_EQ(out.written[0], Bytes(enter));
  EXPECT_EQ(out.written[1], Bytes(exit));
  EXPECT_EQ(out.written[1].size(), 48u);
}

TEST(TextLineFormatterTest, RecordsAndGaps) {
  Records out;
  LineFormatter text(FormatText, X86(), out);
  text.OnRecord(MakeRecord(kPid, kGetrusage));
  text.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, 12));
  text.OnRecord(MakeRecord(7, SYSSTREAM_COMPAT_BIT | 64));
  text.OnRecord(MakeRecord(7, 999));
  EXPECT_THAT(out.written,
              ElementsAre("31996 getrusage(98)\n", "-- 12 records lost --\n",
                          "7 ia32:getppid(64)\n", "7 syscall_999(999)\n"));
}

TEST(TextLineFormatterTest, RichEventsWithOnlyTheFieldsAsked) {
  Records all, tid_only;
  LineFormatter a(FormatText, X86(kBinTimestamps | kBinTid | kBinComm), all);
  LineFormatter b(FormatText, X86(kBinTid), tid_only);
  for (LineFormatter* f : {&a, &b}) {
    f->OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetrusage));
    f->OnEvent(GapEvent(2));
  }
  EXPECT_THAT(all.written,
              ElementsAre("12.000123456 31996/31997 (bash) getrusage(98)\n",
                          "-- 2 records lost --\n"));
  EXPECT_THAT(tid_only.written, ElementsAre("31996/31997 getrusage(98)\n",
                                            "-- 2 records lost --\n"));
}

TEST(TextLineFormatterTest, RetPairsEachEntryWithItsReturn) {
  Records out;
  LineFormatter text(FormatText, X86(kAllFields), out);
  text.OnEvent(Wire(SYSSTREAM_EV_ENTER, kOpenat));
  EXPECT_THAT(out.written, IsEmpty());  // waits for its return
  text.OnEvent(Wire(SYSSTREAM_EV_EXIT, kOpenat, kTs + 12000, -2));
  EXPECT_THAT(out.written,
              ElementsAre("12.000123456 31996/31997 (bash) openat(257) = -2 "
                          "ENOENT <0.000012>\n"));
}

TEST(TextLineFormatterTest, ThreadEndsAndTheNextEntryComplete) {
  Records out;
  LineFormatter text(FormatText, X86(kBinRet | kBinTid), out);
  // Ended inside the call (ret 1): it never returns.
  text.OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetppid, kTs, 0, 1));
  text.OnEvent(Wire(SYSSTREAM_EV_THREAD_EXIT, 0, kTs + 1, 1, 1));
  // Ended outside a call (ret 0): the return event was lost.
  text.OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetppid, kTs, 0, 2));
  text.OnEvent(Wire(SYSSTREAM_EV_THREAD_EXIT, 0, kTs + 1, 0, 2));
  // A thread's next entry before the return of the last one: lost too.
  text.OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetppid, kTs, 0, 3));
  text.OnEvent(Wire(SYSSTREAM_EV_ENTER, kOpenat, kTs + 5, 0, 3));
  text.OnEvent(Wire(SYSSTREAM_EV_EXIT, kOpenat, kTs + 5005, 3, 3));
  EXPECT_THAT(out.written,
              ElementsAre("31996/1 getppid(110)\n",
                          "31996/2 getppid(110) = ? (return lost)\n",
                          "31996/3 getppid(110) = ? (return lost)\n",
                          "31996/3 openat(257) = 3 <0.000005>\n"));
}

TEST(TextLineFormatterTest, FinishGivesOutTheCallsStillWaiting) {
  Records unknown, lost;
  LineFormatter a(FormatText, X86(kBinRet | kBinTid), unknown);
  LineFormatter b(FormatText, X86(kBinRet | kBinTid), lost);
  for (LineFormatter* f : {&a, &b}) {
    f->OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetppid, kTs, 0, 1));
    f->OnEvent(Wire(SYSSTREAM_EV_ENTER, kOpenat, kTs + 1, 0, 2));
  }
  a.Finish(std::nullopt);  // still in the calls at stop, as far as known
  b.Finish(2);             // the kernel says both returns were lost
  EXPECT_THAT(unknown.written,
              ElementsAre("31996/1 getppid(110)\n", "31996/2 openat(257)\n"));
  EXPECT_THAT(lost.written,
              ElementsAre("31996/1 getppid(110) = ? (return lost)\n",
                          "31996/2 openat(257) = ? (return lost)\n"));
}

TEST(JsonlLineFormatterTest, RecordsGapsAndPairedEvents) {
  Records out;
  LineFormatter jsonl(FormatJson, X86(kAllFields), out);
  jsonl.OnRecord(MakeRecord(kPid, kGetrusage));
  jsonl.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, 12));
  jsonl.OnEvent(Wire(SYSSTREAM_EV_ENTER, kOpenat));
  jsonl.OnEvent(Wire(SYSSTREAM_EV_EXIT, kOpenat, kTs + 12000, -2));
  jsonl.OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetppid, kTs, 0, 5));
  jsonl.OnEvent(Wire(SYSSTREAM_EV_THREAD_EXIT, 0, kTs + 1, 0, 5));
  jsonl.OnEvent(GapEvent(3));
  EXPECT_THAT(
      out.written,
      ElementsAre(
          R"({"pid":31996,"nr":98,"syscall":"getrusage"})"
          "\n",
          R"({"gap":12})"
          "\n",
          R"({"pid":31996,"nr":257,"syscall":"openat","ts_ns":12000123456,)"
          R"("tid":31997,"comm":"bash","ret":-2,"errno":"ENOENT",)"
          R"("duration_ns":12000})"
          "\n",
          R"({"pid":31996,"nr":110,"syscall":"getppid","ts_ns":12000123456,)"
          R"("tid":5,"comm":"bash","ret_lost":true})"
          "\n",
          R"({"gap":3})"
          "\n"));
}

TEST(SummaryFormatterTest, CountsIntoTheStreamsSummaryAndWritesNothing) {
  SyscallSummary summary;
  SummaryFormatter counts(kBinRet | kBinTid, summary);
  counts.OnRecord(MakeRecord(kPid, kGetrusage));
  counts.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, 4));
  counts.OnEvent(Wire(SYSSTREAM_EV_ENTER, kOpenat));
  counts.OnEvent(Wire(SYSSTREAM_EV_EXIT, kOpenat, kTs + 1000, -2));
  counts.OnEvent(Wire(SYSSTREAM_EV_ENTER, kGetppid, kTs, 0, 9));
  EXPECT_EQ(summary.calls(), 2u);  // the getppid still waits
  counts.Finish(1);
  EXPECT_EQ(summary.calls(), 3u);
  EXPECT_EQ(summary.lost(), 4u);
  EXPECT_EQ(summary.returns_lost(), 1u);
}

TEST(SummaryFormatterTest, WritesTheTableAtFinish) {
  Records out;
  SummaryFormatter table(X86(), out);
  table.OnRecord(MakeRecord(kPid, kGetrusage));
  table.OnRecord(MakeRecord(kPid, kGetrusage));
  table.OnRecord(MakeRecord(7, kOpenat));
  table.OnRecord(MakeRecord(SYSSTREAM_GAP_PID, 12));
  EXPECT_THAT(out.written, IsEmpty());
  table.Finish(std::nullopt);
  EXPECT_THAT(
      out.written,
      ElementsAre("       PID  SYSCALL                         CALLS\n"
                  "         7  openat                              1\n"
                  "     31996  getrusage                           2\n"
                  "            total                               3\n"
                  "            lost                               12\n"));
}

TEST(FormatsTest, EveryLogFormatHasItsNameAndFormatter) {
  EXPECT_EQ(FormatOf(LogFormat::kRaw).name, "raw");
  EXPECT_EQ(FormatOf(LogFormat::kText).name, "text");
  EXPECT_EQ(FormatOf(LogFormat::kJsonl).name, "jsonl");
  EXPECT_EQ(FormatOf(LogFormat::kBin).name, "bin");
  for (LogFormat f : {LogFormat::kRaw, LogFormat::kText, LogFormat::kJsonl,
                      LogFormat::kBin}) {
    EXPECT_EQ(FindFormat(FormatOf(f).name, FormatUse::kStream), &FormatOf(f));
  }
}

TEST(FormatsTest, NamesEachUseAcceptsDefaultFirst) {
  EXPECT_EQ(FormatNames(FormatUse::kStream, ", ", " or "),
            "raw, text, jsonl or bin");
  EXPECT_EQ(FormatNames(FormatUse::kDecode, ", ", " or "),
            "text, jsonl, summary or raw");
  EXPECT_EQ(FormatNames(FormatUse::kDecode, "|", "|"),
            "text|jsonl|summary|raw");
  EXPECT_EQ(FindFormat("bin", FormatUse::kDecode), nullptr);
  EXPECT_EQ(FindFormat("summary", FormatUse::kStream), nullptr);
  EXPECT_EQ(FindFormat("xml", FormatUse::kStream), nullptr);
  EXPECT_EQ(FindFormat("Text", FormatUse::kDecode), nullptr);
  ASSERT_NE(FindFormat("summary", FormatUse::kDecode), nullptr);
  EXPECT_FALSE(FindFormat("summary", FormatUse::kDecode)->log_format);
}

TEST(FormatsTest, FactoriesMakeTheirFormatters) {
  FormatterOptions options = X86();
  options.delimiter = ",";
  Records raw, text, jsonl, bin;
  auto r = FormatOf(LogFormat::kRaw).make(options, raw);
  auto t = FormatOf(LogFormat::kText).make(options, text);
  auto j = FormatOf(LogFormat::kJsonl).make(options, jsonl);
  auto b = FormatOf(LogFormat::kBin).make(options, bin);
  for (Formatter* f : {r.get(), t.get(), j.get(), b.get()}) {
    f->OnRecord(MakeRecord(kPid, kGetrusage));
  }
  EXPECT_THAT(raw.written, ElementsAre("7cfc00000062,"));
  EXPECT_THAT(text.written, ElementsAre("31996 getrusage(98)\n"));
  EXPECT_THAT(jsonl.written,
              ElementsAre(R"({"pid":31996,"nr":98,"syscall":"getrusage"})"
                          "\n"));
  ASSERT_EQ(bin.written.size(), 1u);
  EXPECT_EQ(bin.written[0].size(), sizeof(sysstream_event));
}

}  // namespace
}  // namespace sysstream
