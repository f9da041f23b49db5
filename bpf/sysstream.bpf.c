// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel side of sysstream: one record per syscall entry of the target
 * processes into the ring buffer of the CPU's group (no lock shared by
 * every CPU), each stamped with CLOCK_BOOTTIME so that user space can merge
 * the rings into one order; in-band gap counts when a ring is full, and
 * fork/exit tracking of targets.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sysstream.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Tunables, set by user space between open and load. */
const volatile bool targ_all = false;          /* every process, no filter */
const volatile bool targ_follow = false;       /* track forked children */
const volatile bool filter_self = true;        /* drop sysstream's own calls */
const volatile __u32 self_pid = 0;             /* as reported (see below) */
const volatile bool pidns_translate = false;   /* report pids of this pidns */
const volatile __u64 pidns_dev = 0;
const volatile __u64 pidns_ino = 0;
const volatile __u32 wakeup_batch = 1024;      /* records per forced wakeup */
const volatile __u32 ring_cpus = 1;            /* CPUs sharing one ring */
/* cgroup v2 targets: every process in a target cgroup or below it. */
const volatile bool targ_cgroups = false;
const volatile __u32 cgroup_levels[SYSSTREAM_MAX_CGROUP_LEVELS] = {};
const volatile __u32 n_cgroup_levels = 0;
/* Rich events instead of bare records; exit events too with with_ret. */
const volatile bool rich_events = false;
const volatile bool with_ret = false;
/* Tell ia32 syscalls apart on x86_64 (SYSSTREAM_COMPAT_BIT). */
const volatile bool detect_compat = true;

/* -e/--syscalls, --exclude: only syscalls marked here enter the ring. */
const volatile bool filter_syscalls = false;
const volatile __u8 syscall_traced[SYSSTREAM_MAX_SYSCALLS] = {};
/* This arch's execve and execveat: user space sets them from its syscall
 * table (cc/syscalls), so no number is written here. */
const volatile __u32 execve_nr = 0;
const volatile __u32 execveat_nr = 0;

/* Processes alive in target_tgids (+ target_ns_tgids); user space stops
 * when it reaches zero. */
__u64 live_targets = 0;

/* Bumped whenever a target is forgotten: per-CPU caches of the last target
 * (cpu_state) are then stale, so a reused pid is never mistaken for it. */
__u64 target_gen = 0;

/* Sum of the per-CPU lost counters not yet reported in-band, and children
 * not followed (map full): globals, so that user space reads them from
 * memory without a bpf() call (it may have dropped its capabilities). */
__u64 lost_pending = 0;
__u64 follow_failed = 0;
/* --ret: return events the ring could not take (all CPUs). */
__u64 lost_returns = 0;

/* Target cgroups added while tracing (a container of a named pod that
 * restarted has a new cgroup), at one of cgroup_levels: written by user
 * space through the mapped .bss, id first and then the count, because by
 * then it may have dropped the capabilities bpf() map updates need. */
__u64 late_cgroups[SYSSTREAM_MAX_LATE_CGROUPS] = {};
__u32 n_late_cgroups = 0;

/* One ring per group of ring_cpus CPUs: CPU c writes into ring c /
 * ring_cpus. User space creates the rings (all of one size, the template's)
 * and puts them in this array before attaching. */
struct ring_template {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* the number of rings, set by user space */
	__type(key, __u32);
	__array(values, struct ring_template);
} rings SEC(".maps");

/* Host tgid -> pid to report (0: not known yet, learn on first syscall). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSSTREAM_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u32);
} target_tgids SEC(".maps");

/* Targets named by their pid in sysstream's (non-initial) pid namespace,
 * moved to target_tgids on their first syscall; value: 0 or
 * SYSSTREAM_WAIT_EXEC. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSSTREAM_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u32);
} target_ns_tgids SEC(".maps");

/* Target cgroup v2 ids (kernfs ids, = inode numbers of their directories). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSSTREAM_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u8);
} target_cgroups SEC(".maps");

/* Per-CPU state, kernel-private (user space reads the global totals). */
struct cpu_state {
	__u64 lost;           /* reservations failed, not yet reported in-band */
	__u64 unsignaled;     /* records since this CPU last woke the consumer */
	/* The last target seen on this CPU, to skip the hash lookup while one
	 * process runs; valid while cache_gen equals target_gen. */
	__u32 cache_tgid;
	__u32 cache_pid;
	__u64 cache_gen;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpu_state SEC(".maps");

/*
 * A 2-bit state per thread id (enum thread_state), 32 threads to a word,
 * spread so that consecutive tids (the threads of one process) fall in
 * different cache lines: word = (tid mod L) * 8 + (tid / L) mod 8, field =
 * tid / 8L, with L = 1 << thread_lines_shift lines, sized by user space to
 * the kernel's pid_max (8L words). Only the thread itself changes its
 * field (and its exit hook clears it), so an atomic add of (new - old)
 * moves it without touching the other fields (BPF_XADD: Linux 5.10 too).
 */
enum thread_state {
	THREAD_UNSEEN = 0,     /* no traced syscall event since attach */
	THREAD_IDLE = 1,       /* seen; not in a recorded call */
	THREAD_IN_CALL = 2,    /* in a call whose entry is in the ring */
	THREAD_IN_LOST = 3,    /* in a call whose entry was lost (a gap) */
};
const volatile __u32 thread_lines_shift = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8); /* 8 << thread_lines_shift, set by user space */
	__type(key, __u32);
	__type(value, __u64);
} thread_state SEC(".maps");

/* The word holding the current thread's state; *shift: where it is. */
static __always_inline __u64 *thread_word(__u32 *shift)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 k = thread_lines_shift & 31, idx, field;

	field = tid >> (k + 3);
	if (field >= 32)
		return NULL; /* beyond the pid_max seen at start */
	idx = ((tid & ((1U << k) - 1)) << 3) | ((tid >> k) & 7);
	*shift = field * 2;
	return bpf_map_lookup_elem(&thread_state, &idx);
}

/* Sets the current thread's state; returns the one it replaces (UNSEEN if
 * the tid is beyond the map). */
static __always_inline __u32 thread_set(__u32 state)
{
	__u32 sh = 0, old;
	__u64 *w = thread_word(&sh);

	if (!w)
		return THREAD_UNSEEN;
	old = (*w >> sh) & 3;
	if (old != state)
		__sync_fetch_and_add(w, ((__u64)state - old) << sh);
	return old;
}

/* The current task's tgid in sysstream's pid namespace, or 0 if invisible. */
static __always_inline __u32 ns_tgid(void)
{
	struct bpf_pidns_info ns = {};

	if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
		return 0;
	return ns.tgid;
}

/* Counts a lost entry (a call), reported in-band by a later gap marker. */
static __always_inline void count_lost(struct cpu_state *st)
{
	__sync_fetch_and_add(&st->lost, 1);
	__sync_fetch_and_add(&lost_pending, 1);
}

/* A lost entry is a lost call (a gap marker counts it); a lost return or
 * thread-exit event is not: a lost return is counted apart. */
static __always_inline void count_lost_kind(struct cpu_state *st, __u16 kind)
{
	if (kind == SYSSTREAM_EV_ENTER)
		count_lost(st);
	else if (kind == SYSSTREAM_EV_EXIT)
		__sync_fetch_and_add(&lost_returns, 1);
}

/* This CPU's unreported losses, as many as one entry's gap field carries. */
static __always_inline __u32 gap_count(struct cpu_state *st)
{
	__u64 n = st->lost;

	return n > SYSSTREAM_GAP_MAX ? SYSSTREAM_GAP_MAX : (__u32)n;
}

static __always_inline void gap_reported(struct cpu_state *st, __u64 n)
{
	__sync_fetch_and_add(&st->lost, -n);
	__sync_fetch_and_add(&lost_pending, -n);
}

/* A wakeup per record would cost ~900 ns; wake once per batch and let the
 * consumer's timer pick up the rest. */
static __always_inline __u64 wakeup_flags(struct cpu_state *st)
{
	if (++st->unsignaled >= wakeup_batch) {
		st->unsignaled = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Reserves a `size`-byte entry in the ring of this CPU's group; NULL if it
 * is full, and the entry is counted lost as `kind`. */
static __always_inline void *reserve_entry(struct cpu_state *st, __u64 size,
					   __u16 kind)
{
	__u32 idx = bpf_get_smp_processor_id();
	void *ring, *entry;

	if (ring_cpus > 1)
		idx /= ring_cpus;
	ring = bpf_map_lookup_elem(&rings, &idx);
	entry = ring ? bpf_ringbuf_reserve(ring, size, 0) : NULL;
	if (!entry)
		count_lost_kind(st, kind);
	return entry;
}

/* Submits an entry of reserve_entry whose gap field reports `n` losses:
 * they are then no longer pending. */
static __always_inline void submit_entry(struct cpu_state *st, void *entry,
					 __u32 n)
{
	bpf_ringbuf_submit(entry, wakeup_flags(st));
	if (n)
		gap_reported(st, n);
}

/* Returns whether the record is in the ring (else it is counted lost). */
static __always_inline bool emit(struct cpu_state *st, __u64 value)
{
	struct sysstream_ring_record *r;
	__u32 n;

	r = reserve_entry(st, sizeof(*r), SYSSTREAM_EV_ENTER);
	if (!r)
		return false;
	n = gap_count(st);
	r->kind = SYSSTREAM_RING_RECORD;
	r->size = sizeof(*r);
	r->gap = n;
	r->ts_ns = bpf_ktime_get_boot_ns();
	r->record = value;
	submit_entry(st, r, n);
	return true;
}

static __always_inline void fill_event(struct sysstream_event *ev, __u64 value,
				       __u16 kind, __s64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (pidns_translate) {
		struct bpf_pidns_info ns = {};

		if (!bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns,
						 sizeof(ns)))
			tid = ns.pid;
	}
	ev->kind = kind;
	ev->size = sizeof(*ev);
	ev->tid = tid;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->record = value;
	ev->ret = ret;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* Returns whether the event is in the ring (else it is counted lost). */
static __always_inline bool emit_event(struct cpu_state *st, __u64 value,
				       __u16 kind, __s64 ret)
{
	struct sysstream_ring_event *e;
	__u32 n;

	e = reserve_entry(st, sizeof(*e), kind);
	if (!e)
		return false;
	n = gap_count(st);
	fill_event(&e->event, value, kind, ret);
	e->gap = n;
	e->reserved = 0;
	submit_entry(st, e, n);
	return true;
}

/* An entry (call) record, bare or rich as configured. */
static __always_inline bool emit_entry(struct cpu_state *st,
				       __u64 value)
{
	if (rich_events)
		return emit_event(st, value, SYSSTREAM_EV_ENTER, 0);
	return emit(st, value);
}

/* An ia32 number below 2^30 keeps it with the compat bit; anything else
 * that has bit 31 set (or an ia32 number >= 2^30) is marked out of range,
 * so no 64-bit call can pass for an ia32 one (see sysstream.h). */
static __always_inline __u32 mark_nr(__u32 nr, bool compat)
{
	if (compat && nr <= SYSSTREAM_NR_LOW_BITS)
		return nr | SYSSTREAM_COMPAT_BIT;
	if (compat || (nr & SYSSTREAM_COMPAT_BIT))
		return SYSSTREAM_NR_OUT_OF_RANGE | (nr & SYSSTREAM_NR_LOW_BITS);
	return nr;
}

/* The syscall number as the record carries it: ia32 calls are marked. */
static __always_inline __u32 record_nr(__u32 nr)
{
#if defined(__TARGET_ARCH_x86)
	if (detect_compat) {
		__u32 status;

		/* A direct load where the kernel has bpf_get_current_task_btf
		 * (5.11+), a probe read on older ones; CO-RE settles which at
		 * load time and the verifier drops the other branch. */
		if (bpf_core_enum_value_exists(enum bpf_func_id,
					       BPF_FUNC_get_current_task_btf)) {
			status = bpf_get_current_task_btf()->thread_info.status;
		} else {
			struct task_struct *task =
				(struct task_struct *)bpf_get_current_task();

			status = BPF_CORE_READ(task, thread_info.status);
		}
		/* TS_COMPAT: the task is in a 32-bit syscall. */
		return mark_nr(nr, status & 0x0002);
	}
#endif
	return mark_nr(nr, false);
}

/* A command held for its execve starts being traced with that execve. */
static __always_inline __u32 gate_exec(__u32 *rep, __u32 val, __u32 nr)
{
	if (!(val & SYSSTREAM_WAIT_EXEC))
		return val;
	if (nr != execve_nr && nr != execveat_nr)
		return 0;
	val &= ~SYSSTREAM_WAIT_EXEC;
	*rep = val;
	return val;
}

/* Looks up the pid to report for this host tgid, learning targets that were
 * named by namespace pid. Returns 0 if the process is not (yet) traced. */
static __always_inline __u32 target_pid(__u32 tgid, __u32 nr)
{
	__u32 *rep, *ns_val, pid, val;

	rep = bpf_map_lookup_elem(&target_tgids, &tgid);
	if (rep) {
		val = *rep;
		if (val & ~SYSSTREAM_WAIT_EXEC)
			return gate_exec(rep, val, nr);
		/* Followed child in a translated namespace: learn its pid. */
		pid = ns_tgid();
		if (!pid)
			return 0;
		*rep = val | pid;
		return gate_exec(rep, val | pid, nr);
	}
	if (!pidns_translate)
		return 0;
	pid = ns_tgid();
	if (!pid)
		return 0;
	ns_val = bpf_map_lookup_elem(&target_ns_tgids, &pid);
	if (!ns_val)
		return 0;
	val = *ns_val | pid;
	if (bpf_map_update_elem(&target_tgids, &tgid, &val, BPF_NOEXIST))
		return 0;
	bpf_map_delete_elem(&target_ns_tgids, &pid);
	rep = bpf_map_lookup_elem(&target_tgids, &tgid);
	if (!rep)
		return 0;
	return gate_exec(rep, val, nr);
}

/* struct cgroup up to Linux 6.0: the ids of its ancestors by level (6.1
 * replaced them by pointers, ancestors[]). A CO-RE flavour: libbpf matches
 * it to the running kernel's "cgroup" by field name. */
struct cgroup___ancestor_ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* The id of the current task's cgroup v2 ancestor at `level` (0 if it
 * sits higher). bpf_get_current_ancestor_cgroup_id() is callable from
 * tracing programs only since Linux 5.14; kernels before 6.1 keep the ids
 * in struct cgroup, so those read them there. The test is a constant after
 * relocation: the verifier never sees the branch not taken, nor the helper
 * call on a kernel that would reject it. */
static __always_inline __u64 ancestor_cgroup_id(__u32 level)
{
	struct cgroup___ancestor_ids *cgrp;
	struct task_struct *task;
	__u64 id = 0;

	if (!bpf_core_field_exists(struct cgroup___ancestor_ids, ancestor_ids))
		return bpf_get_current_ancestor_cgroup_id(level);
	task = (struct task_struct *)bpf_get_current_task();
	cgrp = (void *)BPF_CORE_READ(task, cgroups, dfl_cgrp);
	if (!cgrp || BPF_CORE_READ(cgrp, level) < (int)level)
		return 0;
	bpf_probe_read_kernel(&id, sizeof(id),
			      (void *)cgrp +
				      bpf_core_field_offset(struct cgroup___ancestor_ids,
							    ancestor_ids) +
				      (__u64)level * sizeof(__u64));
	return id;
}

/* Whether the current task is in a target cgroup or below one. */
static __always_inline bool in_target_cgroup(void)
{
	__u32 i, j, n;
	__u64 id;

	for (i = 0; i < SYSSTREAM_MAX_CGROUP_LEVELS; i++) {
		if (i >= n_cgroup_levels)
			break;
		id = ancestor_cgroup_id(cgroup_levels[i]);
		if (!id)
			continue;
		if (bpf_map_lookup_elem(&target_cgroups, &id))
			return true;
		n = *(volatile __u32 *)&n_late_cgroups;
		for (j = 0; j < SYSSTREAM_MAX_LATE_CGROUPS; j++) {
			if (j >= n)
				break;
			if (late_cgroups[j] == id)
				return true;
		}
	}
	return false;
}

/* Whether the current task is traced: returns the pid to report, or 0.
 * `nr` is the syscall it makes (an execve starts a held command's tracing). */
static __always_inline __u32 traced_pid(struct cpu_state *st,
					__u32 nr)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 pid;
	__u64 gen;

	if (targ_all) {
		pid = pidns_translate ? ns_tgid() : tgid;
		if (!pid || (filter_self && pid == self_pid))
			return 0;
		return pid;
	}
	gen = target_gen;
	if (st->cache_tgid == tgid && st->cache_gen == gen && tgid)
		return st->cache_pid;
	pid = target_pid(tgid, nr);
	if (!pid) {
		/* Processes of target cgroups are cached like the others: one
		 * moved out of the cgroup stays traced until it exits. */
		if (!targ_cgroups || !in_target_cgroup())
			return 0;
		pid = pidns_translate ? ns_tgid() : tgid;
		if (!pid || (filter_self && pid == self_pid))
			return 0;
	}
	st->cache_tgid = tgid;
	st->cache_pid = pid;
	st->cache_gen = gen;
	return pid;
}

static __always_inline bool syscall_wanted(__u32 nr)
{
	return !filter_syscalls ||
	       (nr < SYSSTREAM_MAX_SYSCALLS &&
		syscall_traced[nr & (SYSSTREAM_MAX_SYSCALLS - 1)]);
}

/* Records the entry of syscall `nr` by the current task, if traced. */
static __always_inline int record_entry(__u32 nr)
{
	struct cpu_state *st;
	__u32 zero = 0, pid;
	bool wanted;

	/* Cheapest test first: a filtered-out syscall costs no lookup. An
	 * execve goes on to the target lookup, where it may start a held
	 * command's tracing, but is not recorded unless wanted. */
	wanted = syscall_wanted(nr);
	if (!wanted && nr != execve_nr && nr != execveat_nr)
		return 0;
	st = bpf_map_lookup_elem(&cpu_state, &zero);
	if (!st)
		return 0;
	pid = traced_pid(st, nr);
	if (!pid || !wanted)
		return 0;
	if (emit_entry(st, ((__u64)pid << 32) | record_nr(nr)))
		thread_set(THREAD_IN_CALL);
	else
		thread_set(THREAD_IN_LOST);
	return 0;
}

SEC("raw_tp/sys_enter")
int handle_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return record_entry((__u32)ctx->args[1]);
}

#if defined(__TARGET_ARCH_arm64)
/* vmlinux.h is generated from the build host's (x86_64) BTF, whose pt_regs
 * has no syscallno: a CO-RE flavour of arm64's struct pt_regs, matched by
 * libbpf to the running kernel's "pt_regs" (the ___suffix is dropped) and
 * relocated by field name, so its layout here does not matter. (Not
 * pt_regs___arm64: bpf_tracing.h defines that one, with orig_x0 only.) */
struct pt_regs___sysstream {
	int syscallno;
} __attribute__((preserve_access_index));
#endif

/* The syscall number in a task's saved user registers (-1 once the kernel
 * or a tracer has cancelled it, e.g. in rt_sigreturn). */
static __always_inline __u32 regs_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return (__u32)BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	struct pt_regs___sysstream *aregs = (void *)regs;

	return (__u32)BPF_CORE_READ(aregs, syscallno);
#else
#error "syscall number not known for this architecture"
#endif
}

/*
 * Every syscall exit of a traced thread. Calls that seccomp denies
 * (SECCOMP_RET_ERRNO, RET_TRAP, RET_TRACE skips, USER_NOTIF replies) or a
 * ptrace tracer emulates (PTRACE_SYSEMU) never reach the sys_enter
 * tracepoint, but their exit does: an exit of a thread seen before that is
 * in no recorded call is such a call, and its record is written here. It
 * keeps its place in kernel order: between that verdict and this exit the
 * thread makes no other call. With --ret, also the return of every call
 * whose entry is in the ring (a lost return is counted in lost_returns).
 */
SEC("raw_tp/sys_exit")
int handle_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct cpu_state *st;
	__s64 ret = (__s64)ctx->args[1];
	__u32 zero = 0, pid, nr, was;
	__u64 value;

	nr = regs_nr(regs);
	/* As at entry, a filtered-out call costs no lookup: its entry left the
	 * state alone, and a denied one would not be recorded. A cancelled
	 * number (-1: rt_sigreturn) may end a recorded call. */
	if (!syscall_wanted(nr) && nr != (__u32)-1)
		return 0;
	st = bpf_map_lookup_elem(&cpu_state, &zero);
	if (!st)
		return 0;
	pid = traced_pid(st, nr);
	if (!pid)
		return 0;
	was = thread_set(THREAD_IDLE);
	value = ((__u64)pid << 32) | record_nr(nr);
	if (was == THREAD_IN_CALL) {
		if (with_ret)
			emit_event(st, value, SYSSTREAM_EV_EXIT, ret);
		return 0;
	}
	if (was == THREAD_UNSEEN) {
		/* A call begun before attach, or a new thread's return from
		 * clone: not recorded. But an execve from another thread of
		 * the process returns in this thread id (the exec'ing thread
		 * takes the process id): its entry is in the ring. */
		if (with_ret && ret == 0 && (nr == execve_nr || nr == execveat_nr))
			emit_event(st, value, SYSSTREAM_EV_EXIT, ret);
		return 0;
	}
	if (was == THREAD_IN_LOST || !syscall_wanted(nr))
		return 0;
	/* IDLE: the kernel skipped sys_enter. Record the call now. */
	if (!emit_entry(st, value))
		return 0;
	if (with_ret)
		emit_event(st, value, SYSSTREAM_EV_EXIT, ret);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid, ctgid, rep;

	if (targ_all || !targ_follow)
		return 0;
	ctgid = child->tgid;
	if (child->pid != ctgid)
		return 0; /* a new thread: covered by its process */
	ptgid = parent->tgid;
	if (!bpf_map_lookup_elem(&target_tgids, &ptgid))
		return 0;
	rep = pidns_translate ? 0 : ctgid;
	if (bpf_map_update_elem(&target_tgids, &ctgid, &rep, BPF_NOEXIST) == 0) {
		__sync_fetch_and_add(&live_targets, 1);
	} else {
		__sync_fetch_and_add(&follow_failed, 1);
	}
	return 0;
}

/* --ret: a traced thread is gone; runs in that thread. User space then
 * forgets the call it was in: `in_call` says the thread never returned
 * from it (exit, exit_group, killed while blocked); else the call's return
 * event was lost. */
static __always_inline void thread_exited(bool in_call)
{
	struct cpu_state *st;
	__u32 zero = 0, pid;

	st = bpf_map_lookup_elem(&cpu_state, &zero);
	if (!st)
		return;
	pid = traced_pid(st, 0);
	if (!pid)
		return;
	emit_event(st, (__u64)pid << 32, SYSSTREAM_EV_THREAD_EXIT, in_call);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u32 tgid, pid, was;

	was = thread_set(THREAD_UNSEEN);
	if (with_ret)
		thread_exited(was == THREAD_IN_CALL);
	if (targ_all)
		return 0;
	/* Forget a process only when its last thread exits. */
	if (BPF_CORE_READ(task, signal, live.counter) > 0)
		return 0;
	tgid = task->tgid;
	/* A process matched by cgroup may sit in a per-CPU cache without being
	 * in target_tgids: any exit could free its pid for reuse. */
	if (targ_cgroups)
		__sync_fetch_and_add(&target_gen, 1);
	if (bpf_map_delete_elem(&target_tgids, &tgid) == 0) {
		__sync_fetch_and_add(&target_gen, 1);
		__sync_fetch_and_add(&live_targets, -1);
		return 0;
	}
	if (pidns_translate) {
		/* Runs in the exiting task: a never-learned target. */
		pid = ns_tgid();
		if (pid && bpf_map_delete_elem(&target_ns_tgids, &pid) == 0)
			__sync_fetch_and_add(&live_targets, -1);
	}
	return 0;
}
