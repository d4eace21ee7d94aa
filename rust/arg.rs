// SPDX-License-Identifier: GPL-2.0

//! What a kfunc may take: [`KfuncArg`], and its implementations for
//! integers, `bool` and raw pointers. The typed spellings of the verifier's
//! annotations live next to the types they make: `byref.rs` (`&T`,
//! `Option<&T>`, `ARef<T>`), `scalar.rs` (`Const`, `Ign`), `cstr.rs`
//! (`&CStr`), `arena.rs`, `aux.rs`, `iter.rs`, `mem.rs`.
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h); the
//! annotations are those of Documentation/bpf/kfuncs.rst ("Kfunc
//! parameters and their annotations").
//!
//! A kfunc parameter's Rust type decides:
//! - its C type, as the kfunc receives it ([`KfuncArg::Raw`]) and as BTF
//!   describes it ([`KfuncArg::BTF`]);
//! - the suffix the BTF step appends to its name ([`KfuncArg::SUFFIX`]),
//!   which is how the verifier learns the annotation: an `Option<&Task>`
//!   parameter `task` is `struct task_struct *task__nullable` in BTF;
//! - the flags it implies ([`KfuncArg::IMPLIES`]);
//! - the lifetime of what the body gets ([`KfuncArg::Bound`]): the call's
//!   own, whatever lifetime the declaration wrote, so that nothing borrowed
//!   from a BPF program outlives the call.
//!
//! # Soundness
//!
//! The verifier checks every argument against the kfunc's BTF before the
//! program may run, but what it guarantees is less than what a Rust
//! reference promises: a pointer is valid (and non-NULL unless the
//! parameter is nullable) for the duration of the call, but not exclusive
//! (a program may pass the same pointer twice; maps are shared with other
//! CPUs and user space). So a kfunc may take a shared reference only to
//! types whose contents may change under it ([`ByRef`](crate::ByRef)),
//! never `&mut T`, and program memory is reached through
//! [`Mem`](crate::Mem), which copies. Documentation/rust/kfuncs.rst,
//! section "Soundness", lists what the body must still uphold.

use crate::record::Type;
use crate::{BtfType, KfuncFlags};
use core::ptr::NonNull;

/// A Rust type a kfunc may take as a parameter.
///
/// # Safety
///
/// [`KfuncArg::from_raw`] must be sound for every value the verifier lets a
/// BPF program pass for a parameter whose BTF type is [`KfuncArg::BTF`] and
/// whose BTF name ends in [`KfuncArg::SUFFIX`], when the kfunc has the
/// flags in [`KfuncArg::IMPLIES`]; the result must borrow nothing beyond
/// `'k`. [`KfuncArg::BTF`] must describe [`KfuncArg::Raw`]'s size and
/// layout. [`KfuncArg::RELEASES`] must be true if `from_raw` takes over a
/// reference the program gives up.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a kfunc parameter",
    label = "not a kfunc parameter type",
    note = "kfunc parameters are integers, bool, raw pointers, `NonNull<T>`, `&T` of `ByRef` types \
            (`&Task`, `&Opaque<T>`), `Option` of those (nullable), `ARef<T>` of `BpfRefCounted` \
            types (released), `Const<T>`, `Ign<T>`, `&CStr`, `ArenaPtr<T>`, `ProgAux`, the iterator \
            types, or `Mem<'_>`/`MemK<'_>` written unqualified (a pointer and its size)",
    note = "`&mut T` and slices are not offered: a BPF program may pass aliasing pointers"
)]
pub unsafe trait KfuncArg: Sized {
    /// The C type the kfunc receives.
    type Raw;
    /// What the kfunc body gets: `Self`, with any lifetime replaced by the
    /// call's own `'k`.
    type Bound<'k>;
    /// The parameter's type in BTF.
    const BTF: &'static Type;
    /// The verifier annotation appended to the parameter's name in BTF.
    const SUFFIX: &'static str = "";
    /// The kfunc flags this parameter type implies.
    const IMPLIES: KfuncFlags = KfuncFlags::empty();
    /// Whether this parameter takes over the program's reference
    /// (`KF_RELEASE`); the verifier releases the first argument only.
    const RELEASES: bool = false;
    /// Which iterator state this is, if any.
    const ITER: IterState = IterState::None;
    /// Whether the parameter is plain C (an integer or a raw pointer), whose
    /// Rust name may carry a verifier suffix itself (`mem__sz: u32`).
    const PLAIN: bool = false;

    /// The typed argument of a raw one.
    ///
    /// # Safety
    ///
    /// `raw` must be a value the verifier allowed for this parameter, and
    /// `'k` must end with the kfunc call.
    unsafe fn from_raw<'k>(raw: Self::Raw) -> Self::Bound<'k>;
}

/// The part a parameter plays in an iterator kfunc.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IterState {
    /// Not an iterator's state.
    None,
    /// The uninitialized state of `KF_ITER_NEW` ([`IterNew`](crate::IterNew)).
    New,
    /// The state of `KF_ITER_NEXT`/`KF_ITER_DESTROY` ([`IterMut`](crate::IterMut)).
    Mut,
    /// Another kfunc's iterator, `__iter` ([`IterRef`](crate::IterRef)).
    Ref,
}

/// What `check.rs` needs to know of a parameter type.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct ArgInfo {
    /// [`KfuncArg::RELEASES`].
    pub releases: bool,
    /// [`KfuncArg::ITER`].
    pub iter: IterState,
    /// [`KfuncArg::PLAIN`].
    pub plain: bool,
}

impl ArgInfo {
    /// A `Mem`/`MemK` pointer or size.
    pub const MEM: Self = Self {
        releases: false,
        iter: IterState::None,
        plain: false,
    };
}

/// Implements [`KfuncArg`] for integers, which are their own raw form.
macro_rules! impl_int_arg {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: every value of the C integer is a valid value.
            unsafe impl KfuncArg for $t {
                type Raw = $t;
                type Bound<'k> = $t;
                const BTF: &'static Type = &<$t as BtfType>::BTF;
                const PLAIN: bool = true;

                #[inline(always)]
                unsafe fn from_raw<'k>(raw: $t) -> Self::Bound<'k> {
                    raw
                }
            }

            // `kfunc_set!` passes a parameter written as an integer type
            // as it is, without `from_raw` (`__kfunc_params!`, `@int`):
            // its raw and Rust forms must be the integer itself.
            const _: fn($t) -> (<$t as KfuncArg>::Raw, <$t as KfuncArg>::Bound<'static>) =
                |x| (x, x);
        )*
    };
}

impl_int_arg!(u8, i8, u16, i16, u32, i32, u64, i64, usize, isize);

// SAFETY: BTF says `_Bool`, but the verifier does not check the value and
// the JIT passes the register as is, so the kfunc receives a byte and any
// non-zero byte is `true`.
unsafe impl KfuncArg for bool {
    type Raw = u8;
    type Bound<'k> = bool;
    const BTF: &'static Type = &Type::Bool;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: u8) -> Self::Bound<'k> {
        raw != 0
    }
}

// SAFETY: a raw pointer claims nothing; dereferencing it is the body's
// `unsafe` business.
unsafe impl<T: BtfType> KfuncArg for *mut T {
    type Raw = *mut T;
    type Bound<'k> = *mut T;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const PLAIN: bool = true;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        raw
    }
}

// SAFETY: as for `*mut T`.
unsafe impl<T: BtfType> KfuncArg for *const T {
    type Raw = *const T;
    type Bound<'k> = *const T;
    const BTF: &'static Type = &<*const T as BtfType>::BTF;
    const PLAIN: bool = true;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *const T) -> Self::Bound<'k> {
        raw
    }
}

// SAFETY: without `__nullable`, the verifier refuses a NULL pointer for a
// pointer parameter ("Possibly NULL pointer passed to trusted arg", or a
// scalar where it expects memory); `check.rs` refuses a name carrying a
// suffix that would change that.
unsafe impl<T: BtfType> KfuncArg for NonNull<T> {
    type Raw = *mut T;
    type Bound<'k> = NonNull<T>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        // SAFETY: not NULL, see above.
        unsafe { NonNull::new_unchecked(raw) }
    }
}

// SAFETY: `__nullable` makes the verifier accept NULL, which is `None`.
unsafe impl<T: BtfType> KfuncArg for Option<NonNull<T>> {
    type Raw = *mut T;
    type Bound<'k> = Option<NonNull<T>>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const SUFFIX: &'static str = "__nullable";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        NonNull::new(raw)
    }
}
