// SPDX-License-Identifier: GPL-2.0

//! An iterator kfunc is named `bpf_iter_<type>_<new|next|destroy>`.
// expect: kfunc `bpf_iter_rs_seq_start`: the ITER_NEW kfunc of `struct bpf_iter_rs_seq` must be named `bpf_iter_rs_seq_new`

kfunc::btf_struct! {
    /// Iterator state.
    pub struct bpf_iter_rs_seq {
        /// Position.
        pub pos: u64,
    }
}

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Starts an iteration, under the wrong name.
    pub fn bpf_iter_rs_seq_start(it: kfunc::IterNew<'_, bpf_iter_rs_seq>) -> i32 {
        it.init(bpf_iter_rs_seq { pos: 0 });
        0
    }
}
