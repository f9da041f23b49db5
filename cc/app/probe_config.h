// SPDX-License-Identifier: Apache-2.0
// What the probe is asked to do, from the resolved targets and the
// options: ProbeOptions, the rich-field mask, the probe's cgroup type.
#ifndef SYSSTREAM_CC_APP_PROBE_CONFIG_H_
#define SYSSTREAM_CC_APP_PROBE_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cc/probe/probe.h"
#include "cc/sink/log_format.h"
#include "cc/target/cgroup.h"
#include "cc/target/target.h"

namespace sysstream {

// The BinFields each record carries: those asked for, and always time,
// tid and comm for bin. Not 0: the probe makes rich (48-byte) events.
uint32_t RichFields(bool timestamps, bool tid, bool comm, bool ret,
                    LogFormat format);

// The options' part of ProbeOptions, as main passes it on.
struct TraceChoices {
  bool trace_all = false;
  bool follow = false;
  bool include_self = false;
  uint32_t self_pid = 0;
  uint64_t ring_bytes = 0;
  std::string btf_path;
  std::vector<uint32_t> syscalls;  // resolved filter; empty: every call
  uint32_t fields = 0;             // RichFields
  bool ret = false;
};

ProbeCgroup ToProbeCgroup(const TracedCgroup& cgroup);

ProbeOptions MakeProbeOptions(const TraceChoices& choices,
                              const std::vector<TracedCgroup>& cgroups,
                              const PidNamespace& pidns);

}  // namespace sysstream

#endif  // SYSSTREAM_CC_APP_PROBE_CONFIG_H_
