// SPDX-License-Identifier: GPL-2.0

//! A kfunc is a `fn` or an `unsafe fn`: BPF programs call it synchronously.
// expect: kfunc `rs_later`: declare it `fn` or `unsafe fn`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Would return a future.
    pub async fn rs_later(x: u64) -> u64 {
        x
    }
}
