// SPDX-License-Identifier: GPL-2.0

//! ARENA_ARG2 on a kfunc with fewer parameters.
// expect: kfunc `rs_bad_arena`: ARENA_ARG2 needs a pointer second parameter

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// One parameter only.
    #[flags(ARENA_ARG2)]
    pub fn rs_bad_arena(p: *mut u64) {
        let _ = p;
    }
}
