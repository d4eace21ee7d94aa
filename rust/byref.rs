// SPDX-License-Identifier: GPL-2.0

//! Kernel objects by reference: `&T` and `Option<&T>` ([`ByRef`]) and owned
//! references `ARef<T>` ([`BpfRefCounted`]).
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_ACQUIRE`, `KF_RELEASE`; trusted arguments, `__nullable`)

use crate::arg::KfuncArg;
use crate::compat::{ARef, AlwaysRefCounted};
use crate::record::Type;
use crate::{BtfType, KfuncFlags};
use core::ptr::NonNull;
use kernel::task::Task;
use kernel::types::Opaque;

/// Types a kfunc may take by shared reference (`&T`): their contents may
/// change during the call (they are all `UnsafeCell`), so aliasing pointers
/// and concurrent writers do not break Rust's rules.
///
/// [`btf_struct!`](crate::btf_struct) implements it for structs declared
/// `#[shared]`, whose members must all be [`SharedField`]s.
///
/// # Safety
///
/// Every byte of `Self` that anyone may write while a `&Self` exists must
/// be inside an `UnsafeCell`, and `Self` must have the layout of
/// [`ByRef::C`].
#[diagnostic::on_unimplemented(
    message = "a kfunc cannot hold a `&{Self}`: it may change under the kfunc and has no `UnsafeCell`",
    label = "not `ByRef`",
    note = "take `&Opaque<{Self}>`, a kernel wrapper (`&Task` for `task_struct`), a `#[shared]` \
            btf_struct!, or a raw pointer"
)]
pub unsafe trait ByRef {
    /// The C type BPF programs see.
    type C: BtfType;
}

// SAFETY: `Opaque<T>` is an `UnsafeCell<MaybeUninit<T>>` with `T`'s layout.
unsafe impl<T: BtfType> ByRef for Opaque<T> {
    type C = T;
}

// SAFETY: `Task` wraps an `Opaque<task_struct>`.
unsafe impl ByRef for Task {
    type C = kernel::bindings::task_struct;
}

/// Member types of a `#[shared]` [`btf_struct!`](crate::btf_struct): all
/// interior-mutable.
///
/// # Safety
///
/// Every byte of the type must be inside an `UnsafeCell`.
pub unsafe trait SharedField: BtfType {}

// SAFETY: atomics and `Opaque` are `UnsafeCell`s; `Refcount` is an atomic.
unsafe impl SharedField for core::sync::atomic::AtomicU32 {}
// SAFETY: as above.
unsafe impl SharedField for core::sync::atomic::AtomicI32 {}
// SAFETY: as above.
unsafe impl SharedField for core::sync::atomic::AtomicU64 {}
// SAFETY: as above.
unsafe impl SharedField for core::sync::atomic::AtomicI64 {}
// SAFETY: as above.
unsafe impl<T: BtfType> SharedField for core::sync::atomic::AtomicPtr<T> {}
// SAFETY: as above.
#[cfg(kfunc_kernel_refcount)]
unsafe impl SharedField for kernel::sync::Refcount {}
// SAFETY: as above.
unsafe impl<T: BtfType> SharedField for Opaque<T> {}
// SAFETY: an array of interior-mutable elements is interior-mutable.
unsafe impl<T: SharedField, const N: usize> SharedField for [T; N] {}

/// Reference-counted types whose references may cross the kfunc boundary
/// as `ARef<T>`: returned, the program holds one (`KF_ACQUIRE`); taken, the
/// kfunc takes it back (`KF_RELEASE`).
///
/// The verifier tracks *that* a program holds a reference, not *which*
/// kfunc took it: any kfunc releasing a `struct T *` may be handed any
/// acquired `struct T *`. So every acquire and release kfunc and every kptr
/// destructor of the BTF type, in the whole kernel, must count the same
/// way. That is why `Task` is not `BpfRefCounted`: the kernel's own task
/// kfuncs (`bpf_task_acquire`, `bpf_task_release`, the task kptr
/// destructor) count `rcu_users`, which a module cannot drop
/// (`put_task_struct_rcu_user()` is not exported), while `ARef<Task>`
/// counts `usage`. Programs get task references from those kernel kfuncs
/// and pass trusted tasks to module kfuncs as `&Task`.
///
/// # Safety
///
/// Every kfunc and kptr destructor of the kernel and its modules that
/// acquires or releases references to [`ByRef::C`] must use
/// [`AlwaysRefCounted::inc_ref`] and [`AlwaysRefCounted::dec_ref`] of
/// `Self`, and every object the verifier may pass as a `ByRef::C` pointer
/// must be a `Self` (for a struct of scalars only, the verifier also
/// accepts program memory: give such a struct a pointer member).
#[diagnostic::on_unimplemented(
    message = "`{Self}` references cannot cross the kfunc boundary as `ARef<{Self}>`",
    label = "not `BpfRefCounted`",
    note = "a type's acquire and release kfuncs must count references the same way across the kernel; \
            for tasks, programs use the kernel's bpf_task_acquire/bpf_task_release and pass `&Task` to module kfuncs"
)]
pub unsafe trait BpfRefCounted: AlwaysRefCounted + ByRef {}

// SAFETY: the verifier passes a valid, non-NULL (no `__nullable`, which
// `check.rs` keeps out of the name) pointer to a `T::C` for the call;
// `ByRef` makes a shared reference to it sound even if it aliases other
// arguments or changes meanwhile. `'k` ends with the call.
unsafe impl<'a, T: ByRef + 'static> KfuncArg for &'a T {
    type Raw = *mut T::C;
    type Bound<'k> = &'k T;
    const BTF: &'static Type = &<*mut T::C as BtfType>::BTF;
    /// Kernels that trust kfunc arguments only on request need
    /// `KF_TRUSTED_ARGS`; newer ones trust them all (no flag).
    const IMPLIES: KfuncFlags = KfuncFlags::OPT_TRUSTED_ARGS;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T::C) -> Self::Bound<'k> {
        // SAFETY: see above; `T` has `T::C`'s layout (`ByRef`).
        unsafe { &*raw.cast::<T>() }
    }
}

// SAFETY: as for `&T`, with `__nullable`: NULL is `None`.
unsafe impl<'a, T: ByRef + 'static> KfuncArg for Option<&'a T> {
    type Raw = *mut T::C;
    type Bound<'k> = Option<&'k T>;
    const BTF: &'static Type = &<*mut T::C as BtfType>::BTF;
    /// As for `&T`.
    const IMPLIES: KfuncFlags = KfuncFlags::OPT_TRUSTED_ARGS;
    const SUFFIX: &'static str = "__nullable";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T::C) -> Self::Bound<'k> {
        // SAFETY: NULL or valid, see `&T`.
        unsafe { raw.cast::<T>().as_ref() }
    }
}

// SAFETY: `KF_RELEASE` (implied) makes the verifier pass, as the first
// argument (`check.rs` requires the position), a referenced pointer the
// program gives up; `BpfRefCounted` makes that reference one of
// `T::inc_ref`, which this `ARef` now owns.
unsafe impl<T: BpfRefCounted> KfuncArg for ARef<T> {
    type Raw = *mut T::C;
    type Bound<'k> = ARef<T>;
    const BTF: &'static Type = &<*mut T::C as BtfType>::BTF;
    const IMPLIES: KfuncFlags = KfuncFlags::RELEASE;
    const RELEASES: bool = true;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T::C) -> Self::Bound<'k> {
        // SAFETY: a released argument is never NULL and carries one
        // reference, which this `ARef` now owns.
        unsafe { ARef::from_raw(NonNull::new_unchecked(raw.cast::<T>())) }
    }
}
