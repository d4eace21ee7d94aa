// SPDX-License-Identifier: GPL-2.0

//! The one `.BTF_ids` entry of include/linux/btf_ids.h, for the macros'
//! `global_asm!`.
//!
//! C header: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h)
//! (`____BTF_ID`)

/// Defines the assembler macro `__kfunc_rs_btf_id kind, name, tag`: one
/// BTF id entry, as `____BTF_ID` emits it, a local, 4-byte `STT_OBJECT`
/// symbol `__BTF_ID__<kind>__<name>__<tag><suffix>` over 4 zero bytes,
/// which resolve_btfids fills with the BTF id of `<kind> <name>`; `<tag>`
/// keeps the entries of one set apart. It expands to a string literal for
/// a `global_asm!` that has a `__kfunc_rs_suffix` const operand (see
/// `symbol_suffix`), whose entries then take one line each
/// ([`__btf_id!`](crate::__btf_id)), and which ends with
/// [`__btf_id_end!`](crate::__btf_id_end): a module's
/// `global_asm!`s are one assembly file, where a macro is defined once.
#[doc(hidden)]
#[macro_export]
macro_rules! __btf_id_begin {
    () => {
        ::core::concat!(
            ".macro __kfunc_rs_btf_id kind, name, tag\n",
            ".local __BTF_ID__\\kind\\()__\\name\\()__\\tag\\(){__kfunc_rs_suffix}\n",
            ".type __BTF_ID__\\kind\\()__\\name\\()__\\tag\\(){__kfunc_rs_suffix}, STT_OBJECT\n",
            ".size __BTF_ID__\\kind\\()__\\name\\()__\\tag\\(){__kfunc_rs_suffix}, 4\n",
            "__BTF_ID__\\kind\\()__\\name\\()__\\tag\\(){__kfunc_rs_suffix}:\n",
            ".zero 4\n",
            ".endm"
        )
    };
}

/// Removes the assembler macro of [`__btf_id_begin!`](crate::__btf_id_begin).
#[doc(hidden)]
#[macro_export]
macro_rules! __btf_id_end {
    () => {
        ".purgem __kfunc_rs_btf_id"
    };
}

/// One BTF id entry (see [`__btf_id_begin!`](crate::__btf_id_begin)), `<kind> <name>` with tag
/// `<tag>`, as a line of a `global_asm!`; `<name>` is an identifier, or a
/// string for the assembler (an argument of another assembler macro).
#[doc(hidden)]
#[macro_export]
macro_rules! __btf_id {
    ($kind:ident, $name:ident, $tag:literal) => {
        ::core::concat!(
            "__kfunc_rs_btf_id ",
            ::core::stringify!($kind, $name),
            ", ",
            $tag
        )
    };
    ($kind:ident, $name:literal, $tag:literal) => {
        ::core::concat!(
            "__kfunc_rs_btf_id ",
            ::core::stringify!($kind),
            ", ",
            $name,
            ", ",
            $tag
        )
    };
}
