// SPDX-License-Identifier: GPL-2.0

//! @NAME@: kfuncs for BPF programs, written in Rust with kfunc-rs.

use kernel::prelude::*;
use kfunc::prelude::*;

module! {
    type: Module,
    name: "@NAME@",
    description: "Rust kfuncs for BPF programs",
    license: "GPL",
}

kfunc_set! {
    /// The module's kfuncs.
    pub static KFUNCS: KfuncSet;

    /// `a + b`: BPF programs call it as `@NAME@_add(a, b)`.
    pub fn @NAME@_add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    /// Fills the program's buffer (`mem`, `mem__sz` bytes) with `value`.
    pub fn @NAME@_fill(mem: Mem<'_>, value: u8) {
        mem.fill(value);
    }
}

struct Module;

impl kernel::Module for Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        KFUNCS.register(module, &[ProgType::SYSCALL])?;
        Ok(Self)
    }
}
