// SPDX-License-Identifier: GPL-2.0

//! What a kfunc may take: [`KfuncArg`], and the typed spellings of the
//! verifier's parameter annotations.
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h); the
//! annotations are those of Documentation/bpf/kfuncs.rst ("Kfunc
//! parameters and their annotations").
//!
//! A kfunc parameter's Rust type decides three things:
//! - its C type in BTF ([`KfuncArg::Raw`]);
//! - the suffix the BTF step appends to its name ([`KfuncArg::SUFFIX`]),
//!   which is how the verifier learns the annotation: an `Option<&Task>`
//!   parameter `task` is `struct task_struct *task__nullable` in BTF;
//! - the flags it implies ([`KfuncArg::IMPLIES`]): a parameter that takes
//!   over a reference ([`ARef`]) makes the kfunc `KF_RELEASE`.
//!
//! # Soundness
//!
//! The verifier checks every argument against the kfunc's BTF before the
//! program may run, but what it guarantees is less than what a Rust
//! reference promises. It guarantees that a pointer is valid (and non-NULL
//! unless the parameter is nullable) for the duration of the call. It does
//! *not* guarantee exclusivity: a program may pass the same pointer twice,
//! and memory in maps is shared with other CPUs and with user space. So a
//! kfunc may take a shared reference only to types whose contents may
//! change under it ([`ByRef`]: `Opaque<T>`, [`Task`], structs of atomics),
//! never `&mut T`; program memory is reached through [`Mem`](crate::Mem),
//! which copies instead of handing out references.

use crate::{BtfType, KfuncFlags};
use core::ffi::CStr;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::str::CStrExt;
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::task::Task;
use kernel::types::Opaque;

/// A Rust type a kfunc may take as a parameter.
///
/// # Safety
///
/// [`KfuncArg::from_raw`] must be sound for every value the verifier lets a
/// BPF program pass for a parameter of type [`KfuncArg::Raw`] whose BTF
/// name ends in [`KfuncArg::SUFFIX`], and [`KfuncArg::IMPLIES`] must hold
/// the flags that make the verifier enforce what `from_raw` relies on.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a kfunc parameter",
    label = "not a kfunc parameter type",
    note = "kfunc parameters are integers, bool, raw pointers, `NonNull<T>`, `&T` of `ByRef` types \
            (`&Task`, `&Opaque<T>`), `Option` of those (nullable), `ARef<T>` (released), \
            `Const<T>`, `Ign<T>`, `&CStr`, `ArenaPtr<T>`, `ProgAux`, the iterator types, \
            or `Mem<'_>`/`MemK<'_>` written unqualified (a pointer and its size)",
    note = "`&mut T` and slices are not offered: a BPF program may pass aliasing pointers"
)]
pub unsafe trait KfuncArg: Sized {
    /// The C type the kfunc receives.
    type Raw: BtfType;
    /// The verifier annotation appended to the parameter's name in BTF.
    const SUFFIX: &'static str = "";
    /// The kfunc flags this parameter type implies.
    const IMPLIES: KfuncFlags = KfuncFlags::empty();
    /// Whether this is an iterator's state, which may only be the first
    /// parameter of an iterator kfunc (checked at build time).
    const ITER_STATE: bool = false;

    /// The typed argument of a raw one.
    ///
    /// # Safety
    ///
    /// `raw` must be a value the verifier allowed for this parameter, and
    /// the result must not outlive the kfunc call.
    unsafe fn from_raw(raw: Self::Raw) -> Self;
}

/// Implements [`KfuncArg`] for a type that is its own raw form.
macro_rules! impl_plain {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: every value of the C type is a valid value.
            unsafe impl KfuncArg for $t {
                type Raw = $t;

                #[inline(always)]
                unsafe fn from_raw(raw: $t) -> $t {
                    raw
                }
            }
        )*
    };
}

impl_plain!(u8, i8, u16, i16, u32, i32, u64, i64, usize, isize);

// SAFETY: the verifier passes `bool` parameters as 0 or 1 (BTF_INT_BOOL).
unsafe impl KfuncArg for bool {
    type Raw = bool;

    #[inline(always)]
    unsafe fn from_raw(raw: bool) -> bool {
        raw
    }
}

// SAFETY: a raw pointer claims nothing; dereferencing it is the body's
// `unsafe` business.
unsafe impl<T: BtfType> KfuncArg for *mut T {
    type Raw = *mut T;

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> *mut T {
        raw
    }
}

// SAFETY: as for `*mut T`.
unsafe impl<T: BtfType> KfuncArg for *const T {
    type Raw = *const T;

    #[inline(always)]
    unsafe fn from_raw(raw: *const T) -> *const T {
        raw
    }
}

// SAFETY: without `__nullable`, the verifier refuses a NULL pointer for a
// pointer parameter ("Possibly NULL pointer passed to trusted arg").
unsafe impl<T: BtfType> KfuncArg for NonNull<T> {
    type Raw = *mut T;

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        // SAFETY: not NULL, see above.
        unsafe { NonNull::new_unchecked(raw) }
    }
}

// SAFETY: `__nullable` makes the verifier accept NULL, which is `None`.
unsafe impl<T: BtfType> KfuncArg for Option<NonNull<T>> {
    type Raw = *mut T;
    const SUFFIX: &'static str = "__nullable";

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        NonNull::new(raw)
    }
}

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
unsafe impl SharedField for kernel::sync::Refcount {}
// SAFETY: as above.
unsafe impl<T: BtfType> SharedField for Opaque<T> {}
// SAFETY: an array of interior-mutable elements is interior-mutable.
unsafe impl<T: SharedField, const N: usize> SharedField for [T; N] {}

// SAFETY: the verifier passes a valid, non-NULL (no `__nullable`) pointer
// to a `T::C` for the call; `ByRef` makes a shared reference to it sound
// even if it aliases other arguments or changes meanwhile.
unsafe impl<'a, T: ByRef> KfuncArg for &'a T {
    type Raw = *mut T::C;

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T::C) -> Self {
        // SAFETY: see above; `T` has `T::C`'s layout (`ByRef`).
        unsafe { &*raw.cast::<T>() }
    }
}

// SAFETY: as for `&T`, with `__nullable`: NULL is `None`.
unsafe impl<'a, T: ByRef> KfuncArg for Option<&'a T> {
    type Raw = *mut T::C;
    const SUFFIX: &'static str = "__nullable";

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T::C) -> Self {
        // SAFETY: NULL or valid, see `&T`.
        unsafe { raw.cast::<T>().as_ref() }
    }
}

// SAFETY: `KF_RELEASE` makes the verifier pass a referenced pointer that
// the program gives up: the kfunc owns that reference, which `ARef` drops.
unsafe impl<T: AlwaysRefCounted + ByRef> KfuncArg for ARef<T> {
    type Raw = *mut T::C;
    const IMPLIES: KfuncFlags = KfuncFlags::RELEASE;

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T::C) -> Self {
        // SAFETY: a released argument is never NULL and carries one
        // reference, which this `ARef` now owns.
        unsafe { ARef::from_raw(NonNull::new_unchecked(raw.cast::<T>())) }
    }
}

/// A scalar the verifier requires to be a known constant (`__k`), such as
/// a size or a type id the kfunc relies on.
///
/// # Examples
///
/// ```ignore
/// kfunc_set! {
///     pub static SET: KfuncSet;
///
///     /// `bytes` must be a constant (BTF: `u32 bytes__k`).
///     pub fn my_alloc(bytes: Const<u32>) -> u64 {
///         u64::from(bytes.get())
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Const<T>(T);

impl<T: Copy> Const<T> {
    /// The constant.
    #[inline(always)]
    pub fn get(self) -> T {
        self.0
    }
}

// SAFETY: `__k` only restricts what the program may pass.
unsafe impl<T: KfuncArg<Raw = T> + BtfType + Copy> KfuncArg for Const<T> {
    type Raw = T;
    const SUFFIX: &'static str = "__k";

    #[inline(always)]
    unsafe fn from_raw(raw: T) -> Self {
        Const(raw)
    }
}

/// A parameter the verifier ignores (`__ign`): any value of the C type.
/// The kfunc must not trust it.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct Ign<T>(T);

impl<T: Copy> Ign<T> {
    /// The unchecked value.
    #[inline(always)]
    pub fn get(self) -> T {
        self.0
    }
}

// SAFETY: any value of `T` is a valid `Ign<T>`; the verifier checks nothing.
unsafe impl<T: BtfType + Copy> KfuncArg for Ign<T> {
    type Raw = T;
    const SUFFIX: &'static str = "__ign";

    #[inline(always)]
    unsafe fn from_raw(raw: T) -> Self {
        Ign(raw)
    }
}

/// C's `char`, as the pointee of a `__str` parameter (`const char *`).
#[doc(hidden)]
#[repr(transparent)]
pub struct CChar(kernel::ffi::c_char);

// SAFETY: one byte, C's `char` (vmlinux BTF has the INT of that name).
unsafe impl BtfType for CChar {
    const BTF: crate::record::Type = crate::record::Type::Int {
        size: 1,
        signed: false,
        name: "char",
    };
}

/// A constant, NUL-terminated string in a read-only map (`__str`).
// SAFETY: `__str` makes the verifier require a pointer into a frozen
// read-only map whose value holds a NUL within bounds, so the string is
// valid and unchanging for the call.
unsafe impl<'a> KfuncArg for &'a CStr {
    type Raw = *const CChar;
    const SUFFIX: &'static str = "__str";

    #[inline(always)]
    unsafe fn from_raw(raw: *const CChar) -> Self {
        // SAFETY: see above; `CChar` is a transparent `c_char`.
        unsafe { CStr::from_char_ptr(raw.cast()) }
    }
}

/// A pointer into a BPF arena (`__arena`): an address the program shares
/// with user space, which the kfunc may read and write but which can
/// change under it or fault. It is never dereferenced implicitly.
#[derive(Debug)]
pub struct ArenaPtr<T>(NonNull<T>);

impl<T: Copy> ArenaPtr<T> {
    /// The address.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut T {
        self.0.as_ptr()
    }

    /// Reads the value with a single access.
    ///
    /// # Safety
    ///
    /// The arena page must be allocated (the program passed a pointer it
    /// allocated).
    #[inline(always)]
    pub unsafe fn read(&self) -> T {
        // SAFETY: the caller guarantees the page is present; the value may
        // change concurrently, hence the volatile access.
        unsafe { self.0.as_ptr().read_volatile() }
    }

    /// Writes the value with a single access.
    ///
    /// # Safety
    ///
    /// As for [`ArenaPtr::read`].
    #[inline(always)]
    pub unsafe fn write(&self, v: T) {
        // SAFETY: as in `read`.
        unsafe { self.0.as_ptr().write_volatile(v) }
    }
}

// SAFETY: `__arena` (not nullable) is a non-NULL arena address.
unsafe impl<T: BtfType> KfuncArg for ArenaPtr<T> {
    type Raw = *mut T;
    const SUFFIX: &'static str = "__arena";

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        // SAFETY: see above.
        ArenaPtr(unsafe { NonNull::new_unchecked(raw) })
    }
}

// SAFETY: `__arena__nullable` allows NULL, which is `None`.
unsafe impl<T: BtfType> KfuncArg for Option<ArenaPtr<T>> {
    type Raw = *mut T;
    const SUFFIX: &'static str = "__arena__nullable";

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        NonNull::new(raw).map(ArenaPtr)
    }
}

/// The calling program's `struct bpf_prog_aux`, passed by the verifier,
/// not by the program (`KF_IMPLICIT_ARGS`, implied). It must be the last
/// parameter; BPF programs call the kfunc without it, and the BTF step
/// plus resolve_btfids give the kfunc the two prototypes the verifier
/// expects (`name` without it, `name_impl` with it).
#[derive(Clone, Copy)]
pub struct ProgAux<'a>(NonNull<crate::bindings::bpf_prog_aux>, PhantomData<&'a ()>);

impl ProgAux<'_> {
    /// The raw `struct bpf_prog_aux *`.
    #[inline(always)]
    pub fn as_ptr(self) -> *mut crate::bindings::bpf_prog_aux {
        self.0.as_ptr()
    }
}

// SAFETY: the verifier supplies the running program's aux, never NULL, and
// `IMPLICIT_ARGS` is what makes it do so.
unsafe impl<'a> KfuncArg for ProgAux<'a> {
    type Raw = *mut crate::bindings::bpf_prog_aux;
    const IMPLIES: KfuncFlags = KfuncFlags::OPT_IMPLICIT_ARGS;

    #[inline(always)]
    unsafe fn from_raw(raw: Self::Raw) -> Self {
        // SAFETY: see above.
        ProgAux(unsafe { NonNull::new_unchecked(raw) }, PhantomData)
    }
}

/// The uninitialized state of a new iterator: the first parameter of a
/// `KF_ITER_NEW` kfunc (implied), `bpf_iter_<name>_new`. The verifier
/// passes stack slots of the program that nothing else can reach.
pub struct IterNew<'a, T>(&'a mut MaybeUninit<T>);

impl<'a, T> IterNew<'a, T> {
    /// Initializes the state and returns it.
    #[inline(always)]
    pub fn init(self, state: T) -> &'a mut T {
        self.0.write(state)
    }
}

// SAFETY: for the first parameter of an ITER_NEW kfunc the verifier passes
// uninitialized stack slots of the calling program, of `T`'s size,
// exclusively (checked at build time by `check.rs`).
unsafe impl<'a, T: BtfType> KfuncArg for IterNew<'a, T> {
    type Raw = *mut T;
    const IMPLIES: KfuncFlags = KfuncFlags::ITER_NEW;
    const ITER_STATE: bool = true;

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        // SAFETY: see above.
        IterNew(unsafe { &mut *raw.cast::<MaybeUninit<T>>() })
    }
}

/// An initialized iterator's state, for the first parameter of its
/// `KF_ITER_NEXT` or `KF_ITER_DESTROY` kfunc: exclusive, as only the
/// calling program's stack holds it.
pub struct IterMut<'a, T>(&'a mut T);

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

// SAFETY: for the first parameter of an ITER_NEXT/DESTROY kfunc (required
// by `check.rs`) the verifier passes an initialized iterator of this type
// on the calling program's stack, which nothing else accesses meanwhile.
unsafe impl<'a, T: BtfType> KfuncArg for IterMut<'a, T> {
    type Raw = *mut T;
    const ITER_STATE: bool = true;

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        // SAFETY: see above.
        IterMut(unsafe { &mut *raw })
    }
}

/// An initialized iterator passed to a kfunc that is not one of its own
/// (`__iter`), read-only.
pub struct IterRef<'a, T>(&'a T);

impl<T> core::ops::Deref for IterRef<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        self.0
    }
}

// SAFETY: `__iter` makes the verifier pass an initialized iterator of this
// type on the program's stack, which nothing writes during the call.
unsafe impl<'a, T: BtfType> KfuncArg for IterRef<'a, T> {
    type Raw = *mut T;
    const SUFFIX: &'static str = "__iter";

    #[inline(always)]
    unsafe fn from_raw(raw: *mut T) -> Self {
        // SAFETY: see above.
        IterRef(unsafe { &*raw })
    }
}
