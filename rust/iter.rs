// SPDX-License-Identifier: GPL-2.0

//! Open-coded iterators: the state parameters [`IterNew`], [`IterMut`] and
//! [`IterRef`] (`__iter`).
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_ITER_NEW`, `KF_ITER_NEXT`, `KF_ITER_DESTROY`); the rules are those
//! of `btf_check_iter_kfuncs()` in kernel/bpf/btf.c, which `check.rs`
//! enforces at build time.

use crate::arg::{IterState, KfuncArg};
use crate::record::Type;
use crate::{BtfType, KfuncFlags, KfuncRet};
use core::mem::MaybeUninit;
use core::ptr::NonNull;

/// Iterator state lives in 8-byte stack slots of the program.
const fn assert_slot_aligned<T>() {
    assert!(
        core::mem::align_of::<T>() <= 8,
        "iterator state must not need more than 8-byte alignment (BPF stack slots)"
    );
}

/// The uninitialized state of a new iterator: the first parameter of a
/// `KF_ITER_NEW` kfunc (implied), `bpf_iter_<name>_new`.
///
/// The verifier marks the program's stack slots as an active iterator
/// whatever the kfunc does, so a kfunc that returns without [`init`]
/// leaves the state all zeros (every `BtfType` is valid as zeros), never
/// the stack's old bytes.
///
/// # Invariants
///
/// `slot` is `Some` until [`init`] takes it; it is the program's stack
/// slots for the state, which nothing else accesses during the call.
///
/// [`init`]: IterNew::init
pub struct IterNew<'k, T: BtfType> {
    slot: Option<&'k mut MaybeUninit<T>>,
}

impl<'k, T: BtfType> IterNew<'k, T> {
    /// Initializes the state and returns it.
    #[inline(always)]
    pub fn init(mut self, state: T) -> &'k mut T {
        // INVARIANT: the slot is taken, so `drop` leaves it alone.
        match self.slot.take() {
            Some(slot) => slot.write(state),
            // Unreachable: `init` consumes `self`, and only `drop` and
            // `init` take the slot.
            None => unreachable!(),
        }
    }
}

impl<T: BtfType> Drop for IterNew<'_, T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            // SAFETY: the slot has room for a `T`, and all-zero bytes are
            // a valid `T` (`BtfType`).
            unsafe { core::ptr::write_bytes(slot.as_mut_ptr(), 0, 1) };
        }
    }
}

// SAFETY: for the first parameter of an ITER_NEW kfunc (implied; `check.rs`
// requires the position and refuses an `__iter` parameter next to it) the
// verifier passes uninitialized stack slots of the calling program, of
// `T`'s size, which nothing else reaches during the call.
unsafe impl<'a, T: BtfType + 'static> KfuncArg for IterNew<'a, T> {
    type Raw = *mut T;
    type Bound<'k> = IterNew<'k, T>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const IMPLIES: KfuncFlags = KfuncFlags::ITER_NEW;
    const ITER: IterState = {
        assert_slot_aligned::<T>();
        IterState::New
    };

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        // INVARIANT: see above.
        IterNew {
            // SAFETY: see above.
            slot: Some(unsafe { &mut *raw.cast::<MaybeUninit<T>>() }),
        }
    }
}

/// An initialized iterator's state, for the first parameter of its
/// `KF_ITER_NEXT` or `KF_ITER_DESTROY` kfunc: exclusive, as only the
/// calling program's stack holds it.
///
/// # Invariants
///
/// The reference is to the program's initialized iterator state.
pub struct IterMut<'k, T>(&'k mut T);

impl<T> core::ops::Deref for IterMut<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        self.0
    }
}

impl<T> core::ops::DerefMut for IterMut<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        self.0
    }
}

impl<'k, T> IterMut<'k, T> {
    /// A pointer to a field of the state, which stays valid after the call
    /// (the state stays on the program's stack until its `_destroy`): what
    /// a `_next` kfunc returns.
    #[inline(always)]
    pub fn field_ptr<F: BtfType + 'k>(
        self,
        field: impl FnOnce(&'k mut T) -> &'k mut F,
    ) -> IterPtr<F> {
        // INVARIANT: a field of the program's iterator state.
        IterPtr(NonNull::from(field(self.0)))
    }
}

/// A pointer into an iterator's state, as a `_next` kfunc returns it (made
/// by [`IterMut::field_ptr`]).
///
/// # Invariants
///
/// Points to a field of the calling program's iterator state.
pub struct IterPtr<F>(NonNull<F>);

// SAFETY: the pointee is in the program's iterator state, on its stack,
// valid after the call (the verifier keeps the state until `_destroy`).
unsafe impl<F: BtfType> KfuncRet for IterPtr<F> {
    type Raw = *mut F;
    const NEVER_NULL: bool = true;

    #[inline(always)]
    fn into_raw(self) -> *mut F {
        self.0.as_ptr()
    }
}

// SAFETY: as above; NULL (the end of the iteration) is `None`.
unsafe impl<F: BtfType> KfuncRet for Option<IterPtr<F>> {
    type Raw = *mut F;
    const IMPLIES: KfuncFlags = KfuncFlags::RET_NULL;

    #[inline(always)]
    fn into_raw(self) -> *mut F {
        self.map_or(core::ptr::null_mut(), |p| p.0.as_ptr())
    }
}

// SAFETY: for the first parameter of an ITER_NEXT/DESTROY kfunc (required
// by `check.rs`) the verifier passes an initialized iterator of this type
// on the calling program's stack, which nothing else accesses meanwhile.
unsafe impl<'a, T: BtfType + 'static> KfuncArg for IterMut<'a, T> {
    type Raw = *mut T;
    type Bound<'k> = IterMut<'k, T>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const ITER: IterState = {
        assert_slot_aligned::<T>();
        IterState::Mut
    };

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        // INVARIANT: see above.
        // SAFETY: see above.
        IterMut(unsafe { &mut *raw })
    }
}

/// An initialized iterator passed to a kfunc that is not one of its own
/// (`__iter`), read-only.
///
/// # Invariants
///
/// The reference is to the program's initialized iterator state.
pub struct IterRef<'k, T>(&'k T);

impl<T> core::ops::Deref for IterRef<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        self.0
    }
}

// SAFETY: `__iter` makes the verifier pass an initialized iterator of this
// type on the program's stack, which nothing writes during the call (an
// ITER_NEW kfunc, which writes its first argument, may not also take an
// `IterRef`: `check.rs`).
unsafe impl<'a, T: BtfType + 'static> KfuncArg for IterRef<'a, T> {
    type Raw = *mut T;
    type Bound<'k> = IterRef<'k, T>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const SUFFIX: &'static str = "__iter";
    const ITER: IterState = IterState::Ref;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        // INVARIANT: see above.
        // SAFETY: see above.
        IterRef(unsafe { &*raw })
    }
}
