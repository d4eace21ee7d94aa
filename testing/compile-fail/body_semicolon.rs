// SPDX-License-Identifier: GPL-2.0

//! A kfunc's body ends its entry: no `;` after it.
// expect: kfunc `rs_value`: no `;` after a kfunc's body

kfunc::kfunc_set! {
    pub static FIRST: KfuncSet;

    /// A plain kfunc.
    pub fn rs_value(x: u64) -> u64 {
        x
    };
}
