// SPDX-License-Identifier: GPL-2.0

//! [`btf_struct!`]: module structs that kfuncs take and return.
//!
//! C header: [`include/uapi/linux/btf.h`](srctree/include/uapi/linux/btf.h)
//! (`BTF_KIND_STRUCT`)

/// Declares a `#[repr(C)]` struct that kfuncs may take or return (usually
/// by pointer), and gives it BTF.
///
/// The macro adds `#[repr(C)]`, implements [`BtfType`](crate::BtfType) and
/// places a record of the struct's size and member offsets (from
/// `size_of` and `offset_of!`, so they are the compiler's own) for the BTF
/// step, which writes a BTF `STRUCT` of the struct's name. Every member
/// type must itself have a BTF meaning.
///
/// # Examples
///
/// ```ignore
/// kfunc::btf_struct! {
///     /// A counter that BPF programs read and kfuncs update.
///     #[shared]
///     pub struct rs_counter {
///         pub value: AtomicU64,
///         pub id: AtomicU32,
///     }
/// }
/// ```
#[macro_export]
macro_rules! btf_struct {
    // `#[shared]` among the attributes: found by munching them.
    (@attrs [$($a:tt)*] $shared:tt #[shared] $($rest:tt)*) => {
        $crate::btf_struct! { @attrs [$($a)*] [shared] $($rest)* }
    };
    (@attrs [$($a:tt)*] $shared:tt #[$($m:tt)*] $($rest:tt)*) => {
        $crate::btf_struct! { @attrs [$($a)* #[$($m)*]] $shared $($rest)* }
    };
    (@attrs [$($a:tt)*] [] $($rest:tt)*) => {
        $crate::btf_struct! { @struct $($a)* $($rest)* }
    };
    (@attrs [$($a:tt)*] [shared]
        $vis:vis struct $name:ident {
            $( $(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $crate::btf_struct! {
            @struct $($a)*
            $vis struct $name { $( $(#[$fattr])* $fvis $field : $fty ),* }
        }

        // SAFETY: every member is a `SharedField` (checked below), so all
        // of `$name` is interior-mutable; it is its own C type.
        unsafe impl $crate::ByRef for $name {
            type C = $name;
        }

        const _: () = {
            const fn shared<T: $crate::SharedField>() {}
            $(shared::<$fty>();)*
        };
    };
    (@struct
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[repr(C)]
        $vis struct $name {
            $( $(#[$fattr])* $fvis $field: $fty ),*
        }

        // SAFETY: `$name` is `#[repr(C)]`, and its record below gives its
        // real size and member offsets.
        unsafe impl $crate::BtfType for $name {
            const BTF: $crate::record::Type = $crate::record::Type::ModuleStruct {
                name: ::core::stringify!($name),
                size: ::core::mem::size_of::<$name>(),
            };
        }

        // SAFETY: by value, as C passes a struct. Linux 7.3's verifier
        // refuses every call passing a struct by value ("Unrecognized ...
        // type STRUCT"), so this only gives a kfunc C's BTF.
        unsafe impl $crate::KfuncArg for $name {
            type Raw = $name;
            type Bound<'k> = $name;
            const BTF: &'static $crate::record::Type = &<$name as $crate::BtfType>::BTF;

            #[inline(always)]
            unsafe fn from_raw<'k>(raw: $name) -> Self::Bound<'k> {
                raw
            }
        }

        const _: () = {
            const STRUCT: $crate::record::Struct = $crate::record::Struct {
                name: ::core::stringify!($name),
                size: ::core::mem::size_of::<$name>() as u32,
                members: &[$(
                    $crate::record::Field {
                        name: $crate::record::strip_raw(::core::stringify!($field)),
                        offset: ::core::mem::offset_of!($name, $field) as u32,
                        ty: &<$fty as $crate::BtfType>::BTF,
                    }
                ),*],
            };
            const LEN: usize = STRUCT.encoded_len();

            #[used]
            #[link_section = $crate::__kfunc_rs_record_section!()]
            static RECORD: [u8; LEN] = STRUCT.encode::<LEN>();
        };
    };
    ($($tokens:tt)*) => {
        $crate::btf_struct! { @attrs [] [] $($tokens)* }
    };
}
