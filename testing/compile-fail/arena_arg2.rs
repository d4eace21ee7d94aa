// SPDX-License-Identifier: GPL-2.0

//! ARENA_ARG2 on a kfunc with fewer parameters.
// expect[kfunc_flag="ARENA_ARG2"]: kfunc `rs_bad_arena`: ARENA_ARG2 needs a pointer second parameter
// expect[!kfunc_flag="ARENA_ARG2"]: no associated function or constant named `ARENA_ARG2` found for struct `KfuncFlags`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// One parameter only.
    #[flags(ARENA_ARG2)]
    pub fn rs_bad_arena(p: *mut u64) {
        let _ = p;
    }
}
