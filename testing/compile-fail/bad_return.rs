// SPDX-License-Identifier: GPL-2.0

//! `Option<u32>` may be NULL-like but is no C type: the return type is rejected.
// expect: `Option<u32>` cannot be a kfunc return type
// expect: `Option<u32>` cannot be the return type of kfunc `rs_bad_return`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Returns an option.
    pub fn rs_bad_return(id: u32) -> Option<u32> {
        Some(id)
    }
}
