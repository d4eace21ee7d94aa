// SPDX-License-Identifier: GPL-2.0

//! A Rust port, written with kfunc-rs, of the kernel's BPF selftest module
//! (tools/testing/selftests/bpf/test_kmods/bpf_testmod.c, or
//! bpf_testmod/ on older kernels): all of its kfuncs (88 on 7.3, 54 on
//! 6.12: each kfunc is `#[cfg(bpf_testmod_kfunc = "...")]`, cfgs that
//! testmod-cfgs.sh reads from the target kernel's own bpf_testmod.c), with
//! the same names, C signatures, parameter names, flags, sets and
//! program-type registrations, its kptr destructor, its per-CPU ksym
//! `bpf_testmod_ksym_percpu` and the types its kfuncs take. The guest runs
//! upstream's BPF programs, unchanged, against this module and against the
//! C one.
//!
//! Where the C parameter is an annotated pointer, the port uses the typed
//! spelling that gives the same BTF (`Option<...>` for `__nullable`,
//! `ArenaPtr` for `__arena`, `IterRef` for `__iter`, `&CStr` for `__str`,
//! `ProgAux` for the implicit `struct bpf_prog_aux *`), so the kernel's
//! own programs judge those spellings too.
//!
//! Not ported: the parts of bpf_testmod that are not kfuncs (struct_ops
//! types, tracepoints, fentry targets, sysfs files, uprobes). The kfuncs
//! that call into bpf_testmod's struct_ops (`bpf_testmod_ops3_call_test_*`,
//! `bpf_kfunc_st_ops_*`, `bpf_kfunc_multi_st_ops_test_1*`) behave as the C
//! ones do with no struct_ops map attached.
//!
//! `bpf_kfunc_call_test_release` lives in vmlinux (net/bpf/test_run.c), as
//! do `struct prog_test_ref_kfunc` and `struct prog_test_member`, which the
//! BTF step therefore takes from vmlinux.

use core::ffi::c_void;
use core::hint::black_box;
use core::ptr::null_mut;
use core::sync::atomic::Ordering;
use kernel::bindings::{
    self, __sk_buff, bpf_dynptr, callback_head, refcount_t, sk_buff, sk_buff_head, sock, socket,
    vm_area_struct,
};
use kernel::prelude::*;
use kernel::task::Task;
use kernel::types::Opaque;
use kfunc::prelude::*;

module! {
    type: BpfTestmodRs,
    name: "bpf_testmod_rs",
    description: "Rust port of bpf_testmod's kfuncs for the BPF selftests",
    license: "GPL",
}

kernel_types! {
    /// `struct sock_common` (include/net/sock.h), which `kernel::bindings`
    /// lacks.
    pub struct sock_common;
}

btf_struct! {
    /// `struct prog_test_member1` (vmlinux has the same).
    pub struct prog_test_member1 {
        /// The C member `a`.
        pub a: i32,
    }
}

btf_struct! {
    /// `struct prog_test_member` (vmlinux has the same).
    pub struct prog_test_member {
        /// The C member `m`.
        pub m: prog_test_member1,
        /// The C member `c`.
        pub c: i32,
    }
}

btf_struct! {
    /// `struct prog_test_ref_kfunc`, whose BTF the BTF step takes from
    /// vmlinux, where `bpf_kfunc_call_test_release` drops it.
    pub struct prog_test_ref_kfunc {
        /// The C member `a`.
        pub a: i32,
        /// The C member `b`.
        pub b: i32,
        /// The C member `memb`.
        pub memb: prog_test_member,
        /// The C member `next`.
        pub next: *mut prog_test_ref_kfunc,
        /// The C member `cnt`.
        pub cnt: refcount_t,
    }
}

btf_struct! {
    /// The innermost anonymous struct of `struct prog_test_pass1`.
    pub struct prog_test_pass1_x3 {
        /// The C member `x3`.
        pub x3: i32,
    }
}

btf_struct! {
    /// The second anonymous struct of `struct prog_test_pass1`.
    pub struct prog_test_pass1_x2 {
        /// The C member `x2`.
        pub x2: i32,
        /// The C member `inner`.
        pub inner: prog_test_pass1_x3,
    }
}

btf_struct! {
    /// The outer anonymous struct of `struct prog_test_pass1`.
    pub struct prog_test_pass1_x1 {
        /// The C member `x1`.
        pub x1: i32,
        /// The C member `inner`.
        pub inner: prog_test_pass1_x2,
    }
}

btf_struct! {
    /// `struct prog_test_pass1`: scalars in nested structs, passed by
    /// pointer to program memory.
    pub struct prog_test_pass1 {
        /// The C member `x0`.
        pub x0: i32,
        /// The C member `inner`.
        pub inner: prog_test_pass1_x1,
    }
}

btf_struct! {
    /// The anonymous `x` of `struct prog_test_pass2`.
    pub struct prog_test_pass2_x {
        /// The C member `arr2`.
        pub arr2: [i8; 4],
        /// The C member `arr3`.
        pub arr3: [u64; 8],
    }
}

btf_struct! {
    /// `struct prog_test_pass2`: arrays, passed by pointer.
    pub struct prog_test_pass2 {
        /// The C member `len`.
        pub len: i32,
        /// The C member `arr1`.
        pub arr1: [i16; 4],
        /// The C member `x`.
        pub x: prog_test_pass2_x,
    }
}

btf_struct! {
    /// `struct prog_test_fail1`: a pointer member, which kfuncs may not
    /// take in program memory.
    pub struct prog_test_fail1 {
        /// The C member `p`.
        pub p: *mut c_void,
        /// The C member `x`.
        pub x: i32,
    }
}

btf_struct! {
    /// `struct prog_test_fail2`.
    pub struct prog_test_fail2 {
        /// The C member `x8`.
        pub x8: i32,
        /// The C member `x`.
        pub x: prog_test_pass1,
    }
}

btf_struct! {
    /// `struct prog_test_fail3`: ends in a flexible array.
    pub struct prog_test_fail3 {
        /// The C member `len`.
        pub len: i32,
        /// The C member `arr1`.
        pub arr1: [i8; 2],
        /// The C flexible array member `arr2`.
        pub arr2: [i8; 0],
    }
}

btf_struct! {
    /// `struct prog_test_big_arg`, passed by value.
    #[derive(Clone, Copy)]
    pub struct prog_test_big_arg {
        /// The C member `a`.
        pub a: u64,
        /// The C member `b`.
        pub b: u64,
    }
}

btf_struct! {
    /// `struct bpf_iter_testmod_seq`: the state of the open-coded iterator
    /// `bpf_iter_testmod_seq_*`, on the program's stack.
    pub struct bpf_iter_testmod_seq {
        /// The value `next` hands out.
        pub value: i64,
        /// How many times `next` still hands it out.
        pub cnt: i32,
    }
}

btf_struct! {
    /// `struct init_sock_args`.
    pub struct init_sock_args {
        /// The C member `af`.
        pub af: i32,
        /// The C member `type`.
        pub r#type: i32,
    }
}

/// `sizeof(struct __kernel_sockaddr_storage)`.
const SOCKADDR_STORAGE: usize = core::mem::size_of::<bindings::__kernel_sockaddr_storage>();

btf_struct! {
    /// `struct addr_args`.
    pub struct addr_args {
        /// The C member `addr`.
        pub addr: [i8; SOCKADDR_STORAGE],
        /// The C member `addrlen`.
        pub addrlen: i32,
    }
}

btf_struct! {
    /// `struct sendmsg_args`.
    pub struct sendmsg_args {
        /// The C member `addr`.
        pub addr: addr_args,
        /// The C member `msg`.
        pub msg: [i8; 10],
        /// The C member `msglen`.
        pub msglen: i32,
    }
}

btf_struct! {
    /// `struct st_ops_args`.
    pub struct st_ops_args {
        /// The C member `a`.
        pub a: u64,
    }
}

btf_struct! {
    /// `struct bpf_testmod_ctx`: allocated by `bpf_testmod_ctx_create`,
    /// freed after an RCU grace period once its last reference is dropped.
    pub struct bpf_testmod_ctx {
        /// The C member `rcu`.
        pub rcu: callback_head,
        /// The C member `usage`.
        pub usage: refcount_t,
    }
}

ksyms! {
    /// `bpf_testmod_ksym_percpu`: 123 at load, then what
    /// `bpf_testmod_test_mod_kfunc` last stored on each CPU; programs read
    /// it as `extern const int bpf_testmod_ksym_percpu __ksym;`.
    #[percpu]
    pub static bpf_testmod_ksym_percpu: i32 = 123;
}

/// A `static` the kfuncs hand out and programs read through.
struct Shared<T>(Opaque<T>);

// SAFETY: BPF programs and kfuncs access the contents as the C module's
// static is accessed: refcounts atomically, the rest without ordering
// guarantees, which is what the selftests expect.
unsafe impl Sync for Shared<prog_test_ref_kfunc> {}
// SAFETY: as above.
unsafe impl Sync for Shared<prog_test_member> {}

/// `prog_test_struct` of the C module: a=42, b=108, next=itself, cnt=1.
static PROG_TEST_STRUCT: Shared<prog_test_ref_kfunc> = Shared(Opaque::new(prog_test_ref_kfunc {
    a: 42,
    b: 108,
    memb: prog_test_member {
        m: prog_test_member1 { a: 0 },
        c: 0,
    },
    next: PROG_TEST_STRUCT.0.get(),
    cnt: refcount_t {
        refs: bindings::atomic_t { counter: 1 },
    },
}));

/// `trusted_ptr` of the C module.
#[cfg(bpf_testmod_kfunc = "bpf_kfunc_get_default_trusted_ptr_test")]
static TRUSTED_PTR: Shared<prog_test_member> = Shared(Opaque::new(prog_test_member {
    m: prog_test_member1 { a: 0 },
    c: 0,
}));

/// The refcount of a `prog_test_ref_kfunc`.
///
/// # Safety
///
/// `p` must point to a live `prog_test_ref_kfunc`.
unsafe fn ref_count(p: *mut prog_test_ref_kfunc) -> *mut refcount_t {
    // SAFETY: the caller guarantees `p` is live.
    unsafe { &raw mut (*p).cnt }
}

/// Like C's `WARN_ON(1)` in the kfuncs that must never run: a warning with
/// a backtrace where the kernel crate has `warn_on!`, an error line
/// otherwise.
macro_rules! never_runs {
    () => {{
        #[cfg(kfunc_kernel_warn_on)]
        kernel::warn_on!(true);
        #[cfg(not(kfunc_kernel_warn_on))]
        pr_err!("bpf_testmod_rs: a kfunc the verifier should never call ran\n");
    }};
}

/// Both `get_mem` kfuncs: the struct itself as `size` bytes of ints, if
/// it is that large.
fn test_get_mem(p: *mut prog_test_ref_kfunc, size: i32) -> *mut i32 {
    if i64::from(size) > 2 * core::mem::size_of::<i32>() as i64 {
        return null_mut();
    }
    p.cast()
}

/// RCU callback freeing a `bpf_testmod_ctx`.
///
/// # Safety
///
/// `head` must be the `rcu` member of a context allocated by
/// `bpf_testmod_ctx_create` whose last reference is gone.
unsafe extern "C" fn testmod_free_cb(head: *mut callback_head) {
    // SAFETY: `head` is the `rcu` member, at offset 0, of a context that
    // `bpf_testmod_ctx_create` allocated with `KBox`.
    drop(unsafe { KBox::from_raw(head.cast::<bpf_testmod_ctx>()) });
}

/// The struct_ops maps of bpf_testmod this port has no struct_ops for
/// (`st_ops3`, `st_ops` of the C module): never set, so the kfuncs that
/// call into them find none, as the C ones do before a map is attached.
#[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_1")]
static ST_OPS3: core::sync::atomic::AtomicPtr<c_void> =
    core::sync::atomic::AtomicPtr::new(null_mut());

kfunc_set! {
    /// `bpf_testmod_common_kfunc_ids`, registered for every program type.
    pub static COMMON_KFUNCS: KfuncSet;

    /// Starts an iteration handing out `value` `cnt` times; `cnt < 0` is
    /// an error, after which `next` hands out nothing.
    #[cfg(bpf_testmod_kfunc = "bpf_iter_testmod_seq_new")]
    pub fn bpf_iter_testmod_seq_new(it: IterNew<'_, bpf_iter_testmod_seq>, value: i64, cnt: i32) -> i32 {
        it.init(bpf_iter_testmod_seq { value: if cnt < 0 { 0 } else { value }, cnt });
        if cnt < 0 {
            return EINVAL.to_errno();
        }
        0
    }

    /// The next value, or NULL at the end (`RET_NULL`, from the `Option`).
    #[cfg(bpf_testmod_kfunc = "bpf_iter_testmod_seq_next")]
    #[flags(ITER_NEXT)]
    pub fn bpf_iter_testmod_seq_next(it: IterMut<'_, bpf_iter_testmod_seq>) -> Option<IterPtr<i64>> {
        let mut it = it;
        if it.cnt <= 0 {
            return None;
        }
        it.cnt -= 1;
        Some(it.field_ptr(|s| &mut s.value))
    }

    /// `val` plus the iterator's value, or 0 if the iterator failed to
    /// start (`it__iter`: another kfunc's iterator, read only).
    #[cfg(bpf_testmod_kfunc = "bpf_iter_testmod_seq_value")]
    pub fn bpf_iter_testmod_seq_value(val: i32, it: IterRef<'_, bpf_iter_testmod_seq>) -> i64 {
        if it.cnt < 0 {
            return 0;
        }
        i64::from(val) + it.value
    }

    /// Ends an iteration.
    #[cfg(bpf_testmod_kfunc = "bpf_iter_testmod_seq_destroy")]
    #[flags(ITER_DESTROY)]
    pub fn bpf_iter_testmod_seq_destroy(it: IterMut<'_, bpf_iter_testmod_seq>) {
        let mut it = it;
        it.cnt = 0;
    }

    /// Does nothing (a kprobe target, and a kfunc callable everywhere).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_common_test")]
    pub fn bpf_kfunc_common_test() {}

    /// Increments the arena value and returns its old value (0 if the
    /// arena page is not there).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_arena_arg_test")]
    pub fn bpf_kfunc_arena_arg_test(val: ArenaPtr<u64>) -> u64 {
        let Ok(old) = val.read() else { return 0 };
        val.write(old.wrapping_add(1));
        old
    }

    /// The arena pointer's (kernel) address.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_arena_cap_test")]
    pub fn bpf_kfunc_arena_cap_test(val: ArenaPtr<u64>) -> u64 {
        val.as_ptr() as u64
    }

    /// The arena pointer's (kernel) address, or 0 for NULL.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_arena_cap_nullable_test")]
    pub fn bpf_kfunc_arena_cap_nullable_test(val: Option<ArenaPtr<u64>>) -> u64 {
        val.map_or(0, |v| v.as_ptr() as u64)
    }

    /// The sum of five arena values, the last one nullable.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_arena_args5_test")]
    pub fn bpf_kfunc_arena_args5_test(
        a: ArenaPtr<u64>,
        b: ArenaPtr<u64>,
        c: ArenaPtr<u64>,
        d: ArenaPtr<u64>,
        e: Option<ArenaPtr<u64>>,
    ) -> u64 {
        [Some(a), Some(b), Some(c), Some(d), e]
            .iter()
            .flatten()
            .fold(0u64, |sum, v| sum.wrapping_add(v.read().unwrap_or(0)))
    }

    /// Five scalars and an arena value, the last passed on the stack.
    /// Must never run: the verifier refuses arena pointers on the stack,
    /// which is also why `f__arena` cannot be an `ArenaPtr` here.
    ///
    /// # Safety
    ///
    /// Never called (the verifier rejects every call); `f__arena` is not
    /// dereferenced.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_arena_stack_arg_test")]
    pub unsafe fn bpf_kfunc_arena_stack_arg_test(
        a: u64,
        b: u64,
        c: u64,
        d: u64,
        e: u64,
        f__arena: *mut u64,
    ) -> u64 {
        let _ = f__arena;
        never_runs!();
        a.wrapping_add(b).wrapping_add(c).wrapping_add(d).wrapping_add(e)
    }

    /// An arena value plus a nullable one.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_arena_mixed_test")]
    pub fn bpf_kfunc_arena_mixed_test(a: ArenaPtr<u64>, b: Option<ArenaPtr<u64>>) -> u64 {
        let b = b.map_or(Ok(0), |b| b.read());
        a.read().unwrap_or(0).wrapping_add(b.unwrap_or(0))
    }

    /// Accepts `mem__sz` bytes at `mem` (C's `int` size, so the plain
    /// spelling).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_mem_len_pass1")]
    pub fn bpf_kfunc_call_test_mem_len_pass1(mem: *mut c_void, mem__sz: i32) {
        let _ = (mem, mem__sz);
    }

    /// Takes a dynptr and a nullable one (`ptr__nullable` is C's name for
    /// both, so the plain spelling).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_dynptr_test")]
    pub fn bpf_kfunc_dynptr_test(ptr: *mut bpf_dynptr, ptr__nullable: *mut bpf_dynptr) {
        let _ = (ptr, ptr__nullable);
    }

    /// Acquires from an `sk_buff_head` (a struct at a non-zero offset of a
    /// socket); returns NULL, as C does.
    ///
    /// # Safety
    ///
    /// Returns NULL, which the verifier makes programs check.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_nested_acquire_nonzero_offset_test")]
    #[flags(ACQUIRE)]
    pub unsafe fn bpf_kfunc_nested_acquire_nonzero_offset_test(ptr: *mut sk_buff_head) -> *mut sk_buff {
        let _ = ptr;
        null_mut()
    }

    /// Acquires from a `sock_common` (at offset 0 of a socket); returns
    /// NULL, as C does.
    ///
    /// # Safety
    ///
    /// Returns NULL, which the verifier makes programs check.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_nested_acquire_zero_offset_test")]
    #[flags(ACQUIRE)]
    pub unsafe fn bpf_kfunc_nested_acquire_zero_offset_test(ptr: *mut sock_common) -> *mut sk_buff {
        let _ = ptr;
        null_mut()
    }

    /// The release pair of the two above.
    ///
    /// # Safety
    ///
    /// Does not touch the reference (none is ever acquired: the acquire kfuncs return NULL).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_nested_release_test")]
    #[flags(RELEASE)]
    pub unsafe fn bpf_kfunc_nested_release_test(ptr: *mut sk_buff) {
        let _ = ptr;
    }

    /// Takes a trusted `vm_area_struct`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_trusted_vma_test")]
    #[flags(TRUSTED_ARGS)]
    pub fn bpf_kfunc_trusted_vma_test(ptr: *mut vm_area_struct) {
        let _ = ptr;
    }

    /// Takes a trusted task.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_trusted_task_test")]
    #[flags(TRUSTED_ARGS)]
    pub fn bpf_kfunc_trusted_task_test(ptr: &Task) {
        let _ = ptr;
    }

    /// Takes a trusted pointer to an int.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_trusted_num_test")]
    #[flags(TRUSTED_ARGS)]
    pub fn bpf_kfunc_trusted_num_test(ptr: *mut i32) {
        let _ = ptr;
    }

    /// Takes an RCU-protected (or trusted) task.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_rcu_task_test")]
    #[flags(RCU)]
    pub fn bpf_kfunc_rcu_task_test(ptr: &Task) {
        let _ = ptr;
    }

    /// Returns an RCU-protected task: none.
    ///
    /// # Safety
    ///
    /// Returns NULL.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_ret_rcu_test")]
    #[flags(RCU_PROTECTED)]
    pub unsafe fn bpf_kfunc_ret_rcu_test() -> Option<core::ptr::NonNull<bindings::task_struct>> {
        None
    }

    /// Returns RCU-protected memory: none.
    ///
    /// # Safety
    ///
    /// Returns NULL.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_ret_rcu_test_nostruct")]
    #[flags(RET_NULL | RCU_PROTECTED)]
    pub unsafe fn bpf_kfunc_ret_rcu_test_nostruct(rdonly_buf_size: i32) -> *mut i32 {
        let _ = rdonly_buf_size;
        null_mut()
    }

    /// Allocates a context with one reference; on failure stores -ENOMEM
    /// in `*err` and returns NULL.
    ///
    /// # Safety
    ///
    /// The result carries one reference, dropped by `bpf_testmod_ctx_release` (or the kptr
    /// destructor); `err` is an int the verifier checked.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ctx_create")]
    #[flags(ACQUIRE | RET_NULL)]
    pub unsafe fn bpf_testmod_ctx_create(err: *mut i32) -> *mut bpf_testmod_ctx {
        let ctx = bpf_testmod_ctx {
            rcu: callback_head {
                next: null_mut(),
                func: None,
            },
            usage: refcount_t {
                refs: bindings::atomic_t { counter: 1 },
            },
        };
        match KBox::new(ctx, GFP_ATOMIC) {
            Ok(b) => KBox::into_raw(b),
            Err(_) => {
                // SAFETY: the verifier checked that `err` points to an int.
                unsafe { *err = ENOMEM.to_errno() };
                null_mut()
            }
        }
    }

    /// Drops a reference to a context, freeing it after an RCU grace
    /// period when it was the last.
    ///
    /// # Safety
    ///
    /// `ctx` is a context the program holds a reference to, from `bpf_testmod_ctx_create`.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ctx_release")]
    #[flags(RELEASE)]
    pub unsafe fn bpf_testmod_ctx_release(ctx: *mut bpf_testmod_ctx) {
        if ctx.is_null() {
            return;
        }
        // SAFETY: the verifier passes a context the program holds a
        // reference to, so it is live.
        if unsafe { bindings::refcount_dec_and_test(&raw mut (*ctx).usage) } {
            // SAFETY: the last reference is gone; `rcu` is the context's
            // own callback head and the callback frees the context.
            unsafe { bindings::call_rcu(&raw mut (*ctx).rcu, Some(testmod_free_cb)) };
        }
    }

    /// Calls `test_1` of the attached `bpf_testmod_ops3`: there is none.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_1")]
    pub fn bpf_testmod_ops3_call_test_1() {
        let _ = ST_OPS3.load(Ordering::Acquire);
    }

    /// Calls `test_2` of the attached `bpf_testmod_ops3`: there is none.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_2")]
    pub fn bpf_testmod_ops3_call_test_2() {
        let _ = ST_OPS3.load(Ordering::Acquire);
    }

    /// Calls `test_arena` of the attached `bpf_testmod_ops3`: none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_arena")]
    pub fn bpf_testmod_ops3_call_test_arena(ptr: ArenaPtr<u64>) -> i32 {
        let _ = (ptr, ST_OPS3.load(Ordering::Acquire));
        -1
    }

    /// Calls `test_arena_nullable` of the attached `bpf_testmod_ops3`:
    /// none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_arena_nullable")]
    pub fn bpf_testmod_ops3_call_test_arena_nullable(ptr: Option<ArenaPtr<u64>>) -> i32 {
        let _ = (ptr, ST_OPS3.load(Ordering::Acquire));
        -1
    }

    /// Calls `test_arena_stack` of the attached `bpf_testmod_ops3`: none,
    /// -1.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_arena_stack")]
    pub fn bpf_testmod_ops3_call_test_arena_stack(ptr: ArenaPtr<u64>) -> i32 {
        let _ = (ptr, ST_OPS3.load(Ordering::Acquire));
        -1
    }

    /// Calls `test_arena_multislot` of the attached `bpf_testmod_ops3`:
    /// none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_ops3_call_test_arena_multislot")]
    pub fn bpf_testmod_ops3_call_test_arena_multislot(ptr: ArenaPtr<u64>) -> i32 {
        let _ = (ptr, ST_OPS3.load(Ordering::Acquire));
        -1
    }

    /// Returns the module's `trusted_ptr`, trusted by default.
    ///
    /// # Safety
    ///
    /// Returns the module's static, valid for as long as the module is loaded.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_get_default_trusted_ptr_test")]
    pub unsafe fn bpf_kfunc_get_default_trusted_ptr_test() -> *mut prog_test_member {
        TRUSTED_PTR.0.get()
    }

    /// Takes a `prog_test_member` (no release semantics).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_put_default_trusted_ptr_test")]
    pub fn bpf_kfunc_put_default_trusted_ptr_test(trusted_ptr: *mut prog_test_member) {
        let _ = trusted_ptr;
    }
}

kfunc_dtors! {
    /// Destructors of the kptr types (`BTF_ID_LIST(bpf_testmod_dtor_ids)`).
    pub static TESTMOD_DTORS: KfuncDtors;

    /// Releases a context a program left in a map.
    bpf_testmod_ctx => pub fn bpf_testmod_ctx_release_dtor(ctx: *mut c_void) {
        // SAFETY: the kernel calls a kptr's destructor with the kptr, a
        // `bpf_testmod_ctx` holding a reference.
        unsafe { bpf_testmod_ctx_release(ctx.cast()) };
    }
}

/// What `bpf_kfunc_call_test_call_rcu_tasks_trace` hands the callback.
#[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_call_rcu_tasks_trace")]
#[repr(C)]
struct RcuTasksTraceData {
    rcu: callback_head,
    done: *mut i32,
}

/// Sets `*done` once an RCU Tasks Trace grace period has passed.
///
/// # Safety
///
/// `head` must be the `rcu` member of an `RcuTasksTraceData` allocated by
/// `bpf_kfunc_call_test_call_rcu_tasks_trace`.
#[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_call_rcu_tasks_trace")]
unsafe extern "C" fn rcu_tasks_trace_cb(head: *mut callback_head) {
    // SAFETY: `rcu` is at offset 0 of the `KBox`ed data.
    let data = unsafe { KBox::from_raw(head.cast::<RcuTasksTraceData>()) };
    // SAFETY: `done` points to the program's map value, which the map
    // keeps until after this grace period (the selftest polls it).
    unsafe { data.done.write_volatile(1) };
}

// Exported by the kernel, not covered by `kernel::bindings`.
unsafe extern "C" {
    fn bpf_fentry_test1(a: i32) -> i32;
    fn sock_set_sndtimeo(sk: *mut sock, secs: i64);
}

/// `IPPROTO_TCP` and `IPPROTO_UDP` of include/uapi/linux/in.h (an
/// anonymous enum, which not every kernel's bindings carry).
const IPPROTO_TCP: i32 = 6;
const IPPROTO_UDP: i32 = 17;

/// How long `kernel_connect()` may take on the module's socket.
const CONNECT_TIMEOUT_SEC: i64 = 1;

/// The socket of the socket kfuncs (`sock` of the C module) and the kernel
/// mutex that guards it (`sock_lock`), in a static as in C.
///
/// # Invariants
///
/// `mutex` is initialized (by [`SockLock::init`]) before any kfunc runs, and
/// `sock` is only used while holding it.
struct SockLock {
    mutex: Opaque<bindings::mutex>,
    sock: core::cell::UnsafeCell<*mut socket>,
}

// SAFETY: `sock` is only used under `mutex` (the invariants).
unsafe impl Sync for SockLock {}

/// A lock class key in a static, for lockdep.
struct LockClassKey(Opaque<bindings::lock_class_key>);

// SAFETY: only the kernel's lockdep uses the key, by address.
unsafe impl Sync for LockClassKey {}

/// The lock class of `SOCK_LOCK`.
static SOCK_LOCK_KEY: LockClassKey = LockClassKey(Opaque::uninit());

static SOCK_LOCK: SockLock = SockLock {
    mutex: Opaque::uninit(),
    sock: core::cell::UnsafeCell::new(null_mut()),
};

impl SockLock {
    /// Initializes the mutex.
    ///
    /// # Safety
    ///
    /// Called once, before any other use.
    unsafe fn init(&self) {
        // INVARIANT: the mutex is initialized before the kfunc sets are
        // registered, so before any kfunc runs.
        // SAFETY: a static mutex and lock class key, initialized once.
        unsafe {
            bindings::__mutex_init(
                self.mutex.get(),
                c"SOCK_LOCK".to_bytes_with_nul().as_ptr().cast(),
                SOCK_LOCK_KEY.0.get(),
            )
        };
    }

    /// Locks the mutex (sleeping); the guard unlocks it.
    fn lock(&self) -> SockGuard<'_> {
        // SAFETY: initialized (the invariants); the guard unlocks it.
        unsafe { bindings::mutex_lock(self.mutex.get()) };
        SockGuard(self)
    }
}

/// The locked `SOCK_LOCK`: the socket is the guard's to use.
struct SockGuard<'a>(&'a SockLock);

impl core::ops::Deref for SockGuard<'_> {
    type Target = *mut socket;

    fn deref(&self) -> &*mut socket {
        // SAFETY: the mutex is held for the guard's life.
        unsafe { &*self.0.sock.get() }
    }
}

impl core::ops::DerefMut for SockGuard<'_> {
    fn deref_mut(&mut self) -> &mut *mut socket {
        // SAFETY: the mutex is held for the guard's life.
        unsafe { &mut *self.0.sock.get() }
    }
}

impl Drop for SockGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: locked by `SockLock::lock` for this guard.
        unsafe { bindings::mutex_unlock(self.0.mutex.get()) };
    }
}

/// Runs `f` on the socket, or returns -EPERM if there is none.
fn with_sock(func: &str, f: impl FnOnce(*mut socket) -> i32) -> i32 {
    let guard = SOCK_LOCK.lock();
    if guard.is_null() {
        pr_err!("{} called without initializing sock", func);
        return EPERM.to_errno();
    }
    f(*guard)
}

/// Sends `args->msg` to `args->addr` with `send`, as both sendmsg kfuncs do.
fn sendmsg(
    args: *mut sendmsg_args,
    name: &str,
    send: fn(*mut socket, &mut bindings::msghdr, &mut bindings::kvec, usize) -> i32,
) -> i32 {
    // SAFETY: the verifier checked that `args` points to a `sendmsg_args`.
    let args = unsafe { &mut *args };
    if args.addr.addrlen as usize > SOCKADDR_STORAGE || args.msglen as usize > args.msg.len() {
        return EINVAL.to_errno();
    }
    // SAFETY: all-zero is a valid `msghdr` (no iterator, no name).
    let mut msg: bindings::msghdr = unsafe { core::mem::zeroed() };
    msg.msg_name = args.addr.addr.as_mut_ptr().cast();
    msg.msg_namelen = args.addr.addrlen;
    let mut iov = bindings::kvec {
        iov_base: args.msg.as_mut_ptr().cast(),
        iov_len: args.msglen as usize,
    };
    let len = args.msglen as usize;
    let err = with_sock(name, |sock| send(sock, &mut msg, &mut iov, len));
    args.addr.addrlen = msg.msg_namelen;
    err
}

kfunc_set! {
    /// `bpf_testmod_check_kfunc_ids`, registered for tc, tracing, syscall
    /// and struct_ops programs.
    pub static CHECK_KFUNCS: KfuncSet;

    /// Stores `i` in this CPU's `bpf_testmod_ksym_percpu`; allowed while
    /// the program holds a BPF spin lock.
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_test_mod_kfunc")]
    #[cfg_attr(kfunc_flag = "SPINLOCK_SAFE", flags(SPINLOCK_SAFE))]
    pub fn bpf_testmod_test_mod_kfunc(i: i32) {
        // SAFETY: BPF programs run with migration disabled, and only this
        // kfunc writes the variable.
        unsafe { bpf_testmod_ksym_percpu.this_cpu_ptr().write(i) };
    }

    /// Returns `a + b + c + d`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test1")]
    pub fn bpf_kfunc_call_test1(sk: *mut sock, a: u32, b: u64, c: u32, d: u64) -> u64 {
        let _ = sk;
        u64::from(a).wrapping_add(b).wrapping_add(u64::from(c)).wrapping_add(d)
    }

    /// Returns `a + b`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test2")]
    pub fn bpf_kfunc_call_test2(sk: *mut sock, a: u32, b: u32) -> i32 {
        let _ = sk;
        a.wrapping_add(b) as i32
    }

    /// Returns its argument.
    ///
    /// # Safety
    ///
    /// Returns the program's socket pointer as it came; the verifier checks it as for the C kfunc.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test3")]
    pub unsafe fn bpf_kfunc_call_test3(sk: *mut sock) -> *mut sock {
        sk
    }

    /// Checks that the caller sign-extended its negative arguments
    /// (returns 1, 2 or 3 if not), then returns their sum.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test4")]
    pub fn bpf_kfunc_call_test4(a: i8, b: i16, c: i32, d: isize) -> isize {
        if black_box(a as isize) >= 0 {
            return 1;
        }
        if black_box(b as isize) >= 0 {
            return 2;
        }
        if black_box(c as isize) >= 0 {
            return 3;
        }
        a as isize + b as isize + c as isize + d
    }

    /// Checks that the caller zero-extended its arguments: 0 if so, else
    /// the number of the failed check.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test5")]
    pub fn bpf_kfunc_call_test5(a: u8, b: u16, c: u32) -> i32 {
        let checks = [black_box(i64::from(a)), black_box(i64::from(b)), black_box(i64::from(c))];
        let widths = [u64::from(a), u64::from(b), u64::from(c)];
        for (i, (val, want)) in checks.into_iter().zip(widths).enumerate() {
            if val as u64 != want {
                return 2 * i as i32 + 1;
            }
            if val < 0 {
                return 2 * i as i32 + 2;
            }
        }
        0
    }

    /// Ten scalars, five of them on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg")]
    pub fn bpf_kfunc_call_stack_arg(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64, j: u64,
    ) -> u64 {
        [a, b, c, d, e, f, g, h, i, j].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Nine scalars and a pointer on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_ptr")]
    pub fn bpf_kfunc_call_stack_arg_ptr(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64,
        p: *mut prog_test_pass1,
    ) -> u64 {
        // SAFETY: the verifier checked `p` against `prog_test_pass1`.
        let (x0, x1) = unsafe { ((*p).x0, (*p).inner.x1) };
        [a, b, c, d, e, f, g, h, i, x0 as u64, x1 as u64].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Scalars and pointers, mixed, on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_mix")]
    pub fn bpf_kfunc_call_stack_arg_mix(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64,
        p: *mut prog_test_pass1, h: u64, q: *mut prog_test_pass1,
    ) -> u64 {
        // SAFETY: the verifier checked `p` and `q` against `prog_test_pass1`.
        let (px0, qx1) = unsafe { ((*p).x0, (*q).inner.x1) };
        [a, b, c, d, e, f, g, px0 as u64, h, qx1 as u64].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Nine scalars and a dynptr (its size) on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_dynptr")]
    pub fn bpf_kfunc_call_stack_arg_dynptr(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64,
        ptr: *mut bpf_dynptr,
    ) -> u64 {
        // SAFETY: a `struct bpf_dynptr` is the kernel's `bpf_dynptr_kern`.
        let size = unsafe { (*ptr.cast::<bindings::bpf_dynptr_kern>()).size } & 0xff_ffff;
        [a, b, c, d, e, f, g, h, i, u64::from(size)].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Five scalars plus the bytes of a memory region on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_mem")]
    pub fn bpf_kfunc_call_stack_arg_mem(a: u64, b: u64, c: u64, d: u64, e: u64, mem: *mut c_void, mem__sz: i32) -> u64 {
        let mut sum = [a, b, c, d, e].iter().fold(0u64, |s, v| s.wrapping_add(*v));
        for i in 0..mem__sz.max(0) as usize {
            // SAFETY: the verifier checked `mem` for `mem__sz` bytes.
            sum = sum.wrapping_add(u64::from(unsafe { mem.cast::<u8>().add(i).read() }));
        }
        sum
    }

    /// Nine scalars and an iterator's value on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_iter")]
    pub fn bpf_kfunc_call_stack_arg_iter(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64,
        it: IterRef<'_, bpf_iter_testmod_seq>,
    ) -> u64 {
        [a, b, c, d, e, f, g, h, i, it.value as u64].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Nine scalars and a constant string on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_const_str")]
    pub fn bpf_kfunc_call_stack_arg_const_str(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64,
        str: &core::ffi::CStr,
    ) -> u64 {
        let _ = str;
        [a, b, c, d, e, f, g, h, i].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Nine scalars and a timer on the stack.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_timer")]
    pub fn bpf_kfunc_call_stack_arg_timer(
        a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64,
        timer: *mut bindings::bpf_timer,
    ) -> u64 {
        let _ = timer;
        [a, b, c, d, e, f, g, h, i].iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    /// Five scalars and a 16-byte struct by value.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_stack_arg_big")]
    pub fn bpf_kfunc_call_stack_arg_big(a: u64, b: u64, c: u64, d: u64, e: u64, s: prog_test_big_arg) -> u64 {
        [a, b, c, d, e, s.a, s.b].iter().fold(0u64, |t, v| t.wrapping_add(*v))
    }

    /// Takes memory and an unrelated length.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_mem_len_fail1")]
    pub fn bpf_kfunc_call_test_mem_len_fail1(mem: *mut c_void, len: i32) {
        let _ = (mem, len);
    }

    /// Takes a `u64` and an unrelated length.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_mem_len_fail2")]
    pub fn bpf_kfunc_call_test_mem_len_fail2(mem: *mut u64, len: i32) {
        let _ = (mem, len);
    }

    /// Takes a reference to the module's `prog_test_struct`.
    ///
    /// # Safety
    ///
    /// The verifier holds the reference the result carries and releases it with vmlinux's
    /// `bpf_kfunc_call_test_release`, which drops `cnt`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_acquire")]
    #[flags(ACQUIRE | RET_NULL)]
    pub unsafe fn bpf_kfunc_call_test_acquire(scalar_ptr: *mut usize) -> *mut prog_test_ref_kfunc {
        let _ = scalar_ptr;
        let p = PROG_TEST_STRUCT.0.get();
        // SAFETY: `p` is a static, always live.
        unsafe { bindings::refcount_inc(ref_count(p)) };
        p
    }

    /// Must never run: the verifier rejects every call (the C one warns).
    ///
    /// # Safety
    ///
    /// Never called: the verifier rejects every call.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_memb_acquire")]
    #[flags(ACQUIRE | RET_NULL)]
    pub unsafe fn bpf_kfunc_call_memb_acquire() -> *mut prog_test_member {
        never_runs!();
        null_mut()
    }

    /// Must never run: the verifier rejects every call (the C one warns).
    ///
    /// # Safety
    ///
    /// Never called: the verifier rejects every call.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_memb1_release")]
    #[flags(RELEASE)]
    pub unsafe fn bpf_kfunc_call_memb1_release(p: *mut prog_test_member1) {
        let _ = p;
        never_runs!();
    }

    /// The struct as `rdwr_buf_size` writable bytes (at most two ints).
    ///
    /// # Safety
    ///
    /// `p` is a trusted `prog_test_ref_kfunc` the program holds, and the result points into
    /// it, `rdwr_buf_size` bytes of it.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_get_rdwr_mem")]
    #[flags(RET_NULL)]
    pub unsafe fn bpf_kfunc_call_test_get_rdwr_mem(p: *mut prog_test_ref_kfunc, rdwr_buf_size: i32) -> *mut i32 {
        test_get_mem(p, rdwr_buf_size)
    }

    /// The struct as `rdonly_buf_size` read-only bytes (at most two ints).
    ///
    /// # Safety
    ///
    /// `p` is a trusted `prog_test_ref_kfunc` the program holds, and the result points into
    /// it, `rdonly_buf_size` bytes of it.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_get_rdonly_mem")]
    #[flags(RET_NULL)]
    pub unsafe fn bpf_kfunc_call_test_get_rdonly_mem(p: *mut prog_test_ref_kfunc, rdonly_buf_size: i32) -> *mut i32 {
        test_get_mem(p, rdonly_buf_size)
    }

    /// Like `get_rdonly_mem` but acquiring, which the verifier refuses: an
    /// acquire kfunc must return a struct pointer.
    ///
    /// # Safety
    ///
    /// Never runs: the verifier refuses an acquire kfunc returning memory.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_acq_rdonly_mem")]
    #[flags(ACQUIRE | RET_NULL)]
    pub unsafe fn bpf_kfunc_call_test_acq_rdonly_mem(p: *mut prog_test_ref_kfunc, rdonly_buf_size: i32) -> *mut i32 {
        test_get_mem(p, rdonly_buf_size)
    }

    /// The release pair of `acq_rdonly_mem`.
    ///
    /// # Safety
    ///
    /// `p` is what `acq_rdonly_mem` returned (the verifier refuses that acquire, so this
    /// never runs).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_int_mem_release")]
    #[flags(RELEASE)]
    pub unsafe fn bpf_kfunc_call_int_mem_release(p: *mut i32) {
        let _ = p;
    }

    /// Accepts a tc program's context.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_pass_ctx")]
    pub fn bpf_kfunc_call_test_pass_ctx(skb: *mut __sk_buff) {
        let _ = skb;
    }

    /// Accepts a `prog_test_pass1` in program memory.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_pass1")]
    pub fn bpf_kfunc_call_test_pass1(p: *mut prog_test_pass1) {
        let _ = p;
    }

    /// Accepts a `prog_test_pass2` in program memory.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_pass2")]
    pub fn bpf_kfunc_call_test_pass2(p: *mut prog_test_pass2) {
        let _ = p;
    }

    /// Takes a struct with a pointer member, which the verifier refuses.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_fail1")]
    pub fn bpf_kfunc_call_test_fail1(p: *mut prog_test_fail1) {
        let _ = p;
    }

    /// Takes a struct nested too deeply, which the verifier refuses.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_fail2")]
    pub fn bpf_kfunc_call_test_fail2(p: *mut prog_test_fail2) {
        let _ = p;
    }

    /// Takes a struct with a flexible array, which the verifier refuses.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_fail3")]
    pub fn bpf_kfunc_call_test_fail3(p: *mut prog_test_fail3) {
        let _ = p;
    }

    /// Takes an RCU-protected or trusted `prog_test_ref_kfunc` (its count
    /// may be 0).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_ref")]
    #[flags(TRUSTED_ARGS | RCU)]
    pub fn bpf_kfunc_call_test_ref(p: *mut prog_test_ref_kfunc) {
        let _ = p;
    }

    /// Does nothing, destructively (programs need `CAP_SYS_BOOT`).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_destructive")]
    #[flags(DESTRUCTIVE)]
    pub fn bpf_kfunc_call_test_destructive() {}

    /// Returns `arg`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_static_unused_arg")]
    pub fn bpf_kfunc_call_test_static_unused_arg(arg: u32, unused: u32) -> u32 {
        let _ = unused;
        arg
    }

    /// Must never run: the verifier rejects every call (the C one warns).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_offset")]
    pub fn bpf_kfunc_call_test_offset(p: *mut prog_test_ref_kfunc) {
        let _ = p;
        never_runs!();
    }

    /// Does nothing, in sleepable programs only.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_sleepable")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_test_sleepable() {}

    /// Sets `*done` to 1 after an RCU Tasks Trace grace period.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_test_call_rcu_tasks_trace")]
    pub fn bpf_kfunc_call_test_call_rcu_tasks_trace(done: *mut i32) -> i32 {
        let data = RcuTasksTraceData {
            rcu: callback_head {
                next: null_mut(),
                func: None,
            },
            done,
        };
        let Ok(data) = KBox::new(data, GFP_ATOMIC) else {
            return ENOMEM.to_errno();
        };
        let data = KBox::into_raw(data);
        // `call_rcu_tasks_trace()`, an inline of include/linux/rcupdate_trace.h.
        // SAFETY: `rcu` is the head of the data the callback frees; the
        // SRCU struct is the kernel's.
        unsafe {
            bindings::call_srcu(
                &raw mut bindings::rcu_tasks_trace_srcu_struct,
                &raw mut (*data).rcu,
                Some(rcu_tasks_trace_cb),
            )
        };
        0
    }

    /// Creates the module's kernel socket in the caller's network
    /// namespace.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_init_sock")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_init_sock(args: *mut init_sock_args) -> i32 {
        // SAFETY: the verifier checked that `args` points to an
        // `init_sock_args`.
        let (af, ty) = unsafe { ((*args).af, (*args).r#type) };
        let mut slot = SOCK_LOCK.lock();
        if !(*slot).is_null() {
            pr_err!("bpf_kfunc_init_sock called without releasing old sock");
            return EPERM.to_errno();
        }
        let proto = match af as u32 {
            bindings::AF_INET | bindings::AF_INET6 => {
                if ty as u32 == bindings::sock_type_SOCK_STREAM {
                    IPPROTO_TCP
                } else {
                    IPPROTO_UDP
                }
            }
            bindings::AF_UNIX => bindings::PF_UNIX as i32,
            _ => {
                pr_err!("invalid address family {}\n", af);
                return EINVAL.to_errno();
            }
        };
        // SAFETY: the current task's nsproxy and its network namespace are
        // valid while it runs this program.
        let net = unsafe { (*(*bindings::get_current()).nsproxy).net_ns };
        let mut sock = null_mut();
        // SAFETY: `net` is valid and `sock` is where the socket goes.
        let err = unsafe { bindings::sock_create_kern(net, af, ty, proto, &mut sock) };
        if err == 0 {
            // Fail connection attempts after a second instead of hanging.
            // SAFETY: `sock` was just created, with its `sk`.
            unsafe { sock_set_sndtimeo((*sock).sk, CONNECT_TIMEOUT_SEC) };
            *slot = sock;
        }
        err
    }

    /// Releases the module's kernel socket.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_close_sock")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_close_sock() {
        let mut slot = SOCK_LOCK.lock();
        if !(*slot).is_null() {
            // SAFETY: the socket is ours; no one uses it after this.
            unsafe { bindings::sock_release(*slot) };
            *slot = null_mut();
        }
    }

    /// `kernel_connect()` to `args->addr`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_kernel_connect")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_kernel_connect(args: *mut addr_args) -> i32 {
        // SAFETY: the verifier checked that `args` points to an `addr_args`.
        let args = unsafe { &mut *args };
        if args.addrlen as usize > SOCKADDR_STORAGE {
            return EINVAL.to_errno();
        }
        with_sock("bpf_kfunc_call_kernel_connect", |sock| {
            // SAFETY: `sock` is live under the lock; `addr` holds `addrlen`
            // bytes.
            unsafe { bindings::kernel_connect(sock, args.addr.as_mut_ptr().cast(), args.addrlen, 0) }
        })
    }

    /// `kernel_bind()` to `args->addr`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_kernel_bind")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_kernel_bind(args: *mut addr_args) -> i32 {
        // SAFETY: the verifier checked that `args` points to an `addr_args`.
        let args = unsafe { &mut *args };
        if args.addrlen as usize > SOCKADDR_STORAGE {
            return EINVAL.to_errno();
        }
        with_sock("bpf_kfunc_call_kernel_bind", |sock| {
            // SAFETY: as in `bpf_kfunc_call_kernel_connect`.
            unsafe { bindings::kernel_bind(sock, args.addr.as_mut_ptr().cast(), args.addrlen) }
        })
    }

    /// `kernel_listen()`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_kernel_listen")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_kernel_listen() -> i32 {
        // SAFETY: `sock` is live under the lock.
        with_sock("bpf_kfunc_call_kernel_listen", |sock| unsafe { bindings::kernel_listen(sock, 128) })
    }

    /// `kernel_sendmsg()` of `args->msg` to `args->addr`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_kernel_sendmsg")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_kernel_sendmsg(args: *mut sendmsg_args) -> i32 {
        sendmsg(args, "bpf_kfunc_call_kernel_sendmsg", |sock, msg, iov, len| {
            // SAFETY: `sock` is live under the lock; `msg` and `iov` point
            // into the program's `args`.
            unsafe { bindings::kernel_sendmsg(sock, msg, iov, 1, len) }
        })
    }

    /// `sock_sendmsg()` of `args->msg` to `args->addr`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_sock_sendmsg")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_sock_sendmsg(args: *mut sendmsg_args) -> i32 {
        sendmsg(args, "bpf_kfunc_call_sock_sendmsg", |sock, msg, iov, len| {
            // SAFETY: as above; the iterator covers `iov`'s `len` bytes.
            unsafe {
                bindings::iov_iter_kvec(&mut msg.msg_iter, bindings::ITER_SOURCE, iov, 1, len);
                bindings::sock_sendmsg(sock, msg)
            }
        })
    }

    /// `kernel_getsockname()` into `args`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_kernel_getsockname")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_kernel_getsockname(args: *mut addr_args) -> i32 {
        // SAFETY: the verifier checked that `args` points to an `addr_args`.
        let args = unsafe { &mut *args };
        with_sock("bpf_kfunc_call_kernel_getsockname", |sock| {
            // SAFETY: `sock` is live under the lock; `addr` has room for any
            // address.
            let err = unsafe { bindings::kernel_getsockname(sock, args.addr.as_mut_ptr().cast()) };
            if err < 0 {
                return err;
            }
            args.addrlen = err;
            0
        })
    }

    /// `kernel_getpeername()` into `args`.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_call_kernel_getpeername")]
    #[flags(SLEEPABLE)]
    pub fn bpf_kfunc_call_kernel_getpeername(args: *mut addr_args) -> i32 {
        // SAFETY: the verifier checked that `args` points to an `addr_args`.
        let args = unsafe { &mut *args };
        with_sock("bpf_kfunc_call_kernel_getpeername", |sock| {
            // SAFETY: as in `bpf_kfunc_call_kernel_getsockname`.
            let err = unsafe { bindings::kernel_getpeername(sock, args.addr.as_mut_ptr().cast()) };
            if err < 0 {
                return err;
            }
            args.addrlen = err;
            0
        })
    }

    /// Calls `test_prologue` of the attached `bpf_testmod_st_ops`: none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_st_ops_test_prologue")]
    #[flags(TRUSTED_ARGS | SLEEPABLE)]
    pub fn bpf_kfunc_st_ops_test_prologue(args: *mut st_ops_args) -> i32 {
        let _ = args;
        -1
    }

    /// Calls `test_epilogue` of the attached `bpf_testmod_st_ops`: none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_st_ops_test_epilogue")]
    #[flags(TRUSTED_ARGS | SLEEPABLE)]
    pub fn bpf_kfunc_st_ops_test_epilogue(args: *mut st_ops_args) -> i32 {
        let _ = args;
        -1
    }

    /// Calls `test_pro_epilogue` of the attached `bpf_testmod_st_ops`:
    /// none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_st_ops_test_pro_epilogue")]
    #[flags(TRUSTED_ARGS | SLEEPABLE)]
    pub fn bpf_kfunc_st_ops_test_pro_epilogue(args: *mut st_ops_args) -> i32 {
        let _ = args;
        -1
    }

    /// Adds 10 to `args->a` and returns it.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_st_ops_inc10")]
    #[flags(TRUSTED_ARGS)]
    pub fn bpf_kfunc_st_ops_inc10(args: *mut st_ops_args) -> i32 {
        // SAFETY: the verifier checked that `args` points to `st_ops_args`.
        unsafe {
            (*args).a = (*args).a.wrapping_add(10);
            (*args).a as i32
        }
    }

    /// Calls `test_1` of the `bpf_testmod_multi_st_ops` map with this id:
    /// there is none, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_multi_st_ops_test_1")]
    pub fn bpf_kfunc_multi_st_ops_test_1(args: *mut st_ops_args, id: u32) -> i32 {
        let _ = (args, id);
        -1
    }

    /// Calls `test_1` of the struct_ops map the program is associated
    /// with: none of this module's, -1.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_multi_st_ops_test_1_assoc")]
    pub fn bpf_kfunc_multi_st_ops_test_1_assoc(args: *mut st_ops_args, aux: ProgAux<'_>) -> i32 {
        let _ = (args, aux);
        -1
    }

    /// `a`, if positive and the verifier supplied the program's aux.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_implicit_arg")]
    pub fn bpf_kfunc_implicit_arg(a: i32, aux: ProgAux<'_>) -> i32 {
        let _ = aux;
        if a > 0 {
            a
        } else {
            EINVAL.to_errno()
        }
    }

    /// `a + b`, with the implicit aux; its `_impl` counterpart is the
    /// explicit kfunc below (the legacy layout).
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_implicit_arg_legacy")]
    pub fn bpf_kfunc_implicit_arg_legacy(a: i32, b: i32, aux: ProgAux<'_>) -> i32 {
        let _ = aux;
        a.wrapping_add(b)
    }

    /// The legacy `_impl` of `bpf_kfunc_implicit_arg_legacy`, an ordinary
    /// kfunc taking the aux as a plain pointer.
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_implicit_arg_legacy_impl")]
    pub fn bpf_kfunc_implicit_arg_legacy_impl(a: i32, b: i32, aux: *mut kfunc::bindings::bpf_prog_aux) -> i32 {
        if aux.is_null() {
            return EINVAL.to_errno();
        }
        a.wrapping_add(b)
    }

    /// Not `KF_SPINLOCK_SAFE`: the verifier refuses it under a BPF spin
    /// lock. (The C module also queues an irq_work that calls its fentry
    /// targets for the struct_ops context tests, which this port lacks.)
    #[cfg(bpf_testmod_kfunc = "bpf_kfunc_trigger_ctx_check")]
    pub fn bpf_kfunc_trigger_ctx_check() {}
}

kfunc_set! {
    /// `bpf_testmod_trampoline_count_ids`: functions fmod_ret programs may
    /// attach to.
    pub static TRAMPOLINE_COUNT_IDS: KfuncSet;

    /// An fmod_ret target (the C module calls it from its sysfs read).
    #[cfg(bpf_testmod_kfunc = "bpf_testmod_trampoline_count_test")]
    pub fn bpf_testmod_trampoline_count_test() -> i32 {
        0
    }
}

struct BpfTestmodRs;

impl kernel::Module for BpfTestmodRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: called once, before any kfunc can run.
        unsafe { SOCK_LOCK.init() };
        COMMON_KFUNCS.register(module, &[ProgType::UNSPEC])?;
        CHECK_KFUNCS.register(
            module,
            &[
                ProgType::SCHED_CLS,
                ProgType::TRACING,
                ProgType::SYSCALL,
                ProgType::STRUCT_OPS,
            ],
        )?;
        TRAMPOLINE_COUNT_IDS.register_fmodret(module)?;
        TESTMOD_DTORS.register(module)?;
        // As the C module: fails if vmlinux's fentry test function does.
        // SAFETY: no preconditions.
        if unsafe { bpf_fentry_test1(0) } < 0 {
            return Err(EINVAL);
        }
        pr_info!(
            "registered {} + {} + {} kfuncs and their destructors\n",
            COMMON_KFUNCS.len(),
            CHECK_KFUNCS.len(),
            TRAMPOLINE_COUNT_IDS.len()
        );
        Ok(Self)
    }
}

impl Drop for BpfTestmodRs {
    fn drop(&mut self) {
        // `bpf_kfunc_call_test_release` is in vmlinux, so references to
        // `prog_test_struct` may outlive the programs: wait for them.
        // SAFETY: a static, always live.
        // SAFETY: a static, always live; its count is only changed
        // atomically.
        let count = unsafe {
            core::sync::atomic::AtomicI32::from_ptr(
                &raw mut (*ref_count(PROG_TEST_STRUCT.0.get())).refs.counter,
            )
        };
        while count.load(Ordering::Relaxed) > 1 {
            // SAFETY: module exit may sleep.
            unsafe { bindings::msleep(20) };
        }
        // SAFETY: module exit, no kfunc runs any more.
        unsafe { bpf_kfunc_close_sock() };
        // Let pending RCU callbacks finish before the code goes.
        // SAFETY: no preconditions.
        unsafe {
            bindings::rcu_barrier();
            #[cfg(testmod_tasks_trace_srcu)]
            bindings::srcu_barrier(&raw mut bindings::rcu_tasks_trace_srcu_struct);
            #[cfg(not(testmod_tasks_trace_srcu))]
            bindings::rcu_barrier_tasks_trace();
        }
    }
}
