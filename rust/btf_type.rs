// SPDX-License-Identifier: GPL-2.0

//! Rust types that have a BTF meaning, and what that meaning is.
//!
//! C header: [`include/uapi/linux/btf.h`](srctree/include/uapi/linux/btf.h)
//!
//! Only a type implementing [`BtfType`] may be a kfunc parameter, a kfunc
//! return value or a member of a [`btf_struct!`](crate::btf_struct). A slice,
//! a `str`, a trait object or a Rust enum carrying data has no C layout and
//! no BTF meaning, so declaring a kfunc with one fails to compile, naming
//! the kfunc and the parameter.

use crate::record::{KernelKind, Type};
use core::ffi::c_void;
use core::ptr::NonNull;

/// A Rust type with a C layout that BTF can describe.
///
/// Implemented here for integers, `bool`, pointers, references, arrays,
/// `kernel::bindings` structs and unions, `Refcount` and `Opaque<T>`, and
/// by [`btf_struct!`](crate::btf_struct) for module structs.
///
/// # Examples
///
/// ```ignore
/// use kfunc::{record::Type, BtfType};
///
/// assert!(matches!(<u32 as BtfType>::BTF, Type::Int { size: 4, signed: false, name: "u32" }));
/// assert!(matches!(<*mut u8 as BtfType>::BTF, Type::Ptr { is_const: false, .. }));
/// ```
///
/// # Safety
///
/// [`BtfType::BTF`] must describe the type's real size and layout: the BTF
/// step turns it into the BTF that the verifier trusts when BPF programs
/// pass and receive values of this type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no BTF meaning, so it cannot cross the kfunc boundary",
    label = "no BTF meaning",
    note = "kfunc parameters, return values and btf_struct! members must be integers, bool, \
            raw pointers or references to such types, kernel structs (`kernel::bindings::*`) \
            or `#[repr(C)]` structs declared with `kfunc::btf_struct!`"
)]
pub unsafe trait BtfType {
    /// The C shape of the type.
    const BTF: Type;
}

macro_rules! impl_int {
    ($($t:ty => $c:literal),* $(,)?) => {
        $(
            // SAFETY: a Rust integer has the size and signedness of the C one.
            unsafe impl BtfType for $t {
                const BTF: Type = Type::Int {
                    size: core::mem::size_of::<$t>() as u8,
                    signed: <$t>::MIN != 0,
                    name: $c,
                };
            }
        )*
    };
}

impl_int! {
    u8 => "u8", i8 => "s8", u16 => "u16", i16 => "s16", u32 => "u32", i32 => "s32",
    u64 => "u64", i64 => "s64", usize => "unsigned long", isize => "long",
}

// SAFETY: Rust's `bool` is one byte holding 0 or 1, like C's `_Bool`.
unsafe impl BtfType for bool {
    const BTF: Type = Type::Bool;
}

// SAFETY: `()` as a return type is C's `void`.
unsafe impl BtfType for () {
    const BTF: Type = Type::Void;
}

// SAFETY: `c_void` is only ever used behind a pointer, as C's `void`.
unsafe impl BtfType for c_void {
    const BTF: Type = Type::Void;
}

// SAFETY: a raw pointer to a sized `T` is a C pointer to `T`.
unsafe impl<T: BtfType> BtfType for *mut T {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: false };
}

// SAFETY: as for `*mut T`; the pointee is not written through it.
unsafe impl<T: BtfType> BtfType for *const T {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: true };
}

// SAFETY: a reference to a sized `T` is a non-null C pointer to `T`.
unsafe impl<T: BtfType> BtfType for &T {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: true };
}

// SAFETY: as for `&T`, without `const`.
unsafe impl<T: BtfType> BtfType for &mut T {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: false };
}

// SAFETY: `NonNull<T>` is a non-null `*mut T`.
unsafe impl<T: BtfType> BtfType for NonNull<T> {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: false };
}

// SAFETY: `Option` of a reference or `NonNull` is guaranteed to be a
// nullable pointer with `None` as NULL.
unsafe impl<T: BtfType> BtfType for Option<&T> {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: true };
}

// SAFETY: as above.
unsafe impl<T: BtfType> BtfType for Option<&mut T> {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: false };
}

// SAFETY: as above.
unsafe impl<T: BtfType> BtfType for Option<NonNull<T>> {
    const BTF: Type = Type::Ptr { pointee: &T::BTF, is_const: false };
}

// SAFETY: a Rust array has the layout of the C array of the same length.
unsafe impl<T: BtfType, const N: usize> BtfType for [T; N] {
    const BTF: Type = Type::Array { elem: &T::BTF, len: N as u32 };
}

// SAFETY: `Refcount` is a transparent wrapper of the C `refcount_t`.
unsafe impl BtfType for kernel::sync::Refcount {
    const BTF: Type = Type::Kernel { kind: KernelKind::Typedef, name: "refcount_t" };
}

// SAFETY: `Opaque<T>` is a transparent wrapper of `T` (possibly
// uninitialized), so it has `T`'s layout.
unsafe impl<T: BtfType> BtfType for kernel::types::Opaque<T> {
    const BTF: Type = T::BTF;
}

/// Implements [`BtfType`] for kernel C types, which the BTF step finds by
/// name in vmlinux BTF.
macro_rules! impl_kernel_types {
    ($($kind:ident $name:ident),* $(,)?) => {
        $(
            // SAFETY: bindgen generated this type from the kernel's C
            // definition of the type of the same name and kind.
            unsafe impl BtfType for kernel::bindings::$name {
                const BTF: Type = Type::Kernel {
                    kind: impl_kernel_types!(@kind $kind),
                    name: stringify!($name),
                };
            }
        )*
    };
    (@kind struct) => { KernelKind::Struct };
    (@kind union) => { KernelKind::Union };
}

// Every struct and union of `kernel::bindings`, listed at build time from
// the target kernel's bindings by scripts/kfunc-rs-bindgen.sh.
include!(concat!(env!("KFUNC_RS_GENERATED"), "/kernel_types_generated.rs"));
