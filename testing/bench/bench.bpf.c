// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: one syscall program per variant, each calling its function
 * BENCH_LOOPS times in an open-coded loop; the guest times one
 * BPF_PROG_TEST_RUN of it (syscall programs take no repeat), so the
 * syscall's own cost is spread over the loop (testing/guest/src/bench.rs).
 * The helper call and the empty loop are the floors: the helper is
 * bpf_get_numa_node_id, which the verifier does not inline (it does
 * bpf_get_smp_processor_id), so its loop makes a real call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bench_rs.kfuncs.h"
#include "bench_c.kfuncs.h"

char _license[] SEC("license") = "GPL";

#define BENCH_LOOPS (1 << 22)

/* Keeps each loop's result observable. */
u64 sink;

#define BENCH(name, expr)				\
SEC("syscall")						\
int name(void *ctx)					\
{							\
	u64 s = 0;					\
	int i;						\
							\
	bpf_for(i, 0, BENCH_LOOPS)			\
		s = (expr);				\
	sink = s;					\
	return 0;					\
}

BENCH(loop_rs, bench_add_rs(s, i))
BENCH(loop_c, bench_add_c(s, i))
BENCH(loop_shim, bench_add_shim(s, i))
BENCH(loop_helper, s + bpf_get_numa_node_id() + i)
BENCH(loop_empty, s + i)
