// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs calling the kfuncs of @NAME@.rs. `make check` runs each
 * program; the annotations (upstream's bpf_misc.h) say what to expect:
 * __success / __failure, __msg("..." verifier log text), __retval(N).
 * A program without annotations is run (syscall, tc) or attached, and
 * passes if it loads and runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"
#include "@NAME@.kfuncs.h"	/* the kfuncs' prototypes, generated */

char _license[] SEC("license") = "GPL";

SEC("syscall")
__success __retval(42)
int add(void *ctx)
{
	return @NAME@_add(40, 2);
}

SEC("syscall")
__success __retval(0x77)
int fill(void *ctx)
{
	unsigned char buf[8] = {};

	@NAME@_fill(buf, sizeof(buf), 0x77);
	return buf[7];
}

/* The verifier checks the size against the buffer ({{...}} is a regular
 * expression: kernels word the message differently). */
SEC("syscall")
__failure __msg("invalid {{read from|indirect access to}} stack R1 off=-8 size=16")
int fill_oversized(void *ctx)
{
	unsigned char buf[8] = {};

	@NAME@_fill(buf, 16, 0x77);
	return buf[0];
}

/* The set is registered for syscall programs only. */
SEC("tc")
__failure __msg("calling kernel function @NAME@_add is not allowed")
int add_from_tc(struct __sk_buff *skb)
{
	return @NAME@_add(1, 2);
}
