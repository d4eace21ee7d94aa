// SPDX-License-Identifier: GPL-2.0

//! In a set with a `fn name;` entry too, a kfunc is still a `fn` or an `unsafe fn`.
// expect: kfunc `rs_async`: declare it `fn` or `unsafe fn`

kfunc::kfunc_set! {
    pub static FIRST: KfuncSet;

    /// A plain kfunc.
    pub fn rs_value(x: u64) -> u64 {
        x
    }
}

kfunc::kfunc_set! {
    pub static SECOND: KfuncSet;

    fn rs_value;

    /// Not callable by a BPF program.
    pub async fn rs_async(x: u64) -> u64 {
        x
    }
}
