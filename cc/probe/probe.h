// SPDX-License-Identifier: Apache-2.0
// The only user of the BPF skeleton: open, set rodata, load, create the
// rings (one per CPU group), fill the target maps, attach; and read the
// rings. Owns every kernel resource (RAII).
#ifndef SYSSTREAM_CC_PROBE_PROBE_H_
#define SYSSTREAM_CC_PROBE_PROBE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "bpf/sysstream.h"
#include "cc/common/fd.h"
#include "cc/stream/ring_source.h"

struct sysstream_bpf;
struct ring_buffer;

namespace sysstream {

// A cgroup v2 whose processes (and those of its descendants) are traced.
struct ProbeCgroup {
  uint64_t id = 0;     // kernfs id: the inode number of its directory
  uint32_t level = 0;  // depth below the cgroup2 root (root = 0)
};

struct ProbeOptions {
  bool trace_all = false;     // no filter: every process on the system
  bool follow = false;        // track children forked by targets
  bool include_self = false;  // record sysstream's own syscalls
  uint32_t self_pid = 0;      // sysstream's pid as reported (see pidns)
  // sysstream's pid namespace, if it is not the initial one: pids are then
  // reported and matched as seen from it.
  bool pidns_translate = false;
  uint64_t pidns_dev = 0;
  uint64_t pidns_ino = 0;
  // Each ring's size: a power of two, >= page size; 0: DefaultRingBytes.
  uint64_t ring_bytes = 0;
  uint32_t ring_cpus = 1;            // CPUs sharing one ring
  uint32_t wakeup_batch = 0;         // 0: derived from ring_bytes
  std::string btf_path;              // custom kernel BTF, empty: the kernel's
  std::vector<ProbeCgroup> cgroups;  // in-kernel cgroup filter (v2)
  // In-kernel syscall filter: if non-empty, only these numbers are recorded.
  std::vector<uint32_t> syscalls;
  bool rich_events = false;  // 48-byte events: time, tid, comm
  bool with_ret = false;     // also an event at each return (implies rich)
};

// How the rings are laid out: one per group of `cpus_per_ring` of the
// machine's possible CPUs, each `bytes` long.
struct RingLayout {
  uint32_t rings = 0;
  uint32_t cpus_per_ring = 1;
  uint64_t bytes = 0;  // each
};

// The size of each of `rings` rings when --ring-size is not given: 8 MiB,
// less once there are more than 32 rings (a 256 MiB budget), never below
// 1 MiB; a power of two.
uint64_t DefaultRingBytes(uint32_t rings);

// "2 rings (1 per CPU) of 8 MiB, 16 MiB in all".
std::string RingLayoutText(const RingLayout& layout);

// Errors carry an ErrorKind (cc/common/error_kind.h): kNoPrivilege
// (PermissionDenied), kKernelUnsupported (FailedPrecondition), kKernelLimit
// where a kernel-side table is full or too small for the options, kInternal.
class Probe : public RingSource {
 public:
  // Opens, configures and loads the BPF object (nothing attached yet).
  static absl::StatusOr<std::unique_ptr<Probe>> Create(
      const ProbeOptions& options);
  ~Probe() override;
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Adds processes to the filter before Attach (live count grows by one each,
  // except sysstream itself which is never counted as a target to wait for).
  // With `wait_for_exec`, a process is traced from its next execve on (a
  // command sysstream forked and holds before its execve).
  absl::Status AddTargets(absl::Span<const uint32_t> pids,
                          bool wait_for_exec = false);
  // Adds a target cgroup while tracing (a restarted container's new cgroup)
  // through the mapped .bss, with no bpf() call, so it works after the
  // capabilities are dropped. Its depth must be one of the loaded targets'
  // (FailedPrecondition otherwise); at most SYSSTREAM_MAX_LATE_CGROUPS.
  absl::Status AddLateCgroup(const ProbeCgroup& cgroup);
  // Attaches all programs and creates the ring buffer reader. Records made
  // from now on wait in the ring until Drain().
  absl::Status Attach();
  // Re-checks each target after attach: any that exited before the exit hook
  // was attached is forgotten. `alive` says whether a pid still runs.
  void ForgetExited(absl::Span<const uint32_t> pids, bool (*alive)(uint32_t));
  // RingSource. Detach: the programs are detached, no new records.
  // ready_fd: readable when the kernel forces a wakeup. TakeUnreportedLost:
  // summed over CPUs. returns_lost: --ret return events the ring could not
  // take (not calls: those are in the gap markers).
  int ready_fd() const override;
  absl::StatusOr<uint64_t> Drain(EntrySink* sink) override;
  void Detach() override;
  int64_t live_targets() const override;
  uint64_t TakeUnreportedLost() override;
  uint64_t returns_lost() const override;
  uint64_t malformed_entries() const override { return malformed_; }

  uint32_t rings() const override { return layout_.rings; }
  // Each program's recursion_misses (BPF_OBJ_GET_INFO_BY_FD on the
  // program's descriptor, which needs no capability).
  SkippedRuns skipped_runs() const override;

  uint64_t follow_failed() const;
  const RingLayout& layout() const { return layout_; }

 private:
  // What libbpf's callback gets for each ring.
  struct RingContext {
    Probe* probe;
    uint32_t ring;
  };

  Probe() = default;
  absl::Status CreateRings();
  absl::Status FillRings();
  sysstream_bpf* skel_ = nullptr;
  ring_buffer* reader_ = nullptr;
  std::vector<Fd> ring_fds_;
  std::vector<RingContext> ring_contexts_;
  EntrySink* sink_ = nullptr;  // set during Drain()
  uint64_t malformed_ = 0;     // ring entries of an unknown size or kind
  ProbeOptions options_;
  RingLayout layout_;
  friend int OnRingEntry(void* ctx, void* data, size_t size);
  int ncpus_ = 0;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_PROBE_PROBE_H_
