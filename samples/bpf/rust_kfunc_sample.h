/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What BPF programs see of samples/rust_kfunc_sample.rs: its kfuncs, its
 * struct, and the contexts the guest runner passes to the syscall
 * programs (tools: testing/guest/src/sample.rs mirrors them).
 */
#ifndef RUST_KFUNC_SAMPLE_H
#define RUST_KFUNC_SAMPLE_H

/* The module's kfuncs and struct rs_counter, generated from its BTF. */
#include "rust_kfunc_sample.kfuncs.h"

/*
 * The kernel's task kfuncs the programs use. vmlinux.h declares them where
 * vmlinux's BTF tags its kfuncs (pahole 1.25+ builds); declared here too,
 * identically, for kernels built without.
 */
extern struct task_struct *bpf_task_from_pid(s32 pid) __weak __ksym;
extern void bpf_task_release(struct task_struct *p) __weak __ksym;

#define MEMZERO_BUF 16

struct task_args {
	s32 pid;	/* in: the pid to look up */
	s32 found_pid;	/* out: task->pid, or -1 if there is no such task */
	s32 found_tgid;	/* out: task->tgid */
};

struct memzero_args {
	u32 size;		/* in: bytes to zero */
	u8 buf[MEMZERO_BUF];	/* out: the buffer, 0xaa before the call */
};

struct counter_args {
	u32 id;		/* in: the counter */
	u32 refs;	/* out: counter->refs while held */
	u64 delta;	/* in: what to add */
	u64 value;	/* out: value returned by rs_counter_add */
	u64 read;	/* out: counter->value read through the pointer */
};

/* What on_newtask records, in .bss. */
struct newtask_stats {
	u64 calls;		/* times it ran */
	u64 counter;		/* counter 2 after its last increment */
	s32 parent_tgid;	/* tgid of the last forking task, via bpf_task_from_pid + rs_task_tgid */
	s32 pad;
};

#endif
