// SPDX-License-Identifier: GPL-2.0

//! Iterator state must be a non-zero multiple of 8 bytes.
// expect: kfunc `bpf_iter_rs_small_new`: `struct bpf_iter_rs_small` is 4 bytes; iterator state must be a non-zero multiple of 8 bytes

kfunc::btf_struct! {
    /// Too small.
    pub struct bpf_iter_rs_small {
        /// Position.
        pub pos: u32,
    }
}

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Starts an iteration.
    pub fn bpf_iter_rs_small_new(it: kfunc::IterNew<'_, bpf_iter_rs_small>) -> i32 {
        it.init(bpf_iter_rs_small { pos: 0 });
        0
    }
}
