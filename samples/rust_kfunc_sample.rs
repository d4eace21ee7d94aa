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

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::bindings::{self, task_struct};
use kernel::prelude::*;
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
    pub struct rs_counter {
        /// The count, updated by `rs_counter_add`.
        pub value: u64,
        /// The counter's index.
        pub id: u32,
        /// References held by BPF programs.
        pub refs: u32,
    }
}

/// The module's counters, updated only through atomic accesses.
struct Counters([UnsafeCell<rs_counter>; NR_COUNTERS as usize]);

// SAFETY: every access to a counter's fields after initialization is atomic.
unsafe impl Sync for Counters {}

static COUNTERS: Counters = Counters({
    let mut i = 0;
    let mut c = [const { UnsafeCell::new(rs_counter { value: 0, id: 0, refs: 0 }) }; NR_COUNTERS as usize];
    while i < c.len() {
        c[i] = UnsafeCell::new(rs_counter { value: 0, id: i as u32, refs: 0 });
        i += 1;
    }
    c
});

/// The `refs` field of `counter`, atomically.
///
/// # Safety
///
/// `counter` must point to one of `COUNTERS`.
unsafe fn refs<'a>(counter: *mut rs_counter) -> &'a AtomicU32 {
    // SAFETY: `counter` is a counter of `COUNTERS` (a static), whose fields
    // are only accessed atomically.
    unsafe { AtomicU32::from_ptr(&raw mut (*counter).refs) }
}

kfunc_set! {
    /// The kfuncs of this sample.
    pub static SAMPLE_KFUNCS: KfuncSet = filter(sample_filter);

    /// Finds the task with the given pid in the caller's pid namespace and
    /// takes a reference to it; `rs_task_release` drops it.
    #[flags(ACQUIRE | RET_NULL)]
    pub fn rs_task_acquire(pid: i32) -> *mut task_struct {
        // SAFETY: `find_get_pid` takes no pointer; it returns a counted
        // reference or NULL.
        let pid = unsafe { bindings::find_get_pid(pid) };
        if pid.is_null() {
            return core::ptr::null_mut();
        }
        // SAFETY: `pid` is a valid counted reference, dropped right after.
        let task = unsafe { bindings::get_pid_task(pid, bindings::pid_type_PIDTYPE_PID) };
        // SAFETY: we own the reference `find_get_pid` took.
        unsafe { bindings::put_pid(pid) };
        task
    }

    /// Drops the task reference taken by `rs_task_acquire`.
    #[flags(RELEASE)]
    pub fn rs_task_release(task: *mut task_struct) {
        // SAFETY: the verifier only passes a reference that a program
        // acquired and now gives up.
        unsafe { bindings::put_task_struct(task) };
    }

    /// Zeroes the first `mem__sz` bytes at `mem`.
    pub fn rs_memzero(mem: *mut u8, mem__sz: u32) {
        // SAFETY: the verifier checked that `mem` points to `mem__sz`
        // writable bytes of the program's memory.
        unsafe { core::ptr::write_bytes(mem, 0, mem__sz as usize) };
    }

    /// Takes a reference to counter `id`, or returns NULL if there is none.
    #[flags(ACQUIRE | RET_NULL)]
    pub fn rs_counter_acquire(id: u32) -> *mut rs_counter {
        if id >= NR_COUNTERS {
            return core::ptr::null_mut();
        }
        let counter = COUNTERS.0[id as usize].get();
        // SAFETY: `counter` is one of `COUNTERS`.
        unsafe { refs(counter) }.fetch_add(1, Ordering::Relaxed);
        counter
    }

    /// Adds `delta` to the counter and returns its new value.
    pub fn rs_counter_add(counter: *mut rs_counter, delta: u64) -> u64 {
        // SAFETY: the verifier only passes a trusted pointer to an
        // `rs_counter`, and only this module makes those: one of `COUNTERS`.
        let value = unsafe { AtomicU64::from_ptr(&raw mut (*counter).value) };
        value.fetch_add(delta, Ordering::Relaxed) + delta
    }

    /// Drops a reference taken by `rs_counter_acquire`.
    #[flags(RELEASE)]
    pub fn rs_counter_release(counter: *mut rs_counter) {
        // SAFETY: as in `rs_counter_add`.
        unsafe { refs(counter) }.fetch_sub(1, Ordering::Relaxed);
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
            SAMPLE_KFUNCS.kfunc_names().len()
        );
        Ok(Self)
    }
}
