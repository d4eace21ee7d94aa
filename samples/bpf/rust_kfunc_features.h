/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What BPF programs see of samples/rust_kfunc_features.rs: its kfuncs and
 * types (generated from its BTF), its ksyms, and the context the guest
 * runner passes to the syscall programs (testing/guest/src/features.rs mirrors it).
 */
#ifndef RUST_KFUNC_FEATURES_H
#define RUST_KFUNC_FEATURES_H

#include "rust_kfunc_features.kfuncs.h"

/*
 * The kfuncs the module has only on kernels with the feature (cfg'd on
 * kfunc_flag = "IMPLICIT_ARGS" and kfunc_stack_args): declared here too, as
 * the generated header declares them where they exist, so that the programs
 * compile for every kernel. The guest skips their tests where the module
 * lacks them.
 */
extern u32 rs_aux_seen(u32 x) __weak __ksym;
extern u64 rs_sum7(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g) __weak __ksym;

/* The module's typed ksyms (module variables with BTF). */
extern const u64 rs_percpu_calls __ksym;
extern const u64 rs_features_magic __ksym;

struct feature_args {
	u64 in;		/* in: the program's input */
	u64 out;	/* out: what it computed */
	s32 pid;	/* in/out: a pid */
	s32 pad;
};

/* Inline BPF assembly (as in the selftests' bpf_misc.h). */
#define __imm(name) [name]"i"(name)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

#endif
