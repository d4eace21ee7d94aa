// SPDX-License-Identifier: GPL-2.0

//! A kfunc module that the tests build without the kfunc-rs BTF step: its
//! set cannot be resolved, and `register()` must say why instead of the
//! kernel's bare -EINVAL.

use kernel::prelude::*;
use kfunc::prelude::*;

module! {
    type: KfuncsWithoutBtf,
    name: "kfuncs_without_btf",
    description: "kfunc-rs module built without the BTF step",
    license: "GPL",
}

kfunc_set! {
    /// A set resolve_btfids cannot resolve.
    pub static NOBTF_KFUNCS: KfuncSet;

    /// Returns `x`.
    pub fn rs_nobtf_identity(x: u64) -> u64 {
        x
    }
}

struct KfuncsWithoutBtf;

impl kernel::Module for KfuncsWithoutBtf {
    fn init(module: &'static ThisModule) -> Result<Self> {
        NOBTF_KFUNCS.register(module, &[ProgType::SYSCALL])?;
        Ok(Self)
    }
}
