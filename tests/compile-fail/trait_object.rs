// SPDX-License-Identifier: GPL-2.0
//! A trait object has no BTF meaning.
// expect: rs_bad_dyn
// expect: dyn Send

use kernel::prelude::*;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a trait object.
    pub fn rs_bad_dyn(obj: &dyn Send) {
        let _ = obj;
    }
}

module! {
    type: M,
    name: "trait_object",
    authors: ["kfunc-rs developers"],
    description: "kfunc-rs compile-fail case",
    license: "GPL",
}
struct M;
impl kernel::Module for M {
    fn init(_m: &'static ThisModule) -> Result<Self> {
        Ok(M)
    }
}
