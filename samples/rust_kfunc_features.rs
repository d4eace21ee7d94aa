// SPDX-License-Identifier: GPL-2.0

//! The kfunc-rs features beyond the first sample, one kfunc each, with the
//! BPF programs that use them (samples/bpf/rust_kfunc_features*.bpf.c)
//! and the guest tests in which the verifier enforces them
//! (testing/guest/src/features.rs):
//!
//! - verifier annotations spelled as types: `Const` (`__k`), `Option`
//!   (`__nullable`), `&CStr` (`__str`), `Mem` (`__sz`), `MemK` (`__szk`);
//! - an open-coded iterator (`IterNew`/`IterMut`, `ITER_*`) and an
//!   iterator passed to another kfunc (`IterRef`, `__iter`);
//! - an implicit argument (`ProgAux`, `KF_IMPLICIT_ARGS`) and stack
//!   arguments (seven parameters), where the kernel has them: the
//!   `kfunc_flag`, `kfunc_suffix` and `kfunc_stack_args` cfgs come from the
//!   target kernel (rust/kfunc.mk);
//! - typed ksyms: a per-CPU variable and a plain one (`ksyms!`);
//! - one kfunc in two sets, a kfunc configured out with `#[cfg]`, and
//!   parameter names as BTF must have them (a raw identifier, a long list).

use core::ffi::CStr;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::task::Task;
use kfunc::prelude::*;

module! {
    type: RustKfuncFeatures,
    name: "rust_kfunc_features",
    description: "kfunc-rs features, one kfunc each",
    license: "GPL",
}

btf_struct! {
    /// The state of the `rs_range` iterator: the numbers from `next` up to
    /// `end` (exclusive).
    pub struct bpf_iter_rs_range {
        /// The next number.
        pub next: u64,
        /// The end of the range.
        pub end: u64,
        /// The number `next` handed out last.
        pub cur: u64,
    }
}

ksyms! {
    /// Calls of `rs_percpu_bump` on each CPU; BPF programs read it as
    /// `extern const u64 rs_percpu_calls __ksym;` with `bpf_this_cpu_ptr`.
    #[percpu]
    pub static rs_percpu_calls: AtomicU64 = AtomicU64::new(0);

    /// A constant BPF programs read as `extern const u64 rs_features_magic
    /// __ksym;`.
    pub static rs_features_magic: AtomicU64 = AtomicU64::new(0x6b66_756e_6373);
}

kfunc_set! {
    /// The features' kfuncs, for syscall programs.
    pub static FEATURE_KFUNCS: KfuncSet;

    /// `x * factor`, where `factor` must be a constant the verifier knows
    /// (BTF: `u32 factor__k`).
    pub fn rs_scale(x: u64, factor: Const<u32>) -> u64 {
        x.wrapping_mul(u64::from(factor.get()))
    }

    /// The pid of a trusted task, which must not be NULL (BTF: `struct
    /// task_struct *task`).
    pub fn rs_task_pid(task: &Task) -> i32 {
        task.pid()
    }

    /// The task's pid, or `fallback` if the program passes NULL (BTF:
    /// `struct task_struct *task__nullable`).
    pub fn rs_task_pid_or(task: Option<&Task>, fallback: i32) -> i32 {
        task.map_or(fallback, |t| t.pid())
    }

    /// The length of a constant string in a read-only map (BTF: `const
    /// char *s__str`).
    pub fn rs_strlen(s: &CStr) -> u32 {
        s.to_bytes().len() as u32
    }

    /// The sum of the bytes of the program's buffer (BTF: `void *mem, u32
    /// mem__sz`).
    pub fn rs_mem_sum(mem: Mem<'_>) -> u64 {
        (0..mem.len()).filter_map(|i| mem.byte(i)).map(u64::from).sum()
    }

    /// Fills the program's buffer, whose size must be a constant (BTF:
    /// `void *buf, u32 buf__szk`).
    pub fn rs_mem_fill(buf: MemK<'_>, value: u8) {
        buf.fill(value);
    }

    /// Starts iterating over `start..end` (`ITER_NEW`, from `IterNew`).
    pub fn bpf_iter_rs_range_new(it: IterNew<'_, bpf_iter_rs_range>, start: u64, end: u64) -> i32 {
        it.init(bpf_iter_rs_range { next: start, end, cur: 0 });
        0
    }

    /// The next number, or NULL at the end (`RET_NULL`, from the `Option`):
    /// a pointer into the program's iterator state.
    #[flags(ITER_NEXT)]
    pub fn bpf_iter_rs_range_next(it: IterMut<'_, bpf_iter_rs_range>) -> Option<IterPtr<u64>> {
        let mut it = it;
        if it.next >= it.end {
            return None;
        }
        it.cur = it.next;
        it.next += 1;
        Some(it.field_ptr(|s| &mut s.cur))
    }

    /// Ends an iteration.
    #[flags(ITER_DESTROY)]
    pub fn bpf_iter_rs_range_destroy(it: IterMut<'_, bpf_iter_rs_range>) {
        let mut it = it;
        it.next = it.end;
    }

    /// How many numbers the iterator has left (BTF: `struct
    /// bpf_iter_rs_range *it__iter`).
    pub fn rs_range_left(it: IterRef<'_, bpf_iter_rs_range>) -> u64 {
        it.end.saturating_sub(it.next)
    }

    /// `x + 1` if the verifier passed the program's aux: programs call
    /// `rs_aux_seen(x)`, the kfunc gets `aux` too (`KF_IMPLICIT_ARGS`,
    /// where the kernel has it).
    #[cfg(kfunc_flag = "IMPLICIT_ARGS")]
    pub fn rs_aux_seen(x: u32, aux: ProgAux<'_>) -> u32 {
        x + u32::from(!aux.as_ptr().is_null())
    }

    /// The sum of seven numbers: the last two come on the stack (where the
    /// kernel and its JIT pass kfunc arguments on the stack).
    #[cfg(kfunc_stack_args)]
    pub fn rs_sum7(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
        [a, b, c, d, e, f, g].iter().fold(0, |s, v| s.wrapping_add(*v))
    }

    /// Counts a call in this CPU's `rs_percpu_calls` and returns the count.
    pub fn rs_percpu_bump() -> u64 {
        // SAFETY: BPF programs run with migration disabled, so this CPU's
        // copy stays this CPU's for the call; it is an atomic, so a
        // program on this CPU interrupting the call (an NMI) is harmless.
        let calls = unsafe { &*rs_percpu_calls.this_cpu_ptr() };
        calls.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Configured out: neither in the module, its set nor its BTF.
    #[cfg(any())]
    pub fn rs_configured_out() {}

    /// Reads the plain ksym (keeps it used).
    pub fn rs_magic() -> u64 {
        rs_features_magic.load(Ordering::Relaxed)
    }

    /// The sum of its parameters, whose names reach BTF as written: a raw
    /// identifier (`r#type` is C's `type`), and names long enough for
    /// `stringify!` to break the line of their list. In the build: both of
    /// its `#[cfg]`s hold.
    #[cfg(CONFIG_BPF_SYSCALL)]
    #[cfg(not(any()))]
    pub fn rs_param_names(
        r#type: u32,
        the_first_of_three_long_parameter_names: u32,
        the_second_of_three_long_parameter_names: u32,
        the_third_of_three_long_parameter_names: u32,
    ) -> u32 {
        r#type
            .wrapping_add(the_first_of_three_long_parameter_names)
            .wrapping_add(the_second_of_three_long_parameter_names)
            .wrapping_add(the_third_of_three_long_parameter_names)
    }

    /// Configured out by the second of its two `#[cfg]`s.
    #[cfg(CONFIG_BPF_SYSCALL)]
    #[cfg(any())]
    pub fn rs_configured_out_too() {}
}

kfunc_set! {
    /// `rs_scale` again, for tc programs: one kfunc in two sets.
    pub static TC_KFUNCS: KfuncSet;

    fn rs_scale;

    /// Configured out here too.
    #[cfg(any())]
    fn rs_configured_out;
}

struct RustKfuncFeatures;

impl kernel::Module for RustKfuncFeatures {
    fn init(module: &'static ThisModule) -> Result<Self> {
        FEATURE_KFUNCS.register(module, &[ProgType::SYSCALL])?;
        TC_KFUNCS.register(module, &[ProgType::SCHED_CLS])?;
        pr_info!(
            "registered {} kfuncs for syscall programs, {} for tc\n",
            FEATURE_KFUNCS.len(),
            TC_KFUNCS.len()
        );
        Ok(Self)
    }
}
