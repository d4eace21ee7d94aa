// SPDX-License-Identifier: GPL-2.0

//! RET_NULL without a pointer return type.
// expect: kfunc `rs_bad_ret_null`: RET_NULL needs a pointer return type

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Returns an integer.
    #[flags(RET_NULL)]
    pub fn rs_bad_ret_null(id: u32) -> u64 {
        u64::from(id)
    }
}
