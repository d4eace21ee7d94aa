// SPDX-License-Identifier: GPL-2.0

//! A trait object has no BTF meaning.
// expect: `&dyn Send` cannot be a kfunc parameter
// expect: required by a bound in `rs_bad_dyn::obj`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a trait object.
    pub fn rs_bad_dyn(obj: &dyn Send) {
        let _ = obj;
    }
}
