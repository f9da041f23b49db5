// SPDX-License-Identifier: Apache-2.0
#include "cc/app/probe_config.h"

#include "cc/sink/bin_format.h"
#include "gtest/gtest.h"

namespace sysstream {
namespace {

// Every combination of the four flags, for each format.
TEST(RichFieldsTest, EveryFlagCombination) {
  for (int bits = 0; bits < 16; ++bits) {
    const bool ts = bits & 1, tid = bits & 2, comm = bits & 4, ret = bits & 8;
    const uint32_t asked = (ts ? kBinTimestamps : 0u) | (tid ? kBinTid : 0u) |
                           (comm ? kBinComm : 0u) | (ret ? kBinRet : 0u);
    for (LogFormat f : {LogFormat::kRaw, LogFormat::kText, LogFormat::kJsonl}) {
      EXPECT_EQ(RichFields(ts, tid, comm, ret, f), asked) << bits;
    }
    // bin always carries time, tid and comm; the return only with --ret.
    EXPECT_EQ(RichFields(ts, tid, comm, ret, LogFormat::kBin),
              kBinTimestamps | kBinTid | kBinComm | (ret ? kBinRet : 0u))
        << bits;
  }
  EXPECT_EQ(RichFields(false, false, false, false, LogFormat::kRaw), 0u);
}

TEST(MakeProbeOptionsTest, FromChoicesTargetsAndNamespace) {
  TraceChoices c;
  c.follow = true;
  c.include_self = true;
  c.self_pid = 42;
  c.ring_bytes = 1 << 20;
  c.btf_path = "/btf";
  c.syscalls = {0, 1};
  c.fields = kBinTid;
  c.ret = true;
  PidNamespace ns;
  ns.dev = 4;
  ns.ino = 5;
  ns.initial = false;
  ProbeOptions p = MakeProbeOptions(c, {{7, 2, "/a"}, {8, 3, "/b"}}, ns);
  EXPECT_FALSE(p.trace_all);
  EXPECT_TRUE(p.follow);
  EXPECT_TRUE(p.include_self);
  EXPECT_EQ(p.self_pid, 42u);
  EXPECT_TRUE(p.pidns_translate);
  EXPECT_EQ(p.pidns_dev, 4u);
  EXPECT_EQ(p.pidns_ino, 5u);
  EXPECT_EQ(p.ring_bytes, 1u << 20);
  EXPECT_EQ(p.btf_path, "/btf");
  ASSERT_EQ(p.cgroups.size(), 2u);
  EXPECT_EQ(p.cgroups[0].id, 7u);
  EXPECT_EQ(p.cgroups[0].level, 2u);
  EXPECT_EQ(p.cgroups[1].id, 8u);
  EXPECT_EQ(p.cgroups[1].level, 3u);
  EXPECT_EQ(p.syscalls, (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(p.rich_events);
  EXPECT_TRUE(p.with_ret);
  c.fields = 0;
  c.ret = false;
  c.trace_all = true;
  ns.initial = true;
  p = MakeProbeOptions(c, {}, ns);
  EXPECT_TRUE(p.trace_all);
  EXPECT_FALSE(p.rich_events);
  EXPECT_FALSE(p.with_ret);
  EXPECT_FALSE(p.pidns_translate);
  EXPECT_TRUE(p.cgroups.empty());
}

}  // namespace
}  // namespace sysstream
