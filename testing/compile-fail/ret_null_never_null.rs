// SPDX-License-Identifier: GPL-2.0

//! RET_NULL on a return type that cannot be NULL contradicts the type.
// expect: kfunc `rs_bad_never_null`: RET_NULL contradicts its return type, which is never NULL; return an `Option`

use core::sync::atomic::AtomicU32;

kfunc::btf_struct! {
    /// A setting.
    #[shared]
    pub struct rs_cfg {
        /// Its value.
        pub v: AtomicU32,
    }
}

static CFG: rs_cfg = rs_cfg {
    v: AtomicU32::new(0),
};

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Returns the static, never NULL.
    #[flags(RET_NULL)]
    pub fn rs_bad_never_null() -> &'static rs_cfg {
        &CFG
    }
}
