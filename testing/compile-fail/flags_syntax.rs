// SPDX-License-Identifier: GPL-2.0
//! Flags are written `#[flags(A | B)]`.
// expect: kfunc `rs_bad_flags`: write its flags as #[flags(ACQUIRE | RET_NULL)]

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Comma-separated flags.
    #[flags(ACQUIRE, RET_NULL)]
    pub fn rs_bad_flags(id: u32) -> u32 {
        id
    }
}
