// SPDX-License-Identifier: GPL-2.0

//! An iterator state may only be the first parameter of an iterator kfunc.
// expect: kfunc `rs_bad_iter_arg`: parameter `it` is an iterator state (`IterNew`/`IterMut`), which only the first parameter of an iterator kfunc may be

kfunc::btf_struct! {
    /// Iterator state.
    pub struct bpf_iter_rs_pos {
        /// Position.
        pub pos: u64,
    }
}

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a mutable iterator second (use `IterRef`).
    pub fn rs_bad_iter_arg(x: u32, it: kfunc::IterMut<'_, bpf_iter_rs_pos>) -> u64 {
        it.pos + u64::from(x)
    }
}
