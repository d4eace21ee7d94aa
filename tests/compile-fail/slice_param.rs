// SPDX-License-Identifier: GPL-2.0
//! A slice has no C layout: the kfunc must not compile.
// expect: `&[u8]` has no BTF meaning, so it cannot cross the kfunc boundary
// expect: required by a bound in `rs_bad_slice::mem`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a slice.
    pub fn rs_bad_slice(mem: &[u8]) {
        let _ = mem;
    }
}

