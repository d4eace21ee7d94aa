// SPDX-License-Identifier: GPL-2.0

//! More parameters than the target kernel passes to a kfunc (Linux 7.3 on x86_64: 12; 6.12: 5).
// expect[kfunc_stack_args]: kfunc `rs_bad_many`: takes 13 C parameters; this kernel allows kfuncs at most 12 (5 in registers, the rest on the stack)
// expect[!kfunc_stack_args]: kfunc `rs_bad_many`: takes 13 C parameters; this kernel allows kfuncs at most 5 (its BPF JIT passes no kfunc arguments on the stack)

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Thirteen parameters.
    pub fn rs_bad_many(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64,
        h: u64, i: u64, j: u64, k: u64, l: u64, m: u64,
    ) -> u64 {
        a + b + c + d + e + f + g + h + i + j + k + l + m
    }
}
