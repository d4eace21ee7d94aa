// SPDX-License-Identifier: GPL-2.0

//! A `__sz` parameter sizes the pointer before it.
// expect: kfunc `rs_bad_size`: parameter `len__sz` is the size of the parameter before it, which must be a pointer

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// The size comes first.
    pub fn rs_bad_size(len__sz: u32, mem: *mut u8) {
        let _ = (len__sz, mem);
    }
}
