// SPDX-License-Identifier: GPL-2.0

//! A reference argument kept beyond the call.
// expect: rs_keep
// expect: lifetime may not live long enough

use kernel::task::Task;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Returns the task as if it lived forever.
    pub fn rs_keep(task: &Task) -> &'static Task {
        task
    }
}
