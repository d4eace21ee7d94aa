// SPDX-License-Identifier: GPL-2.0

//! Iterator state must be a `struct bpf_iter_<type>`.
// expect: kfunc `bpf_iter_rs_state_new`: an iterator kfunc's first parameter must point to a `struct bpf_iter_<type>`, not `struct rs_state`

kfunc::btf_struct! {
    /// Iterator state with the wrong name.
    pub struct rs_state {
        /// Position.
        pub pos: u64,
    }
}

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Starts an iteration.
    pub fn bpf_iter_rs_state_new(it: kfunc::IterNew<'_, rs_state>) -> i32 {
        it.init(rs_state { pos: 0 });
        0
    }
}
