// SPDX-License-Identifier: Apache-2.0
// RunStream on a fake RingSource (no root, no BPF): what goes in comes out
// in the log byte for byte; gap markers, the stops, the drain on stop and
// malformed ring entries are accounted.
#include "cc/stream/stream.h"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bpf/sysstream.h"
#include "cc/common/fd.h"
#include "cc/common/file_io.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/log_writer.h"
#include "cc/sink/raw_format.h"
#include "cc/sink/summary.h"
#include "cc/stream/ring_source.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"

namespace sysstream {
namespace {

constexpr uint32_t kPid = 31996;
constexpr uint32_t kGetrusage = 98;  // x86_64 numbers
constexpr uint32_t kOpenat = 257;
constexpr uint32_t kGetppid = 110;

// One ring entry and the ring it comes from.
struct Entry {
  uint32_t ring = 0;
  RingEntry entry;
};

Entry Record(uint32_t pid, uint32_t nr, uint64_t ts = 0, uint32_t ring = 0) {
  Entry e;
  e.ring = ring;
  e.entry.ts_ns = ts;
  e.entry.record = MakeRecord(pid, nr);
  return e;
}
// `e` after `lost` calls its CPU could not record.
Entry AfterGap(uint32_t lost, Entry e) {
  e.entry.gap = lost;
  return e;
}
Entry Rich(uint16_t kind, uint32_t tid, uint32_t nr, uint64_t ts,
           int64_t ret = 0) {
  Entry e;
  e.entry.ts_ns = ts;
  e.entry.is_event = true;
  sysstream_event& ev = e.entry.event;
  ev.kind = kind;
  ev.size = sizeof(sysstream_event);
  ev.tid = tid;
  ev.ts_ns = ts;
  ev.record = MakeRecord(kPid, nr);
  ev.ret = ret;
  return e;
}

// Each Drain hands out the next batch; once they are all out the targets
// are gone (unless `targets_stay`). After Detach, `at_stop` is what is
// still waiting in the rings.
class FakeRing : public RingSource {
 public:
  explicit FakeRing(uint32_t rings = 1)
      : rings_(rings), never_ready_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

  uint32_t rings() const override { return rings_; }
  int ready_fd() const override { return never_ready_.get(); }
  absl::StatusOr<uint64_t> Drain(EntrySink* sink) override {
    ++drains;
    std::vector<Entry> batch;
    if (detached && !at_stop_taken) {
      batch = at_stop;
      at_stop_taken = true;
    } else if (!detached && !batches.empty()) {
      batch = batches.front();
      batches.pop_front();
    }
    for (const Entry& e : batch) sink->OnEntry(e.ring, e.entry);
    if (after_drain) after_drain();
    return batch.size();
  }
  void Detach() override {
    detached = true;
    drains_at_detach = drains;
  }
  int64_t live_targets() const override {
    return batches.empty() && !targets_stay ? 0 : 1;
  }
  uint64_t TakeUnreportedLost() override {
    return std::exchange(unreported_lost, 0);
  }
  uint64_t returns_lost() const override { return kernel_returns_lost; }
  uint64_t malformed_entries() const override { return malformed; }
  SkippedRuns skipped_runs() const override { return skipped; }

  std::deque<std::vector<Entry>> batches;
  std::vector<Entry> at_stop;
  std::function<void()> after_drain;
  bool targets_stay = false;
  uint64_t unreported_lost = 0;
  uint64_t kernel_returns_lost = 0;
  uint64_t malformed = 0;
  SkippedRuns skipped;
  bool detached = false;
  bool at_stop_taken = false;
  int drains = 0;
  int drains_at_detach = -1;

 private:
  uint32_t rings_;
  Fd never_ready_;  // the loop wakes on its drain timer only
};

class StreamTest : public testutil::TempDirTest {
 protected:
  StreamTest() : TempDirTest("stream") {
    options_.drain_interval = absl::Milliseconds(1);
  }

  // Runs the stream into a new log; returns the log's bytes.
  std::string Run() {
    absl::StatusOr<std::unique_ptr<LogWriter>> writer =
        LogWriter::Open(Path("log"), ExistingLog::kOverwrite);
    EXPECT_TRUE(writer.ok()) << writer.status();
    if (!writer.ok()) return "";
    absl::StatusOr<StreamStats> stats = RunStream(ring_, **writer, options_);
    EXPECT_TRUE(stats.ok()) << stats.status();
    if (stats.ok()) stats_ = *stats;
    absl::StatusOr<std::string> log = ReadFile(Path("log"));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *log : "";
  }

  FakeRing ring_;
  StreamOptions options_;
  StreamStats stats_;
};

TEST_F(StreamTest, RawRecordsAndGapMarkersInRingOrder) {
  ring_.batches = {{Record(kPid, kGetrusage), Record(kPid, kOpenat)},
                   {AfterGap(12, Record(kPid + 1, kGetppid))}};
  EXPECT_EQ(Run(),
            "7cfc00000062\t7cfc00000101\tffffffff0000000c\t7cfd0000006e\t");
  EXPECT_EQ(stats_.events, 3u);
  EXPECT_EQ(stats_.lost, 12u);
  EXPECT_EQ(stats_.gap_markers, 1u);
  EXPECT_TRUE(stats_.targets_gone);
  EXPECT_FALSE(stats_.duration_reached);
  EXPECT_EQ(stats_.stop_signal, 0);
  EXPECT_TRUE(stats_.write_status.ok()) << stats_.write_status;
}

TEST_F(StreamTest, TheDelimiterIsTheOptions) {
  options_.delimiter = ", ";
  ring_.batches = {{Record(kPid, kGetrusage), AfterGap(1, Record(kPid, kOpenat))}};
  EXPECT_EQ(Run(), "7cfc00000062, ffffffff00000001, 7cfc00000101, ");
}

TEST_F(StreamTest, StopsWhenTheTargetsAreGoneThenDrainsTheRing) {
  ring_.batches = {{Record(kPid, kGetrusage)}};
  ring_.at_stop = {Record(kPid, kOpenat), Record(kPid, kGetppid)};
  EXPECT_EQ(Run(), "7cfc00000062\t7cfc00000101\t7cfc0000006e\t");
  EXPECT_TRUE(stats_.targets_gone);
  EXPECT_TRUE(ring_.detached);
  // Drained after the detach until the ring gave nothing.
  EXPECT_EQ(ring_.drains, ring_.drains_at_detach + 2);
  EXPECT_EQ(stats_.events, 3u);
}

TEST_F(StreamTest, UnreportedLossesBecomeGapMarkersAtTheEnd) {
  ring_.batches = {{Record(kPid, kGetrusage)}};
  ring_.at_stop = {Record(kPid, kOpenat)};
  ring_.unreported_lost = 0x100000002ULL;  // more than one marker holds
  EXPECT_EQ(Run(),
            "7cfc00000062\t7cfc00000101\tffffffffffffffff\tffffffff00000003\t");
  EXPECT_EQ(stats_.lost, 0x100000002ULL);
  EXPECT_EQ(stats_.gap_markers, 2u);
  EXPECT_EQ(stats_.events, 2u);
}

TEST_F(StreamTest, MalformedRingEntriesAreCounted) {
  ring_.batches = {{Record(kPid, kGetrusage)}};
  ring_.malformed = 3;
  EXPECT_EQ(Run(), "7cfc00000062\t");
  EXPECT_EQ(stats_.malformed, 3u);
}

TEST_F(StreamTest, DurationStopsAStreamWhoseTargetsLive) {
  ring_.targets_stay = true;
  ring_.batches = {{Record(kPid, kGetrusage)}};
  options_.duration = absl::Milliseconds(30);
  const absl::Time start = absl::Now();
  EXPECT_EQ(Run(), "7cfc00000062\t");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
  EXPECT_TRUE(stats_.duration_reached);
  EXPECT_FALSE(stats_.targets_gone);
  EXPECT_EQ(stats_.stop_signal, 0);
  EXPECT_GE(stats_.seconds, 0.03);
}

TEST_F(StreamTest, TargetsGoneDoNotStopAStreamToldToRunOn) {
  options_.stop_when_targets_gone = false;  // cgroups, or every process
  options_.duration = absl::Milliseconds(20);
  ring_.batches = {{Record(kPid, kGetrusage)}};
  EXPECT_EQ(Run(), "7cfc00000062\t");
  EXPECT_FALSE(stats_.targets_gone);
  EXPECT_TRUE(stats_.duration_reached);
}

TEST_F(StreamTest, TextWithRetPairsAndFlushesTheCallsLeftAtStop) {
  options_.format = LogFormat::kText;
  options_.fields = kBinRet | kBinTid;
  SyscallSummary summary;
  options_.summary = &summary;
  ring_.batches = {{Rich(SYSSTREAM_EV_ENTER, 1, kOpenat, 1000),
                    Rich(SYSSTREAM_EV_ENTER, 2, kGetppid, 1500)},
                   {AfterGap(4, Rich(SYSSTREAM_EV_EXIT, 1, kOpenat, 3000, -2)),
                    Rich(SYSSTREAM_EV_ENTER, 3, kGetppid, 4000),
                    Rich(SYSSTREAM_EV_THREAD_EXIT, 3, 0, 5000, 0)}};
  // tid 2's return was lost, as the kernel's count says.
  ring_.kernel_returns_lost = 2;
  EXPECT_EQ(Run(),
            "-- 4 records lost --\n"
            "31996/1 openat(257) = -2 ENOENT <0.000002>\n"
            "31996/3 getppid(110) = ? (return lost)\n"
            "31996/2 getppid(110) = ? (return lost)\n");
  EXPECT_EQ(stats_.events, 3u);  // entries only
  EXPECT_EQ(stats_.lost, 4u);
  EXPECT_EQ(stats_.returns_lost, 2u);
  EXPECT_EQ(summary.calls(), 3u);
  EXPECT_EQ(summary.lost(), 4u);
  EXPECT_EQ(summary.returns_lost(), 2u);
}

TEST_F(StreamTest, BinWritesEventsButNoThreadEnds) {
  options_.format = LogFormat::kBin;
  options_.fields = kBinRet;
  const Entry enter = Rich(SYSSTREAM_EV_ENTER, 1, kOpenat, 1000);
  const Entry exit = Rich(SYSSTREAM_EV_EXIT, 1, kOpenat, 2000, 3);
  ring_.batches = {{enter, AfterGap(2, exit),
                    Rich(SYSSTREAM_EV_THREAD_EXIT, 1, 0, 3000, 0)}};
  sysstream_event gap_event = {};
  gap_event.kind = SYSSTREAM_EV_GAP;
  gap_event.size = sizeof(gap_event);
  gap_event.record = MakeRecord(SYSSTREAM_GAP_PID, 2);
  const sysstream_event& gap = gap_event;
  std::string expected;
  for (const sysstream_event* ev :
       {&enter.entry.event, &gap, &exit.entry.event}) {
    expected.append(reinterpret_cast<const char*>(ev), sizeof(*ev));
  }
  EXPECT_EQ(Run(), expected);
  EXPECT_EQ(stats_.events, 1u);
}

TEST_F(StreamTest, VerboseShowsEachRecordOnItsDescriptor) {
  Fd read_end, write_end;
  ASSERT_TRUE(MakePipe(&read_end, &write_end));
  options_.verbose = true;
  options_.verbose_fd = write_end.get();
  ring_.batches = {{Record(kPid, kGetrusage), AfterGap(12, Record(kPid, kOpenat))}};
  EXPECT_EQ(Run(), "7cfc00000062\tffffffff0000000c\t7cfc00000101\t");
  write_end.reset();
  char buf[256];
  const ssize_t n = read(read_end.get(), buf, sizeof(buf));
  ASSERT_GT(n, 0);
  // Gap markers reach the log, not the -v lines.
  EXPECT_EQ(std::string(buf, n),
            "pid 31996  getrusage(98)  7cfc00000062\n"
            "pid 31996  openat(257)  7cfc00000101\n");
}


// --- The merge of several rings (one per CPU group) into one order.

class MergeTest : public StreamTest {
 protected:
  MergeTest() { ring_ = FakeRing(3); }
};

TEST_F(MergeTest, RingsAreMergedByStampWithTheirGapsInPlace) {
  ring_.batches = {{Record(kPid, kGetrusage, 10, 0), Record(kPid, kOpenat, 30, 0),
                    Record(kPid + 1, kGetppid, 20, 1),
                    AfterGap(5, Record(kPid + 1, kOpenat, 40, 1)),
                    Record(kPid + 2, kGetppid, 35, 2)}};
  EXPECT_EQ(Run(),
            "7cfc00000062\t7cfd0000006e\t7cfc00000101\t7cfe0000006e\t"
            "ffffffff00000005\t7cfd00000101\t");
  EXPECT_EQ(stats_.events, 5u);
  EXPECT_EQ(stats_.lost, 5u);
  EXPECT_EQ(stats_.late, 0u);
  EXPECT_EQ(stats_.rings, 3u);
}

TEST_F(MergeTest, EqualStampsGoByRingThenRingOrder) {
  ring_.batches = {{Record(kPid + 2, kGetppid, 7, 2), Record(kPid, kGetppid, 7, 0),
                    Record(kPid, kOpenat, 7, 0), Record(kPid + 1, kGetppid, 7, 1)}};
  EXPECT_EQ(Run(),
            "7cfc0000006e\t7cfc00000101\t7cfd0000006e\t7cfe0000006e\t");
}

// The clock stands at 1050 ns at every drain. An entry stamped 1000 waits
// while a ring could still deliver an earlier one: with a 100 ns hold, the
// entry stamped 980 that another ring delivers at the next drain still
// goes first.
TEST_F(MergeTest, AnEntryWaitsForTheHoldSoAnEarlierOneStillGoesFirst) {
  options_.clock = [] { return uint64_t{1050}; };
  options_.merge_hold = absl::Nanoseconds(100);
  ring_.batches = {{Record(kPid, kGetrusage, 1000, 0)},
                   {Record(kPid + 1, kGetppid, 980, 1)}};
  EXPECT_EQ(Run(), "7cfd0000006e\t7cfc00000062\t");
  EXPECT_EQ(stats_.late, 0u);
}

// Without the hold the first entry is written at once; the earlier one is
// then late: written at once too, out of order, and counted.
TEST_F(MergeTest, AnEntryLaterThanTheWatermarkIsWrittenAndCounted) {
  options_.clock = [] { return uint64_t{1050}; };
  options_.merge_hold = absl::ZeroDuration();
  ring_.batches = {{Record(kPid, kGetrusage, 1000, 0)},
                   {Record(kPid + 1, kGetppid, 900, 1)}};
  EXPECT_EQ(Run(), "7cfc00000062\t7cfd0000006e\t");
  EXPECT_EQ(stats_.late, 1u);
  EXPECT_EQ(stats_.events, 2u);
}

// Rings that never deliver hold nothing back: the watermark is the clock's.
TEST_F(MergeTest, IdleRingsDoNotHoldTheStreamBack) {
  uint64_t now = 0;
  options_.clock = [&now] { return now; };
  options_.merge_hold = absl::Nanoseconds(10);
  ring_.targets_stay = true;
  options_.duration = absl::Milliseconds(200);
  ring_.batches = {{Record(kPid, kGetrusage, 100, 0)}, {}, {}};
  std::vector<size_t> written;  // log bytes after each drain
  ring_.after_drain = [&] {
    now += 100;
    struct stat st = {};
    written.push_back(stat(Path("log").c_str(), &st) == 0 ? st.st_size : 0);
  };
  options_.flush_interval = absl::Milliseconds(1);
  EXPECT_EQ(Run(), "7cfc00000062\t");
  // Written (and flushed) while rings 1 and 2 had given nothing, long
  // before the stop.
  ASSERT_GT(written.size(), 5u);
  EXPECT_EQ(written[5], 13u);
}

// Runs the kernel skipped become a marker at the time of the drain that
// found them, in order with the entries around it.
TEST_F(MergeTest, SkippedRunsAreMarkedWhereTheyWereFound) {
  uint64_t now = 1000;
  options_.clock = [&now] { return now; };
  options_.merge_hold = absl::ZeroDuration();
  ring_.batches = {{Record(kPid, kGetrusage, 900, 0)},
                   {Record(kPid + 1, kGetppid, 1100, 1)}};
  ring_.after_drain = [&] {
    if (now == 1000) ring_.skipped.sys_enter = 3;  // found by this drain
    now += 200;
  };
  ring_.at_stop = {Record(kPid, kOpenat, 1300, 0)};
  EXPECT_EQ(Run(),
            "7cfc00000062\tfffffffe00000003\t7cfd0000006e\t7cfc00000101\t");
  EXPECT_EQ(stats_.maybe_missing, 3u);
  EXPECT_EQ(stats_.skipped.sys_enter, 3u);
  EXPECT_EQ(stats_.events, 3u);
  EXPECT_EQ(stats_.lost, 0u);
}

// On stop nothing waits for a watermark: the rest of every ring is written,
// in order.
TEST_F(MergeTest, TheDrainOnStopWritesEverythingHeldInOrder) {
  options_.clock = [] { return uint64_t{0}; };  // never past any stamp
  ring_.batches = {{Record(kPid, kGetrusage, 50, 0), Record(kPid + 1, kOpenat, 20, 1)}};
  ring_.at_stop = {Record(kPid + 2, kGetppid, 30, 2), Record(kPid, kOpenat, 60, 0),
                   Record(kPid + 1, kGetppid, 10, 1)};
  // Ring 1's second entry (10) came after its first (20): kept in its
  // ring's order, raised to 20.
  EXPECT_EQ(Run(),
            "7cfd00000101\t7cfd0000006e\t7cfe0000006e\t7cfc00000062\t"
            "7cfc00000101\t");
  EXPECT_EQ(stats_.events, 5u);
}

}  // namespace
}  // namespace sysstream
