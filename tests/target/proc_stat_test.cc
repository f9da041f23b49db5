// SPDX-License-Identifier: Apache-2.0
#include "cc/target/proc_stat.h"

#include <unistd.h>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

TEST(ParseProcStatTest, Fields) {
  absl::StatusOr<ProcStat> st = ParseProcStat(
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->comm, "kthreadd");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 0u);
  EXPECT_EQ(st->flags, 2129984u);
  EXPECT_NE(st->flags & kPfKthread, 0u);
}

TEST(ParseProcStatTest, CommWithSpacesAndParentheses) {
  // The fields count from the last ')': a name may hold ") S 0 ...".
  absl::StatusOr<ProcStat> st = ParseProcStat(
      "77 (a (b) ) S 0 0 0 0 -1 2129984) R 41 77 77 0 -1 4194560 0 0");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->comm, "a (b) ) S 0 0 0 0 -1 2129984");
  EXPECT_EQ(st->state, 'R');
  EXPECT_EQ(st->ppid, 41u);
  EXPECT_EQ(st->flags, 4194560u);
  EXPECT_EQ(st->flags & kPfKthread, 0u);
}

TEST(ParseProcStatTest, ShortTextHasNoFlags) {
  absl::StatusOr<ProcStat> st = ParseProcStat("3 (short) Z 1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->state, 'Z');
  EXPECT_EQ(st->ppid, 1u);
  EXPECT_EQ(st->flags, 0u);
}

TEST(ParseProcStatTest, Malformed) {
  for (const char* text :
       {"", "garbage", "1 (x", "1 x) S 1", "1 (x) S", "1 (x) S ppid 0"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<ProcStat> st = ParseProcStat(text);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ReadProcStatTest, SelfAndGone) {
  absl::StatusOr<ProcStat> self = ReadProcStat(getpid());
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_EQ(self->ppid, static_cast<uint32_t>(getppid()));
  EXPECT_EQ(self->state, 'R');
  // Above PID_MAX_LIMIT: never a process.
  absl::StatusOr<ProcStat> gone = ReadProcStat(4194305);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sysstream
