/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one contract between the kernel program and user space. Both sides
 * include this file; nothing else redeclares it.
 *
 * Records (what the raw log holds, 8 bytes each):
 *
 *     record = (pid << 32) | syscall_nr
 *
 * A record whose pid field is SYSSTREAM_GAP_PID is an in-band gap marker:
 * its low 32 bits count the syscall entries a CPU could not reserve (ring
 * full) since its previous marker. Entries recorded + marker counts =
 * syscalls seen, with or without --ret: a lost return event is counted
 * apart (the program's lost_returns total), never in a marker.
 *
 * A record whose pid field is SYSSTREAM_SKIP_PID is a skipped-runs marker,
 * written by user space: its low 32 bits count the runs of the sys_enter
 * program that the kernel skipped since the previous marker (Linux 7.x
 * may preempt a running BPF program; a run of the same program on that CPU
 * meanwhile is skipped and counted only in its recursion_misses). Up to
 * that many calls may be missing just before it: most skipped runs are of
 * untraced processes, and a traced call whose entry run was skipped is
 * still recorded at its exit unless that run was skipped too.
 *
 * The kernel writes them into one BPF ring buffer per CPU group (the
 * `rings` array of maps; see struct sysstream_ring_record and
 * sysstream_ring_event below), each entry stamped with CLOCK_BOOTTIME, and
 * user space merges the rings back into one order by that stamp.
 */
#ifndef SYSSTREAM_BPF_SYSSTREAM_H_
#define SYSSTREAM_BPF_SYSSTREAM_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SYSSTREAM_GAP_PID 0xffffffffU
#define SYSSTREAM_GAP_MAX 0xffffffffULL /* most one marker can carry */
#define SYSSTREAM_SKIP_PID 0xfffffffeU

/*
 * Rich events (--timestamps, --tid, --comm, --ret): with any of them the
 * rings carry these 48-byte events (in a struct sysstream_ring_event)
 * instead of bare records; they are also the records of bin logs. Kinds are
 * appended, never renumbered.
 */
enum sysstream_event_kind {
	SYSSTREAM_EV_ENTER = 1, /* syscall entry */
	SYSSTREAM_EV_EXIT = 2,  /* syscall return (--ret) */
	SYSSTREAM_EV_GAP = 3,   /* only in bin logs: record is a gap marker */
	/* --ret: a traced thread ended (sched_process_exit). ret is 1 if it
	 * was inside a recorded call (which never returns), 0 if not (so a
	 * call of it still waiting for its return lost that return event).
	 * Only in the ring, never in bin logs. */
	SYSSTREAM_EV_THREAD_EXIT = 4,
	SYSSTREAM_EV_SKIP = 5,  /* only in bin logs: record is a skipped-runs marker */
};

struct sysstream_event {
	__u16 kind;     /* enum sysstream_event_kind */
	__u16 size;     /* sizeof(struct sysstream_event) */
	__u32 tid;      /* thread id, as reported (see pid) */
	__u64 ts_ns;    /* CLOCK_BOOTTIME nanoseconds */
	__u64 record;   /* (pid << 32) | nr, exactly as in the raw format */
	__s64 ret;      /* EXIT: the return value (-errno on failure) */
	char comm[16];  /* the thread's name */
};

/*
 * Ring entries. Each starts with the same 16 bits of kind, 16 bits of size
 * and, at byte 8, the CLOCK_BOOTTIME stamp the merge orders by. After
 * losses, a CPU's next entry carries the count in `gap` (the marker comes
 * with the entry, so it never takes the last free slot): it lands in the
 * merged stream just before that entry.
 */
enum sysstream_ring_kind {
	/* 1-4: a struct sysstream_ring_event, kind as its event's */
	SYSSTREAM_RING_RECORD = 16, /* a struct sysstream_ring_record */
};

struct sysstream_ring_record {
	__u16 kind;    /* SYSSTREAM_RING_RECORD */
	__u16 size;    /* sizeof(struct sysstream_ring_record) */
	__u32 gap;     /* calls this CPU lost just before this one */
	__u64 ts_ns;   /* CLOCK_BOOTTIME nanoseconds */
	__u64 record;  /* (pid << 32) | nr */
};

struct sysstream_ring_event {
	struct sysstream_event event; /* kind: ENTER, EXIT or THREAD_EXIT */
	__u32 gap;                    /* as in sysstream_ring_record */
	__u32 reserved;               /* zero */
};

/*
 * --args: a call's arguments. An ENTER event of size > sizeof(struct
 * sysstream_event) is followed by a struct sysstream_args (the six argument
 * registers at entry) and `nblobs` blobs of user memory the kernel copied:
 * strings (paths), execve's argv items, sockaddrs. An EXIT event may carry
 * one too (registers at return, out-parameters such as readlink's buffer,
 * and strings whose page was not resident at entry, read again once the
 * kernel itself has faulted them in). The event's size counts it all; each
 * blob is a struct sysstream_blob and `len` bytes, padded to 8.
 */
enum sysstream_capture {
	/* Low 3 bits: what the kernel copies for one argument (arg_capture). */
	SYSSTREAM_CAP_NONE = 0,
	SYSSTREAM_CAP_STRING = 1,     /* a NUL-terminated string, at entry */
	SYSSTREAM_CAP_ARGV = 2,       /* a NULL-terminated array of strings */
	SYSSTREAM_CAP_BYTES = 3,      /* bytes; their count in arg LEN_ARG */
	SYSSTREAM_CAP_OUT_STRING = 4, /* at return: ret bytes (readlink) */
	SYSSTREAM_CAP_OUT_BYTES = 5,  /* at return: bytes; their count in the
				       * int that arg LEN_ARG points to
				       * (accept's addr, getsockname) */
	SYSSTREAM_CAP_OUT_RET_BYTES = 6, /* at return: ret bytes of a data
					  * buffer (read, recv) */
	SYSSTREAM_CAP_KIND_MASK = 7,
	/* A data buffer (read/write payload): copied only with --data. */
	SYSSTREAM_CAP_DATA = 8,
	/* High nibble: LEN_ARG, the argument holding the length (BYTES,
	 * OUT_BYTES). */
	SYSSTREAM_CAP_LEN_SHIFT = 4,
};

enum sysstream_blob_status {
	SYSSTREAM_BLOB_OK = 0,
	SYSSTREAM_BLOB_TRUNCATED = 1,  /* cut at --string-size / --data-size */
	SYSSTREAM_BLOB_UNREADABLE = 2, /* the kernel could not read it */
	/* At entry: not readable (page not resident); the return event
	 * carries it, read again after the kernel faulted it in. */
	SYSSTREAM_BLOB_AT_EXIT = 3,
	/* ARGV: the array has more items than were copied (the last blob). */
	SYSSTREAM_BLOB_MORE = 4,
};

struct sysstream_args {
	__u64 regs[6];  /* argument registers, in syscall order */
	__u16 blobs;    /* bytes of blobs after this header */
	__u8 nblobs;
	__u8 flags;     /* SYSSTREAM_ARGS_* */
	__u32 reserved; /* zero */
};

/* ENTER: the return event carries blobs of this call (out-parameters or
 * strings read again): user space waits for it, with or without --ret. */
#define SYSSTREAM_ARGS_EXIT_FOLLOWS 1

struct sysstream_blob {
	__u8 arg;     /* argument index, 0-5 */
	__u8 kind;    /* SYSSTREAM_CAP_* (low 3 bits) */
	__u8 status;  /* enum sysstream_blob_status */
	__u8 item;    /* ARGV: item index */
	__u16 len;    /* bytes that follow (no NUL); then padding to 8 */
	__u16 reserved;
};

/*
 * The low 32 bits of a record (its "syscall number" field) are one of:
 *
 *   0x00000000-0x7fffffff  a native syscall number, as the process passed it
 *   0x80000000-0xbfffffff  an ia32 (32-bit compat) syscall on x86_64:
 *                          SYSSTREAM_COMPAT_BIT | nr, nr from the i386 table
 *   0xc0000000-0xffffffff  an out-of-range number: SYSSTREAM_NR_OUT_OF_RANGE
 *                          | (nr & SYSSTREAM_NR_LOW_BITS), for a native
 *                          number >= 2^31 (negative as the kernel's int: e.g.
 *                          syscall(-1), syscall(0x80000027), or -1 set by a
 *                          ptrace tracer) or an ia32 number >= 2^30. The low
 *                          30 bits of what was passed are kept; the kernel
 *                          ran no syscall for it (-ENOSYS, or a tracer's
 *                          skip).
 *
 * So a 64-bit process can never produce a record that reads as an ia32
 * call, and no real syscall number is ever near 2^30 on either arch.
 */
#define SYSSTREAM_COMPAT_BIT 0x80000000U
#define SYSSTREAM_NR_OUT_OF_RANGE 0xc0000000U
#define SYSSTREAM_NR_LOW_BITS 0x3fffffffU

/* In a target_tgids value: the process is a command started by sysstream and
 * is not traced until its execve (the syscalls between fork and execve are
 * sysstream's own set-up). Pids never reach this bit (PID_MAX_LIMIT 2^22). */
#define SYSSTREAM_WAIT_EXEC 0x80000000U

/* Syscall numbers the in-kernel syscall filter can name (a power of two). */
#define SYSSTREAM_MAX_SYSCALLS 1024

/* Distinct cgroup v2 depths at which target cgroups may sit. */
#define SYSSTREAM_MAX_CGROUP_LEVELS 8

/* Upper bound on target cgroups (--cgroup, --container, --pod). */
#define SYSSTREAM_MAX_CGROUPS 1024

/* Target cgroups added while tracing (a restarted container's new cgroup):
 * kept in a global array, not a map (see late_cgroups). */
#define SYSSTREAM_MAX_LATE_CGROUPS 16

/* Upper bound on rings (CPU groups): the rings array of maps. */
#define SYSSTREAM_MAX_RINGS 4096

/* Upper bound on tracked processes (initial targets plus followed children). */
#define SYSSTREAM_MAX_TARGETS 65536

typedef __u64 sysstream_record;

#ifdef __cplusplus
static_assert(sizeof(sysstream_record) == 8, "wire record is 8 bytes");
static_assert(sizeof(struct sysstream_event) == 48, "event layout");
static_assert(sizeof(struct sysstream_ring_record) == 24, "ring record");
static_assert(sizeof(struct sysstream_ring_event) == 56, "ring event");
static_assert(sizeof(struct sysstream_args) == 56, "args header");
static_assert(sizeof(struct sysstream_blob) == 8, "blob header");
#else
_Static_assert(sizeof(sysstream_record) == 8, "wire record is 8 bytes");
_Static_assert(sizeof(struct sysstream_event) == 48, "event layout");
_Static_assert(sizeof(struct sysstream_ring_record) == 24, "ring record");
_Static_assert(sizeof(struct sysstream_ring_event) == 56, "ring event");
_Static_assert(sizeof(struct sysstream_args) == 56, "args header");
_Static_assert(sizeof(struct sysstream_blob) == 8, "blob header");
#endif

#endif /* SYSSTREAM_BPF_SYSSTREAM_H_ */
