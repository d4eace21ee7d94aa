// SPDX-License-Identifier: GPL-2.0

//! Build-time checks of a kfunc's flags against its signature: what the
//! verifier would refuse at load time (or silently mistreat), refused at
//! compile time instead, with a message naming the kfunc.
//!
//! C headers: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_*`), [`include/linux/bpf.h`](srctree/include/linux/bpf.h)
//! (`MAX_BPF_FUNC_ARGS`, `MAX_BPF_FUNC_REG_ARGS`); the iterator rules are
//! those of `btf_check_iter_kfuncs()` in kernel/bpf/btf.c.
//!
//! [`kfunc_set!`](crate::kfunc_set) and [`kfunc_dtors!`](crate::kfunc_dtors)
//! evaluate [`kfunc`] for every kfunc they declare, once per set
//! ([`decl::check`](crate::decl::check)); a message makes the build fail.
//!
//! The compiler's const evaluator runs these for every kfunc of every
//! build and pays dearly for each call and loop step, so the common case
//! (no flags, parameters without `__` in their names) takes few of them:
//! flag tests are bit operations, not calls, and the suffix rules run only
//! for a parameter with a suffix or a `__` in its name.

use crate::arg::{ArgInfo, IterState};
use crate::record::{Kfunc, Param, Type};
use crate::KfuncFlags;

// `KFUNC_MAX_ARGS`, `KFUNC_MAX_REG_ARGS`, `KFUNC_SET_MAX` and
// `KFUNC_SUFFIXES`, generated from the target kernel by
// scripts/kfunc-rs-bindgen.sh.
include!(concat!(env!("KFUNC_RS_GENERATED"), "/limits_generated.rs"));

/// A compile-time error message, built without allocation.
pub struct Msg {
    buf: [u8; 320],
    len: usize,
}

impl Msg {
    const fn new(kfunc: &str) -> Self {
        Self::about("kfunc", kfunc)
    }

    /// A message about `what` (a kfunc, a kfunc set) called `name`.
    const fn about(what: &str, name: &str) -> Self {
        Self {
            buf: [0; 320],
            len: 0,
        }
        .s(what)
        .s(" `")
        .s(name)
        .s("`: ")
    }

    /// Appends a string (truncated if the buffer is full).
    const fn s(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let (n, cap) = (b.len(), self.buf.len());
        let mut i = 0;
        while i < n && self.len < cap {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Appends a number in decimal.
    const fn n(mut self, mut v: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let cap = self.buf.len();
        while n > 0 && self.len < cap {
            n -= 1;
            self.buf[self.len] = digits[n];
            self.len += 1;
        }
        self
    }

    /// Appends a parameter's BTF name.
    const fn param(self, p: &Param) -> Self {
        self.s("`").s(p.name).s(p.suffix).s("`")
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            // Truncation inside a multi-byte character; names are ASCII.
            Err(_) => "kfunc-rs: invalid kfunc declaration",
        }
    }
}

const fn starts_with(s: &str, prefix: &str) -> bool {
    let (s, p) = (s.as_bytes(), prefix.as_bytes());
    let n = p.len();
    if s.len() < n {
        return false;
    }
    let mut i = 0;
    while i < n {
        if s[i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `name` is `<iter>_<suffix>`.
const fn is_iter_fn_name(name: &str, iter: &str, suffix: &str) -> bool {
    let (n, it, sf) = (name.as_bytes(), iter.as_bytes(), suffix.as_bytes());
    if n.len() != it.len() + 1 + sf.len() || !starts_with(name, iter) || n[it.len()] != b'_' {
        return false;
    }
    let (at, len) = (it.len() + 1, sf.len());
    let mut i = 0;
    while i < len {
        if n[at + i] != sf[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `ty` is a pointer to a struct the verifier supplies as an
/// implicit argument (resolve_btfids' list).
const fn is_implicit(ty: &Type) -> bool {
    match ty {
        Type::Ptr { .. } => match ty.struct_behind() {
            Some((name, _)) => {
                let b = name.as_bytes();
                (b.len() == 12 && starts_with(name, "bpf_prog_aux"))
                    || (b.len() == 15 && starts_with(name, "btf_struct_meta"))
            }
            None => false,
        },
        _ => false,
    }
}

/// Whether `$flags` has the single flag `$f` (never, if this kernel lacks
/// `$f` and it is empty): a bit test, not a call. Functions using it allow
/// `clippy::bad_bit_mask`, which a kernel without `$f` (0) would raise.
macro_rules! has {
    ($flags:expr, $f:ident) => {
        $flags.0 & KfuncFlags::$f.0 != 0
    };
}

/// What the return type says (from [`KfuncRet`](crate::KfuncRet)).
#[derive(Clone, Copy)]
pub struct RetInfo {
    /// The flags it implies.
    pub implies: KfuncFlags,
    /// Never NULL.
    pub never_null: bool,
    /// A pointer only the body vouches for.
    pub raw: bool,
}

/// Flags that change what the verifier trusts about arguments and results,
/// which a `fn name;` entry may not add to another set's kfunc.
const fn trust_flags() -> KfuncFlags {
    KfuncFlags::ACQUIRE
        .union(KfuncFlags::RELEASE)
        .union(KfuncFlags::RET_NULL)
        .union(KfuncFlags::ITER_NEW)
        .union(KfuncFlags::ITER_NEXT)
        .union(KfuncFlags::ITER_DESTROY)
        .union(KfuncFlags::OPT_FASTCALL)
        .union(KfuncFlags::OPT_ARENA_RET)
        .union(KfuncFlags::OPT_ARENA_ARG1)
        .union(KfuncFlags::OPT_ARENA_ARG2)
        .union(KfuncFlags::OPT_IMPLICIT_ARGS)
        .union(KfuncFlags::OPT_TRUSTED_ARGS)
}

/// Checks the flags a `fn name;` entry adds to kfunc `name` in its set.
pub const fn extra_flags(name: &str, extra: KfuncFlags) -> Option<Msg> {
    if extra.bits() & trust_flags().bits() != 0 {
        return Some(
            Msg::new(name)
                .s("a `fn name;` entry may only add flags that do not change what the verifier trusts \
                    (SLEEPABLE, DESTRUCTIVE, RCU, RCU_PROTECTED, SPINLOCK_SAFE, ...); declare the others on the kfunc"),
        );
    }
    if cfg!(kfunc_same_flags_in_every_set) && extra.bits() != 0 {
        return Some(Msg::new(name).s(
            "this kernel's resolve_btfids wants a kfunc's flags the same in every set (cfg \
             kfunc_same_flags_in_every_set): declare them on the kfunc, not on a `fn name;` entry",
        ));
    }
    None
}

/// Checks the size of kfunc set `set`, `count` kfuncs: the kernel refuses
/// to register more than `BTF_KFUNC_SET_MAX_CNT` kfuncs of one module for
/// one verifier hook (a module registers one set per hook).
pub const fn set_size(set: &str, count: usize) -> Option<Msg> {
    if count > KFUNC_SET_MAX {
        return Some(
            Msg::about("kfunc set", set)
                .s("it has ")
                .n(count)
                .s(" kfuncs; this kernel registers at most ")
                .n(KFUNC_SET_MAX)
                .s(" of a module per verifier hook (BTF_KFUNC_SET_MAX_CNT): split it into sets registered for program types of different hooks"),
        );
    }
    None
}

/// The error for kfunc `name`, listed twice in kfunc set `set` (a
/// `fn name;` entry naming a kfunc the set has already).
pub const fn twice(set: &str, name: &str) -> Msg {
    Msg::about("kfunc set", set)
        .s("kfunc `")
        .s(name)
        .s("` is in it twice")
}

/// Whether two strings are equal (in a `const fn`).
pub(crate) const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let mut i = 0;
    while i < n {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether this kernel's verifier reads the parameter-name suffix `s`.
const fn suffix_known(s: &str) -> bool {
    let n = KFUNC_SUFFIXES.len();
    let mut i = 0;
    while i < n {
        if str_eq(KFUNC_SUFFIXES[i], s) {
            return true;
        }
        i += 1;
    }
    false
}

const fn has_double_underscore(s: &str) -> bool {
    let mut b = s.as_bytes();
    while let [c, rest @ ..] = b {
        if *c == b'_' && matches!(rest, [b'_', ..]) {
            return true;
        }
        b = rest;
    }
    false
}

/// Whether a C parameter of type `ty` with annotation `suffix`, which says
/// `arg`, can break none of the rules of [`kfunc`] unless its name has a
/// `__` or the kfunc has flags: an integer or raw pointer
/// ([`ArgInfo::plain`]), with no annotation, not an implicit argument.
pub const fn trivial_param(arg: ArgInfo, suffix: &str, ty: &Type) -> bool {
    arg.plain
        && !arg.releases
        && matches!(arg.iter, IterState::None)
        && suffix.is_empty()
        && !is_implicit(ty)
}

/// Whether a kfunc of `count` C parameters, all [`trivial_param`]s, and
/// a return type that says `ret` can break none of the rules of [`kfunc`]
/// unless a parameter's name has a `__` or the kfunc has flags.
pub const fn trivial_signature(count: usize, ret: RetInfo) -> bool {
    count <= KFUNC_MAX_ARGS && !ret.raw
}

/// Checks kfunc `k` with flags `flags` (explicit and implied), of which
/// `explicit` were written in `#[flags(...)]`; `ret` describes the return
/// type, `args[i]` C parameter `i`, `trivial` says whether its types are
/// a [`trivial_signature`] of [`trivial_param`]s, and `is_unsafe` whether
/// the kfunc is an `unsafe fn` (its body vouching for raw pointers and
/// written reference flags). Returns the error, if any.
#[allow(clippy::bad_bit_mask)]
pub const fn kfunc(
    k: &Kfunc,
    flags: KfuncFlags,
    explicit: KfuncFlags,
    ret: RetInfo,
    is_unsafe: bool,
    args: &[ArgInfo],
    trivial: bool,
) -> Option<Msg> {
    // The usual kfunc, as it has nothing to check, is not checked rule by
    // rule: the const evaluator would pay for each, kfunc after kfunc.
    if trivial && flags.0 == 0 && !has_double_underscore(k.params) {
        return None;
    }
    let np = k.param_count();
    if np > KFUNC_MAX_ARGS {
        let m = Msg::new(k.name)
            .s("takes ")
            .n(np)
            .s(" C parameters; this kernel allows kfuncs at most ");
        return Some(if KFUNC_MAX_ARGS == KFUNC_MAX_REG_ARGS {
            m.n(KFUNC_MAX_ARGS)
                .s(" (its BPF JIT passes no kfunc arguments on the stack)")
        } else {
            m.n(KFUNC_MAX_ARGS)
                .s(" (")
                .n(KFUNC_MAX_REG_ARGS)
                .s(" in registers, the rest on the stack)")
        });
    }
    if has!(flags, OPT_FASTCALL) {
        return Some(Msg::new(k.name).s(
            "FASTCALL tells the verifier the kfunc keeps every caller-saved register, which compiled \
             code does not (only the verifier's own inlined kfuncs may have it)",
        ));
    }
    let ret_ptr = k.ret().is_ptr();
    if has!(flags, ACQUIRE) && !ret_ptr {
        return Some(
            Msg::new(k.name).s("ACQUIRE needs a pointer return type (the acquired object)"),
        );
    }
    if has!(flags, RET_NULL) && !ret_ptr {
        return Some(Msg::new(k.name).s("RET_NULL needs a pointer return type"));
    }
    if has!(explicit, RET_NULL) && ret.never_null {
        return Some(
            Msg::new(k.name)
                .s("RET_NULL contradicts its return type, which is never NULL; return an `Option`"),
        );
    }
    if has!(flags, OPT_ARENA_RET) && !ret_ptr {
        return Some(Msg::new(k.name).s("ARENA_RET needs a pointer return type"));
    }
    if ret.raw && !is_unsafe {
        return Some(Msg::new(k.name).s(
            "returns a raw pointer, which the verifier trusts as it is: return `&'static T`, \
             `ARef<T>` or an `IterPtr`, or declare the kfunc `unsafe fn` and say why the pointer is valid",
        ));
    }
    if has!(explicit, ACQUIRE) && !has!(ret.implies, ACQUIRE) && !is_unsafe {
        return Some(Msg::new(k.name).s(
            "ACQUIRE on a return type that carries no reference: return `ARef<T>`, or declare the \
             kfunc `unsafe fn` and say which reference the pointer carries",
        ));
    }
    let na = args.len();
    let mut releasing = 0;
    let mut i = 0;
    while i < na {
        if args[i].releases {
            releasing += 1;
            if i != 0 {
                return Some(
                    Msg::new(k.name)
                        .s("parameter ")
                        .param(&k.param(i))
                        .s(" takes a reference (`ARef`), which only the first parameter may: the verifier releases R1"),
                );
            }
        }
        i += 1;
    }
    if has!(explicit, RELEASE) && releasing == 0 && !is_unsafe {
        return Some(Msg::new(k.name).s(
            "RELEASE without a parameter that takes the reference: take `ARef<T>` first, or declare \
             the kfunc `unsafe fn` and release the reference in its body",
        ));
    }
    if releasing > 1 {
        return Some(
            Msg::new(k.name)
                .s("takes more than one `ARef`; the verifier releases one argument only"),
        );
    }
    if has!(flags, RELEASE) && (np == 0 || !k.param(0).ty.is_ptr()) {
        return Some(
            Msg::new(k.name).s("RELEASE needs a pointer first parameter (the released reference)"),
        );
    }
    if has!(flags, OPT_ARENA_ARG1) && (np == 0 || !k.param(0).ty.is_ptr()) {
        return Some(Msg::new(k.name).s("ARENA_ARG1 needs a pointer first parameter"));
    }
    if has!(flags, OPT_ARENA_ARG2) && (np < 2 || !k.param(1).ty.is_ptr()) {
        return Some(Msg::new(k.name).s("ARENA_ARG2 needs a pointer second parameter"));
    }
    let new = has!(flags, ITER_NEW);
    let mut prev_ptr = false;
    let mut i = 0;
    while i < np {
        let info = args[i];
        let p = k.param(i);
        // The suffix rules below match a `__` in the name and suffix: only
        // a name with a suffix or a `__` of its own can have one.
        let dunder = has_double_underscore(p.name);
        let suffixed = !p.suffix.is_empty();
        let tagged = dunder || suffixed;
        let implicit = is_implicit(p.ty);
        if tagged && (p.ends_with("__sz") || p.ends_with("__szk")) && !prev_ptr {
            return Some(
                Msg::new(k.name)
                    .s("parameter ")
                    .param(&p)
                    .s(" is the size of the parameter before it, which must be a pointer"),
            );
        }
        if suffixed && !suffix_known(p.suffix) {
            return Some(
                Msg::new(k.name)
                    .s("parameter ")
                    .param(&p)
                    .s(": this kernel's verifier does not read `")
                    .s(p.suffix)
                    .s("`, so it would not check what the parameter's type relies on"),
            );
        }
        if implicit && KfuncFlags::OPT_IMPLICIT_ARGS.0 == 0 {
            return Some(Msg::new(k.name).s("parameter ").param(&p).s(
                " is implicit (`ProgAux`), which needs KF_IMPLICIT_ARGS, and this kernel has none",
            ));
        }
        if !info.plain && dunder {
            return Some(
                Msg::new(k.name)
                    .s("parameter `")
                    .s(p.name)
                    .s("` has a typed spelling, whose type gives the verifier's annotation: a `__` in its name \
                        would change what the verifier checks (only integers and raw pointers keep C's names)"),
            );
        }
        if implicit && i + 1 != np && !is_implicit(k.param(i + 1).ty) {
            return Some(
                Msg::new(k.name)
                    .s("an implicit argument (`ProgAux`) must come after all the others"),
            );
        }
        // An `unsafe fn` may declare what C can (a raw `__arena` pointer
        // on the stack, which the verifier then refuses to call with).
        let arena =
            !is_unsafe && tagged && (p.ends_with("__arena") || p.ends_with("__arena__nullable"));
        if i >= KFUNC_MAX_REG_ARGS && (implicit || arena) {
            return Some(
                Msg::new(k.name)
                    .s("parameter ")
                    .param(&p)
                    .s(" would be passed on the stack, where the verifier refuses implicit and arena arguments"),
            );
        }
        match info.iter {
            IterState::New | IterState::Mut if i != 0 => {
                return Some(
                    Msg::new(k.name)
                        .s("parameter ")
                        .param(&p)
                        .s(" is an iterator state (`IterNew`/`IterMut`), which only the first parameter of an iterator kfunc may be"),
                );
            }
            IterState::Mut if new => {
                return Some(Msg::new(k.name).s(
                    "an ITER_NEW kfunc takes its state as `IterNew` (uninitialized), not `IterMut`",
                ));
            }
            IterState::Ref if new => {
                return Some(Msg::new(k.name).s("an ITER_NEW kfunc may not take an `IterRef` (it could be the state being initialized)"));
            }
            _ => {}
        }
        prev_ptr = p.ty.is_ptr();
        i += 1;
    }
    if has!(flags, OPT_IMPLICIT_ARGS) && (np == 0 || !is_implicit(k.param(np - 1).ty)) {
        return Some(
            Msg::new(k.name)
                .s("IMPLICIT_ARGS needs an implicit argument (`ProgAux`) as the last parameter"),
        );
    }
    iter(
        k,
        flags,
        !args.is_empty() && matches!(args[0].iter, IterState::Mut),
    )
}

/// The iterator rules of `btf_check_iter_kfuncs()`.
#[allow(clippy::bad_bit_mask)]
const fn iter(k: &Kfunc, flags: KfuncFlags, first_is_mut: bool) -> Option<Msg> {
    let new = has!(flags, ITER_NEW);
    let next = has!(flags, ITER_NEXT);
    let destroy = has!(flags, ITER_DESTROY);
    let count = new as usize + next as usize + destroy as usize;
    if count > 1 {
        return Some(
            Msg::new(k.name).s("has more than one of ITER_NEW, ITER_NEXT and ITER_DESTROY"),
        );
    }
    if count == 0 {
        if first_is_mut {
            return Some(
                Msg::new(k.name).s("takes an iterator state (`IterMut`) but is not ITER_NEXT or ITER_DESTROY; pass another kfunc's iterator as `IterRef`"),
            );
        }
        return None;
    }
    let first = if k.param_count() == 0 {
        None
    } else {
        Some(k.param(0).ty)
    };
    let Some((iter, size)) = (match first {
        Some(ty) if ty.is_ptr() => ty.struct_behind(),
        _ => None,
    }) else {
        return Some(
            Msg::new(k.name)
                .s("an iterator kfunc's first parameter must point to a `struct bpf_iter_<type>`"),
        );
    };
    if !starts_with(iter, "bpf_iter_") {
        return Some(
            Msg::new(k.name)
                .s("an iterator kfunc's first parameter must point to a `struct bpf_iter_<type>`, not `struct ")
                .s(iter)
                .s("`"),
        );
    }
    if size == 0 || size % 8 != 0 {
        return Some(
            Msg::new(k.name)
                .s("`struct ")
                .s(iter)
                .s("` is ")
                .n(size)
                .s(" bytes; iterator state must be a non-zero multiple of 8 bytes"),
        );
    }
    let suffix = if new {
        "new"
    } else if next {
        "next"
    } else {
        "destroy"
    };
    if !is_iter_fn_name(k.name, iter, suffix) {
        return Some(
            Msg::new(k.name)
                .s("the ITER_")
                .s(if new {
                    "NEW"
                } else if next {
                    "NEXT"
                } else {
                    "DESTROY"
                })
                .s(" kfunc of `struct ")
                .s(iter)
                .s("` must be named `")
                .s(iter)
                .s("_")
                .s(suffix)
                .s("`"),
        );
    }
    if !new && k.param_count() != 1 {
        return Some(
            Msg::new(k.name)
                .s("only the ITER_NEW kfunc of an iterator takes more than the iterator"),
        );
    }
    if next && !k.ret().is_ptr() {
        return Some(
            Msg::new(k.name)
                .s("an ITER_NEXT kfunc must return a pointer (NULL ends the iteration)"),
        );
    }
    if destroy && !matches!(k.ret(), Type::Void) {
        return Some(Msg::new(k.name).s("an ITER_DESTROY kfunc must return nothing"));
    }
    None
}
