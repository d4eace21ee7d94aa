// SPDX-License-Identifier: GPL-2.0

//! `make bench`: the kfunc-rs variant of the benchmark kfunc.

use kernel::prelude::*;
use kfunc::prelude::*;

module! {
    type: BenchRs,
    name: "bench_rs",
    description: "kfunc-rs benchmark: a Rust kfunc",
    license: "GPL",
}

kfunc_set! {
    /// The benchmark kfunc, for syscall programs.
    pub static BENCH_RS: KfuncSet;

    /// `a + b` (wrapping, as C's unsigned addition).
    pub fn bench_add_rs(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
}

struct BenchRs;

impl kernel::Module for BenchRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        BENCH_RS.register(module, &[ProgType::SYSCALL])?;
        Ok(Self)
    }
}
