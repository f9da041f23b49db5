// SPDX-License-Identifier: Apache-2.0
#include "cc/probe/probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bpf/sysstream.h"
#include "bpf/sysstream_bpf.skel.h"
#include "cc/common/error_kind.h"
#include "cc/common/fd.h"
#include "cc/common/file_io.h"
#include "cc/common/status_macros.h"
#include "cc/syscalls/syscalls.h"

namespace sysstream {
namespace {

constexpr char kKernelBtf[] = "/sys/kernel/btf/vmlinux";

// libbpf is quiet unless SYSSTREAM_DEBUG is set: errors reach the user as
// one line each, built from errno and context below.
int LibbpfPrint(enum libbpf_print_level level, const char* format,
                va_list args) {
  static const bool debug = std::getenv("SYSSTREAM_DEBUG") != nullptr;
  if (!debug) return 0;
  return std::vfprintf(stderr, format, args);
}

absl::Status NoPrivilege(absl::string_view message) {
  return WithKind(absl::PermissionDeniedError(message),
                  ErrorKind::kNoPrivilege);
}

absl::Status KernelUnsupported(absl::string_view message) {
  return WithKind(absl::FailedPreconditionError(message),
                  ErrorKind::kKernelUnsupported);
}

// A kernel-side table's limit. FailedPrecondition where the kernel refused
// (a full map), InvalidArgument where the options ask for more than fits.
absl::Status KernelLimit(absl::Status status) {
  return WithKind(std::move(status), ErrorKind::kKernelLimit);
}

// What an errno from a bpf() call or libbpf means where no call site knows
// better: a missing privilege, a kernel that lacks a feature, or neither.
absl::Status ErrnoStatus(int err, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case EPERM:
    case EACCES:
      return NoPrivilege(absl::StrCat(
          msg, " (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)"));
    case ENOENT:
    case EINVAL:
    case ENOTSUP:
    case E2BIG:
    case ENOSYS:
      return KernelUnsupported(
          absl::StrCat(msg, " (kernel too old or missing a BPF feature?)"));
    default:
      return WithKind(absl::InternalError(msg), ErrorKind::kInternal);
  }
}

// An update of a hash map that holds at most `capacity` `items`: E2BIG
// there means the map is full, not that the kernel is too old.
absl::Status MapUpdateStatus(int err, absl::string_view what,
                             absl::string_view table, uint32_t capacity,
                             absl::string_view items) {
  if (err != E2BIG) return ErrnoStatus(err, what);
  return KernelLimit(absl::FailedPreconditionError(
      absl::StrCat(what, ": the ", table, " table is full (at most ", capacity,
                   " ", items, ")")));
}

bool HasCapability(uint64_t effective, int cap) {
  return (effective >> cap) & 1;
}

// Refuses early, with the capability named, rather than at the first
// failing bpf() call. CAP_SYS_ADMIN alone suffices (Docker 20.10's
// privileged set has no CAP_BPF).
absl::Status CheckPrivileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    return absl::InternalError(absl::StrCat("capget: ", std::strerror(errno)));
  }
  uint64_t eff =
      data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  constexpr int kCapPerfmon = 38, kCapBpf = 39;
  if (HasCapability(eff, CAP_SYS_ADMIN)) return absl::OkStatus();
  if (HasCapability(eff, kCapBpf) && HasCapability(eff, kCapPerfmon)) {
    return absl::OkStatus();
  }
  return NoPrivilege(
      "missing privileges: tracing needs CAP_BPF and CAP_PERFMON (Linux >= "
      "5.8) or CAP_SYS_ADMIN; run as root or grant those capabilities");
}

absl::Status CheckBtf(const std::string& custom) {
  const std::string path = custom.empty() ? kKernelBtf : custom;
  if (access(path.c_str(), R_OK) != 0) {
    if (custom.empty()) {
      return KernelUnsupported(absl::StrCat(
          "kernel BTF not found at ", kKernelBtf,
          " (kernel built without CONFIG_DEBUG_INFO_BTF?): pass --btf FILE"));
    }
    return KernelUnsupported(absl::StrCat("cannot read BTF file '", custom,
                                          "': ", std::strerror(errno)));
  }
  btf* parsed = btf__parse(path.c_str(), nullptr);
  if (parsed == nullptr) {
    // libbpf's own codes (LIBBPF_ERRNO__FORMAT = 4001, ...) mean nothing to
    // strerror: say what the file is not.
    const int err = errno;
    return KernelUnsupported(absl::StrCat(
        "'", path, "' is not valid BTF: ",
        err >= 4000 || err == EINVAL || err == EPROTO
            ? std::string("neither raw BTF nor an ELF file with a .BTF section")
            : std::string(std::strerror(err))));
  }
  btf__free(parsed);
  return absl::OkStatus();
}

// bpf() itself may be refused (a container's seccomp profile) although the
// capabilities are there: libbpf's feature probe would report that as a
// missing feature, so ask first with a plain array map.
absl::Status CheckBpfAllowed() {
  const Fd map(bpf_map_create(BPF_MAP_TYPE_ARRAY, nullptr, 4, 4, 1, nullptr));
  if (!map.valid() && (errno == EPERM || errno == EACCES)) {
    return NoPrivilege(
        "the bpf() system call is denied although capabilities are held: "
        "a seccomp profile blocks it (run the container with "
        "--security-opt seccomp=unconfined, or --privileged)");
  }
  return absl::OkStatus();
}

absl::Status CheckRingBuffer() {
  const int ring_ok = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
  if (ring_ok == 0) {
    return KernelUnsupported(
        "this kernel has no BPF ring buffer (needs Linux >= 5.8)");
  }
  if (ring_ok < 0) return ErrnoStatus(-ring_ok, "probe BPF ring buffer");
  return absl::OkStatus();
}

// Everything sysstream needs of this process and kernel, before any BPF
// object is opened.
absl::Status CheckKernel(const ProbeOptions& options) {
  RETURN_IF_ERROR(CheckPrivileges());
  RETURN_IF_ERROR(CheckBtf(options.btf_path));
  RETURN_IF_ERROR(CheckBpfAllowed());
  return CheckRingBuffer();
}

// True if the running kernel is older than major.minor.
bool KernelBefore(int major, int minor) {
  utsname u;
  if (uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma < major || (ma == major && mi < minor);
}

// Entries per forced wakeup, per CPU: by the time a ring is about 1/32
// full with every CPU of its group writing, early enough that a busy
// machine still gives the consumer time to drain. Each entry is the ring's
// 8-byte header plus a ring record or event.
uint32_t WakeupBatch(const ProbeOptions& options, const RingLayout& layout) {
  if (options.wakeup_batch != 0) return options.wakeup_batch;
  const bool rich = options.rich_events || options.with_ret;
  const uint64_t slots =
      layout.bytes / (8 + (rich ? sizeof(sysstream_ring_event)
                                : sizeof(sysstream_ring_record)));
  const uint32_t batch =
      static_cast<uint32_t>(slots / 32 / layout.cpus_per_ring);
  return batch == 0 ? 1 : batch;
}

absl::Status SetCgroupFilter(const ProbeOptions& options, sysstream_bpf* skel) {
  if (options.cgroups.empty()) return absl::OkStatus();
  if (options.cgroups.size() > SYSSTREAM_MAX_CGROUPS) {
    return KernelLimit(absl::InvalidArgumentError(
        absl::StrCat("too many cgroups to trace: ", options.cgroups.size(),
                     " (at most ", SYSSTREAM_MAX_CGROUPS, ")")));
  }
  std::vector<uint32_t> levels;
  for (const ProbeCgroup& cg : options.cgroups) {
    if (std::find(levels.begin(), levels.end(), cg.level) == levels.end()) {
      levels.push_back(cg.level);
    }
  }
  if (levels.size() > SYSSTREAM_MAX_CGROUP_LEVELS) {
    return KernelLimit(absl::InvalidArgumentError(absl::StrCat(
        "target cgroups sit at ", levels.size(), " different depths; at most ",
        SYSSTREAM_MAX_CGROUP_LEVELS)));
  }
  skel->rodata->targ_cgroups = true;
  for (size_t i = 0; i < levels.size(); ++i) {
    skel->rodata->cgroup_levels[i] = levels[i];
  }
  skel->rodata->n_cgroup_levels = static_cast<uint32_t>(levels.size());
  return absl::OkStatus();
}

absl::Status SetSyscallFilter(const ProbeOptions& options,
                              sysstream_bpf* skel) {
  if (options.syscalls.empty()) return absl::OkStatus();
  skel->rodata->filter_syscalls = true;
  for (uint32_t nr : options.syscalls) {
    if (nr >= SYSSTREAM_MAX_SYSCALLS) {
      return KernelLimit(absl::InvalidArgumentError(
          absl::StrCat("syscall number ", nr, " is beyond the filter's range (",
                       SYSSTREAM_MAX_SYSCALLS, ")")));
    }
    skel->rodata->syscall_traced[nr] = 1;
  }
  return absl::OkStatus();
}

// The program starts a held command's tracing at its execve: this arch's
// numbers, from the same tables that name the calls in the log.
absl::Status SetExecNumbers(sysstream_bpf* skel) {
  const std::optional<uint32_t> execve = SyscallNumber(HostArch(), "execve");
  const std::optional<uint32_t> execveat =
      SyscallNumber(HostArch(), "execveat");
  if (!execve.has_value() || !execveat.has_value()) {
    return absl::InternalError(absl::StrCat("the ", ArchName(HostArch()),
                                            " syscall table has no execve"));
  }
  skel->rodata->execve_nr = *execve;
  skel->rodata->execveat_nr = *execveat;
  return absl::OkStatus();
}

// One ring per cpus_per_ring possible CPUs (an offline CPU may come
// online), each options.ring_bytes long or DefaultRingBytes.
absl::StatusOr<RingLayout> LayoutRings(const ProbeOptions& options,
                                       int ncpus) {
  RingLayout layout;
  layout.cpus_per_ring = options.ring_cpus == 0 ? 1 : options.ring_cpus;
  layout.rings = (static_cast<uint32_t>(ncpus) + layout.cpus_per_ring - 1) /
                 layout.cpus_per_ring;
  if (layout.rings > SYSSTREAM_MAX_RINGS) {
    return KernelLimit(absl::InvalidArgumentError(absl::StrCat(
        ncpus, " CPUs need more than ", SYSSTREAM_MAX_RINGS, " rings")));
  }
  layout.bytes = options.ring_bytes != 0 ? options.ring_bytes
                                         : DefaultRingBytes(layout.rings);
  return layout;
}

// The tunables, between open and load.
absl::Status SetRodata(const ProbeOptions& options, const RingLayout& layout,
                       sysstream_bpf* skel) {
  skel->rodata->targ_all = options.trace_all;
  skel->rodata->targ_follow = options.follow;
  skel->rodata->filter_self = !options.include_self;
  skel->rodata->self_pid = options.self_pid;
  skel->rodata->pidns_translate = options.pidns_translate;
  skel->rodata->pidns_dev = options.pidns_dev;
  skel->rodata->pidns_ino = options.pidns_ino;
  skel->rodata->wakeup_batch = WakeupBatch(options, layout);
  skel->rodata->ring_cpus = layout.cpus_per_ring;
  skel->rodata->rich_events = options.rich_events || options.with_ret;
  skel->rodata->with_ret = options.with_ret;
  RETURN_IF_ERROR(SetCgroupFilter(options, skel));
  RETURN_IF_ERROR(SetSyscallFilter(options, skel));
  return SetExecNumbers(skel);
}

// log2 of the thread state map's cache lines: room for a 2-bit state per
// thread id below pid_max (32 to a word, 8 words to a line), 1 MiB for the
// 64-bit maximum of 2^22.
uint32_t ThreadLinesShift() {
  uint64_t pid_max = 4194304;
  absl::StatusOr<std::string> text = ReadFile("/proc/sys/kernel/pid_max", 64);
  uint64_t v = 0;
  if (text.ok() && absl::SimpleAtoi(*text, &v) && v > 0) pid_max = v;
  uint32_t shift = 0;
  while ((static_cast<uint64_t>(8 * 32) << shift) < pid_max && shift < 20) {
    ++shift;
  }
  return shift;
}

// `first_ring` is the template the kernel checks each ring against when it
// is put in the rings array (all are alike).
absl::Status SizeMaps(const RingLayout& layout, int first_ring,
                      sysstream_bpf* skel) {
  if (int err = bpf_map__set_max_entries(skel->maps.rings, layout.rings); err) {
    return ErrnoStatus(-err, "set the number of rings");
  }
  if (int err = bpf_map__set_inner_map_fd(skel->maps.rings, first_ring); err) {
    return ErrnoStatus(-err, "set the rings' template");
  }
  const uint32_t shift = ThreadLinesShift();
  skel->rodata->thread_lines_shift = shift;
  if (int err = bpf_map__set_max_entries(skel->maps.thread_state, 8u << shift);
      err) {
    return ErrnoStatus(-err, "size the thread state map");
  }
  return absl::OkStatus();
}

// Hooks that have nothing to do stay unloaded.
void SelectPrograms(const ProbeOptions& options, sysstream_bpf* skel) {
  bpf_program__set_autoload(skel->progs.handle_fork,
                            options.follow && !options.trace_all);
  // sys_exit always: it records the calls whose sys_enter the kernel
  // skipped (seccomp); the exit hook forgets each thread's state and, with
  // --ret, tells the pairing that a thread is gone.
  // Attach() attaches sys_enter last, itself.
  bpf_program__set_autoattach(skel->progs.handle_sys_enter, false);
  // tools/bench/seccomp.sh only: the cost of the sys_exit hook, measured
  // against the same binary without it (then denied calls go unrecorded).
  if (!options.with_ret && std::getenv("SYSSTREAM_BENCH_NO_EXIT_HOOK")) {
    bpf_program__set_autoload(skel->progs.handle_sys_exit, false);
  }
}

// Before 5.11 BPF memory counts against RLIMIT_MEMLOCK: raise it if we may
// (libbpf tries too); without CAP_SYS_RESOURCE that fails, which is fine on
// newer kernels (memcg accounting).
absl::Status Load(sysstream_bpf* skel) {
  rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  (void)setrlimit(RLIMIT_MEMLOCK, &unlimited);
  const int err = sysstream_bpf__load(skel);
  if (err == 0) return absl::OkStatus();
  if (err == -EPERM && KernelBefore(5, 11)) {
    rlimit lim = {};
    getrlimit(RLIMIT_MEMLOCK, &lim);
    return NoPrivilege(absl::StrCat(
        "load BPF programs: Operation not permitted: before Linux 5.11 BPF "
        "maps count against the locked-memory limit (ulimit -l is ",
        lim.rlim_cur == RLIM_INFINITY
            ? std::string("unlimited")
            : absl::StrCat(lim.rlim_cur / 1024, " KiB"),
        "): raise it (ulimit -l unlimited) or grant CAP_SYS_RESOURCE"));
  }
  return ErrnoStatus(-err, "load BPF programs");
}

absl::Status FillCgroups(const ProbeOptions& options, sysstream_bpf* skel) {
  for (const ProbeCgroup& cg : options.cgroups) {
    uint8_t one = 1;
    if (int err =
            bpf_map__update_elem(skel->maps.target_cgroups, &cg.id,
                                 sizeof(cg.id), &one, sizeof(one), BPF_ANY);
        err) {
      return MapUpdateStatus(-err, absl::StrCat("add target cgroup ", cg.id),
                             "target cgroup", SYSSTREAM_MAX_CGROUPS, "cgroups");
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Ring entries (bpf/sysstream.h): a ring record (24 bytes) or a ring event
// (56), told apart by kind and checked against their size.
int OnRingEntry(void* ctx, void* data, size_t size) {
  const Probe::RingContext* ring = static_cast<Probe::RingContext*>(ctx);
  Probe* probe = ring->probe;
  uint16_t kind = 0;
  if (size >= sizeof(kind)) std::memcpy(&kind, data, sizeof(kind));
  RingEntry entry;
  if (kind == SYSSTREAM_RING_RECORD && size == sizeof(sysstream_ring_record)) {
    sysstream_ring_record r;
    std::memcpy(&r, data, sizeof(r));
    entry.ts_ns = r.ts_ns;
    entry.gap = r.gap;
    entry.record = r.record;
  } else if (kind >= SYSSTREAM_EV_ENTER && kind <= SYSSTREAM_EV_THREAD_EXIT &&
             size == sizeof(sysstream_ring_event)) {
    sysstream_ring_event e;
    std::memcpy(&e, data, sizeof(e));
    entry.ts_ns = e.event.ts_ns;
    entry.gap = e.gap;
    entry.is_event = true;
    entry.event = e.event;
  } else {
    ++probe->malformed_;  // a kernel program of another build: an error
    return 0;
  }
  probe->sink_->OnEntry(ring->ring, entry);
  return 0;
}

uint64_t DefaultRingBytes(uint32_t rings) {
  constexpr uint64_t kMost = 8u << 20, kLeast = 1u << 20, kBudget = 256u << 20;
  uint64_t bytes = kMost;
  while (bytes > kLeast && bytes * rings > kBudget) bytes /= 2;
  return bytes;
}

std::string RingLayoutText(const RingLayout& layout) {
  auto size = [](uint64_t bytes) {
    return bytes >= (1u << 20) && bytes % (1u << 20) == 0
               ? absl::StrCat(bytes >> 20, " MiB")
               : absl::StrCat(bytes >> 10, " KiB");
  };
  return absl::StrCat(layout.rings, layout.rings == 1 ? " ring (" : " rings (",
                      layout.cpus_per_ring == 1
                          ? std::string("1 per CPU")
                          : absl::StrCat("1 per ", layout.cpus_per_ring,
                                         " CPUs"),
                      ") of ", size(layout.bytes), ", ",
                      size(layout.bytes * layout.rings), " in all");
}

// Reads top to bottom as libbpf-bootstrap's loaders do: check, open, set
// rodata and map sizes, load, create the rings, fill maps (Attach()
// attaches).
absl::StatusOr<std::unique_ptr<Probe>> Probe::Create(
    const ProbeOptions& options) {
  libbpf_set_print(LibbpfPrint);
  RETURN_IF_ERROR(CheckKernel(options));
  std::unique_ptr<Probe> probe(new Probe());
  probe->options_ = options;
  probe->ncpus_ = libbpf_num_possible_cpus();
  if (probe->ncpus_ <= 0) {
    return absl::InternalError("cannot count possible CPUs");
  }
  ASSIGN_OR_RETURN(probe->layout_, LayoutRings(options, probe->ncpus_));
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (!options.btf_path.empty()) {
    open_opts.btf_custom_path = options.btf_path.c_str();
  }
  probe->skel_ = sysstream_bpf__open_opts(&open_opts);
  if (probe->skel_ == nullptr) return ErrnoStatus(errno, "open BPF object");
  sysstream_bpf* skel = probe->skel_;
  RETURN_IF_ERROR(SetRodata(options, probe->layout_, skel));
  RETURN_IF_ERROR(probe->CreateRings());
  RETURN_IF_ERROR(SizeMaps(probe->layout_, probe->ring_fds_[0].get(), skel));
  SelectPrograms(options, skel);
  RETURN_IF_ERROR(Load(skel));
  RETURN_IF_ERROR(probe->FillRings());
  RETURN_IF_ERROR(FillCgroups(options, skel));
  return probe;
}

// One ring buffer per CPU group (before load: the first is the rings
// array's template).
absl::Status Probe::CreateRings() {
  for (uint32_t i = 0; i < layout_.rings; ++i) {
    Fd ring(bpf_map_create(BPF_MAP_TYPE_RINGBUF, "sysstream_ring", 0, 0,
                           static_cast<uint32_t>(layout_.bytes), nullptr));
    if (!ring.valid()) {
      const int err = errno;
      if (err == ENOMEM) {
        return KernelLimit(absl::ResourceExhaustedError(absl::StrCat(
            "create ring ", i + 1, " of ", RingLayoutText(layout_),
            ": out of memory (a smaller --ring-size needs less)")));
      }
      return ErrnoStatus(err, absl::StrCat("create ring ", i + 1, " of ",
                                           layout_.rings));
    }
    ring_fds_.push_back(std::move(ring));
  }
  return absl::OkStatus();
}

// After load, the rings into the array: CPU c writes into ring c /
// cpus_per_ring.
absl::Status Probe::FillRings() {
  const int outer = bpf_map__fd(skel_->maps.rings);
  for (uint32_t i = 0; i < layout_.rings; ++i) {
    const int fd = ring_fds_[i].get();
    if (bpf_map_update_elem(outer, &i, &fd, BPF_ANY) != 0) {
      return ErrnoStatus(errno, "put a ring in the rings array");
    }
  }
  return absl::OkStatus();
}

Probe::~Probe() {
  if (reader_ != nullptr) ring_buffer__free(reader_);
  if (skel_ != nullptr) sysstream_bpf__destroy(skel_);
}

absl::Status Probe::AddLateCgroup(const ProbeCgroup& cgroup) {
  bool known_level = false;
  for (const ProbeCgroup& cg : options_.cgroups) {
    known_level = known_level || cg.level == cgroup.level;
  }
  if (!known_level) {
    return KernelLimit(absl::FailedPreconditionError(
        absl::StrCat("cgroup ", cgroup.id, " sits at depth ", cgroup.level,
                     ", where no target cgroup was when tracing started")));
  }
  const uint32_t n =
      __atomic_load_n(&skel_->bss->n_late_cgroups, __ATOMIC_ACQUIRE);
  if (n >= SYSSTREAM_MAX_LATE_CGROUPS) {
    return KernelLimit(absl::ResourceExhaustedError(
        absl::StrCat("more than ", SYSSTREAM_MAX_LATE_CGROUPS,
                     " cgroups added while tracing")));
  }
  // The id before the count: the program reads the count first.
  __atomic_store_n(&skel_->bss->late_cgroups[n], cgroup.id, __ATOMIC_RELAXED);
  __atomic_store_n(&skel_->bss->n_late_cgroups, n + 1, __ATOMIC_RELEASE);
  return absl::OkStatus();
}

absl::Status Probe::AddTargets(absl::Span<const uint32_t> pids,
                               bool wait_for_exec) {
  const uint32_t self = options_.self_pid;
  const uint32_t flags = wait_for_exec ? SYSSTREAM_WAIT_EXEC : 0;
  int64_t added = 0;
  for (uint32_t pid : pids) {
    int err;
    if (options_.pidns_translate) {
      err = bpf_map__update_elem(skel_->maps.target_ns_tgids, &pid, sizeof(pid),
                                 &flags, sizeof(flags), BPF_NOEXIST);
    } else {
      uint32_t value = pid | flags;
      err = bpf_map__update_elem(skel_->maps.target_tgids, &pid, sizeof(pid),
                                 &value, sizeof(value), BPF_NOEXIST);
    }
    if (err == -EEXIST) continue;
    if (err) {
      return MapUpdateStatus(-err, absl::StrCat("add target ", pid), "target",
                             SYSSTREAM_MAX_TARGETS, "processes");
    }
    if (pid != self) ++added;
  }
  __atomic_fetch_add(&skel_->bss->live_targets, added, __ATOMIC_SEQ_CST);
  return absl::OkStatus();
}

absl::Status Probe::Attach() {
  ring_contexts_.clear();
  for (uint32_t i = 0; i < layout_.rings; ++i) {
    ring_contexts_.push_back({this, i});
  }
  for (uint32_t i = 0; i < layout_.rings; ++i) {
    const int fd = ring_fds_[i].get();
    int err = 0;
    if (i == 0) {
      reader_ = ring_buffer__new(fd, OnRingEntry, &ring_contexts_[0], nullptr);
      if (reader_ == nullptr) err = -errno;
    } else {
      err = ring_buffer__add(reader_, fd, OnRingEntry, &ring_contexts_[i]);
    }
    if (err) return ErrnoStatus(-err, "map a ring buffer");
  }
  // sys_exit (with --ret) and the sched hooks first, entries last: every
  // entry recorded then has its return recorded too.
  if (int err = sysstream_bpf__attach(skel_); err) {
    return ErrnoStatus(-err, "attach raw_tp/sys_exit and sched hooks");
  }
  skel_->links.handle_sys_enter =
      bpf_program__attach(skel_->progs.handle_sys_enter);
  if (skel_->links.handle_sys_enter == nullptr) {
    return ErrnoStatus(errno, "attach raw_tp/sys_enter");
  }
  return absl::OkStatus();
}

void Probe::ForgetExited(absl::Span<const uint32_t> pids,
                         bool (*alive)(uint32_t)) {
  for (uint32_t pid : pids) {
    if (pid == options_.self_pid || alive(pid)) continue;
    // Whoever deletes the entry (us or the exit hook) counts the exit once.
    bpf_map* map = options_.pidns_translate ? skel_->maps.target_ns_tgids
                                            : skel_->maps.target_tgids;
    if (bpf_map__delete_elem(map, &pid, sizeof(pid), 0) == 0) {
      __atomic_fetch_add(&skel_->bss->target_gen, 1, __ATOMIC_SEQ_CST);
      __atomic_fetch_sub(&skel_->bss->live_targets, 1, __ATOMIC_SEQ_CST);
    }
  }
}

void Probe::Detach() {
  if (skel_ != nullptr) sysstream_bpf__detach(skel_);
}

int Probe::ready_fd() const { return ring_buffer__epoll_fd(reader_); }

absl::StatusOr<uint64_t> Probe::Drain(EntrySink* sink) {
  sink_ = sink;
  uint64_t total = 0;
  for (;;) {
    int n = ring_buffer__consume(reader_);
    if (n < 0) return ErrnoStatus(-n, "read ring buffer");
    total += static_cast<uint64_t>(n);
    if (n < INT32_MAX) return total;
  }
}

int64_t Probe::live_targets() const {
  return static_cast<int64_t>(
      __atomic_load_n(&skel_->bss->live_targets, __ATOMIC_SEQ_CST));
}

uint64_t Probe::TakeUnreportedLost() {
  // Called after Detach: nothing adds to it any more.
  return __atomic_exchange_n(&skel_->bss->lost_pending, 0, __ATOMIC_SEQ_CST);
}

uint64_t Probe::returns_lost() const {
  return __atomic_load_n(&skel_->bss->lost_returns, __ATOMIC_SEQ_CST);
}

SkippedRuns Probe::skipped_runs() const {
  auto misses = [](const bpf_program* prog) -> uint64_t {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) return 0;  // not loaded
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return 0;
    return info.recursion_misses;  // 0 before Linux 5.12 (not counted)
  };
  SkippedRuns runs;
  runs.sys_enter = misses(skel_->progs.handle_sys_enter);
  runs.sys_exit = misses(skel_->progs.handle_sys_exit);
  runs.fork = misses(skel_->progs.handle_fork);
  runs.exit = misses(skel_->progs.handle_exit);
  return runs;
}

uint64_t Probe::follow_failed() const {
  return __atomic_load_n(&skel_->bss->follow_failed, __ATOMIC_SEQ_CST);
}

}  // namespace sysstream
