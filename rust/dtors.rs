// SPDX-License-Identifier: GPL-2.0

//! Destructor kfuncs: how the kernel frees a module object that a BPF
//! program left in a map as a referenced kptr.
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`struct btf_id_dtor_kfunc`, `register_btf_id_dtor_kfuncs()`)
//!
//! Declared with [`kfunc_dtors!`](crate::kfunc_dtors), which lays the
//! (type id, destructor id) pairs out in `.BTF_ids` as C's `BTF_ID_LIST`
//! with `BTF_ID(struct, ...)` / `BTF_ID(func, ...)` does.

use crate::bindings;
use kernel::error::{to_result, Result};
use kernel::ThisModule;

/// The destructors of a module's kptr types.
///
/// # Examples
///
/// ```ignore
/// fn init(module: &'static ThisModule) -> Result<Self> {
///     MY_DTORS.register(module)?;
///     Ok(Self)
/// }
/// ```
///
/// # Invariants
///
/// `pairs` points to `count` `struct btf_id_dtor_kfunc` in `.BTF_ids`,
/// filled by resolve_btfids and living as long as the module.
pub struct KfuncDtors {
    pairs: *const bindings::btf_id_dtor_kfunc,
    count: u32,
}

// SAFETY: the pairs are read-only after the build.
unsafe impl Sync for KfuncDtors {}

impl KfuncDtors {
    /// Used by [`kfunc_dtors!`](crate::kfunc_dtors) only.
    ///
    /// # Safety
    ///
    /// `pairs` and `count` must satisfy the type invariants.
    #[doc(hidden)]
    #[inline]
    pub const unsafe fn new(pairs: *const bindings::btf_id_dtor_kfunc, count: u32) -> Self {
        Self { pairs, count }
    }

    /// Registers the destructors, like C's `register_btf_id_dtor_kfuncs()`.
    /// Call it from the module's `init`; the kernel drops the registration
    /// with the module's BTF.
    /// Only from the module's init (later, it fails with `EINVAL`).
    #[inline]
    pub fn register(&'static self, module: &'static ThisModule) -> Result {
        crate::set::check_initializing(module, "kfunc destructors")?;
        // SAFETY: by the type invariants `pairs` holds `count` entries; the
        // kernel copies them.
        to_result(unsafe {
            bindings::register_btf_id_dtor_kfuncs(self.pairs, self.count, module.as_ptr().cast())
        })
    }
}
