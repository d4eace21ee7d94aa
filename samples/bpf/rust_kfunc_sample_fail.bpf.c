// SPDX-License-Identifier: GPL-2.0
/*
 * Misuses of the Rust kfuncs that the verifier must reject. The guest
 * runner loads each program alone and checks the verifier's message
 * (testing/guest/src/sample.rs lists program, message).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rust_kfunc_sample.h"

char _license[] SEC("license") = "GPL";

/* KF_ACQUIRE: the reference must be released. */
SEC("syscall")
int counter_unreleased(struct counter_args *args)
{
	struct rs_counter *c = rs_counter_acquire(args->id);

	if (c)
		args->refs = c->refs;
	return 0;
}

/* KF_RET_NULL: the result must be checked before use. */
SEC("syscall")
int counter_unchecked(struct counter_args *args)
{
	struct rs_counter *c = rs_counter_acquire(args->id);

	args->refs = c->refs;
	rs_counter_release(c);
	return 0;
}

/* KF_RELEASE: only an acquired reference can be released. */
SEC("tp_btf/task_newtask")
int BPF_PROG(release_unacquired, struct task_struct *task, u64 clone_flags)
{
	struct rs_counter *c = rs_counter_acquire(0);

	if (c) {
		rs_counter_release(c);
		rs_counter_release(c);
	}
	return 0;
}

/* A trusted task is required: not one read from a field the verifier
 * does not know to be safe (last_wakee is untrusted). */
SEC("tp_btf/task_newtask")
int BPF_PROG(task_untrusted, struct task_struct *task, u64 clone_flags)
{
	return rs_task_tgid(task->last_wakee);
}

/* mem__sz: the size may not exceed the memory. */
SEC("syscall")
int memzero_oversized(struct memzero_args *args)
{
	u8 buf[8] = {};

	rs_memzero(buf, 16);
	return buf[0];
}

/* The set is not registered for tc (SCHED_CLS) programs. */
SEC("tc")
int memzero_unregistered_type(struct __sk_buff *skb)
{
	u8 buf[8] = {};

	rs_memzero(buf, sizeof(buf));
	return buf[0];
}

/* The set's filter admits tp_btf tracing programs only, not fentry. */
SEC("fentry/bpf_fentry_test1")
int BPF_PROG(counter_filtered, int a)
{
	struct rs_counter *c = rs_counter_acquire(0);

	if (c)
		rs_counter_release(c);
	return 0;
}
