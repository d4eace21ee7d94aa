// SPDX-License-Identifier: GPL-2.0

//! Kfunc set filters: a per-program veto on calls to the kfuncs of a set.
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`btf_kfunc_filter_t`)
//!
//! A filter is a plain Rust function `fn(&BpfProg, KfuncId) -> bool`,
//! named in [`kfunc_set!`](crate::kfunc_set); the macro wraps it into the C
//! callback. The kernel asks it before allowing a program to call any kfunc
//! of the module registered for the program's hook; returning `false`
//! makes the verifier reject the call with "calling kernel function NAME is
//! not allowed".

use crate::{bindings, ProgType};
use kernel::types::Opaque;

/// A BPF program being verified, as a set filter sees it.
///
/// # Examples
///
/// ```ignore
/// use kfunc::{BpfProg, KfuncId, ProgType};
///
/// /// Syscall programs only.
/// fn syscall_only(prog: &BpfProg, _kfunc: KfuncId) -> bool {
///     prog.prog_type() == ProgType::SYSCALL
/// }
/// ```
#[repr(transparent)]
pub struct BpfProg(Opaque<bindings::bpf_prog>);

/// The run-time BTF id of the kfunc whose call the verifier is checking.
///
/// # Examples
///
/// ```ignore
/// fn log_calls(prog: &kfunc::BpfProg, kfunc: kfunc::KfuncId) -> bool {
///     pr_debug!("program of type {:?} calls kfunc {}\n", prog.prog_type(), kfunc.0);
///     true
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KfuncId(pub u32);

impl BpfProg {
    /// Borrows the program the verifier passes to a filter.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct bpf_prog` that stays valid and
    /// unchanged for `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::bpf_prog) -> &'a Self {
        // SAFETY: `BpfProg` is a transparent wrapper of `bpf_prog`, and the
        // caller guarantees the pointer is valid for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The program's type.
    #[inline]
    pub fn prog_type(&self) -> ProgType {
        // SAFETY: `self` is a valid `bpf_prog` (type invariant), whose type
        // is set before verification starts and not changed during it.
        ProgType::from_raw(unsafe { (*self.0.get()).type_ })
    }

    /// The program's expected attach type (`enum bpf_attach_type`).
    #[inline]
    pub fn expected_attach_type(&self) -> u32 {
        // SAFETY: as in `prog_type`.
        unsafe { (*self.0.get()).expected_attach_type }
    }
}

/// Turns a filter's verdict into the C callback's return value.
#[doc(hidden)]
#[inline]
pub const fn verdict(allowed: bool) -> kernel::ffi::c_int {
    if allowed {
        0
    } else {
        -(bindings::EACCES as kernel::ffi::c_int)
    }
}
