// SPDX-License-Identifier: GPL-2.0

//! An attribute belongs to the kfunc after it: none may end a set.
// expect: kfunc set `TRAILING`: attributes after its last kfunc

kfunc::kfunc_set! {
    pub static TRAILING: KfuncSet;

    /// A plain kfunc.
    pub fn rs_plain(x: u64) -> u64 {
        x
    }

    #[flags(ACQUIRE)]
}
