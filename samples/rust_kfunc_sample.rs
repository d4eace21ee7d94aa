// SPDX-License-Identifier: GPL-2.0

//! The kfunc-rs sample: the examples of Documentation/bpf/kfuncs.rst,
//! written in Rust and callable from BPF programs (samples/bpf/).
//!
//! - `rs_task_acquire` / `rs_task_release`: look a task up by pid, taking a
//!   reference (`KF_ACQUIRE | KF_RET_NULL`), and drop it (`KF_RELEASE`);
//! - `rs_memzero`: zero a BPF program's memory, sized by `mem__sz`;
//! - `rs_counter_*`: take and return pointers to a module struct.
//!
//! The set is registered for tracing and syscall programs; its filter lets
//! only the tp_btf kind of tracing program use it.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::task::Task;
use kfunc::prelude::*;

module! {
    type: RustKfuncSample,
    name: "rust_kfunc_sample",
    authors: ["kfunc-rs developers"],
    description: "Rust kfuncs callable from BPF programs",
    license: "GPL",
}

/// Number of counters `rs_counter_acquire` hands out.
const NR_COUNTERS: u32 = 4;

btf_struct! {
    /// A counter of this module, handed to BPF programs by reference.
    /// Every member is atomic (`#[shared]`), so kfuncs may take it as
    /// `&rs_counter` although programs and other CPUs use it meanwhile.
    #[shared]
    pub struct rs_counter {
        /// The count, updated by `rs_counter_add`.
        pub value: AtomicU64,
        /// The counter's index.
        pub id: AtomicU32,
        /// References held by BPF programs.
        pub refs: AtomicU32,
    }
}

/// The module's counters.
static COUNTERS: [rs_counter; NR_COUNTERS as usize] = {
    let mut c = [const {
        rs_counter {
            value: AtomicU64::new(0),
            id: AtomicU32::new(0),
            refs: AtomicU32::new(0),
        }
    }; NR_COUNTERS as usize];
    let mut i = 0;
    while i < c.len() {
        c[i].id = AtomicU32::new(i as u32);
        i += 1;
    }
    c
};

// SAFETY: the counters are statics: they outlive every reference, and
// `refs` only counts the references BPF programs hold.
unsafe impl AlwaysRefCounted for rs_counter {
    fn inc_ref(&self) {
        self.refs.fetch_add(1, Ordering::Relaxed);
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: `obj` is one of `COUNTERS`, always valid.
        unsafe { obj.as_ref() }.refs.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The task with the given pid in the caller's pid namespace, with a
/// reference.
fn task_by_pid(pid: i32) -> Option<ARef<Task>> {
    // SAFETY: `find_get_pid` takes no pointer; it returns a counted
    // reference or NULL.
    let pid = unsafe { bindings::find_get_pid(pid) };
    if pid.is_null() {
        return None;
    }
    // SAFETY: `pid` is a valid counted reference, dropped right after.
    let task = unsafe { bindings::get_pid_task(pid, bindings::pid_type_PIDTYPE_PID) };
    // SAFETY: we own the reference `find_get_pid` took.
    unsafe { bindings::put_pid(pid) };
    // SAFETY: `get_pid_task` returned NULL or a task with a reference that
    // is now ours; `Task` wraps `task_struct`.
    NonNull::new(task.cast::<Task>()).map(|t| unsafe { ARef::from_raw(t) })
}

kfunc_set! {
    /// The kfuncs of this sample. Their bodies need no `unsafe`: the types
    /// say what the verifier checked, and imply the flags.
    pub static SAMPLE_KFUNCS: KfuncSet = filter(sample_filter);

    /// Finds the task with the given pid in the caller's pid namespace and
    /// takes a reference to it (`ACQUIRE | RET_NULL`, from the return
    /// type); `rs_task_release` drops it.
    pub fn rs_task_acquire(pid: i32) -> Option<ARef<Task>> {
        task_by_pid(pid)
    }

    /// Drops the task reference taken by `rs_task_acquire` (`RELEASE`, from
    /// the `ARef` parameter).
    pub fn rs_task_release(task: ARef<Task>) {
        drop(task);
    }

    /// Zeroes the first `mem__sz` bytes at `mem`.
    pub fn rs_memzero(mem: Mem<'_>) {
        mem.fill(0);
    }

    /// Takes a reference to counter `id`, or returns NULL if there is none.
    pub fn rs_counter_acquire(id: u32) -> Option<ARef<rs_counter>> {
        COUNTERS.get(id as usize).map(ARef::from)
    }

    /// Adds `delta` to the counter and returns its new value.
    pub fn rs_counter_add(counter: &rs_counter, delta: u64) -> u64 {
        counter.value.fetch_add(delta, Ordering::Relaxed) + delta
    }

    /// Drops a reference taken by `rs_counter_acquire`.
    pub fn rs_counter_release(counter: ARef<rs_counter>) {
        drop(counter);
    }
}

/// Allows the set to syscall programs and, of the tracing programs, to
/// tp_btf ones only (not fentry, fexit or iterators).
fn sample_filter(prog: &BpfProg, _kfunc: KfuncId) -> bool {
    prog.prog_type() != ProgType::TRACING
        || prog.expected_attach_type() == kfunc::bindings::bpf_attach_type::BPF_TRACE_RAW_TP
}

struct RustKfuncSample;

impl kernel::Module for RustKfuncSample {
    fn init(module: &'static ThisModule) -> Result<Self> {
        SAMPLE_KFUNCS.register(module, &[ProgType::TRACING, ProgType::SYSCALL])?;
        pr_info!(
            "registered {} kfuncs for tracing and syscall programs\n",
            SAMPLE_KFUNCS.len()
        );
        Ok(Self)
    }
}
