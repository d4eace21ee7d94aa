// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF program whose hand-written prototype of a kfunc disagrees with the
 * module must not build: the module's generated header declares the real
 * one. scripts/check.sh compiles this and expects the error below.
 *
 * expect: conflicting types for 'rs_memzero'
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rust_kfunc_sample.kfuncs.h"

extern void rs_memzero(u8 *mem, u64 size) __ksym;

char _license[] SEC("license") = "GPL";
