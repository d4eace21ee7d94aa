// SPDX-License-Identifier: GPL-2.0

//! [`kfunc_set!`]: kfuncs and their set, from one declaration per kfunc.
//!
//! C headers: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h),
//! [`include/linux/btf.h`](srctree/include/linux/btf.h)
//!
//! For each kfunc the macro emits what C gets from `__bpf_kfunc` and
//! `BTF_ID_FLAGS(func, name, flags)`:
//! - the kfunc itself, `#[no_mangle] unsafe extern "C"`, never inlined and,
//!   being exported, never dropped;
//! - its entry in the set in `.BTF_ids`, byte for byte what
//!   `BTF_KFUNCS_START` / `BTF_ID_FLAGS` / `BTF_KFUNCS_END` emit;
//! - its signature record (see [`record`](crate::record)), from which the
//!   BTF step writes the kfunc's BTF;
//! - compile-time checks that every parameter and the return type have a
//!   BTF meaning, whose errors name the kfunc and the parameter.

/// Declares kfuncs and the [`KfuncSet`](crate::KfuncSet) holding them.
///
/// Each kfunc is an ordinary Rust function with its doc comment and an
/// optional `#[flags(...)]` attribute naming `KF_*` flags without the
/// prefix. Parameter names reach BTF unchanged, so the verifier's
/// annotations work: `mem` followed by `mem__sz` is a memory region and
/// its size. The function becomes `unsafe extern "C"`: BPF programs call
/// it, with arguments the verifier checked against its BTF; raw pointer
/// arguments still need `unsafe` blocks with `// SAFETY:` comments.
///
/// The set may name a filter, `fn(&BpfProg, KfuncId) -> bool`, which the
/// verifier asks before allowing a program to call a kfunc of the set.
///
/// Invoke it at module level; set names must be unique within the module.
///
/// # Examples
///
/// ```ignore
/// use kernel::bindings::task_struct;
///
/// kfunc::kfunc_set! {
///     /// The sample's kfuncs.
///     pub static SAMPLE_KFUNCS: KfuncSet;
///
///     /// Returns the task's pid.
///     fn rs_task_pid(task: *mut task_struct) -> i32 {
///         // SAFETY: the verifier passes a trusted task pointer.
///         unsafe { (*task).pid }
///     }
///
///     /// Zeroes `mem__sz` bytes at `mem`.
///     #[flags(SLEEPABLE)]
///     fn rs_memzero(mem: *mut u8, mem__sz: u32) {
///         // SAFETY: the verifier checked that `mem` has `mem__sz` bytes.
///         unsafe { core::ptr::write_bytes(mem, 0, mem__sz as usize) };
///     }
/// }
/// ```
#[macro_export]
macro_rules! kfunc_set {
    (
        $(#[$set_attr:meta])*
        $set_vis:vis static $set:ident : KfuncSet $(= filter($filter:path))? ;
        $(
            $(#[$($kattr:tt)*])*
            $kvis:vis fn $kname:ident ( $($pname:ident : $pty:ty),* $(,)? ) $(-> $ret:ty)? $body:block
        )+
    ) => {
        $(
            $crate::__kfunc! {
                @attrs [] $(#[$($kattr)*])*
                @fn $kvis fn $kname ( $($pname : $pty),* ) [$($ret)?] $body
            }
        )+

        // The set, laid out as BTF_KFUNCS_START / BTF_ID_FLAGS /
        // BTF_KFUNCS_END lay it out.
        ::core::arch::global_asm!(
            ".pushsection .BTF_ids,\"a\"",
            ::core::concat!(".local ", ::core::stringify!($set)),
            ::core::concat!(::core::stringify!($set), ":"),
            ::core::concat!(".local __BTF_ID__set8__", ::core::stringify!($set)),
            ::core::concat!("__BTF_ID__set8__", ::core::stringify!($set), ":"),
            ".zero 4",
            ".long {__kfunc_rs_set8_flags}",
            $(
                $crate::__btf_id!(func, $kname, "s"),
                ::core::concat!(".long {", ::core::stringify!($kname), "}"),
            )+
            ::core::concat!(
                ".size __BTF_ID__set8__", ::core::stringify!($set), ", .-", ::core::stringify!($set)
            ),
            ".popsection",
            __kfunc_rs_set8_flags = const $crate::bindings::BTF_SET8_KFUNCS,
            __kfunc_rs_suffix = const $crate::symbol_suffix(::core::stringify!($set)),
            $(
                $kname = const $crate::__kfunc_flags!($kname; $(#[$($kattr)*])*).bits(),
            )+
        );

        $(#[$set_attr])*
        $set_vis static $set: $crate::KfuncSet = {
            const NAMES: &[&str] = &[$(::core::stringify!($kname)),+];
            unsafe extern "C" {
                #[link_name = ::core::concat!("__BTF_ID__set8__", ::core::stringify!($set))]
                static mut SET8: $crate::bindings::btf_id_set8;
            }
            // SAFETY: `SET8` is the set emitted above, in `.BTF_ids`, which
            // lives as long as the module.
            unsafe {
                $crate::KfuncSet::new(
                    ::core::stringify!($set),
                    &raw mut SET8,
                    NAMES,
                    $crate::__kfunc_filter!($($filter)?),
                )
            }
        };
    };
}

/// Emits one kfunc: sorts its attributes, then writes the function, its
/// type checks and its signature record.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc {
    (@attrs [$($keep:tt)*] #[flags $($flags:tt)*] $($rest:tt)*) => {
        $crate::__kfunc! { @attrs [$($keep)*] $($rest)* }
    };
    (@attrs [$($keep:tt)*] #[$($attr:tt)*] $($rest:tt)*) => {
        $crate::__kfunc! { @attrs [$($keep)* #[$($attr)*]] $($rest)* }
    };
    (@attrs [$($keep:tt)*]
     @fn $vis:vis fn $name:ident ( $($pname:ident : $pty:ty),* ) [$($ret:ty)?] $body:block) => {
        $($keep)*
        ///
        /// # Safety
        ///
        /// A kfunc: called by BPF programs with arguments the verifier
        /// checked against the kfunc's BTF.
        #[unsafe(no_mangle)]
        #[inline(never)]
        #[allow(non_snake_case)]
        $vis unsafe extern "C" fn $name($($pname: $pty),*) $(-> $ret)? $body

        // Compile-time checks and the signature record. A type without BTF
        // meaning fails the bound of `<kfunc>::<parameter>` (or
        // `<kfunc>::r#return`), so the error names both.
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        $vis enum $name {}

        #[allow(non_snake_case, dead_code)]
        impl $name {
            $(fn $pname<T: $crate::BtfType>() {})*
            fn r#return<T: $crate::BtfType>() {}

            /// The kfunc's signature, as the BTF step will describe it.
            pub const SIGNATURE: $crate::record::Kfunc = $crate::record::Kfunc {
                name: ::core::stringify!($name),
                ret: &<$crate::__kfunc_ret!($($ret)?) as $crate::BtfType>::BTF,
                params: &[$(
                    $crate::record::Field {
                        name: ::core::stringify!($pname),
                        offset: 0,
                        ty: &<$pty as $crate::BtfType>::BTF,
                    }
                ),*],
            };
        }

        const _: () = {
            $(let _: fn() = $name::$pname::<$pty>;)*
            let _: fn() = $name::r#return::<$crate::__kfunc_ret!($($ret)?)>;
        };

        const _: () = {
            const LEN: usize = $name::SIGNATURE.encoded_len();

            #[used]
            #[link_section = ".kfunc_rs.btf"]
            static RECORD: [u8; LEN] = $name::SIGNATURE.encode::<LEN>();
        };
    };
}

/// The return type of a kfunc declaration, `()` when it has none.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_ret {
    () => { () };
    ($ret:ty) => { $ret };
}

/// The flags of a kfunc, from its `#[flags(A | B)]` attributes.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_flags {
    ($name:ident;) => {
        $crate::KfuncFlags::empty()
    };
    ($name:ident; #[flags($($flag:ident)|+)] $($rest:tt)*) => {
        $crate::KfuncFlags::empty()
            $(.union($crate::KfuncFlags::$flag))+
            .union($crate::__kfunc_flags!($name; $($rest)*))
    };
    ($name:ident; #[flags $($bad:tt)*] $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "kfunc `", ::core::stringify!($name),
            "`: write its flags as #[flags(ACQUIRE | RET_NULL)], KF_* names without the prefix"
        ))
    };
    ($name:ident; #[$($other:tt)*] $($rest:tt)*) => {
        $crate::__kfunc_flags!($name; $($rest)*)
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
