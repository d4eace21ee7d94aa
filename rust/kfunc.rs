// SPDX-License-Identifier: GPL-2.0

//! kfunc-rs: kfuncs written in Rust, callable by BPF programs exactly like
//! the C kfuncs of `__bpf_kfunc` and `BTF_ID_FLAGS`.
//!
//! C headers: [`include/linux/btf.h`](srctree/include/linux/btf.h),
//! [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h)
//!
//! - [`kfunc_set!`] declares kfuncs and their [`KfuncSet`] (in `.BTF_ids`,
//!   as `BTF_KFUNCS_START`/`BTF_ID_FLAGS`/`BTF_KFUNCS_END` lay it out);
//!   their parameter and return types ([`KfuncArg`], [`KfuncRet`]) spell
//!   the verifier's annotations and imply flags, which [`check`] verifies
//!   against the signature at compile time;
//! - [`btf_struct!`] declares `#[repr(C)]` structs they take and return,
//!   [`kernel_types!`] kernel structs that `kernel::bindings` lacks;
//! - [`ksyms!`] declares variables BPF programs read as typed `__ksym`s;
//! - [`KfuncSet::register`] registers a set for program types from `init`;
//! - [`kfunc_dtors!`] declares destructors of kptr types ([`KfuncDtors`]).
//!
//! pahole gives Rust code no BTF, so the macros also record each kfunc's
//! signature (see [`record`]); the BTF step of the module build
//! (tools/kfunc-btf, run through scripts/kfunc-rs-pahole) turns the records
//! into BTF before resolve_btfids runs. See Documentation/rust/kfuncs.rst.
//!
//! This crate is built as metadata only and linked into no module: all of
//! its code is generic, `const` or `#[inline]`, and is compiled into the
//! module that uses it.

mod arena;
#[doc(hidden)]
pub mod arg;
mod aux;
pub mod bindings;
mod btf_ids;
mod btf_struct;
mod btf_type;
mod byref;
pub mod check;
pub mod compat;
mod cstr;
#[doc(hidden)]
pub mod decl;
mod dtors;
pub mod filter;
mod flags;
mod iter;
mod kfunc_dtors;
mod kfunc_set;
#[doc(hidden)]
pub mod ksym;
mod mem;
mod prog_type;
pub mod record;
mod ret;
mod scalar;
#[doc(hidden)]
pub mod set;

/// The prefix of this crate's kernel log messages (`pr_err!` and friends
/// look it up in the crate that expands them).
#[doc(hidden)]
const __LOG_PREFIX: &[u8] = b"kfunc-rs\0";

pub use arena::ArenaPtr;
pub use arg::{IterState, KfuncArg};
pub use aux::ProgAux;
pub use btf_type::BtfType;
pub use byref::{BpfRefCounted, ByRef, SharedField};
pub use dtors::KfuncDtors;
pub use filter::{BpfProg, KfuncId};
pub use flags::KfuncFlags;
pub use iter::{IterMut, IterNew, IterPtr, IterRef};
pub use ksym::PerCpu;
pub use mem::{Mem, MemK};
pub use prog_type::ProgType;
pub use ret::KfuncRet;
pub use scalar::{Const, Ign, Integer};
#[doc(hidden)]
pub use set::symbol_suffix;
pub use set::KfuncSet;

/// The names a kfunc module usually needs.
pub mod prelude {
    #[cfg(not(kfunc_kernel_task_tgid))]
    pub use crate::compat::TaskTgid;
    pub use crate::compat::{ARef, AlwaysRefCounted};
    pub use crate::{
        btf_struct, kernel_types, kfunc_dtors, kfunc_set, ksyms, ArenaPtr, BpfProg, BpfRefCounted,
        ByRef, Const, Ign, IterMut, IterNew, IterPtr, IterRef, KfuncDtors, KfuncFlags, KfuncId,
        KfuncSet, Mem, MemK, PerCpu, ProgAux, ProgType,
    };
}
