// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An empty sys_enter hook: the cost every syscall tracer pays (benchmarks). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tp/sys_enter")
int handle_sys_enter(void *ctx)
{
	return 0;
}
