// SPDX-License-Identifier: GPL-2.0

//! Kfunc flags, the `KF_*` values of the target kernel.
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//!
//! The constants are generated at build time from the target kernel's
//! `KF_*` definitions (their values come from bindgen), so every flag that
//! kernel knows is here under its name without the `KF_` prefix, and a flag
//! it does not know fails to compile.

use crate::bindings;
use core::ops::BitOr;

/// A set of `KF_*` flags for one kfunc in a kfunc set.
///
/// # Examples
///
/// ```ignore
/// use kfunc::KfuncFlags;
///
/// const F: KfuncFlags = KfuncFlags::ACQUIRE.union(KfuncFlags::RET_NULL);
/// assert!(F.contains(KfuncFlags::RET_NULL));
/// assert_eq!(F, KfuncFlags::ACQUIRE | KfuncFlags::RET_NULL);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(transparent)]
pub struct KfuncFlags(pub(crate) u32);

impl KfuncFlags {
    /// No flags.
    #[inline]
    pub const fn empty() -> Self {
        Self(0)
    }

    /// The flags as the `u32` the kernel stores in a `btf_id_set8` pair.
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Both sets of flags.
    #[inline]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every flag of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for KfuncFlags {
    type Output = Self;

    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

// The constants, generated from the target kernel by scripts/kfunc-rs-bindgen.sh.
include!(concat!(env!("KFUNC_RS_GENERATED"), "/flags_generated.rs"));
