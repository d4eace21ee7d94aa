// SPDX-License-Identifier: GPL-2.0

//! What a kfunc may return: [`KfuncRet`].
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_ACQUIRE`, `KF_RET_NULL`)
//!
//! The return type implies flags: an [`ARef`] hands a reference to the
//! program, so the kfunc is `KF_ACQUIRE`; an `Option` of a pointer may be
//! NULL, so it is `KF_RET_NULL`.

use crate::{BtfType, ByRef, KfuncFlags};
use core::ptr::NonNull;
use kernel::sync::aref::{ARef, AlwaysRefCounted};

/// A Rust type a kfunc may return.
///
/// # Safety
///
/// [`KfuncRet::into_raw`] must give a value the verifier may trust as
/// described by [`KfuncRet::Raw`] and the flags in [`KfuncRet::IMPLIES`]
/// (an acquired pointer carries one reference); [`KfuncRet::NEVER_NULL`]
/// must be true only if `into_raw` never returns NULL.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a kfunc return type",
    label = "not a kfunc return type",
    note = "kfuncs return `()`, integers, bool, raw pointers, `NonNull<T>`, `&'static T`, \
            `ARef<T>` (acquired) or an `Option` of the last three (may be NULL); \
            return references into arguments as `NonNull`"
)]
pub unsafe trait KfuncRet {
    /// The C type the kfunc returns.
    type Raw: BtfType;
    /// The kfunc flags this return type implies.
    const IMPLIES: KfuncFlags = KfuncFlags::empty();
    /// Whether the value is never NULL (contradicts `KF_RET_NULL`).
    const NEVER_NULL: bool = false;

    /// The raw value.
    fn into_raw(self) -> Self::Raw;
}

macro_rules! impl_plain {
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

impl_plain!((), bool, u8, i8, u16, i16, u32, i32, u64, i64, usize, isize);

// SAFETY: a raw pointer promises nothing beyond what the flags say, which
// the author writes.
unsafe impl<T: BtfType> KfuncRet for *mut T {
    type Raw = *mut T;

    #[inline(always)]
    fn into_raw(self) -> *mut T {
        self
    }
}

// SAFETY: as for `*mut T`.
unsafe impl<T: BtfType> KfuncRet for *const T {
    type Raw = *const T;

    #[inline(always)]
    fn into_raw(self) -> *const T {
        self
    }
}

// SAFETY: never NULL.
unsafe impl<T: BtfType> KfuncRet for NonNull<T> {
    type Raw = *mut T;
    const NEVER_NULL: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T {
        self.as_ptr()
    }
}

// SAFETY: NULL is `None`, which `KF_RET_NULL` makes programs check.
unsafe impl<T: BtfType> KfuncRet for Option<NonNull<T>> {
    type Raw = *mut T;
    const IMPLIES: KfuncFlags = KfuncFlags::RET_NULL;

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
// makes release it.
unsafe impl<T: AlwaysRefCounted + ByRef> KfuncRet for ARef<T> {
    type Raw = *mut T::C;
    const IMPLIES: KfuncFlags = KfuncFlags::ACQUIRE;
    const NEVER_NULL: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut T::C {
        ARef::into_raw(self).as_ptr().cast()
    }
}

// SAFETY: as above; NULL is `None`.
unsafe impl<T: AlwaysRefCounted + ByRef> KfuncRet for Option<ARef<T>> {
    type Raw = *mut T::C;
    const IMPLIES: KfuncFlags = KfuncFlags::ACQUIRE.union(KfuncFlags::RET_NULL);

    #[inline(always)]
    fn into_raw(self) -> *mut T::C {
        self.map_or(core::ptr::null_mut(), |a| ARef::into_raw(a).as_ptr().cast())
    }
}
