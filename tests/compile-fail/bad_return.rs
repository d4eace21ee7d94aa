// SPDX-License-Identifier: GPL-2.0
//! `Option<u32>` has no C layout: the return type is rejected too.
// expect: `Option<u32>` has no BTF meaning, so it cannot cross the kfunc boundary
// expect: required by a bound in `rs_bad_return::r#return`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Returns an option.
    pub fn rs_bad_return(id: u32) -> Option<u32> {
        Some(id)
    }
}

