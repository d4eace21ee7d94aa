// SPDX-License-Identifier: GPL-2.0

//! The kernel crate's items whose paths differ between the kernels kfunc-rs
//! supports, re-exported from one place. The `kfunc_kernel_*` cfgs come
//! from the target kernel's source tree (scripts/kfunc-rs-bindgen.sh writes
//! them; rust/kfunc.mk passes them to this crate and to its users), never
//! from version numbers.
//!
//! C headers: none; Rust: `rust/kernel/sync/aref.rs` (newer kernels) or
//! `rust/kernel/types.rs`, `rust/kernel/transmute.rs` or
//! `rust/kernel/types.rs`, and `rust/kernel/task.rs`.

#[cfg(kfunc_kernel_aref)]
pub use kernel::sync::aref::{ARef, AlwaysRefCounted};
#[cfg(not(kfunc_kernel_aref))]
pub use kernel::types::{ARef, AlwaysRefCounted};

#[cfg(kfunc_kernel_transmute)]
pub use kernel::transmute::{AsBytes, FromBytes};
#[cfg(not(kfunc_kernel_transmute))]
pub use kernel::types::{AsBytes, FromBytes};

/// `Task::tgid()` for kernels whose `Task` lacks it (the prelude brings it
/// in; where `Task` has it, the inherent method is the one called).
#[cfg(not(kfunc_kernel_task_tgid))]
pub trait TaskTgid {
    /// The thread group id: the pid of the thread group's leader.
    fn tgid(&self) -> kernel::bindings::pid_t;
}

#[cfg(not(kfunc_kernel_task_tgid))]
impl TaskTgid for kernel::task::Task {
    #[inline]
    fn tgid(&self) -> kernel::bindings::pid_t {
        self.group_leader().pid()
    }
}

/// The current CPU, like C's `raw_smp_processor_id()`: the kernel crate's
/// binding of it where the kernel has one.
#[cfg(kfunc_kernel_smp_id)]
#[inline(always)]
pub(crate) fn this_cpu() -> u32 {
    // SAFETY: reads the current CPU's number; no requirement.
    unsafe { kernel::bindings::raw_smp_processor_id() as u32 }
}

/// The current CPU, where the kernel crate has no binding of
/// `raw_smp_processor_id()`: on x86-64, `cpu_number` of this CPU's
/// `pcpu_hot` read through `%gs`, as the C macro does.
#[cfg(all(not(kfunc_kernel_smp_id), target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn this_cpu() -> u32 {
    let cpu: u32;
    // SAFETY: `%gs` is the per-CPU segment in the kernel; `pcpu_hot` is an
    // exported per-CPU variable, and `cpu_number` its field at the offset
    // bindgen gives (in its anonymous union and struct); a 32-bit read of
    // it has no side effect.
    unsafe {
        core::arch::asm!(
            "mov {cpu:e}, dword ptr gs:[{base} + {off}]",
            cpu = out(reg) cpu,
            base = sym pcpu_hot,
            off = const core::mem::offset_of!(kernel::bindings::pcpu_hot, __bindgen_anon_1.__bindgen_anon_1.cpu_number),
            options(nostack, readonly, preserves_flags)
        );
    }
    cpu
}

#[cfg(all(not(kfunc_kernel_smp_id), target_arch = "x86_64"))]
extern "C" {
    /// x86's per-CPU hot data (`arch/x86/include/asm/current.h`), only
    /// ever used for its (per-CPU) address.
    static pcpu_hot: u8;
}
