// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: the C variants of the benchmark kfunc. bench_add_c is a
 * plain __bpf_kfunc; bench_add_shim is the C-shim pattern, a C kfunc
 * calling a Rust extern "C" function (bench_shim_impl.rs) linked into this
 * module.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>

u64 bench_add_shim_impl(u64 a, u64 b);

__bpf_kfunc_start_defs();

__bpf_kfunc u64 bench_add_c(u64 a, u64 b)
{
	return a + b;
}

__bpf_kfunc u64 bench_add_shim(u64 a, u64 b)
{
	return bench_add_shim_impl(a, b);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(bench_c_kfuncs)
BTF_ID_FLAGS(func, bench_add_c)
BTF_ID_FLAGS(func, bench_add_shim)
BTF_KFUNCS_END(bench_c_kfuncs)

static const struct btf_kfunc_id_set bench_c_set = {
	.owner = THIS_MODULE,
	.set = &bench_c_kfuncs,
};

static int __init bench_c_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &bench_c_set);
}
module_init(bench_c_init);

/* Without an exit function the module could not be unloaded. */
static void __exit bench_c_exit(void)
{
}
module_exit(bench_c_exit);

MODULE_DESCRIPTION("kfunc-rs benchmark: C kfuncs and the C-shim pattern");
MODULE_LICENSE("GPL");
