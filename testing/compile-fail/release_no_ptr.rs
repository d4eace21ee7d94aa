// SPDX-License-Identifier: GPL-2.0

//! RELEASE without a pointer first parameter.
// expect: kfunc `rs_bad_release`: RELEASE without a parameter that takes the reference

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Releases an integer.
    #[flags(RELEASE)]
    pub fn rs_bad_release(id: u32) {
        let _ = id;
    }
}
