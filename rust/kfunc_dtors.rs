// SPDX-License-Identifier: GPL-2.0

//! [`kfunc_dtors!`]: destructor kfuncs of a module's kptr types.
//!
//! C header: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h)

/// Declares destructor kfuncs and the [`KfuncDtors`](crate::KfuncDtors)
/// that registers them.
///
/// Each entry names a type BPF programs may keep as a referenced kptr in a
/// map, and the function the kernel calls to free such a kptr. The
/// function is declared like a kfunc (it gets BTF, and its types are
/// checked) and must be `fn(*mut c_void)` or take a pointer to the type.
/// An entry cannot have a `#[cfg]` (the build fails, naming it): put it on
/// the whole `kfunc_dtors!`, with a list for each configuration.
///
/// # Examples
///
/// ```ignore
/// kfunc::kfunc_dtors! {
///     /// Destructors of this module's kptr types.
///     pub static DTORS: KfuncDtors;
///
///     /// Drops a context left in a map.
///     my_ctx => pub fn my_ctx_release_dtor(ctx: *mut core::ffi::c_void) {
///         // ...
///     }
/// }
/// ```
#[macro_export]
macro_rules! kfunc_dtors {
    (
        $(#[$attr:meta])*
        $vis:vis static $name:ident : KfuncDtors;
        $(
            $(#[$($fattr:tt)*])*
            $ty:ident => $fvis:vis fn $dtor:ident ( $($pname:ident : $pty:ty),* $(,)? ) $body:block
        )+
    ) => {
        $(
            $crate::__kfunc_dtor_attrs!($dtor; $([$($fattr)*])*);
        )+
        $(
            $crate::__kfunc_define! {
                [$(#[$($fattr)*])*] [$fvis] [] false $dtor [$($pname : $pty),*] [] $body
            }
        )+

        // The destructors checked and recorded as a set's kfuncs are.
        const _: usize = $crate::__kfunc_entries!(
            ::core::stringify!($name),
            Dtors,
            &[$($crate::decl::Entry::declared($dtor::DECL)),+]
        );

        // BTF_ID_LIST(name) of BTF_ID(struct, type), BTF_ID(func, dtor)
        // pairs: the layout of `struct btf_id_dtor_kfunc`.
        // The kernel calls a destructor through a pointer: keep objtool from
        // sealing its ENDBR, as C's CFI_NOSEAL() does (x86 IBT).
        $(
            #[cfg(CONFIG_X86_KERNEL_IBT)]
            ::core::arch::global_asm!(
                ".pushsection .discard.ibt_endbr_noseal,\"\"",
                ".quad {dtor}",
                ".popsection",
                dtor = sym $dtor,
            );
        )+

        ::core::arch::global_asm!(
            ".pushsection .BTF_ids,\"a\"",
            ".balign 4",
            ::core::concat!(".local ", $crate::__kfunc_rs_dtors_prefix!(), ::core::stringify!($name)),
            ::core::concat!($crate::__kfunc_rs_dtors_prefix!(), ::core::stringify!($name), ":"),
            $crate::__btf_id_begin!(),
            $(
                $crate::__btf_id!(struct, $ty, "d"),
                $crate::__btf_id!(func, $dtor, "d"),
            )+
            $crate::__btf_id_end!(),
            ::core::concat!(
                ".size ", $crate::__kfunc_rs_dtors_prefix!(), ::core::stringify!($name), ", .-",
                $crate::__kfunc_rs_dtors_prefix!(), ::core::stringify!($name)
            ),
            ".popsection",
            __kfunc_rs_suffix = const $crate::symbol_suffix(::core::stringify!($name)),
        );

        $(#[$attr])*
        $vis static $name: $crate::KfuncDtors = {
            const COUNT: usize = [$(::core::stringify!($dtor)),+].len();
            unsafe extern "C" {
                #[link_name = ::core::concat!($crate::__kfunc_rs_dtors_prefix!(), ::core::stringify!($name))]
                static PAIRS: [$crate::bindings::btf_id_dtor_kfunc; COUNT];
            }
            // SAFETY: `PAIRS` is the list emitted above, `COUNT` pairs in
            // `.BTF_ids`, which lives as long as the module.
            unsafe { $crate::KfuncDtors::new((&raw const PAIRS).cast(), COUNT as u32) }
        };
    };
}

/// Refuses a `#[cfg]` on a destructor of [`kfunc_dtors!`]: the list is one
/// array of pairs in `.BTF_ids` whose length the registration passes, with
/// no way to leave a pair out (as [`kfunc_set!`](crate::kfunc_set) leaves
/// out a configured-out kfunc).
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_dtor_attrs {
    ($dtor:ident;) => {};
    ($dtor:ident; [cfg $($cfg:tt)*] $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `",
            ::core::stringify!($dtor),
            "`: a destructor of kfunc_dtors! cannot have a #[cfg] (the list is one array of pairs in ",
            ".BTF_ids); put the #[cfg] on the whole kfunc_dtors!, with a list for each configuration"
        ));
    };
    ($dtor:ident; [$($attr:tt)*] $($rest:tt)*) => {
        $crate::__kfunc_dtor_attrs!($dtor; $($rest)*);
    };
}
