// SPDX-License-Identifier: GPL-2.0

//! A task reference taken as `ARef<Task>`, which counts differently from
//! the kernel's task kfuncs.
// expect: `Task` references cannot cross the kfunc boundary as `ARef<Task>`

use kernel::task::Task;
use kfunc::prelude::ARef;

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Releases a task reference.
    pub fn rs_task_put(task: ARef<Task>) {
        drop(task);
    }
}
