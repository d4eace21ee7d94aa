// SPDX-License-Identifier: GPL-2.0

//! [`Mem`] and [`MemK`]: a region of a BPF program's memory and its size,
//! one Rust parameter for the verifier's pointer + `__sz` (or `__szk`)
//! parameter pair.
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h);
//! Documentation/bpf/kfuncs.rst, "__sz Annotation" and "__szk Annotation".
//!
//! [`kfunc_set!`](crate::kfunc_set) recognises a parameter written
//! `name: Mem<'_>` (or `MemK<'_>`), unqualified, and gives the kfunc two C
//! parameters, `void *name` and `u32 name__sz` (`name__szk`). The verifier
//! checks that the program's pointer is valid for that many bytes.
//!
//! The region may be a map value other CPUs or user space write, or the
//! same memory as another argument, so [`Mem`] never hands out a Rust
//! reference into it: it copies with the kernel's `memcpy`/`memset`, as a
//! C kfunc does, so that concurrent writers are the kernel memory model's
//! business, not a Rust data race.
//!
//! For a tc program's packet, the verifier checks the bounds of `__sz`
//! memory but does not make the packet writable (no unclone, as it does
//! for helpers): a kfunc must not write packet memory unless it made the
//! skb writable itself.

use core::ffi::c_void;
use core::marker::PhantomData;

/// The memory of a kfunc parameter pair `(void *p, u32 p__sz)`.
///
/// # Examples
///
/// ```ignore
/// kfunc_set! {
///     pub static SET: KfuncSet;
///
///     /// Zeroes the buffer (BTF: `void rs_memzero(void *mem, u32 mem__sz)`).
///     pub fn rs_memzero(mem: Mem<'_>) {
///         mem.fill(0);
///     }
/// }
/// ```
///
/// # Invariants
///
/// `ptr` is valid for reads and writes of `len` bytes for `'a` (it may be
/// dangling when `len` is 0); those bytes may be accessed concurrently by
/// others, so they are only ever copied, by C's `memcpy`/`memset`.
pub struct Mem<'a> {
    ptr: *mut u8,
    len: usize,
    _p: PhantomData<&'a ()>,
}

/// As [`Mem`], for `(void *p, u32 p__szk)`: the size must be a constant
/// the verifier knows.
pub struct MemK<'a>(Mem<'a>);

impl<'a> Mem<'a> {
    /// Used by [`kfunc_set!`](crate::kfunc_set) only.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for reads and writes of `size` bytes for `'a`
    /// (the verifier guarantees it for a pointer + `__sz` pair).
    #[doc(hidden)]
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut c_void, size: u32) -> Self {
        // INVARIANT: the caller guarantees validity.
        Self {
            ptr: ptr.cast(),
            len: size as usize,
            _p: PhantomData,
        }
    }

    /// The size in bytes.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of the region.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Sets every byte to `value`.
    #[inline]
    pub fn fill(&self, value: u8) {
        if self.len != 0 {
            // SAFETY: `ptr` is valid for `len` writable bytes (invariant).
            unsafe { kernel::bindings::memset(self.ptr.cast(), value.into(), self.len) };
        }
    }

    /// Copies `src` to offset `off`; fails with `EINVAL` if it does not fit.
    #[inline]
    pub fn write_at(&self, off: usize, src: &[u8]) -> kernel::error::Result {
        let end = off
            .checked_add(src.len())
            .ok_or(kernel::error::code::EINVAL)?;
        if end > self.len {
            return Err(kernel::error::code::EINVAL);
        }
        // SAFETY: `off..end` is within the region (checked); `src` is Rust
        // memory, which the region cannot overlap as no reference into it
        // exists.
        unsafe {
            kernel::bindings::memcpy(self.ptr.add(off).cast(), src.as_ptr().cast(), src.len())
        };
        Ok(())
    }

    /// Copies bytes from offset `off` into `dst`; fails with `EINVAL` if the
    /// region is too small.
    #[inline]
    pub fn read_at(&self, off: usize, dst: &mut [u8]) -> kernel::error::Result {
        let end = off
            .checked_add(dst.len())
            .ok_or(kernel::error::code::EINVAL)?;
        if end > self.len {
            return Err(kernel::error::code::EINVAL);
        }
        // SAFETY: as in `write_at`.
        unsafe {
            kernel::bindings::memcpy(dst.as_mut_ptr().cast(), self.ptr.add(off).cast(), dst.len())
        };
        Ok(())
    }

    /// The byte at `off`, if within the region.
    #[inline]
    pub fn byte(&self, off: usize) -> Option<u8> {
        let mut b = [0u8];
        self.read_at(off, &mut b).ok().map(|()| b[0])
    }
}

impl<'a> MemK<'a> {
    /// Used by [`kfunc_set!`](crate::kfunc_set) only.
    ///
    /// # Safety
    ///
    /// As for [`Mem::from_raw`].
    #[doc(hidden)]
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut c_void, size: u32) -> Self {
        // SAFETY: the caller's guarantee.
        MemK(unsafe { Mem::from_raw(ptr, size) })
    }
}

impl<'a> core::ops::Deref for MemK<'a> {
    type Target = Mem<'a>;

    #[inline(always)]
    fn deref(&self) -> &Mem<'a> {
        &self.0
    }
}
