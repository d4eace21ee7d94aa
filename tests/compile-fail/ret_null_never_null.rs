// SPDX-License-Identifier: GPL-2.0

//! RET_NULL on a return type that cannot be NULL contradicts the type.
// expect: kfunc `rs_bad_never_null`: RET_NULL contradicts its return type, which is never NULL; return an `Option`

use kernel::sync::aref::ARef;
use kernel::task::Task;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Returns its argument's reference, never NULL.
    #[flags(RET_NULL)]
    pub fn rs_bad_never_null(task: ARef<Task>) -> ARef<Task> {
        task
    }
}
