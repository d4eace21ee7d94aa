// SPDX-License-Identifier: GPL-2.0

//! Kfunc declarations as [`kfunc_set!`](crate::kfunc_set) and
//! [`kfunc_dtors!`](crate::kfunc_dtors) see them: each kfunc's [`Decl`]
//! (its C signature, flags, and what its types say), a set's [`Entry`]s,
//! and what the macros derive from a list of entries in one constant: the
//! checks ([`check`](crate::check)), the set's size and its kfuncs'
//! signature records ([`record`](crate::record)).
//!
//! C headers: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h),
//! [`include/linux/btf.h`](srctree/include/linux/btf.h)
//!
//! The compiler's const evaluator does this work for every kfunc of every
//! build, so a set is evaluated as a whole, not kfunc by kfunc: one
//! constant per kfunc (its [`Decl`]) and a few per set.

use crate::arg::ArgInfo;
use crate::check::{self, Msg, RetInfo};
use crate::record::{Kfunc, Type};
use crate::{BtfType, KfuncArg, KfuncFlags, KfuncRet};

/// What a declaration reads from a parameter type, as a constant: evaluated
/// once per type, not once per kfunc. Implemented for every
/// [`KfuncArg`], so a type that is not one fails with that trait's message.
pub trait ArgDecl {
    /// What the type says as a parameter.
    const ARG: ArgInfo;
}

impl<T: KfuncArg> ArgDecl for T {
    const ARG: ArgInfo = ArgInfo {
        releases: T::RELEASES,
        iter: T::ITER,
        plain: T::PLAIN,
    };
}

/// What a declaration reads from a return type, as constants (see
/// [`ArgDecl`]). Implemented for every [`KfuncRet`].
pub trait RetDecl {
    /// What the type says as a return type.
    const RET: RetInfo;
    /// The return type in BTF.
    const RET_BTF: &'static Type;
}

impl<T: KfuncRet> RetDecl for T {
    const RET: RetInfo = RetInfo {
        implies: T::IMPLIES,
        never_null: T::NEVER_NULL,
        raw: T::RAW,
    };
    const RET_BTF: &'static Type = &<T::Raw as BtfType>::BTF;
}

/// A kfunc as declared.
pub struct Decl {
    /// Its C signature, as the BTF step describes it.
    pub sig: Kfunc,
    /// The flags of its `#[flags(...)]`.
    pub explicit: KfuncFlags,
    /// Its flags: written, and implied by its types.
    pub flags: KfuncFlags,
    /// What its return type says.
    pub ret: RetInfo,
    /// Whether it is an `unsafe fn` (its body vouching for raw pointers
    /// and for written reference flags).
    pub is_unsafe: bool,
    /// What each of its Rust parameters says, for each C parameter (a
    /// `Mem<'_>` is two).
    pub args: &'static [ArgInfo],
    /// Whether it is in the build (not removed by its `#[cfg]`).
    pub enabled: bool,
    /// The words of its entry in a set's `.BTF_ids` ([`word`]), read by
    /// the set's `global_asm!` without a call.
    pub word: u64,
}

impl Decl {
    /// A kfunc its `#[cfg]` removed from the build.
    pub const DISABLED: Self = Self {
        sig: Kfunc {
            name: "",
            ret: &Type::Void,
            params: &[],
        },
        explicit: KfuncFlags::empty(),
        flags: KfuncFlags::empty(),
        ret: RetInfo {
            implies: KfuncFlags::empty(),
            never_null: false,
            raw: false,
        },
        is_unsafe: false,
        args: &[],
        enabled: false,
        word: word(false, KfuncFlags::empty()),
    };
}

/// One entry of a kfunc set, or a kfunc of a destructor list.
pub struct Entry {
    decl: &'static Decl,
    /// The kfunc's name (its `Decl`'s, unless it is configured out).
    name: &'static str,
    /// Declared by this entry (not a `fn name;` entry naming a kfunc of
    /// another set): checked and recorded here.
    here: bool,
    /// In the build: the kfunc and, for a `fn name;` entry, the entry.
    enabled: bool,
    /// The flags a `fn name;` entry adds.
    extra: KfuncFlags,
}

impl Entry {
    /// The entry of a kfunc declared in the set.
    pub const fn declared(decl: &'static Decl) -> Self {
        Self {
            decl,
            name: decl.sig.name,
            here: true,
            enabled: decl.enabled,
            extra: KfuncFlags::empty(),
        }
    }

    /// A `fn name;` entry: kfunc `name`, declared as `decl` in another set
    /// of the module, in the build if `enabled` (its own `#[cfg]`), with the
    /// flags `extra` added for this set.
    pub const fn named(
        decl: &'static Decl,
        name: &'static str,
        enabled: bool,
        extra: KfuncFlags,
    ) -> Self {
        Self {
            decl,
            name,
            here: false,
            enabled: enabled && decl.enabled,
            extra,
        }
    }

    /// The entry's words in `.BTF_ids` ([`word`]).
    pub const fn word(&self) -> u64 {
        word(self.enabled, self.decl.flags.union(self.extra))
    }
}

/// The words of a set entry in `.BTF_ids` as one value, for the set's
/// `global_asm!`: 1 in the upper half and the flags in the lower half
/// (`struct btf_id_set8`'s `flags`), or 0 when the entry is not in the
/// build.
pub const fn word(enabled: bool, flags: KfuncFlags) -> u64 {
    if enabled {
        1 << 32 | flags.bits() as u64
    } else {
        0
    }
}

/// Checks the entries of `what`, a kfunc set (whose size the kernel
/// limits) if `is_set`, else a destructor list, and counts those in the
/// build. Returns the count, or the first error. The flags a `fn name;`
/// entry adds are checked whether or not it is in the build: a mistake
/// fails every build, not only the configurations that enable the entry.
/// A `fn name;` entry may not name a kfunc the set has already (checked
/// for those entries only: a set's definitions have distinct names).
// (The message is large, but only the const evaluator returns it.)
#[allow(clippy::result_large_err)]
pub const fn check(what: &str, entries: &[Entry], is_set: bool) -> Result<usize, Msg> {
    let (mut n, mut i, mut rest) = (0, 0, entries);
    while let [e, more @ ..] = rest {
        rest = more;
        let d = e.decl;
        let err = if !e.here {
            match check::extra_flags(e.name, e.extra) {
                None if e.enabled && listed_again(entries, i) => Some(check::twice(what, e.name)),
                err => err,
            }
        } else if e.enabled {
            check::kfunc(&d.sig, d.flags, d.explicit, d.ret, d.is_unsafe, d.args)
        } else {
            None
        };
        if let Some(msg) = err {
            return Err(msg);
        }
        if e.enabled {
            n += 1;
        }
        i += 1;
    }
    let size = if is_set {
        check::set_size(what, n)
    } else {
        None
    };
    match size {
        Some(msg) => Err(msg),
        None => Ok(n),
    }
}

/// Whether another entry in the build than `entries[at]` has its kfunc.
const fn listed_again(entries: &[Entry], at: usize) -> bool {
    let (name, mut i, mut rest) = (entries[at].name, 0, entries);
    while let [e, more @ ..] = rest {
        if i != at && e.enabled && check::str_eq(e.name, name) {
            return true;
        }
        rest = more;
        i += 1;
    }
    false
}

/// The size of the signature records of the kfuncs declared by `entries`.
pub const fn records_len(entries: &[Entry]) -> usize {
    let (mut len, mut entries) = (0, entries);
    while let [e, rest @ ..] = entries {
        if e.here && e.enabled {
            len += e.decl.sig.encoded_len();
        }
        entries = rest;
    }
    len
}

/// The signature records of the kfuncs declared by `entries`, one after
/// another as the BTF step reads them; `N` must be [`records_len`].
pub const fn records<const N: usize>(entries: &[Entry]) -> [u8; N] {
    let (mut buf, mut at, mut entries) = ([0; N], 0, entries);
    while let [e, rest @ ..] = entries {
        if e.here && e.enabled {
            at = e.decl.sig.encode_at(&mut buf, at);
        }
        entries = rest;
    }
    assert!(at == N, "signature records size mismatch");
    buf
}
