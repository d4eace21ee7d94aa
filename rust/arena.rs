// SPDX-License-Identifier: GPL-2.0

//! Arena pointers: [`ArenaPtr`] (`__arena`, `__arena__nullable`).
//!
//! C headers: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_ARENA_*`), [`include/linux/uaccess.h`](srctree/include/linux/uaccess.h)
//! (`copy_from_kernel_nofault`)

use crate::arg::KfuncArg;
use crate::compat::{AsBytes, FromBytes};
use crate::record::Type;
use crate::BtfType;
use core::marker::PhantomData;
use kernel::error::{code::EFAULT, Result};

/// A pointer into a BPF arena (`__arena`): memory the program shares with
/// user space. The JIT rebases the program's arena address to the arena's
/// kernel mapping, so the pointer is a kernel address, but the page may be
/// unallocated (or freed meanwhile by the program or user space), and the
/// value unaligned. So it is only ever accessed with copies that tolerate
/// faults. It holds a raw pointer, so it is neither `Send` nor `Sync`: it
/// cannot outlive the call in a static or another thread.
///
/// # Invariants
///
/// `ptr` is the rebased arena address the verifier passed, not NULL.
#[derive(Debug)]
pub struct ArenaPtr<T> {
    ptr: *mut T,
    _p: PhantomData<T>,
}

impl<T: FromBytes + AsBytes> ArenaPtr<T> {
    /// The (kernel) address.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut T {
        self.ptr
    }

    /// Reads the value; fails with `EFAULT` if the page is not there.
    #[inline]
    pub fn read(&self) -> Result<T> {
        let mut v = core::mem::MaybeUninit::<T>::uninit();
        // SAFETY: `v` has room for a `T`; the source may fault, which the
        // nofault copy reports instead of oopsing.
        let err = unsafe {
            kernel::bindings::copy_from_kernel_nofault(
                v.as_mut_ptr().cast(),
                self.ptr.cast(),
                core::mem::size_of::<T>(),
            )
        };
        if err != 0 {
            return Err(EFAULT);
        }
        // SAFETY: fully written by the copy; any bytes are a valid `T`
        // (`FromBytes`).
        Ok(unsafe { v.assume_init() })
    }

    /// Writes the value. A page that is not there does not oops: the
    /// kernel recovers a kfunc's faults on its caller's arena
    /// (`bpf_arena_handle_page_fault`) by mapping the arena's scratch page
    /// there and reporting the access to the program, so the value is lost.
    #[inline]
    pub fn write(&self, v: T) {
        // SAFETY: `v` is a `T` whose bytes are all initialized (`AsBytes`);
        // the destination is in the calling program's arena (the type is
        // neither `Send` nor `Sync`, so it stays in the kfunc call), where
        // the kernel recovers faults.
        unsafe {
            kernel::bindings::memcpy(
                self.ptr.cast(),
                (&raw const v).cast(),
                core::mem::size_of::<T>(),
            )
        };
    }
}

// SAFETY: `__arena` (not nullable): the JIT rebases any scalar the program
// passes into the arena, never to NULL; `ArenaPtr` only makes
// fault-tolerant copies through it.
unsafe impl<T: BtfType> KfuncArg for ArenaPtr<T> {
    type Raw = *mut T;
    type Bound<'k> = ArenaPtr<T>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const SUFFIX: &'static str = "__arena";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        // INVARIANT: the verifier's rebased, non-NULL arena address.
        ArenaPtr {
            ptr: raw,
            _p: PhantomData,
        }
    }
}

// SAFETY: `__arena__nullable` allows NULL, which is `None`; otherwise as
// above.
unsafe impl<T: BtfType> KfuncArg for Option<ArenaPtr<T>> {
    type Raw = *mut T;
    type Bound<'k> = Option<ArenaPtr<T>>;
    const BTF: &'static Type = &<*mut T as BtfType>::BTF;
    const SUFFIX: &'static str = "__arena__nullable";

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: *mut T) -> Self::Bound<'k> {
        // INVARIANT: a non-NULL value is the verifier's rebased address.
        (!raw.is_null()).then_some(ArenaPtr {
            ptr: raw,
            _p: PhantomData,
        })
    }
}
