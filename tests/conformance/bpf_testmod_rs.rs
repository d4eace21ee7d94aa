// SPDX-License-Identifier: GPL-2.0

//! A Rust port, written with kfunc-rs, of the kfuncs and types of the
//! kernel's BPF selftest module (tools/testing/selftests/bpf/test_kmods/
//! bpf_testmod.c) that progs/kfunc_call_test.c and progs/kfunc_call_fail.c
//! use: same names, C signatures, parameter names, flags and program types.
//! scripts/conformance.sh runs those programs, unchanged, against this
//! module and against the C one.
//!
//! `bpf_kfunc_call_test_release` lives in vmlinux (net/bpf/test_run.c),
//! as do `struct prog_test_ref_kfunc` and `struct prog_test_member`, which
//! the BTF step therefore takes from vmlinux.

use core::ffi::c_void;
use core::hint::black_box;
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::bindings::{self, __sk_buff, callback_head, refcount_t, sock};
use kernel::prelude::*;
use kernel::sync::Refcount;
use kernel::types::Opaque;
use kfunc::prelude::*;

module! {
    type: BpfTestmodRs,
    name: "bpf_testmod_rs",
    authors: ["kfunc-rs developers"],
    description: "Rust port of bpf_testmod's kfuncs for the kfunc_call selftests",
    license: "GPL",
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
    /// `struct bpf_testmod_ctx`: allocated by `bpf_testmod_ctx_create`,
    /// freed after an RCU grace period once its last reference is dropped.
    pub struct bpf_testmod_ctx {
        /// The C member `rcu`.
        pub rcu: callback_head,
        /// The C member `usage`.
        pub usage: Refcount,
    }
}

/// A `static` the kfuncs hand out and programs write through.
struct Shared<T>(Opaque<T>);

// SAFETY: BPF programs and kfuncs access the contents as the C module's
// static is accessed: refcounts atomically, the rest without ordering
// guarantees, which is what the selftests expect.
unsafe impl<T> Sync for Shared<T> {}

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

/// What `bpf_testmod_test_mod_kfunc` last stored (a per-CPU variable in C).
static TEST_MOD_KFUNC_VALUE: AtomicI32 = AtomicI32::new(123);

/// The refcount of a `prog_test_ref_kfunc`.
///
/// # Safety
///
/// `p` must point to a live `prog_test_ref_kfunc`.
unsafe fn ref_count<'a>(p: *mut prog_test_ref_kfunc) -> &'a Refcount {
    // SAFETY: `Refcount` is a transparent wrapper of `refcount_t`, and the
    // caller guarantees `p` is live.
    unsafe { &*(&raw mut (*p).cnt).cast::<Refcount>() }
}

/// Both `get_mem` kfuncs: the struct itself as `size` bytes of ints, if
/// it is that large.
fn test_get_mem(p: *mut prog_test_ref_kfunc, size: i32) -> *mut i32 {
    if i64::from(size) > 2 * core::mem::size_of::<i32>() as i64 {
        return core::ptr::null_mut();
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

kfunc_set! {
    /// `bpf_testmod_common_kfunc_ids` (the part these programs use),
    /// registered for every program type.
    pub static COMMON_KFUNCS: KfuncSet;

    /// Accepts `mem__sz` bytes at `mem`.
    pub fn bpf_kfunc_call_test_mem_len_pass1(mem: *mut c_void, mem__sz: i32) {
        let _ = (mem, mem__sz);
    }

    /// Allocates a context with one reference; on failure stores -ENOMEM
    /// in `*err` and returns NULL.
    #[flags(ACQUIRE | RET_NULL)]
    pub fn bpf_testmod_ctx_create(err: *mut i32) -> *mut bpf_testmod_ctx {
        let ctx = bpf_testmod_ctx {
            rcu: callback_head { next: core::ptr::null_mut(), func: None },
            usage: Refcount::new(1),
        };
        match KBox::new(ctx, GFP_ATOMIC) {
            Ok(b) => KBox::into_raw(b),
            Err(_) => {
                // SAFETY: the verifier checked that `err` points to an int.
                unsafe { *err = ENOMEM.to_errno() };
                core::ptr::null_mut()
            }
        }
    }

    /// Drops a reference to a context, freeing it after an RCU grace
    /// period when it was the last.
    #[flags(RELEASE)]
    pub fn bpf_testmod_ctx_release(ctx: *mut bpf_testmod_ctx) {
        if ctx.is_null() {
            return;
        }
        // SAFETY: the verifier passes a context the program holds a
        // reference to, so it is live.
        if unsafe { (*ctx).usage.dec_and_test() } {
            // SAFETY: the last reference is gone; `rcu` is the context's
            // own callback head and the callback frees the context.
            unsafe { bindings::call_rcu(&raw mut (*ctx).rcu, Some(testmod_free_cb)) };
        }
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

kfunc_set! {
    /// `bpf_testmod_check_kfunc_ids` (the part these programs use),
    /// registered for tc, tracing, syscall and struct_ops programs.
    pub static CHECK_KFUNCS: KfuncSet;

    /// Records `i`; allowed while the program holds a BPF spin lock.
    #[flags(SPINLOCK_SAFE)]
    pub fn bpf_testmod_test_mod_kfunc(i: i32) {
        TEST_MOD_KFUNC_VALUE.store(i, Ordering::Relaxed);
    }

    /// Returns `a + b + c + d`.
    pub fn bpf_kfunc_call_test1(sk: *mut sock, a: u32, b: u64, c: u32, d: u64) -> u64 {
        let _ = sk;
        u64::from(a).wrapping_add(b).wrapping_add(u64::from(c)).wrapping_add(d)
    }

    /// Returns `a + b`.
    pub fn bpf_kfunc_call_test2(sk: *mut sock, a: u32, b: u32) -> i32 {
        let _ = sk;
        a.wrapping_add(b) as i32
    }

    /// Checks that the caller sign-extended its negative arguments
    /// (returns 1, 2 or 3 if not), then returns their sum.
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

    /// Accepts a `u64` and an unrelated length.
    pub fn bpf_kfunc_call_test_mem_len_fail2(mem: *mut u64, len: i32) {
        let _ = (mem, len);
    }

    /// Takes a reference to the module's `prog_test_struct`.
    #[flags(ACQUIRE | RET_NULL)]
    pub fn bpf_kfunc_call_test_acquire(scalar_ptr: *mut usize) -> *mut prog_test_ref_kfunc {
        let _ = scalar_ptr;
        let p = PROG_TEST_STRUCT.0.get();
        // SAFETY: `p` is a static, always live.
        unsafe { ref_count(p) }.inc();
        p
    }

    /// The struct as `rdwr_buf_size` writable bytes (at most two ints).
    #[flags(RET_NULL)]
    pub fn bpf_kfunc_call_test_get_rdwr_mem(p: *mut prog_test_ref_kfunc, rdwr_buf_size: i32) -> *mut i32 {
        test_get_mem(p, rdwr_buf_size)
    }

    /// The struct as `rdonly_buf_size` read-only bytes (at most two ints).
    #[flags(RET_NULL)]
    pub fn bpf_kfunc_call_test_get_rdonly_mem(p: *mut prog_test_ref_kfunc, rdonly_buf_size: i32) -> *mut i32 {
        test_get_mem(p, rdonly_buf_size)
    }

    /// Like `get_rdonly_mem` but acquiring, which the verifier refuses: an
    /// acquire kfunc must return a struct pointer.
    #[flags(ACQUIRE | RET_NULL)]
    pub fn bpf_kfunc_call_test_acq_rdonly_mem(p: *mut prog_test_ref_kfunc, rdonly_buf_size: i32) -> *mut i32 {
        test_get_mem(p, rdonly_buf_size)
    }

    /// The release pair of `acq_rdonly_mem`.
    #[flags(RELEASE)]
    pub fn bpf_kfunc_call_int_mem_release(p: *mut i32) {
        let _ = p;
    }

    /// Accepts a tc program's context.
    pub fn bpf_kfunc_call_test_pass_ctx(skb: *mut __sk_buff) {
        let _ = skb;
    }

    /// Accepts a `prog_test_pass1` in program memory.
    pub fn bpf_kfunc_call_test_pass1(p: *mut prog_test_pass1) {
        let _ = p;
    }

    /// Accepts a `prog_test_pass2` in program memory.
    pub fn bpf_kfunc_call_test_pass2(p: *mut prog_test_pass2) {
        let _ = p;
    }

    /// Returns `arg`.
    pub fn bpf_kfunc_call_test_static_unused_arg(arg: u32, unused: u32) -> u32 {
        let _ = unused;
        arg
    }

    /// Not `KF_SPINLOCK_SAFE`: the verifier refuses it under a BPF spin
    /// lock. (The C module also queues an irq_work for its struct_ops
    /// context tests, which these programs do not run.)
    pub fn bpf_kfunc_trigger_ctx_check() {}
}

struct BpfTestmodRs;

impl kernel::Module for BpfTestmodRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
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
        TESTMOD_DTORS.register(module)?;
        pr_info!(
            "registered {} + {} kfuncs and their destructors\n",
            COMMON_KFUNCS.len(),
            CHECK_KFUNCS.len()
        );
        Ok(Self)
    }
}

impl Drop for BpfTestmodRs {
    fn drop(&mut self) {
        // `bpf_kfunc_call_test_release` is in vmlinux, so references to
        // `prog_test_struct` may outlive the programs: wait for them.
        // SAFETY: a static, always live.
        while unsafe { ref_count(PROG_TEST_STRUCT.0.get()) }
            .as_atomic()
            .load(kernel::sync::atomic::Relaxed)
            > 1
        {
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(20));
        }
        // Let pending `testmod_free_cb` calls finish before the code goes.
        // SAFETY: no preconditions.
        unsafe { bindings::rcu_barrier() };
    }
}
