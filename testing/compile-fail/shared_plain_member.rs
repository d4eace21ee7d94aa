// SPDX-License-Identifier: GPL-2.0

//! A `#[shared]` struct may only have interior-mutable members.
// expect: the trait bound `u64: SharedField` is not satisfied

kfunc::btf_struct! {
    /// Claims to be shared, with a plain member.
    #[shared]
    pub struct rs_bad_shared {
        /// Neither atomic nor opaque.
        pub value: u64,
    }
}
