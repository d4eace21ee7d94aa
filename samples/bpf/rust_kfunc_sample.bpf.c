// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs calling the Rust kfuncs of samples/rust_kfunc_sample.rs (and
 * the kernel's own task kfuncs, bpf_task_from_pid/bpf_task_release).
 * Syscall programs run under BPF_PROG_TEST_RUN; the tracing program is
 * attached to the task_newtask tracepoint and runs on every fork.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rust_kfunc_sample.h"

char _license[] SEC("license") = "GPL";

/* A task from the kernel's own task kfuncs, read by the module's kfunc. */
SEC("syscall")
int task_lookup(struct task_args *args)
{
	struct task_struct *task = bpf_task_from_pid(args->pid);

	if (!task) {
		args->found_pid = -1;
		return 1;
	}
	args->found_pid = task->pid;
	args->found_tgid = rs_task_tgid(task);
	bpf_task_release(task);
	return 0;
}

SEC("syscall")
int memzero(struct memzero_args *args)
{
	u8 buf[MEMZERO_BUF];
	u32 size = args->size;

	__builtin_memset(buf, 0xaa, sizeof(buf));
	if (size > sizeof(buf))
		return 1;
	rs_memzero(buf, size);
	__builtin_memcpy(args->buf, buf, sizeof(buf));
	return 0;
}

SEC("syscall")
int counter(struct counter_args *args)
{
	struct rs_counter *c = rs_counter_acquire(args->id);

	if (!c)
		return 1;
	args->refs = c->refs;
	args->value = rs_counter_add(c, args->delta);
	args->read = c->value;
	rs_counter_release(c);
	return 0;
}

/* Written by on_newtask, read by the runner through .bss. */
struct newtask_stats stats;

SEC("tp_btf/task_newtask")
int BPF_PROG(on_newtask, struct task_struct *task, u64 clone_flags)
{
	s32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *parent = bpf_task_from_pid(tgid);
	struct rs_counter *c;

	if (!parent)
		return 0;
	stats.parent_tgid = rs_task_tgid(parent);
	bpf_task_release(parent);

	c = rs_counter_acquire(2);
	if (c) {
		stats.counter = rs_counter_add(c, 1);
		rs_counter_release(c);
	}
	__sync_fetch_and_add(&stats.calls, 1);
	return 0;
}
