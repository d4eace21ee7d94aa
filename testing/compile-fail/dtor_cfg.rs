// SPDX-License-Identifier: GPL-2.0

//! A destructor of `kfunc_dtors!` cannot be configured out: the list is
//! one array of pairs in `.BTF_ids`.
// expect: kfunc `rs_gone_dtor`: a destructor of kfunc_dtors! cannot have a #[cfg]

use core::ffi::c_void;

kfunc::btf_struct! {
    /// A kptr type.
    pub struct rs_dtor_ctx {
        /// A counter.
        pub n: u64,
    }
}

kfunc::kfunc_dtors! {
    /// Destructors.
    pub static DTORS: KfuncDtors;

    /// Frees a context.
    rs_dtor_ctx => pub fn rs_kept_dtor(_ctx: *mut c_void) {}

    /// Configured out.
    #[cfg(any())]
    rs_dtor_ctx => pub fn rs_gone_dtor(_ctx: *mut c_void) {}
}
