// SPDX-License-Identifier: GPL-2.0

//! A typed parameter spelled with a C suffix too.
// expect: kfunc `rs_len`: parameter `s__str` has a typed spelling

use core::ffi::CStr;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// The string's length.
    pub fn rs_len(s__str: &CStr) -> u32 {
        s__str.to_bytes().len() as u32
    }
}
