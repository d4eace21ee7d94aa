// SPDX-License-Identifier: GPL-2.0

//! The kfunc-rs sample: the examples of Documentation/bpf/kfuncs.rst,
//! written in Rust and callable from BPF programs (samples/bpf/).
//!
//! - `rs_task_tgid`: read a trusted task that the program got from the
//!   kernel's own task kfuncs (`bpf_task_from_pid`, released with
//!   `bpf_task_release`: task references count `rcu_users`, which only the
//!   kernel can drop, so a module does not acquire tasks for programs);
//! - `rs_memzero`: zero a BPF program's memory, sized by `mem__sz`;
//! - `rs_counter_*`: take and return references to a module struct
//!   (`KF_ACQUIRE | KF_RET_NULL`, `KF_RELEASE`, from the types).
//!
//! The set is registered for tracing and syscall programs; its filter lets
//! only syscall programs and the tp_btf kind of tracing program use it
//! (registering for tracing opens the set to the whole tracing hook:
//! tracepoint, perf_event and LSM programs too).

use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::task::Task;
use kfunc::prelude::*;

module! {
    type: RustKfuncSample,
    name: "rust_kfunc_sample",
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
        /// Unused by the kfuncs; a pointer member makes the struct more
        /// than scalars, so that the verifier takes only the module's own
        /// counters where a `struct rs_counter *` is expected, never
        /// program memory (`BpfRefCounted`).
        pub owner: AtomicPtr<c_void>,
    }
}

/// The module's counters.
static COUNTERS: [rs_counter; NR_COUNTERS as usize] = {
    let mut c = [const {
        rs_counter {
            value: AtomicU64::new(0),
            id: AtomicU32::new(0),
            refs: AtomicU32::new(0),
            owner: AtomicPtr::new(core::ptr::null_mut()),
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

// SAFETY: `struct rs_counter` is this module's type: only its kfuncs
// acquire and release counters, all through `inc_ref`/`dec_ref`, and with
// its pointer member the verifier passes only trusted `rs_counter`
// pointers (the module's `COUNTERS`) as one.
unsafe impl BpfRefCounted for rs_counter {}

kfunc_set! {
    /// The kfuncs of this sample. Their bodies need no `unsafe`: the types
    /// say what the verifier checked, and imply the flags.
    pub static SAMPLE_KFUNCS: KfuncSet = filter(sample_filter);

    /// The thread group id of a trusted task.
    pub fn rs_task_tgid(task: &Task) -> i32 {
        task.tgid()
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

/// Allows the set to syscall programs and, of the programs of the tracing
/// hook, to tp_btf ones only (not fentry, fexit, iterators, tracepoint,
/// perf_event or LSM programs).
fn sample_filter(prog: &BpfProg, _kfunc: KfuncId) -> bool {
    prog.prog_type() == ProgType::SYSCALL
        || (prog.prog_type() == ProgType::TRACING
            && prog.expected_attach_type() == kfunc::bindings::bpf_attach_type::BPF_TRACE_RAW_TP)
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
