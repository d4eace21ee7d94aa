// SPDX-License-Identifier: GPL-2.0

//! `&T` needs a `ByRef` type: a `task_struct` changes under the kfunc and has no `UnsafeCell` (use `&Task`).
// expect: a kfunc cannot hold a `&kernel::bindings::task_struct`: it may change under the kfunc and has no `UnsafeCell`
// expect: required by a bound in `rs_bad_ref::task`

use kernel::bindings::task_struct;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes a shared reference to a struct without interior mutability.
    pub fn rs_bad_ref(task: &task_struct) -> i32 {
        task.pid
    }
}
