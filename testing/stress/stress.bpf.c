// SPDX-License-Identifier: GPL-2.0
/*
 * The SMP stress of testing/guest/src/stress.rs: on every system call the
 * runner's threads make, a tracing program takes a reference to one of the
 * sample's counters (by CPU), adds one to it and drops the reference,
 * through the Rust kfuncs of samples/rust_kfunc_sample.rs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rust_kfunc_sample.kfuncs.h"

char _license[] SEC("license") = "GPL";

/* The sample's NR_COUNTERS. */
#define COUNTERS 4

/* In .bss: the tgid to count (set by the runner), and what happened. */
struct stress_stats {
	s32 tgid;	/* in: the runner's */
	s32 pad;
	u64 calls;	/* acquire, add, release rounds made */
	u64 misses;	/* acquires that returned NULL */
} stats;

SEC("tp_btf/sys_enter")
int BPF_PROG(stress_counters, struct pt_regs *regs, long id)
{
	struct rs_counter *c;

	if ((bpf_get_current_pid_tgid() >> 32) != stats.tgid)
		return 0;
	c = rs_counter_acquire(bpf_get_smp_processor_id() % COUNTERS);
	if (!c) {
		__sync_fetch_and_add(&stats.misses, 1);
		return 0;
	}
	rs_counter_add(c, 1);
	rs_counter_release(c);
	__sync_fetch_and_add(&stats.calls, 1);
	return 0;
}
