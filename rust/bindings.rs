// SPDX-License-Identifier: GPL-2.0

//! The C kfunc registration API, bound by bindgen from the target kernel's
//! own headers at module build time (scripts/kfunc-rs-bindgen.sh).
//!
//! C headers: [`include/linux/btf.h`](srctree/include/linux/btf.h),
//! [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h),
//! [`include/linux/bpf.h`](srctree/include/linux/bpf.h)
//!
//! Neither the kernel crate nor its bindings cover these items, and a
//! hand-written mirror would drift between kernel versions.

#![allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    unsafe_op_in_unsafe_fn,
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::restriction,
    clippy::nursery,
    clippy::undocumented_unsafe_blocks
)]

use kernel::ffi;

include!(concat!(
    env!("KFUNC_RS_GENERATED"),
    "/bindings_generated.rs"
));
