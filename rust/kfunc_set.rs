// SPDX-License-Identifier: GPL-2.0

//! [`kfunc_set!`]: kfuncs and their set, from one declaration per kfunc.
//!
//! C headers: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h),
//! [`include/linux/btf.h`](srctree/include/linux/btf.h)
//!
//! For each kfunc the macro emits what C gets from `__bpf_kfunc` and
//! `BTF_ID_FLAGS(func, name, flags)`:
//! - the kfunc itself, `#[no_mangle] unsafe extern "C"` with the C
//!   parameters, never inlined and, being exported, never dropped; it turns
//!   them into the declared Rust types ([`KfuncArg`](crate::KfuncArg)) and
//!   runs the declared body;
//! - its entry in the set in `.BTF_ids`, byte for byte what
//!   `BTF_KFUNCS_START` / `BTF_ID_FLAGS` / `BTF_KFUNCS_END` emit;
//! - its declaration ([`Decl`](crate::decl::Decl)), one constant: its C
//!   signature, flags and what its types say;
//! - compile-time checks: every parameter and the return type are kfunc
//!   types, the flags fit the signature ([`check`](crate::check)), with
//!   errors naming the kfunc and the parameter;
//! - its part of the set's signature record (see [`record`](crate::record)),
//!   from which the BTF step writes the kfunc's BTF.
//!
//! The set checks its kfuncs' declarations and writes their record in a
//! few constants and one static ([`decl`](crate::decl)): the compiler's
//! const evaluator is slow, and a module may declare hundreds of kfuncs.

/// Declares kfuncs and the [`KfuncSet`](crate::KfuncSet) holding them.
///
/// Each kfunc is an ordinary Rust function with its doc comment, optional
/// `#[flags(...)]` naming `KF_*` flags without the prefix (or
/// `#[cfg_attr(pred, flags(...))]` for flags only where `pred` holds, such
/// as `kfunc_flag = "SPINLOCK_SAFE"` on kernels that have it), and optional
/// `#[cfg(...)]`, which removes the kfunc from the module, the set and the
/// BTF alike (like `#ifdef` around the function and its `BTF_ID_FLAGS`).
///
/// Parameter types say what the verifier must check
/// ([`KfuncArg`](crate::KfuncArg)): `&Task` is a trusted
/// `struct task_struct *`, `Option<&Task>` the same with `__nullable`,
/// `Const<u32>` a `__k` constant, `mem: Mem<'_>` (written unqualified) the
/// pair `void *mem, u32 mem__sz`. Plain C spellings work too: parameter
/// names reach BTF unchanged, so `mem: *mut u8, mem__sz: u32` is the same
/// pair. The return type may imply flags ([`KfuncRet`](crate::KfuncRet)):
/// an `Option<ARef<T>>` (`T: BpfRefCounted`) makes the kfunc `ACQUIRE | RET_NULL`.
///
/// An entry `fn name;` (no parameters, no body) puts a kfunc declared in
/// another set of the module into this one too, as C lists one function in
/// several sets; `#[flags(...)]` on it adds flags for this set only, where
/// the kernel allows that (not with cfg `kfunc_same_flags_in_every_set`).
/// The two kinds of entries mix in any order and number.
///
/// The set may name a filter, `fn(&BpfProg, KfuncId) -> bool`, which the
/// verifier asks before allowing a program to call a kfunc of the set.
///
/// Invoke it at module level; set names must be unique within the module.
///
/// # Examples
///
/// ```ignore
/// use kernel::{sync::aref::ARef, task::Task};
///
/// kfunc::kfunc_set! {
///     /// The sample's kfuncs.
///     pub static SAMPLE_KFUNCS: KfuncSet;
///
///     /// Returns the task's pid (BTF: `s32 rs_task_pid(struct task_struct *task)`).
///     fn rs_task_pid(task: &Task) -> i32 {
///         task.pid()
///     }
///
///     /// Zeroes the buffer (BTF: `void rs_memzero(void *mem, u32 mem__sz)`).
///     #[flags(SLEEPABLE)]
///     fn rs_memzero(mem: Mem<'_>) {
///         mem.fill(0);
///     }
/// }
///
/// kfunc::kfunc_set! {
///     /// The same `rs_task_pid`, for a second registration.
///     pub static SYSCALL_KFUNCS: KfuncSet;
///
///     fn rs_task_pid;
/// }
/// ```
#[macro_export]
macro_rules! kfunc_set {
    // Only kfunc definitions (the usual set): every entry in one pass, the
    // cheapest match. An entry's keywords come as `[name fn]` or
    // `[name fn unsafe]` (`[$($k2)? $k1 $kw]`), checked by
    // `__kfunc_set_define!`.
    //
    // A kfunc's attributes are matched at the end of the entry before it
    // (`$a0` are the first kfunc's), and `__kfunc_set_zip!` gives each
    // kfunc its own: a repetition at the start of each entry would make
    // rustc's matcher copy all the set matched so far, entry after entry,
    // at a cost growing with the square of the set's size (measured: ten
    // times the cost of the match for a set of 250 kfuncs).
    (
        $(#[$set_attr:meta])*
        $set_vis:vis static $set:ident : KfuncSet $(= filter($filter:path))? ;
        $(# $a0:tt)*
        $(
            $kvis:vis $kw:ident $k1:ident $($k2:ident)? ( $($params:tt)* ) $(-> $ret:ty)? $body:block
            $(# $a:tt)*
        )+
    ) => {
        $crate::__kfunc_set_zip! {
            [[$(# $a0)*] $([$(# $a)*])+]
            [$([[$kvis] [$($k2)? $k1 $kw] ($($params)*) [$($ret)?] $body])+ [@end $set]]
        }
        $crate::__kfunc_set_names! {
            @set [$(#[$set_attr])*] [$set_vis] $set [$($filter)?]
            $([$($k2)? $k1 $kw])+
        }
    };
    // Definitions and `fn name;` entries mixed, also in one pass: no
    // recursion over the entries, so a set's size meets no recursion
    // limit. The keywords are matched as written (`pub(...)`, `const`,
    // `async`, `unsafe`, `extern "abi"`, `fn`), so that every position
    // has one reading (a `vis` fragment could begin where a definition's
    // parameters do); the `$(...)?` groups after them carry the keywords,
    // for `__kfunc_set_item!` to check. Every group holding a fragment
    // costs the matcher a copy of what the set matched so far, which is
    // why definitions alone take the arm above.
    (
        $(#[$set_attr:meta])*
        $set_vis:vis static $set:ident : KfuncSet $(= filter($filter:path))? ;
        $(
            $(#[$($a:tt)*])*
            $(pub $(($($kvis:tt)*))?)?
            $(const $(($($kconst:tt)*))?)?
            $(async $(($($kasync:tt)*))?)?
            $(unsafe $(($($kunsafe:tt)*))?)?
            $(extern $($kabi:literal)?)?
            fn $k:ident
            $( ( $($params:tt)* ) $(-> $ret:ty)? $body:block )?
            $(; $(($($ksemi:tt)*))?)?
        )+
    ) => {
        $(
            $crate::__kfunc_set_item! {
                [$(#[$($a)*])*]
                [$(pub $(($($kvis)*))?)?]
                [
                    $(const $(($($kconst)*))?)?
                    $(async $(($($kasync)*))?)?
                    $(unsafe $(($($kunsafe)*))?)?
                    $(extern $($kabi)?)?
                ]
                $k
                [$(; $(($($ksemi)*))?)?]
                $(($($params)*) [$($ret)?] $body)?
            }
        )+
        $crate::__kfunc_set_entries! {
            @set [$(#[$set_attr])*] [$set_vis] $set [$($filter)?]
            @done [$(
                ($k ($crate::__kfunc_set_entry!($k [$(#[$($a)*])*] $([$body])?))
                    ($crate::__kfunc_set_entry!(@word $k [$(#[$($a)*])*] $([$body])?)))
            )+]
        }
    };
    // Anything else is a mistake: one entry at a time, up to it (in a set
    // of more than about a hundred entries before it, the recursion limit
    // may be reached first).
    (
        $(#[$set_attr:meta])*
        $set_vis:vis static $set:ident : KfuncSet $(= filter($filter:path))? ;
        $($entries:tt)+
    ) => {
        $crate::__kfunc_set_entries! {
            @set [$(#[$set_attr])*] [$set_vis] $set [$($filter)?]
            @done []
            $($entries)+
        }
    };
}

/// One entry of a [`kfunc_set!`]: a kfunc definition, which it defines,
/// or `fn name;`, naming a kfunc defined elsewhere in the module, for
/// which it checks the keywords. Takes
/// `[attributes] [pub ...] [unsafe ...] name [;] (params) [return type] body`,
/// the last three for a definition only.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_set_item {
    // A definition: `__kfunc_set_define!` checks its keywords.
    ($attrs:tt $vis:tt [$($unsafe:tt)*] $k:ident [] $params:tt $ret:tt $body:tt) => {
        $crate::__kfunc_set_define! { $attrs [$vis [$k fn $($unsafe)*] $params $ret $body] }
    };
    ($attrs:tt [] [] $k:ident [;]) => {};
    // The kfunc is defined all the same, so that this is the only error.
    ($attrs:tt $vis:tt $unsafe:tt $k:ident [$($semi:tt)+] $params:tt $ret:tt $body:tt) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `",
            ::core::stringify!($k),
            "`: no `;` after a kfunc's body"
        ));
        $crate::__kfunc_set_item! { $attrs $vis $unsafe $k [] $params $ret $body }
    };
    ($attrs:tt $vis:tt $unsafe:tt $k:ident $semi:tt) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `",
            ::core::stringify!($k),
            "`: an entry naming a kfunc of another set is `fn ",
            ::core::stringify!($k),
            ";`, with attributes only"
        ));
    };
}

/// The [`Entry`](crate::decl::Entry) of one entry of a [`kfunc_set!`]:
/// `name [attributes] [body]` for a kfunc defined by the entry,
/// `name [attributes]` for `fn name;`; after `@word`, the entry's words
/// in `.BTF_ids`.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_set_entry {
    ($k:ident $attrs:tt [$body:tt]) => {
        $crate::decl::Entry::declared($k::DECL)
    };
    ($k:ident [$($a:tt)*]) => {
        $crate::__kfunc_entry!(named $k [$($a)*])
    };
    (@word $k:ident $attrs:tt [$body:tt]) => {
        $k::DECL.word
    };
    (@word $k:ident [$($a:tt)*]) => {
        $crate::decl::Entry::word(&$crate::__kfunc_entry!(named $k [$($a)*]))
    };
}

/// Pairs the attributes of a [`kfunc_set!`]'s kfuncs with the kfuncs,
/// `[[first kfunc's attributes] ...] [[first kfunc] ... [@end set]]` (the
/// lists have one more item each than the set has kfuncs: the attributes
/// after the last kfunc, which must be none), and defines each kfunc.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_set_zip {
    ([$($attrs:tt)*] [$($kfunc:tt)*]) => {
        $($crate::__kfunc_set_define! { $attrs $kfunc })*
    };
}

/// Defines a kfunc of a [`kfunc_set!`] from `[attributes] [[vis] [name
/// keywords] (params) [return type] body]`, its keywords being `name fn`
/// or `name fn unsafe`; other keywords are a mistake. `[attributes] [@end
/// set]` follows a set's last kfunc.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_set_define {
    // (Straight to `__kfunc_define!`'s attributes: a call less per kfunc.)
    ([$($attrs:tt)*] [$vis:tt [$k:ident fn] $params:tt [] $body:tt]) => {
        $crate::__kfunc_define! { @attrs [] [] [] $($attrs)* @then $vis [] false $k $params [()] $body }
    };
    ([$($attrs:tt)*] [$vis:tt [$k:ident fn] $params:tt [$ret:tt] $body:tt]) => {
        $crate::__kfunc_define! { @attrs [] [] [] $($attrs)* @then $vis [] false $k $params [$ret] $body }
    };
    ([$($attrs:tt)*] [$vis:tt [$k:ident fn unsafe] $params:tt [] $body:tt]) => {
        $crate::__kfunc_define! {
            @attrs [] [] [] $($attrs)* @then $vis [unsafe] true $k $params [()] $body
        }
    };
    ([$($attrs:tt)*] [$vis:tt [$k:ident fn unsafe] $params:tt [$ret:tt] $body:tt]) => {
        $crate::__kfunc_define! {
            @attrs [] [] [] $($attrs)* @then $vis [unsafe] true $k $params [$ret] $body
        }
    };
    ($attrs:tt [$vis:tt [$k:ident $($w:tt)*] $($rest:tt)*]) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `",
            ::core::stringify!($k),
            "`: declare it `fn` or `unsafe fn`"
        ));
    };
    ([] [@end $set:ident]) => {};
    ([$($attrs:tt)+] [@end $set:ident]) => {
        ::core::compile_error!(::core::concat!(
            "kfunc set `",
            ::core::stringify!($set),
            "`: attributes after its last kfunc"
        ));
    };
}

/// Lays out a [`kfunc_set!`] of definitions only, from its entries'
/// `[name ...]`: each entry as `__kfunc_set_entry!` gives a definition's,
/// written out here to spare the compiler two macro calls per kfunc.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_set_names {
    (@set $attrs:tt $vis:tt $set:ident $filter:tt $([$k:ident $($w:ident)*])+) => {
        $crate::__kfunc_set_entries! {
            @set $attrs $vis $set $filter
            @done [$( ($k ($crate::decl::Entry::declared($k::DECL)) ($k::DECL.word)) )+]
        }
    };
}

/// Goes through the entries of a [`kfunc_set!`]: defines each kfunc, then
/// lays the set out.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_set_entries {
    // The set, laid out as BTF_KFUNCS_START / BTF_ID_FLAGS / BTF_KFUNCS_END
    // lay it out. An entry whose kfunc is configured out is skipped by the
    // assembler (`.if`), as the C preprocessor would skip it. Each entry is
    // one line (an assembler macro) with its words as a positional operand:
    // the compiler pays for every `concat!` and `stringify!`. This arm comes
    // first: trying the others would walk the entries already laid out
    // token by token (`$($done:tt)*`), at a cost that grows with the
    // square of their number (see `kfunc_set!`).
    (@set [$($set_attr:tt)*] [$set_vis:vis] $set:ident [$($filter:path)?] @done
     [$( ($k:ident $entry:tt $word:tt) )+]) => {
        ::core::arch::global_asm!(
            $crate::__btf_id_begin!(),
            ".macro __kfunc_rs_set_entry name, word",
            ".if (\\word >> 32)",
            $crate::__btf_id!(func, "\\name", "s"),
            ".long (\\word & 0xffffffff)",
            ".endif",
            ".endm",
            ".pushsection .BTF_ids,\"a\"",
            // The set is read as a `struct btf_id_set8` (resolve_btfids only
            // needs the symbols; C leaves the alignment to chance).
            ".balign 4",
            ::core::concat!(".local ", ::core::stringify!($set)),
            ::core::concat!(::core::stringify!($set), ":"),
            ::core::concat!(".local ", $crate::__kfunc_rs_set8_prefix!(), ::core::stringify!($set)),
            ::core::concat!($crate::__kfunc_rs_set8_prefix!(), ::core::stringify!($set), ":"),
            ".zero 4",
            ".long {__kfunc_rs_set8_flags}",
            $(
                ::core::concat!("__kfunc_rs_set_entry ", ::core::stringify!($k), ", {}"),
            )+
            ::core::concat!(
                ".size ", $crate::__kfunc_rs_set8_prefix!(), ::core::stringify!($set), ", .-",
                ::core::stringify!($set)
            ),
            ".popsection",
            ".purgem __kfunc_rs_set_entry",
            $crate::__btf_id_end!(),
            $(
                const $word,
            )+
            __kfunc_rs_set8_flags = const $crate::bindings::BTF_SET8_KFUNCS,
            __kfunc_rs_suffix = const $crate::symbol_suffix(::core::stringify!($set)),
        );

        $($set_attr)*
        $set_vis static $set: $crate::KfuncSet = {
            // The entries, checked and counted, and the records of the
            // kfuncs declared here: nothing per kfunc stays in the module's
            // memory but its `.BTF_ids` pair.
            const LEN: usize =
                $crate::__kfunc_entries!(::core::stringify!($set), Set8, &[$($entry),+]);
            unsafe extern "C" {
                #[link_name = ::core::concat!($crate::__kfunc_rs_set8_prefix!(), ::core::stringify!($set))]
                static mut SET8: $crate::bindings::btf_id_set8;
            }
            // SAFETY: `SET8` is the set emitted above, in `.BTF_ids`, which
            // lives as long as the module, and `LEN` its number of kfuncs
            // in the build.
            unsafe {
                $crate::KfuncSet::new(
                    ::core::stringify!($set),
                    &raw mut SET8,
                    LEN,
                    $crate::__kfunc_filter!($($filter)?),
                )
            }
        };
    };
    // `fn name;`: a kfunc defined elsewhere in the module.
    (@set $attrs:tt $vis:tt $set:ident $filter:tt @done [$($done:tt)*]
     $(#[$($a:tt)*])* fn $k:ident ; $($rest:tt)*) => {
        $crate::__kfunc_set_entries! {
            @set $attrs $vis $set $filter
            @done [$($done)* ($k ($crate::__kfunc_set_entry!($k [$(#[$($a)*])*]))
                ($crate::__kfunc_set_entry!(@word $k [$(#[$($a)*])*])))]
            $($rest)*
        }
    };
    // An `unsafe fn` kfunc definition: its body vouches for raw pointers
    // and for reference flags its types do not imply.
    (@set $attrs:tt $vis:tt $set:ident $filter:tt @done [$($done:tt)*]
     $(#[$($a:tt)*])* $kvis:vis unsafe fn $k:ident ( $($params:tt)* ) $(-> $ret:ty)? $body:block
     $($rest:tt)*) => {
        $crate::__kfunc_set_define! { [$(#[$($a)*])*] [[$kvis] [$k fn unsafe] ($($params)*) [$($ret)?] $body] }
        $crate::__kfunc_set_entries! {
            @set $attrs $vis $set $filter
            @done [$($done)* ($k ($crate::__kfunc_set_entry!($k [] [$body]))
                ($crate::__kfunc_set_entry!(@word $k [] [$body])))]
            $($rest)*
        }
    };
    // A kfunc definition.
    (@set $attrs:tt $vis:tt $set:ident $filter:tt @done [$($done:tt)*]
     $(#[$($a:tt)*])* $kvis:vis fn $k:ident ( $($params:tt)* ) $(-> $ret:ty)? $body:block
     $($rest:tt)*) => {
        $crate::__kfunc_set_define! { [$(#[$($a)*])*] [[$kvis] [$k fn] ($($params)*) [$($ret)?] $body] }
        $crate::__kfunc_set_entries! {
            @set $attrs $vis $set $filter
            @done [$($done)* ($k ($crate::__kfunc_set_entry!($k [] [$body]))
                ($crate::__kfunc_set_entry!(@word $k [] [$body])))]
            $($rest)*
        }
    };
}

/// Checks `$entries`, the [`Entry`](crate::decl::Entry)s of `$what`, a
/// list of kind `$kind` ([`ListKind`](crate::record::ListKind)), and writes the signature records of the kfuncs
/// they declare into the record section; evaluates to the number of
/// entries in the build.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_entries {
    ($what:expr, $kind:ident, $entries:expr) => {{
        const KIND: $crate::record::ListKind = $crate::record::ListKind::$kind;
        const ENTRIES: &[$crate::decl::Entry] = $entries;
        const LAYOUT: $crate::decl::Layout<{ ENTRIES.len() }> =
            $crate::decl::layout($what, ENTRIES, KIND);

        #[used]
        #[link_section = $crate::__kfunc_rs_record_section!()]
        static RECORDS: [u8; LAYOUT.len] = $crate::decl::records($what, ENTRIES, &LAYOUT);

        match $crate::decl::check($what, ENTRIES, KIND) {
            ::core::result::Result::Ok(n) => n,
            ::core::result::Result::Err(msg) => ::core::panic!("{}", msg.as_str()),
        }
    }};
}

/// The [`Entry`](crate::decl::Entry) of a `fn name;` entry, with its
/// `#[flags]` and `#[cfg]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_entry {
    (named $k:ident [$($a:tt)*]) => {
        $crate::__kfunc_entry!(@named $k [true] [$crate::KfuncFlags::empty()] $($a)*)
    };
    (@named $k:ident [$($en:tt)*] [$($fl:tt)*]) => {
        $crate::decl::Entry::named($k::DECL, ::core::stringify!($k), $($en)*, $($fl)*)
    };
    (@named $k:ident $en:tt [$($fl:tt)*] #[flags($($f:ident)|+)] $($rest:tt)*) => {
        $crate::__kfunc_entry!(@named $k $en [$($fl)* $(.union($crate::KfuncFlags::$f))+] $($rest)*)
    };
    (@named $k:ident $en:tt $fl:tt #[flags $($bad:tt)*] $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `", ::core::stringify!($k),
            "`: write its flags as #[flags(ACQUIRE | RET_NULL)], KF_* names without the prefix"
        ))
    };
    (@named $k:ident [$($en:tt)*] $fl:tt #[cfg($($c:tt)*)] $($rest:tt)*) => {
        $crate::__kfunc_entry!(@named $k [$($en)* && ::core::cfg!($($c)*)] $fl $($rest)*)
    };
    (@named $k:ident $en:tt $fl:tt #[$($other:tt)*] $($rest:tt)*) => {
        $crate::__kfunc_entry!(@named $k $en $fl $($rest)*)
    };
}

/// Defines one kfunc: sorts its attributes, lowers its parameters, then
/// writes the function and its declaration (its set, or the destructor
/// list, checks it and records it). Also used by
/// [`kfunc_dtors!`](crate::kfunc_dtors).
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_define {
    // `$is_unsafe` says whether `$unsafe` is `unsafe`; a missing return
    // type is `()`.
    ([$($attrs:tt)*] [$vis:vis] [$($unsafe:tt)?] $is_unsafe:literal $name:ident [$($params:tt)*] [] $body:tt) => {
        $crate::__kfunc_define! {
            @attrs [] [] [] $($attrs)*
            @then [$vis] [$($unsafe)?] $is_unsafe $name ($($params)*) [()] $body
        }
    };
    ([$($attrs:tt)*] [$vis:vis] [$($unsafe:tt)?] $is_unsafe:literal $name:ident [$($params:tt)*] [$ret:tt] $body:tt) => {
        $crate::__kfunc_define! {
            @attrs [] [] [] $($attrs)*
            @then [$vis] [$($unsafe)?] $is_unsafe $name ($($params)*) [$ret] $body
        }
    };

    // Attributes: `#[flags(...)]` are the kfunc's flags, `#[cfg(...)]`
    // apply to everything emitted, the rest to the function.
    (@attrs $keep:tt $cfg:tt [$($flags:tt)*] #[flags $f:tt] $($rest:tt)*) => {
        $crate::__kfunc_define! { @attrs $keep $cfg [$($flags)* $f] $($rest)* }
    };
    (@attrs $keep:tt $cfg:tt $flags:tt #[flags $($bad:tt)*] $($rest:tt)*) => {
        $crate::__kfunc_define! { @attrs $keep $cfg $flags #[flags[$($bad)*]] $($rest)* }
    };
    // `#[cfg_attr(pred, flags(...))]`: flags where `pred` holds (such as
    // `kfunc_flag = "SPINLOCK_SAFE"`, for a flag only some kernels have).
    (@attrs $keep:tt $cfg:tt [$($flags:tt)*] #[cfg_attr($p:meta, flags $f:tt)] $($rest:tt)*) => {
        $crate::__kfunc_define! { @attrs $keep $cfg [$($flags)* {{$p} $f}] $($rest)* }
    };
    // `#[cfg]`s: none, `[]`, or `[{(pred) ...}]`, so that a kfunc without
    // any has no declaration for when it is configured out.
    (@attrs $keep:tt [$({$($cfg:tt)*})?] $flags:tt #[cfg($($c:tt)*)] $($rest:tt)*) => {
        $crate::__kfunc_define! { @attrs $keep [{$($($cfg)*)? ($($c)*)}] $flags $($rest)* }
    };
    (@attrs [$($keep:tt)*] $cfg:tt $flags:tt #[$($a:tt)*] $($rest:tt)*) => {
        $crate::__kfunc_define! { @attrs [$($keep)* #[$($a)*]] $cfg $flags $($rest)* }
    };
    (@attrs $keep:tt $cfg:tt $flags:tt @then [$vis:vis] $unsafe:tt $is_unsafe:literal $name:ident ($($params:tt)*) [$ret:tt] $body:tt) => {
        $crate::__kfunc_params! {
            @ctx [$keep $cfg $flags [$vis] $unsafe $is_unsafe $name [$ret] $body]
            [] [] [] [] [] []
            $($params)*
        }
    };
}

/// Lowers a kfunc's Rust parameters to C parameters, collecting for each:
/// the C parameters, the conversion to the Rust type (none for an
/// integer), the Rust parameter, the C parameters' names and types (for
/// its [`Signature`]), and the type to check (none for an integer, which
/// is a kfunc type).
///
/// [`Signature`]: crate::decl::Signature
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_params {
    // `name: Mem<'_>`: `void *name, u32 name__sz`.
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt
     $p:ident : Mem < $lt:lifetime > $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! {
            @mem [Mem MemSize] @ctx $ctx $raw $conv $typed $names $ctys $chk $p $($($rest)*)?
        }
    };
    // `name: MemK<'_>`: `void *name, u32 name__szk`.
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt
     $p:ident : MemK < $lt:lifetime > $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! {
            @mem [MemK MemSizeK] @ctx $ctx $raw $conv $typed $names $ctys $chk $p $($($rest)*)?
        }
    };
    (@mem [$mem:ident $size:ident]
     @ctx $ctx:tt [$($raw:tt)*] [$($conv:tt)*] [$($typed:tt)*] [$($names:tt)*] [$($ctys:tt)*] $chk:tt
     $p:ident $($rest:tt)*) => {
        $crate::__kfunc_params! {
            @ctx $ctx
            [$($raw)* $p: *mut ::core::ffi::c_void, size: u32,]
            // SAFETY: the verifier checked that `$p` is valid for `size` bytes.
            [$($conv)* let $p = unsafe { $crate::$mem::from_raw($p, size) };]
            [$($typed)* ($p $crate::$mem<'__k>)]
            [$($names)* $p $p]
            [$($ctys)* $crate::decl::MemPtr, $crate::decl::$size,]
            $chk
            $($rest)*
        }
    };
    // `name: <integer type>`, the type written as the primitive: an
    // integer is its own raw and Rust form (`impl_int_arg!` in arg.rs),
    // so it is passed as it is, and it is a kfunc type, so it has no
    // check item, which the compiler would pay for (`@int`). Named by its
    // path in `core`, so that a type of the module named like an integer
    // cannot change the kfunc's ABI.
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : u8 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: u8 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : i8 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: i8 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : u16 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: u16 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : i16 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: i16 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : u32 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: u32 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : i32 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: i32 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : u64 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: u64 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : i64 $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: i64 $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : usize $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: usize $(, $($rest)*)? }
    };
    (@ctx $ctx:tt $raw:tt $conv:tt $typed:tt $names:tt $ctys:tt $chk:tt $p:ident : isize $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! { @int @ctx $ctx $raw $conv $typed $names $ctys $chk $p: isize $(, $($rest)*)? }
    };
    (@int @ctx $ctx:tt [$($raw:tt)*] $conv:tt [$($typed:tt)*] [$($names:tt)*] [$($ctys:tt)*] $chk:tt
     $p:ident : $t:ident $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! {
            @ctx $ctx
            [$($raw)* $p: ::core::primitive::$t,]
            $conv
            [$($typed)* ($p ::core::primitive::$t)]
            [$($names)* $p]
            [$($ctys)* ::core::primitive::$t,]
            $chk
            $($($rest)*)?
        }
    };
    // Any other `name: Type`: one C parameter of `<Type as KfuncArg>::Raw`.
    (@ctx $ctx:tt [$($raw:tt)*] [$($conv:tt)*] [$($typed:tt)*] [$($names:tt)*] [$($ctys:tt)*] [$($chk:tt)*]
     $p:ident : $t:ty $(, $($rest:tt)*)?) => {
        $crate::__kfunc_params! {
            @ctx $ctx
            [$($raw)* $p: <$t as $crate::KfuncArg>::Raw,]
            // SAFETY: the verifier checked `$p` against the kfunc's BTF,
            // which describes `$t`'s raw form and annotation.
            [$($conv)* let $p = unsafe { <$t as $crate::KfuncArg>::from_raw($p) };]
            [$($typed)* ($p <$t as $crate::KfuncArg>::Bound<'__k>)]
            [$($names)* $p]
            [$($ctys)* $t,]
            [$($chk)* ($p $t)]
            $($($rest)*)?
        }
    };
    // All lowered: the kfunc.
    (@ctx [[$($keep:tt)*] [$({$( ($($cfg:tt)*) )*})?] [$($flags:tt)*] [$vis:vis] [$($unsafe:tt)?] $is_unsafe:literal $name:ident [$ret:tt] $body:tt]
     [$($raw:tt)*] [$($conv:tt)*] [$( ($tp:ident $($tb:tt)*) )*] [$($names:tt)*] [$($ctys:tt)*]
     [$( ($cp:ident $ct:tt) )*]) => {
        $($keep)*
        $($(#[cfg($($cfg)*)])*)?
        #[doc = "\n# Safety\n\nA kfunc: called by BPF programs with arguments the verifier checked \
                 against the kfunc's BTF."]
        #[unsafe(no_mangle)]
        #[inline(never)]
        // The C signature decides; `check.rs` enforces the kernel's limit.
        #[allow(non_snake_case, clippy::too_many_arguments)]
        $vis unsafe extern "C" fn $name($($raw)*)
            -> <$ret as $crate::KfuncRet>::Raw
        {
            // Each parameter with the call's lifetime `'__k`, whatever the
            // declaration wrote, so that nothing borrowed escapes the call.
            // Nested, so that nothing else can call the body (and the
            // kfunc's lint attributes apply to it).
            #[inline(always)]
            $($unsafe)? fn __kfunc_rs_body<'__k>(
                $($tp: $($tb)*),*
            ) -> $ret $body

            $($conv)*
            <$ret as $crate::KfuncRet>::into_raw(
                // SAFETY: (a block that is `unsafe` for an `unsafe fn`
                // kfunc only) BPF programs call the kfunc as its `# Safety`
                // says: with arguments the verifier checked against its BTF.
                $($unsafe)? { __kfunc_rs_body($($tp),*) }
            )
        }

        // The kfunc's name in the type namespace: its declaration. A
        // parameter type that is not a kfunc type fails the bound of
        // `<kfunc>::<parameter>`, so the error names both; a return type,
        // the bound `decl::Returns<kfunc>` of `Decl::new::<kfunc, return
        // type>` (no item per kfunc). The set checks the declaration and
        // records it.
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        $vis enum $name {}

        $($(#[cfg($($cfg)*)])*)?
        #[allow(non_snake_case, dead_code)]
        impl $name {
            $(fn $cp<T: $crate::KfuncArg>() {})*

            // The kfunc as declared: its C signature, as the BTF step will
            // describe it, its flags and what its types say. (Hidden with
            // the type; no attribute here: the compiler pays for each.)
            pub const DECL: $crate::decl::Decl = {
                $(let _ = Self::$cp::<$ct>;)*
                $crate::decl::Decl::new::<Self, $ret>(
                    ::core::stringify!($name),
                    ::core::stringify!($($names)*),
                    <($ret, $($ctys)*) as $crate::decl::Signature>::INFO_REF,
                    $crate::decl::NO_FLAGS$(.union($crate::__kfunc_flags!($name; $flags)))*,
                    $is_unsafe,
                )
            };
        }

        $(
            #[cfg(not(all($($($cfg)*),*)))]
            impl $name {
                pub const DECL: $crate::decl::Decl = $crate::decl::Decl::DISABLED;
            }
        )?
    };
}

/// The flags of one `#[flags(A | B)]` attribute of a kfunc, from its
/// contents: `(A | B)`, or `{{pred} (A | B)}` from a
/// `#[cfg_attr(pred, flags(A | B))]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_flags {
    ($name:ident; ($($flag:ident)|+)) => {
        $crate::KfuncFlags::empty()$(.union($crate::KfuncFlags::$flag))+
    };
    // The flags only where `pred` holds (elsewhere they are not even
    // named, so they need not exist).
    ($name:ident; {{$p:meta} ($($flag:ident)|+)}) => {{
        #[cfg($p)]
        let flags = $crate::KfuncFlags::empty()$(.union($crate::KfuncFlags::$flag))+;
        #[cfg(not($p))]
        let flags = $crate::KfuncFlags::empty();
        flags
    }};
    ($name:ident; $bad:tt) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `", ::core::stringify!($name),
            "`: write its flags as #[flags(ACQUIRE | RET_NULL)], KF_* names without the prefix"
        ))
    };
}

/// The C filter callback of a set, or none.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_filter {
    () => {
        ::core::option::Option::None
    };
    ($filter:path) => {{
        unsafe extern "C" fn filter(
            prog: *const $crate::bindings::bpf_prog,
            kfunc_id: u32,
        ) -> ::kernel::ffi::c_int {
            // SAFETY: the verifier passes the program it is verifying,
            // valid for the duration of the call.
            let prog = unsafe { $crate::filter::BpfProg::from_raw(prog) };
            $crate::filter::verdict($filter(prog, $crate::filter::KfuncId(kfunc_id)))
        }
        ::core::option::Option::Some(filter)
    }};
}
