// SPDX-License-Identifier: GPL-2.0

//! The one `.BTF_ids` entry of include/linux/btf_ids.h, for the macros'
//! `global_asm!`.
//!
//! C header: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h)
//! (`____BTF_ID`)

/// The assembly of one BTF id entry, as `____BTF_ID` emits it: a local,
/// 4-byte `STT_OBJECT` symbol `__BTF_ID__<kind>__<name>__<tag><suffix>`
/// over 4 zero bytes, which resolve_btfids fills with the BTF id of
/// `<kind> <name>`. It expands to a string literal for a `global_asm!`
/// that has a `__kfunc_rs_suffix` const operand (see `symbol_suffix`);
/// `<tag>` keeps the entries of one set apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __btf_id {
    ($kind:ident, $name:ident, $tag:literal) => {
        ::core::concat!(
            ".local __BTF_ID__",
            ::core::stringify!($kind),
            "__",
            ::core::stringify!($name),
            "__",
            $tag,
            "{__kfunc_rs_suffix}\n",
            ".type __BTF_ID__",
            ::core::stringify!($kind),
            "__",
            ::core::stringify!($name),
            "__",
            $tag,
            "{__kfunc_rs_suffix}, STT_OBJECT\n",
            ".size __BTF_ID__",
            ::core::stringify!($kind),
            "__",
            ::core::stringify!($name),
            "__",
            $tag,
            "{__kfunc_rs_suffix}, 4\n",
            "__BTF_ID__",
            ::core::stringify!($kind),
            "__",
            ::core::stringify!($name),
            "__",
            $tag,
            "{__kfunc_rs_suffix}:\n",
            ".zero 4"
        )
    };
}
