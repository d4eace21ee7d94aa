// SPDX-License-Identifier: GPL-2.0
//! A slice has no C layout: the kfunc must not compile.
// expect: `&[u8]` has no BTF meaning, so it cannot cross the kfunc boundary
// expect: required by a bound in `rs_bad_slice::mem`

use kernel::prelude::*;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a slice.
    pub fn rs_bad_slice(mem: &[u8]) {
        let _ = mem;
    }
}

module! {
    type: M,
    name: "slice_param",
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
