// SPDX-License-Identifier: GPL-2.0

//! Kfunc declarations as [`kfunc_set!`](crate::kfunc_set) and
//! [`kfunc_dtors!`](crate::kfunc_dtors) see them: each kfunc's [`Decl`]
//! (its C signature, flags, and what its types say), a set's [`Entry`]s,
//! and what the macros derive from a list of entries, in a few constants:
//! the checks ([`check`](crate::check)), the set's size and its kfuncs'
//! signature record ([`record`](crate::record), laid out in one pass,
//! [`layout`]).
//!
//! C headers: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h),
//! [`include/linux/btf.h`](srctree/include/linux/btf.h)
//!
//! The compiler's const evaluator does this work for every kfunc of every
//! build, and pays for each statement, so: what depends only on a kfunc's
//! types is a constant per Rust signature ([`Signature`]), shared by every
//! kfunc with that signature; a kfunc's own constant (its [`Decl`]) is one
//! call; and a set is evaluated as a whole, in a few constants per set.

use crate::arg::ArgInfo;
use crate::check::{self, Msg, RetInfo};
use crate::record::{self, Kfunc, ListKind, Sig, SigParam, SigTable, Type};
use crate::{BtfType, KfuncArg, KfuncFlags, KfuncRet};

/// The return type `Self` of kfunc `K` (its declaration's type, named
/// like the kfunc): a [`KfuncRet`], checked by the bound of
/// [`Decl::new`], which the declaration calls with both. If it is not one,
/// the error names the kfunc and points at the type in its signature (the
/// errors after it, in [`KfuncRet`]'s words, list the types a kfunc may
/// return), at no cost of an item per kfunc: a generic check function per
/// kfunc cost the compiler twice as much.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the return type of kfunc `{K}`",
    label = "not a kfunc return type",
    note = "a kfunc's return type must be a `KfuncRet`"
)]
pub trait Returns<K> {}

impl<K, T: KfuncRet> Returns<K> for T {}

/// No flags: what a kfunc's declaration starts from, a constant, which the
/// const evaluator reads without the call of [`KfuncFlags::empty`] (and
/// not a `KfuncFlags` constant, which `#[flags(...)]` could name).
pub const NO_FLAGS: KfuncFlags = KfuncFlags::empty();

/// What a declaration reads from the type of a C parameter, as constants:
/// evaluated once per type, not once per kfunc. Implemented for every
/// [`KfuncArg`], so a type that is not one fails with that trait's
/// message, and for the two C parameters of a [`Mem`](crate::Mem) or
/// [`MemK`](crate::MemK): [`MemPtr`], then [`MemSize`] or [`MemSizeK`].
pub trait CParam {
    /// Its C type and verifier annotation.
    const PARAM: SigParam;
    /// The flags it implies.
    const IMPLIES: KfuncFlags;
    /// What it says as a parameter.
    const ARG: ArgInfo;
    /// Whether it asks nothing of the checks ([`check::trivial_param`]).
    const TRIVIAL: bool = check::trivial_param(Self::ARG, Self::PARAM.suffix, Self::PARAM.ty);
}

impl<T: KfuncArg> CParam for T {
    const PARAM: SigParam = SigParam {
        suffix: T::SUFFIX,
        ty: T::BTF,
    };
    const IMPLIES: KfuncFlags = T::IMPLIES;
    const ARG: ArgInfo = ArgInfo {
        releases: T::RELEASES,
        iter: T::ITER,
        plain: T::PLAIN,
    };
}

/// The pointer of a `Mem<'_>` or `MemK<'_>`: `void *name`.
pub enum MemPtr {}
/// The size of a `Mem<'_>`: `u32 name__sz`.
pub enum MemSize {}
/// The size of a `MemK<'_>`: `u32 name__szk`, a constant.
pub enum MemSizeK {}

/// Implements [`CParam`] for the C parameters of `Mem` and `MemK`.
macro_rules! mem_param {
    ($($marker:ident: $t:ty, $suffix:literal;)+) => {
        $(
            impl CParam for $marker {
                const PARAM: SigParam = SigParam {
                    suffix: $suffix,
                    ty: &<$t as BtfType>::BTF,
                };
                const IMPLIES: KfuncFlags = KfuncFlags::empty();
                const ARG: ArgInfo = ArgInfo::MEM;
            }
        )+
    };
}

mem_param! {
    MemPtr: *mut core::ffi::c_void, "";
    MemSize: u32, "__sz";
    MemSizeK: u32, "__szk";
}

/// What a declaration reads from a return type, as constants (see
/// [`CParam`]). Implemented for every [`KfuncRet`].
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

/// What a declaration reads from a kfunc's types: evaluated once per
/// signature ([`Signature`]), not once per kfunc.
pub struct SigInfo {
    /// The types, as the signature record has them. A reference: a
    /// constant is copied wherever it is used, and a [`Sig`] is large.
    pub sig: &'static Sig,
    /// What each C parameter says.
    pub args: &'static [ArgInfo],
    /// The flags the types imply.
    pub implies: KfuncFlags,
    /// What the return type says.
    pub ret: RetInfo,
    /// Whether the types ask nothing of the checks
    /// ([`check::trivial_signature`]).
    pub trivial: bool,
}

/// The types of a kfunc, `(return type, C parameter types...)`.
#[diagnostic::on_unimplemented(
    message = "a kfunc takes at most 12 C parameters",
    label = "this kfunc's types"
)]
pub trait Signature {
    /// What they say.
    const INFO: SigInfo;
    /// The same, as a reference: a declaration that took `&Self::INFO`
    /// would cost the compiler a promoted constant per kfunc.
    const INFO_REF: &'static SigInfo = &Self::INFO;
}

/// Implements [`Signature`] for each number of C parameters up to the
/// last list's (more than BTF allows, so that the checks, not a missing
/// implementation, say what is wrong).
macro_rules! signatures {
    ($($p:ident)*) => {
        signatures!(@one);
        signatures!(@more [] $($p)*);
    };
    (@more [$($done:ident)*] $next:ident $($rest:ident)*) => {
        signatures!(@one $($done)* $next);
        signatures!(@more [$($done)* $next] $($rest)*);
    };
    (@more [$($done:ident)*]) => {};
    (@one $($p:ident)*) => {
        impl<R: RetDecl, $($p: CParam),*> Signature for (R, $($p,)*) {
            const INFO: SigInfo = SigInfo {
                sig: &Sig::new(R::RET_BTF, &[$($p::PARAM),*]),
                args: &[$($p::ARG),*],
                implies: R::RET.implies$(.union($p::IMPLIES))*,
                ret: R::RET,
                trivial: check::trivial_signature(<[ArgInfo]>::len(&[$($p::ARG),*]), R::RET)
                    $(&& $p::TRIVIAL)*,
            };
        }
    };
}

signatures!(P0 P1 P2 P3 P4 P5 P6 P7 P8 P9 P10 P11 P12 P13 P14 P15);

// The fast path of `check::kfunc` must agree with its rules: a kfunc whose
// types are `SigInfo::trivial`, with no flags and no `__` in a parameter
// name, is not checked rule by rule, so it must pass every rule. Checked
// here, with the rules, at every build of the crate, for such kfuncs of
// every kind: integers and raw pointers, up to the most parameters any
// kernel takes in registers (5), returning nothing or an integer. A rule
// that one of them breaks fails this build, not a module's.
const _: () = {
    /// Whether a kfunc with types `S` and parameters `params` is trivial
    /// and passes every rule.
    const fn passes<S: Signature>(params: &'static str) -> bool {
        let d = Decl::new::<(), ()>("kfunc", params, S::INFO_REF, KfuncFlags::empty(), false);
        let args = d.info.args;
        d.info.trivial
            && check::kfunc(&d.sig, d.flags, d.explicit, d.info.ret, false, args, false).is_none()
    }
    type Void = *mut core::ffi::c_void;
    assert!(
        passes::<((),)>("")
            && passes::<(u64, u64)>("a")
            && passes::<(i32, Void, u32)>("p n")
            && passes::<((), *const u8, usize, isize)>("p a\nb")
            && passes::<(u8, i8, u16, i16, u32, i64)>("a b c d e"),
        "check::kfunc's fast path passes a kfunc that its rules refuse"
    );
};

/// A kfunc as declared.
pub struct Decl {
    /// Its C signature, as the BTF step describes it.
    pub sig: Kfunc,
    /// What its types say.
    pub info: &'static SigInfo,
    /// The flags of its `#[flags(...)]`.
    pub explicit: KfuncFlags,
    /// Its flags: written, and implied by its types.
    pub flags: KfuncFlags,
    /// Whether it is an `unsafe fn` (its body vouching for raw pointers
    /// and for written reference flags).
    pub is_unsafe: bool,
    /// Whether it is in the build (not removed by its `#[cfg]`).
    pub enabled: bool,
    /// The words of its entry in a set's `.BTF_ids` ([`word`]), read by
    /// the set's `global_asm!` without a call.
    pub word: u64,
}

impl Decl {
    /// Kfunc `name`, whose C parameters are named `params` (in one
    /// string, [`record::param_name`]) and whose types say `info`, with the
    /// flags `explicit` of its `#[flags(...)]`. `K` is the kfunc's
    /// declaration type (`()` where there is no kfunc to name) and `R` its
    /// return type, checked here ([`Returns`]): a bound of this call costs
    /// the compiler less than a check of its own.
    pub const fn new<K, R: Returns<K>>(
        name: &'static str,
        params: &'static str,
        info: &'static SigInfo,
        explicit: KfuncFlags,
        is_unsafe: bool,
    ) -> Self {
        let flags = explicit.union(info.implies);
        Self {
            sig: Kfunc {
                name,
                params,
                sig: info.sig,
            },
            info,
            explicit,
            flags,
            is_unsafe,
            enabled: true,
            word: word(true, flags),
        }
    }

    /// A kfunc its `#[cfg]` removed from the build.
    pub const DISABLED: Self = Self {
        enabled: false,
        word: word(false, KfuncFlags::empty()),
        ..Self::new::<(), ()>(
            "",
            "",
            <((),) as Signature>::INFO_REF,
            KfuncFlags::empty(),
            false,
        )
    };
}

/// One entry of a kfunc set, or a kfunc of a destructor list.
pub struct Entry {
    /// The kfunc's declaration, a copy: a reference would cost a promoted
    /// constant per entry, and walks through it when the set is checked.
    decl: Decl,
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
    pub const fn declared(decl: Decl) -> Self {
        let (name, enabled) = (decl.sig.name, decl.enabled);
        Self {
            decl,
            name,
            here: true,
            enabled,
            extra: KfuncFlags::empty(),
        }
    }

    /// A `fn name;` entry: kfunc `name`, declared as `decl` in another set
    /// of the module, in the build if `enabled` (its own `#[cfg]`), with the
    /// flags `extra` added for this set.
    pub const fn named(decl: Decl, name: &'static str, enabled: bool, extra: KfuncFlags) -> Self {
        let enabled = enabled && decl.enabled;
        Self {
            decl,
            name,
            here: false,
            enabled,
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

/// Checks the entries of `what`, a list of kind `kind` (a kfunc set's size
/// the kernel limits), and counts those in the
/// build. Returns the count, or the first error. The flags a `fn name;`
/// entry adds are checked whether or not it is in the build: a mistake
/// fails every build, not only the configurations that enable the entry.
/// A `fn name;` entry may not name a kfunc the set has already (checked
/// for those entries only: a set's definitions have distinct names).
// (The message is large, but only the const evaluator returns it.)
#[allow(clippy::result_large_err)]
pub const fn check(what: &str, entries: &[Entry], kind: ListKind) -> Result<usize, Msg> {
    let (mut n, mut i, mut rest) = (0, 0, entries);
    while let [e, more @ ..] = rest {
        rest = more;
        let d = &e.decl;
        let err = if !e.here {
            match check::extra_flags(e.name, e.extra) {
                None if e.enabled && listed_again(entries, i) => Some(check::twice(what, e.name)),
                err => err,
            }
        } else if e.enabled {
            check::kfunc(
                &d.sig,
                d.flags,
                d.explicit,
                d.info.ret,
                d.is_unsafe,
                d.info.args,
                d.info.trivial,
            )
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
    let size = if matches!(kind, ListKind::Set8) {
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

/// The signature record of the kfuncs declared by `N` entries of a set or
/// destructor list, as worked out in one pass over them ([`layout`]):
/// their signatures, each once, the index of each kfunc's among them, and
/// the record's size.
pub struct Layout<const N: usize> {
    /// The list: a set or a destructor list.
    kind: ListKind,
    /// Their signatures.
    table: SigTable,
    /// The index in `table` of the signature of each entry's kfunc, if
    /// the entry declares one in the build.
    sigs: [u16; N],
    /// The record's size in bytes (0: the entries declare no kfunc in the
    /// build).
    pub len: usize,
}

/// The [`Layout`] of the signature record of the kfuncs declared by
/// `entries`, of which there must be `N`, of list `what` of kind `kind`.
pub const fn layout<const N: usize>(what: &str, entries: &[Entry], kind: ListKind) -> Layout<N> {
    assert!(
        entries.len() == N,
        "a record layout for another number of entries"
    );
    let mut layout = Layout {
        kind,
        table: SigTable::EMPTY,
        sigs: [0; N],
        len: 0,
    };
    let (mut i, mut rest) = (0, entries);
    while let [e, more @ ..] = rest {
        if e.here && e.enabled {
            layout.sigs[i] = layout.table.add(e.decl.sig.sig);
            layout.len += e.decl.sig.body_len();
        }
        rest = more;
        i += 1;
    }
    if layout.len != 0 {
        layout.len += record::kfuncs_len(layout.kind, what, &layout.table);
    }
    layout
}

/// The signature record of the kfuncs declared by `entries` of list
/// `what`, as the BTF step reads it; `layout` must be their [`layout`] and
/// `L` its `len`. A kfunc's place in the list is its entry's among those
/// in `.BTF_ids` ([`ListKind::has_slot`]).
pub const fn records<const N: usize, const L: usize>(
    what: &'static str,
    entries: &[Entry],
    layout: &Layout<N>,
) -> [u8; L] {
    assert!(
        entries.len() == N,
        "a record layout for another number of entries"
    );
    let mut buf = [0; L];
    if L == 0 {
        return buf;
    }
    let kind = layout.kind;
    let mut at = record::begin_kfuncs(&mut buf, 0, &layout.table, kind, what);
    // `placed`: the entries before this one in `.BTF_ids`.
    let (mut i, mut placed, mut rest) = (0, 0, entries);
    while let [e, more @ ..] = rest {
        if e.here && e.enabled {
            at = e
                .decl
                .sig
                .encode_body_at(&mut buf, at, layout.sigs[i], kind.id_at(placed));
        }
        if kind.has_slot(e.enabled) {
            placed += 1;
        }
        rest = more;
        i += 1;
    }
    assert!(
        record::end_record(&mut buf, 0, at) == L,
        "signature records size mismatch"
    );
    buf
}
