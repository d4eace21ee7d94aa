// SPDX-License-Identifier: GPL-2.0

//! BPF program types, for registering kfunc sets.
//!
//! C header: [`include/uapi/linux/bpf.h`](srctree/include/uapi/linux/bpf.h)
//!
//! The constants are generated at build time from the target kernel's
//! `enum bpf_prog_type`, named without the `BPF_PROG_TYPE_` prefix.

use crate::bindings;

/// A BPF program type (`enum bpf_prog_type`).
///
/// # Examples
///
/// ```ignore
/// use kfunc::ProgType;
///
/// let types = [ProgType::TRACING, ProgType::SYSCALL];
/// assert_ne!(types[0], types[1]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub struct ProgType(bindings::bpf_prog_type::Type);

impl ProgType {
    /// The C `enum bpf_prog_type` value.
    #[inline]
    pub const fn as_raw(self) -> bindings::bpf_prog_type::Type {
        self.0
    }

    /// The program type of a C `enum bpf_prog_type` value.
    #[inline]
    pub const fn from_raw(raw: bindings::bpf_prog_type::Type) -> Self {
        Self(raw)
    }
}

// The constants, generated from the target kernel by scripts/kfunc-rs-bindgen.sh.
include!(concat!(
    env!("KFUNC_RS_GENERATED"),
    "/prog_types_generated.rs"
));
