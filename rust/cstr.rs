// SPDX-License-Identifier: GPL-2.0

//! Constant strings: `&CStr` parameters (`__str`).
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h);
//! Documentation/bpf/kfuncs.rst, "__str Annotation".

use crate::arg::KfuncArg;
use crate::record::Type;
use crate::BtfType;
use core::ffi::CStr;

/// C's `char`, the pointee of a `__str` parameter (`const char *`).
#[doc(hidden)]
#[repr(transparent)]
pub struct CChar(core::ffi::c_char);

// SAFETY: one byte, C's `char` (vmlinux BTF has the INT of that name).
unsafe impl BtfType for CChar {
    const BTF: Type = Type::Int {
        size: 1,
        signed: false,
        name: "char",
    };
}

/// A constant, NUL-terminated string in a read-only map (`__str`).
// SAFETY: `__str` makes the verifier require a pointer into a frozen
// read-only map whose value holds a NUL within bounds, so the string is
// valid and unchanging for the call, which `'k` ends with.
unsafe impl<'a> KfuncArg for &'a CStr {
    type Raw = *const CChar;
    type Bound<'k> = &'k CStr;
    const BTF: &'static Type = &<*const CChar as BtfType>::BTF;
    const SUFFIX: &'static str = "__str";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *const CChar) -> Self::Bound<'k> {
        // `from_ptr` reads bytes up to the NUL: the signedness of `char`,
        // which the kernel's lint is about, plays no part.
        #[allow(clippy::disallowed_methods)]
        // SAFETY: see above; `CChar` is a transparent `c_char`.
        let s = unsafe { CStr::from_ptr(raw.cast()) };
        s
    }
}
