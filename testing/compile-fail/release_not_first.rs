// SPDX-License-Identifier: GPL-2.0

//! A reference taken back in the second parameter (the verifier releases
//! R1 only).
// expect: kfunc `rs_obj_put`: parameter `obj` takes a reference (`ARef`), which only the first parameter may

use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use kfunc::prelude::*;

btf_struct! {
    /// A counted object.
    #[shared]
    pub struct rs_obj {
        /// References.
        pub refs: AtomicU32,
        /// Makes the struct more than scalars.
        pub owner: AtomicPtr<core::ffi::c_void>,
    }
}

// SAFETY: only counts; the objects are never freed.
unsafe impl AlwaysRefCounted for rs_obj {
    fn inc_ref(&self) {
        self.refs.fetch_add(1, Ordering::Relaxed);
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns a reference, so `obj` is live.
        unsafe { obj.as_ref() }.refs.fetch_sub(1, Ordering::Relaxed);
    }
}

// SAFETY: only this module's kfuncs take and drop `rs_obj` references.
unsafe impl BpfRefCounted for rs_obj {}

kfunc_set! {
    pub static BAD: KfuncSet;

    /// Drops a reference, taken second.
    pub fn rs_obj_put(x: u32, obj: ARef<rs_obj>) {
        let _ = x;
        drop(obj);
    }
}
