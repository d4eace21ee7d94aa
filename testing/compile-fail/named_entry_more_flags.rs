// SPDX-License-Identifier: GPL-2.0

//! A `fn name;` entry adding flags where the kernel wants a kfunc's flags the same in every set.
// expect[kfunc_same_flags_in_every_set]: kfunc `rs_value`: this kernel's resolve_btfids wants a kfunc's flags the same in every set
// expect[!kfunc_same_flags_in_every_set]: this kernel lets a kfunc's flags differ between sets

#[cfg(not(kfunc_same_flags_in_every_set))]
core::compile_error!("this kernel lets a kfunc's flags differ between sets");

kfunc::kfunc_set! {
    pub static FIRST: KfuncSet;

    /// A plain kfunc.
    pub fn rs_value(x: u64) -> u64 {
        x
    }
}

kfunc::kfunc_set! {
    pub static SECOND: KfuncSet;

    #[flags(SLEEPABLE)]
    fn rs_value;
}
