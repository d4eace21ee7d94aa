// SPDX-License-Identifier: GPL-2.0

//! An entry naming a kfunc of another set has no visibility or other keywords.
// expect: kfunc `rs_value`: an entry naming a kfunc of another set is `fn rs_value;`, with attributes only

kfunc::kfunc_set! {
    pub static FIRST: KfuncSet;

    /// A plain kfunc.
    pub fn rs_value(x: u64) -> u64 {
        x
    }
}

kfunc::kfunc_set! {
    pub static SECOND: KfuncSet;

    pub fn rs_value;
}
