// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs using the kfuncs of samples/rust_kfunc_features.rs, one
 * crate feature each. Syscall programs run under BPF_PROG_TEST_RUN with a
 * struct feature_args; tc_scale runs on a packet.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rust_kfunc_features.h"

char _license[] SEC("license") = "GPL";

/* __k: the factor is a constant. */
SEC("syscall")
int scale(struct feature_args *args)
{
	args->out = rs_scale(args->in, 3);
	return 0;
}

/* __nullable: a trusted task, or NULL (when args->pid is 0). */
SEC("syscall")
int task_pid_or(struct feature_args *args)
{
	struct task_struct *task;

	if (!args->pid) {
		args->pid = rs_task_pid_or(NULL, -7);
		return 0;
	}
	task = bpf_get_current_task_btf();
	args->pid = rs_task_pid_or(task, -7);
	if (rs_task_pid(task) != args->pid)
		args->pid = -8;
	return 0;
}

/* __str: a constant string in .rodata. */
static const char message[] = "kfunc-rs";

SEC("syscall")
int strlen_ro(struct feature_args *args)
{
	args->out = rs_strlen(message);
	return 0;
}

/* __sz and __szk, through Mem and MemK. */
SEC("syscall")
int mem(struct feature_args *args)
{
	u8 buf[8];

	rs_mem_fill(buf, sizeof(buf), (u8)args->in);
	args->out = rs_mem_sum(buf, sizeof(buf));
	return 0;
}

/* An open-coded iterator over in..in+4, and __iter. */
SEC("syscall")
int range(struct feature_args *args)
{
	struct bpf_iter_rs_range it;
	u64 *v, sum = 0, left_after_two = 0;
	int n = 0;

	bpf_iter_rs_range_new(&it, args->in, args->in + 4);
	while ((v = bpf_iter_rs_range_next(&it))) {
		sum += *v;
		if (++n == 2)
			left_after_two = rs_range_left(&it);
	}
	bpf_iter_rs_range_destroy(&it);
	args->out = sum;
	args->pid = left_after_two;
	return 0;
}

/* KF_IMPLICIT_ARGS: the program passes one argument, the kfunc gets two. */
SEC("syscall")
int implicit(struct feature_args *args)
{
	args->out = rs_aux_seen(args->in);
	return 0;
}

/* Seven arguments, the last two on the stack (*(R11-8), *(R11-16)): clang
 * 19 cannot emit such a call from C, so it is written in BPF assembly. The
 * return value is the sum, 28. */
SEC("syscall")
__attribute__((naked)) int stack_args(void *ctx)
{
	asm volatile (
	"r1 = 1;"
	"r2 = 2;"
	"r3 = 3;"
	"r4 = 4;"
	"r5 = 5;"
	"r6 = 6;"
	"*(u64 *)(r11 - 8) = r6;"
	"r6 = 7;"
	"*(u64 *)(r11 - 16) = r6;"
	"call %[rs_sum7];"
	"exit;"
	:: __imm(rs_sum7)
	: __clobber_all);
}

/* Typed ksyms: a per-CPU variable and a plain one. */
SEC("syscall")
int ksyms(struct feature_args *args)
{
	u64 bumped = rs_percpu_bump();
	u64 *mine = bpf_this_cpu_ptr(&rs_percpu_calls);

	args->out = *mine == bumped ? rs_features_magic : 0;
	args->in = bumped;
	return 0;
}

/* The second set: rs_scale for tc programs too. */
SEC("tc")
int tc_scale(struct __sk_buff *skb)
{
	return rs_scale(skb->len, 2);
}

/* Never run: a C reference to the kfunc that only the assembly above
 * calls, so that clang emits its BTF declaration, by which libbpf resolves
 * the call (as the selftests' kfunc_root; clang 19 cannot call it from C). */
void *kfunc_root(void)
{
	return rs_sum7;
}
