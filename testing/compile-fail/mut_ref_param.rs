// SPDX-License-Identifier: GPL-2.0

//! `&mut T` is unsound for a kfunc parameter: a program may pass the same pointer twice.
// expect: `&mut kernel::bindings::task_struct` cannot be a kfunc parameter
// expect: required by a bound in `rs_bad_mut::task`
// expect: a BPF program may pass aliasing pointers

use kernel::bindings::task_struct;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes an exclusive reference the verifier cannot promise.
    pub fn rs_bad_mut(task: &mut task_struct) -> i32 {
        task.pid
    }
}
