// SPDX-License-Identifier: GPL-2.0

//! Every member of a btf_struct! must have a BTF meaning.
// expect: `&'static str` has no BTF meaning

kfunc::btf_struct! {
    /// Holds a string slice.
    pub struct rs_bad_struct {
        /// Not a C type.
        pub name: &'static str,
    }
}
