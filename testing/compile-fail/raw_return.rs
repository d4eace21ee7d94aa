// SPDX-License-Identifier: GPL-2.0

//! A raw pointer returned from a safe kfunc.
// expect: kfunc `rs_raw`: returns a raw pointer, which the verifier trusts as it is

static mut VALUE: u64 = 0;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Hands out a pointer the types vouch nothing for.
    pub fn rs_raw() -> *mut u64 {
        &raw mut VALUE
    }
}
