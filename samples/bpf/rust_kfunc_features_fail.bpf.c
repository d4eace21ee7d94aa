// SPDX-License-Identifier: GPL-2.0
/*
 * Misuses of the kfuncs of samples/rust_kfunc_features.rs, each of which
 * the verifier must reject (testing/guest/src/features.rs has the messages).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rust_kfunc_features.h"

char _license[] SEC("license") = "GPL";

/* __k: a factor the verifier does not know. */
SEC("syscall")
int scale_not_const(struct feature_args *args)
{
	args->out = rs_scale(args->in, args->pid);
	return 0;
}

/* Without __nullable NULL is refused: rs_task_pid's task is not
 * nullable (rs_task_pid_or's is). */
SEC("syscall")
int pid_null(struct feature_args *args)
{
	args->pid = rs_task_pid(NULL);
	return 0;
}

/* The iterator's next returns an Option: NULL at the end, so the
 * program must check before reading. */
SEC("syscall")
int next_unchecked(struct feature_args *args)
{
	struct bpf_iter_rs_range it;
	u64 *v;

	bpf_iter_rs_range_new(&it, 0, 3);
	v = bpf_iter_rs_range_next(&it);
	args->out = *v;
	bpf_iter_rs_range_destroy(&it);
	return 0;
}

/* __str: a string on the stack is not constant. */
SEC("syscall")
int strlen_stack(struct feature_args *args)
{
	char buf[8] = "kfunc";

	buf[5] = args->in;
	args->out = rs_strlen(buf);
	return 0;
}

/* __sz: the size is larger than the buffer. */
SEC("syscall")
int mem_oversized(struct feature_args *args)
{
	u8 buf[8] = {};

	args->out = rs_mem_sum(buf, 16);
	return 0;
}

/* __szk: the size is not a constant. */
SEC("syscall")
int fill_not_const(struct feature_args *args)
{
	u8 buf[8] = {};

	rs_mem_fill(buf, args->in & 7, 1);
	args->out = buf[0];
	return 0;
}

/* An iterator that is never destroyed. */
SEC("syscall")
int range_leak(struct feature_args *args)
{
	struct bpf_iter_rs_range it;

	bpf_iter_rs_range_new(&it, 0, 2);
	return 0;
}

/* A stack argument that was never written. */
SEC("syscall")
__attribute__((naked)) int stack_args_missing(void *ctx)
{
	asm volatile (
	"r1 = 1;"
	"r2 = 2;"
	"r3 = 3;"
	"r4 = 4;"
	"r5 = 5;"
	"r6 = 6;"
	"*(u64 *)(r11 - 8) = r6;"
	"call %[rs_sum7];"
	"exit;"
	:: __imm(rs_sum7)
	: __clobber_all);
}

/* rs_strlen is not in the set registered for tc programs. */
SEC("tc")
int tc_strlen(struct __sk_buff *skb)
{
	static const char s[] = "tc";

	return rs_strlen(s);
}

/* Never run: a C reference to the kfunc that only the assembly above
 * calls, so that clang emits its BTF declaration, by which libbpf resolves
 * the call (as the selftests' kfunc_root; clang 19 cannot call it from C). */
void *kfunc_root(void)
{
	return rs_sum7;
}
