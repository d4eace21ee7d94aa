// SPDX-License-Identifier: GPL-2.0
//! Every member of a btf_struct! must have a BTF meaning.
// expect: `&'static str` has no BTF meaning, so it cannot cross the kfunc boundary

use kernel::prelude::*;

kfunc::btf_struct! {
    /// Holds a string slice.
    pub struct rs_bad_struct {
        /// Not a C type.
        pub name: &'static str,
    }
}

module! {
    type: M,
    name: "struct_member",
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
