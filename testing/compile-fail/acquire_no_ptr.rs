// SPDX-License-Identifier: GPL-2.0

//! ACQUIRE without a pointer return type.
// expect: kfunc `rs_bad_acquire`: ACQUIRE needs a pointer return type (the acquired object)

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Acquires nothing.
    #[flags(ACQUIRE)]
    pub fn rs_bad_acquire(id: u32) -> u32 {
        id
    }
}
