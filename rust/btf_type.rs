// SPDX-License-Identifier: GPL-2.0

//! Rust types with a C layout that BTF can describe, and what that
//! description is.
//!
//! C header: [`include/uapi/linux/btf.h`](srctree/include/uapi/linux/btf.h)
//!
//! [`BtfType`] is about layout only: what a value of the type looks like
//! in memory, so that the BTF step can write the matching BTF. What a kfunc
//! may take or return is a separate question, answered by
//! [`KfuncArg`](crate::KfuncArg) and [`KfuncRet`](crate::KfuncRet): a
//! `&mut T` has the layout of a pointer, but is not a sound kfunc
//! parameter (a BPF program may pass the same pointer twice).

use crate::record::{KernelKind, Type};
use core::ffi::c_void;
use core::sync::atomic::{AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64};

/// A Rust type with a C layout that BTF can describe.
///
/// Implemented here for integers, atomics, `bool`, raw pointers, arrays,
/// `kernel::bindings` structs and unions, `Refcount` and `Opaque<T>`, and
/// by [`btf_struct!`](crate::btf_struct) for module structs.
///
/// # Examples
///
/// ```ignore
/// use kfunc::{record::Type, BtfType};
///
/// assert!(matches!(<u32 as BtfType>::BTF, Type::Int { size: 4, signed: false, name: "u32" }));
/// assert!(<*mut u8 as BtfType>::BTF.is_ptr());
/// ```
///
/// # Safety
///
/// [`BtfType::BTF`] must describe the type's real size and layout: the BTF
/// step turns it into the BTF that the verifier trusts when BPF programs
/// pass and receive values of this type. All-zero bytes must be a valid
/// value of the type, as for the C types BTF describes (an iterator state
/// that a kfunc did not initialize is left zeroed).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no BTF meaning",
    label = "no C layout BTF can describe",
    note = "BTF describes integers, bool, raw pointers, arrays, kernel structs \
            (`kernel::bindings::*`) and `#[repr(C)]` structs declared with `kfunc::btf_struct!`"
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

macro_rules! impl_atomic {
    ($($t:ty => $int:ty),* $(,)?) => {
        $(
            // SAFETY: an atomic integer has the size and alignment of the
            // integer (core::sync::atomic guarantees it for these widths
            // on the architectures the kernel's Rust supports).
            unsafe impl BtfType for $t {
                const BTF: Type = <$int as BtfType>::BTF;
            }
        )*
    };
}

impl_atomic! { AtomicU32 => u32, AtomicI32 => i32, AtomicU64 => u64, AtomicI64 => i64 }

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
    const BTF: Type = Type::Ptr {
        pointee: &T::BTF,
        is_const: false,
    };
}

// SAFETY: as for `*mut T`; the pointee is not written through it.
unsafe impl<T: BtfType> BtfType for *const T {
    const BTF: Type = Type::Ptr {
        pointee: &T::BTF,
        is_const: true,
    };
}

// SAFETY: a Rust array has the layout of the C array of the same length.
unsafe impl<T: BtfType, const N: usize> BtfType for [T; N] {
    const BTF: Type = Type::Array {
        elem: &T::BTF,
        len: N as u32,
    };
}

// SAFETY: `AtomicPtr<T>` has the size and alignment of `*mut T`.
unsafe impl<T: BtfType> BtfType for AtomicPtr<T> {
    const BTF: Type = <*mut T as BtfType>::BTF;
}

// SAFETY: `Refcount` is a transparent wrapper of the C `refcount_t`.
#[cfg(kfunc_kernel_refcount)]
unsafe impl BtfType for kernel::sync::Refcount {
    const BTF: Type = Type::Kernel {
        kind: KernelKind::Typedef,
        name: "refcount_t",
        size: core::mem::size_of::<kernel::sync::Refcount>(),
    };
}

// SAFETY: `Opaque<T>` is a transparent wrapper of `T` (possibly
// uninitialized), so it has `T`'s layout.
unsafe impl<T: BtfType> BtfType for kernel::types::Opaque<T> {
    const BTF: Type = T::BTF;
}

// SAFETY: `Task` is a transparent wrapper of `struct task_struct`.
unsafe impl BtfType for kernel::task::Task {
    const BTF: Type = <kernel::bindings::task_struct as BtfType>::BTF;
}

// SAFETY: the kfunc crate's own binding of `struct bpf_prog_aux` (opaque:
// only ever used behind a pointer).
unsafe impl BtfType for crate::bindings::bpf_prog_aux {
    const BTF: Type = Type::Kernel {
        kind: KernelKind::Struct,
        name: "bpf_prog_aux",
        size: core::mem::size_of::<crate::bindings::bpf_prog_aux>(),
    };
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
                    size: core::mem::size_of::<kernel::bindings::$name>(),
                };
            }
        )*
    };
    (@kind struct) => { KernelKind::Struct };
    (@kind union) => { KernelKind::Union };
}

// Every struct and union of `kernel::bindings`, listed at build time from
// the target kernel's bindings by scripts/kfunc-rs-bindgen.sh.
include!(concat!(
    env!("KFUNC_RS_GENERATED"),
    "/kernel_types_generated.rs"
));

/// Declares kernel structs that kfuncs take or return by pointer but that
/// `kernel::bindings` lacks: opaque Rust types whose BTF is vmlinux's
/// struct of the same name (the BTF step finds it by name).
///
/// # Examples
///
/// ```ignore
/// kfunc::kernel_types! {
///     /// `struct sock_common` of include/net/sock.h.
///     pub struct sock_common;
/// }
///
/// kfunc::kfunc_set! {
///     pub static SET: KfuncSet;
///
///     /// Takes a `struct sock_common *`.
///     pub fn my_sk_family(sk: *mut sock_common) -> u32 { /* ... */ 0 }
/// }
/// ```
#[macro_export]
macro_rules! kernel_types {
    ($($(#[$attr:meta])* $vis:vis struct $name:ident;)*) => {
        $(
            $(#[$attr])*
            #[repr(C)]
            #[allow(non_camel_case_types)]
            $vis struct $name {
                _opaque: [u8; 0],
                _p: ::core::marker::PhantomData<(*mut u8, ::core::marker::PhantomPinned)>,
            }

            // SAFETY: only ever used behind a pointer, to the kernel struct
            // of this name.
            unsafe impl $crate::BtfType for $name {
                const BTF: $crate::record::Type = $crate::record::Type::Kernel {
                    kind: $crate::record::KernelKind::Struct,
                    name: ::core::stringify!($name),
                    size: 0,
                };
            }
        )*
    };
}
