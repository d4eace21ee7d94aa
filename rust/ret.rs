// SPDX-License-Identifier: GPL-2.0

//! What a kfunc may return: [`KfuncRet`].
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_ACQUIRE`, `KF_RET_NULL`)
//!
//! The return type implies flags: an [`ARef`] hands a reference to the
//! program, so the kfunc is `KF_ACQUIRE`; an `Option` of a pointer may be
//! NULL, so it is `KF_RET_NULL`.
//!
//! Linux 7.3 trusts a returned struct pointer by default, and lets the
//! program read a returned pointer to scalars directly. So a safe kfunc
//! returns only pointers the types vouch for (`&'static T`, `ARef<T>`, an
//! iterator's [`IterPtr`](crate::IterPtr)); a raw pointer or `NonNull`
//! return makes the body vouch for it, which only an `unsafe fn` kfunc may
//! (`check.rs`).

use crate::compat::ARef;
use crate::{BpfRefCounted, BtfType, ByRef, KfuncFlags};
use core::ptr::NonNull;

/// A Rust type a kfunc may return.
///
/// # Safety
///
/// [`KfuncRet::into_raw`] must give a value the verifier may trust as
/// described by [`KfuncRet::Raw`] and the flags in [`KfuncRet::IMPLIES`]
/// (an acquired pointer carries one reference); [`KfuncRet::NEVER_NULL`]
/// must be true only if `into_raw` never returns NULL. A type whose
/// `into_raw` may give a pointer the verifier would wrongly trust must set
/// [`KfuncRet::RAW`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a kfunc return type",
    label = "not a kfunc return type",
    note = "kfuncs return `()`, integers, bool, `&'static T` of `ByRef` types, `ARef<T>` of \
            `BpfRefCounted` types (acquired), an iterator's `IterPtr`, an `Option` of those (may \
            be NULL), or, from an `unsafe fn` kfunc, raw pointers and `NonNull<T>`"
)]
pub unsafe trait KfuncRet {
    /// The C type the kfunc returns.
    type Raw: BtfType;
    /// The kfunc flags this return type implies.
    const IMPLIES: KfuncFlags = KfuncFlags::empty();
    /// Whether the value is never NULL (contradicts `KF_RET_NULL`).
    const NEVER_NULL: bool = false;
    /// Whether the pointer is only as good as the kfunc body says: such a
    /// kfunc must be an `unsafe fn`.
    const RAW: bool = false;

    /// The raw value.
    fn into_raw(self) -> Self::Raw;
}

macro_rules! impl_plain_ret {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: a plain value.
            unsafe impl KfuncRet for $t {
                type Raw = $t;

                #[inline(always)]
                fn into_raw(self) -> $t {
                    self
                }
            }
        )*
    };
}

impl_plain_ret!((), bool, u8, i8, u16, i16, u32, i32, u64, i64, usize, isize);

// SAFETY: `RAW`: the kfunc (an `unsafe fn`) vouches for the pointer.
unsafe impl<T: BtfType> KfuncRet for *mut T {
    type Raw = *mut T;
    const RAW: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T {
        self
    }
}

// SAFETY: as for `*mut T`.
unsafe impl<T: BtfType> KfuncRet for *const T {
    type Raw = *const T;
    const RAW: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *const T {
        self
    }
}

// SAFETY: never NULL; `RAW`: the kfunc vouches for the pointee.
unsafe impl<T: BtfType> KfuncRet for NonNull<T> {
    type Raw = *mut T;
    const NEVER_NULL: bool = true;
    const RAW: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T {
        self.as_ptr()
    }
}

// SAFETY: NULL is `None`, which `KF_RET_NULL` makes programs check;
// `RAW`: the kfunc vouches for the pointee.
unsafe impl<T: BtfType> KfuncRet for Option<NonNull<T>> {
    type Raw = *mut T;
    const IMPLIES: KfuncFlags = KfuncFlags::RET_NULL;
    const RAW: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T {
        self.map_or(core::ptr::null_mut(), NonNull::as_ptr)
    }
}

// SAFETY: a `'static` object outlives every program.
unsafe impl<T: ByRef> KfuncRet for &'static T {
    type Raw = *mut T::C;
    const NEVER_NULL: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T::C {
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

// SAFETY: as above, NULL being `None`.
unsafe impl<T: ByRef> KfuncRet for Option<&'static T> {
    type Raw = *mut T::C;
    const IMPLIES: KfuncFlags = KfuncFlags::RET_NULL;

    #[inline(always)]
    fn into_raw(self) -> *mut T::C {
        self.map_or(core::ptr::null_mut(), |r| {
            core::ptr::from_ref(r).cast_mut().cast()
        })
    }
}

// SAFETY: the `ARef`'s reference goes to the program, which `KF_ACQUIRE`
// makes release it, through a kfunc counting as `T` does
// (`BpfRefCounted`).
unsafe impl<T: BpfRefCounted> KfuncRet for ARef<T> {
    type Raw = *mut T::C;
    const IMPLIES: KfuncFlags = KfuncFlags::ACQUIRE;
    const NEVER_NULL: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T::C {
        ARef::into_raw(self).as_ptr().cast()
    }
}

// SAFETY: as above; NULL is `None`.
unsafe impl<T: BpfRefCounted> KfuncRet for Option<ARef<T>> {
    type Raw = *mut T::C;
    const IMPLIES: KfuncFlags = KfuncFlags::ACQUIRE.union(KfuncFlags::RET_NULL);

    #[inline(always)]
    fn into_raw(self) -> *mut T::C {
        self.map_or(core::ptr::null_mut(), |a| ARef::into_raw(a).as_ptr().cast())
    }
}
