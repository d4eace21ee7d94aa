// SPDX-License-Identifier: GPL-2.0

//! Scalar annotations: [`Const`] (`__k`) and [`Ign`] (`__ign`).
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h);
//! Documentation/bpf/kfuncs.rst, "__k Annotation", "__ign Annotation".

use crate::arg::KfuncArg;
use crate::record::Type;
use crate::BtfType;

/// Integers: every bit pattern is a value.
///
/// # Safety
///
/// Every value of the size of `Self` must be a valid `Self`.
pub unsafe trait Integer: BtfType + Copy {}

macro_rules! impl_integer {
    ($($t:ty),*) => {
        $(
            // SAFETY: a Rust integer has no invalid bit patterns.
            unsafe impl Integer for $t {}
        )*
    };
}

impl_integer!(u8, i8, u16, i16, u32, i32, u64, i64, usize, isize);

/// A scalar the verifier requires to be a known constant (`__k`), such as
/// a size or a type id the kfunc relies on.
///
/// # Examples
///
/// ```ignore
/// kfunc_set! {
///     pub static SET: KfuncSet;
///
///     /// `factor` must be a constant (BTF: `u32 factor__k`).
///     pub fn rs_scale(x: u64, factor: Const<u32>) -> u64 {
///         x.wrapping_mul(u64::from(factor.get()))
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Const<T>(T);

impl<T: Integer> Const<T> {
    /// The constant.
    #[inline(always)]
    pub fn get(self) -> T {
        self.0
    }
}

// SAFETY: `__k` only restricts what the program may pass; any integer is
// valid.
unsafe impl<T: Integer> KfuncArg for Const<T> {
    type Raw = T;
    type Bound<'k> = Const<T>;
    const BTF: &'static Type = &T::BTF;
    const SUFFIX: &'static str = "__k";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: T) -> Self::Bound<'k> {
        Const(raw)
    }
}

/// A parameter the verifier ignores (`__ign`): any integer. The kfunc must
/// not trust it.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct Ign<T>(T);

impl<T: Integer> Ign<T> {
    /// The unchecked value.
    #[inline(always)]
    pub fn get(self) -> T {
        self.0
    }
}

// SAFETY: any integer is a valid `Ign<T>`; the verifier checks nothing.
unsafe impl<T: Integer> KfuncArg for Ign<T> {
    type Raw = T;
    type Bound<'k> = Ign<T>;
    const BTF: &'static Type = &T::BTF;
    const SUFFIX: &'static str = "__ign";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: T) -> Self::Bound<'k> {
        Ign(raw)
    }
}
