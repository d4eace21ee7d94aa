// SPDX-License-Identifier: GPL-2.0

//! A `fn name;` entry may not add flags that change what the verifier trusts, even where it is configured out.
// expect: kfunc `rs_value`: a `fn name;` entry may only add flags that do not change what the verifier trusts

kfunc::kfunc_set! {
    pub static FIRST: KfuncSet;

    /// A plain kfunc.
    pub fn rs_value(x: u64) -> u64 {
        x
    }
}

kfunc::kfunc_set! {
    pub static SECOND: KfuncSet;

    #[cfg(any())]
    #[flags(ACQUIRE)]
    fn rs_value;
}
