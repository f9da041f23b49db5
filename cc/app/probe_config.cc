// SPDX-License-Identifier: Apache-2.0
#include "cc/app/probe_config.h"

#include "cc/sink/bin_format.h"

namespace sysstream {

uint32_t RichFields(bool timestamps, bool tid, bool comm, bool ret,
                    LogFormat format) {
  uint32_t fields = (timestamps ? kBinTimestamps : 0u) | (tid ? kBinTid : 0u) |
                    (comm ? kBinComm : 0u) | (ret ? kBinRet : 0u);
  if (format == LogFormat::kBin) fields |= kBinTimestamps | kBinTid | kBinComm;
  return fields;
}

ProbeCgroup ToProbeCgroup(const TracedCgroup& cgroup) {
  ProbeCgroup cg;
  cg.id = cgroup.id;
  cg.level = cgroup.level;
  return cg;
}

ProbeOptions MakeProbeOptions(const TraceChoices& choices,
                              const std::vector<TracedCgroup>& cgroups,
                              const PidNamespace& pidns) {
  ProbeOptions popts;
  popts.trace_all = choices.trace_all;
  popts.follow = choices.follow;
  popts.include_self = choices.include_self;
  popts.self_pid = choices.self_pid;
  popts.pidns_translate = !pidns.initial;
  popts.pidns_dev = pidns.dev;
  popts.pidns_ino = pidns.ino;
  popts.ring_bytes = choices.ring_bytes;
  popts.btf_path = choices.btf_path;
  for (const TracedCgroup& cg : cgroups) {
    popts.cgroups.push_back(ToProbeCgroup(cg));
  }
  popts.syscalls = choices.syscalls;
  popts.rich_events = choices.fields != 0;
  popts.with_ret = choices.ret;
  return popts;
}

}  // namespace sysstream
