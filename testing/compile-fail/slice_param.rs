// SPDX-License-Identifier: GPL-2.0

//! A slice is not offered: the region may alias other arguments and change under the kfunc (use `Mem<'_>`).
// expect: `&[u8]` cannot be a kfunc parameter
// expect: required by a bound in `rs_bad_slice::mem`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a slice.
    pub fn rs_bad_slice(mem: &[u8]) {
        let _ = mem;
    }
}
