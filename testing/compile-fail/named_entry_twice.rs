// SPDX-License-Identifier: GPL-2.0

//! A `fn name;` entry naming a kfunc its set already has.
// expect: kfunc set `TWICE`: kfunc `rs_once` is in it twice

kfunc::kfunc_set! {
    pub static TWICE: KfuncSet;

    /// A plain kfunc.
    pub fn rs_once(x: u64) -> u64 {
        x
    }

    fn rs_once;
}
