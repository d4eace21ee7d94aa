// SPDX-License-Identifier: GPL-2.0
/*
 * The C twin of samples/rust_kfunc_sample.rs: the same kfuncs, flags,
 * struct and registration, written with the kernel's own C macros. The
 * tests compare its .BTF_ids layout with the one kfunc-rs emits.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>

#define NR_COUNTERS 4

struct rs_counter {
	u64 value;
	u32 id;
	u32 refs;
	void *owner;
};

static struct rs_counter counters[NR_COUNTERS];

__bpf_kfunc_start_defs();

__bpf_kfunc s32 rs_task_tgid(struct task_struct *task)
{
	return task->tgid;
}

__bpf_kfunc void rs_memzero(void *mem, u32 mem__sz)
{
	memset(mem, 0, mem__sz);
}

__bpf_kfunc struct rs_counter *rs_counter_acquire(u32 id)
{
	if (id >= NR_COUNTERS)
		return NULL;
	__atomic_fetch_add(&counters[id].refs, 1, __ATOMIC_RELAXED);
	return &counters[id];
}

__bpf_kfunc u64 rs_counter_add(struct rs_counter *counter, u64 delta)
{
	return __atomic_add_fetch(&counter->value, delta, __ATOMIC_RELAXED);
}

__bpf_kfunc void rs_counter_release(struct rs_counter *counter)
{
	__atomic_fetch_sub(&counter->refs, 1, __ATOMIC_RELAXED);
}

__bpf_kfunc_end_defs();

/*
 * Kernels before trusted-by-default arguments trust a kfunc's pointer
 * arguments only with KF_TRUSTED_ARGS, which the Rust sample's references
 * imply there.
 */
#ifdef KF_TRUSTED_ARGS
#define SAMPLE_TRUSTED KF_TRUSTED_ARGS
#else
#define SAMPLE_TRUSTED 0
#endif

BTF_KFUNCS_START(SAMPLE_KFUNCS)
BTF_ID_FLAGS(func, rs_task_tgid, SAMPLE_TRUSTED)
BTF_ID_FLAGS(func, rs_memzero)
BTF_ID_FLAGS(func, rs_counter_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, rs_counter_add, SAMPLE_TRUSTED)
BTF_ID_FLAGS(func, rs_counter_release, KF_RELEASE)
BTF_KFUNCS_END(SAMPLE_KFUNCS)

static int sample_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (prog->type == BPF_PROG_TYPE_SYSCALL ||
	    (prog->type == BPF_PROG_TYPE_TRACING &&
	     prog->expected_attach_type == BPF_TRACE_RAW_TP))
		return 0;
	return -EACCES;
}

static const struct btf_kfunc_id_set sample_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &SAMPLE_KFUNCS,
	.filter = sample_filter,
};

static int __init kfunc_sample_c_init(void)
{
	int i, ret;

	for (i = 0; i < NR_COUNTERS; i++)
		counters[i].id = i;
	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &sample_kfunc_set);
	return ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &sample_kfunc_set);
}
module_init(kfunc_sample_c_init);

static void __exit kfunc_sample_c_exit(void)
{
}
module_exit(kfunc_sample_c_exit);

MODULE_DESCRIPTION("C twin of the kfunc-rs sample");
MODULE_LICENSE("GPL");
