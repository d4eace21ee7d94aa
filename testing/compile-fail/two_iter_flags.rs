// SPDX-License-Identifier: GPL-2.0

//! An iterator kfunc has exactly one ITER flag.
// expect: kfunc `bpf_iter_rs_bad_next`: has more than one of ITER_NEW, ITER_NEXT and ITER_DESTROY

kfunc::btf_struct! {
    /// Iterator state.
    pub struct bpf_iter_rs_bad {
        /// Position.
        pub pos: u64,
    }
}

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Both next and destroy.
    #[flags(ITER_NEXT | ITER_DESTROY)]
    pub fn bpf_iter_rs_bad_next(it: kfunc::IterMut<'_, bpf_iter_rs_bad>) -> kfunc::IterPtr<u64> {
        it.field_ptr(|s| &mut s.pos)
    }
}
