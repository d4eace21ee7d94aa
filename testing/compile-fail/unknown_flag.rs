// SPDX-License-Identifier: GPL-2.0
//! A flag the target kernel does not have.
// expect: no associated function or constant named `ACQIURE` found for struct `KfuncFlags`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Misspelt flag.
    #[flags(ACQIURE)]
    pub fn rs_bad_flag(id: u32) -> u32 {
        id
    }
}
