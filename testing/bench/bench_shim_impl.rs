// SPDX-License-Identifier: GPL-2.0

//! `make bench`: the Rust half of the C-shim pattern, an `extern "C"`
//! function that a C `__bpf_kfunc` wrapper calls (bench_c_main.c). Linked
//! into the C module; no kfunc-rs.

/// `a + b` (wrapping, as C's unsigned addition).
#[no_mangle]
pub extern "C" fn bench_add_shim_impl(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}
