// SPDX-License-Identifier: GPL-2.0

//! `Option` means `__nullable`, which only pointers can be.
// expect: `Option<u32>` cannot be a kfunc parameter
// expect: required by a bound in `rs_bad_opt::x`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// A nullable integer.
    pub fn rs_bad_opt(x: Option<u32>) -> u32 {
        x.unwrap_or(0)
    }
}
