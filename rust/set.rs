// SPDX-License-Identifier: GPL-2.0

//! Kfunc sets and their registration.
//!
//! C headers: [`include/linux/btf_ids.h`](srctree/include/linux/btf_ids.h)
//! (`BTF_KFUNCS_START`, `BTF_ID_FLAGS`, `BTF_KFUNCS_END`),
//! [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`struct btf_kfunc_id_set`, `register_btf_kfunc_id_set`)
//!
//! A [`KfuncSet`] is declared with [`kfunc_set!`](crate::kfunc_set), which
//! lays the set out in `.BTF_ids` exactly as the C macros do; the kernel's
//! resolve_btfids fills in the BTF ids and sorts it at build time.

use crate::{bindings, ProgType};
use kernel::error::{code::EINVAL, to_result, Result};
use kernel::ThisModule;

/// A set of kfuncs of this module, with their flags.
///
/// # Examples
///
/// ```ignore
/// kfunc::kfunc_set! {
///     /// This module's kfuncs.
///     pub static MY_KFUNCS: KfuncSet;
///
///     /// Returns its argument plus one.
///     pub fn my_inc(x: u64) -> u64 {
///         x.wrapping_add(1)
///     }
/// }
///
/// assert_eq!(MY_KFUNCS.len(), 1);
/// ```
///
/// # Invariants
///
/// `set` points to the set's `struct btf_id_set8` in `.BTF_ids`, which lives
/// as long as the module; `len` is the number of its kfuncs in the build.
pub struct KfuncSet {
    name: &'static str,
    set: *mut bindings::btf_id_set8,
    len: usize,
    filter: bindings::btf_kfunc_filter_t,
}

// SAFETY: the set is only written by resolve_btfids at build time; at run
// time it is read-only data, so sharing it between threads is fine.
unsafe impl Sync for KfuncSet {}

impl KfuncSet {
    /// Used by [`kfunc_set!`](crate::kfunc_set) only.
    ///
    /// # Safety
    ///
    /// `set` and `len` must satisfy the type invariants.
    #[doc(hidden)]
    #[inline]
    pub const unsafe fn new(
        name: &'static str,
        set: *mut bindings::btf_id_set8,
        len: usize,
        filter: bindings::btf_kfunc_filter_t,
    ) -> Self {
        // INVARIANT: the caller vouches for `set` and `len`.
        Self {
            name,
            set,
            len,
            filter,
        }
    }

    /// The set's name, as in `.BTF_ids` (`__BTF_ID__set8__<name>`).
    #[inline]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The number of kfuncs in the set (those configured out with
    /// `#[cfg]` excluded).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether every kfunc of the set is configured out.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers the set for each program type in `prog_types`, like C's
    /// `register_btf_kfunc_id_set()`. Call it from the module's `init`.
    ///
    /// Program types listed twice are registered once. A module may
    /// register at most one set per verifier hook (the kernel warns and
    /// fails otherwise). There is no unregistration: the kernel drops the
    /// registration together with the module's BTF when it unloads.
    ///
    /// # Examples
    ///
    /// ```ignore
    /// fn init(module: &'static ThisModule) -> Result<Self> {
    ///     SAMPLE_KFUNCS.register(module, &[ProgType::TRACING, ProgType::SYSCALL])?;
    ///     Ok(Self)
    /// }
    /// ```
    ///
    /// The kernel allows registration only while the module initializes
    /// (the set tables are read without locks); called later, it fails
    /// with `EINVAL`.
    #[inline]
    pub fn register(&'static self, module: &'static ThisModule, prog_types: &[ProgType]) -> Result {
        check_initializing(module, self.name)?;
        self.check_resolved()?;
        for (i, prog_type) in prog_types.iter().enumerate() {
            if prog_types[..i].contains(prog_type) {
                continue;
            }
            let kset = bindings::btf_kfunc_id_set {
                owner: module.as_ptr().cast(),
                set: self.set,
                filter: self.filter,
            };
            // SAFETY: `kset` is valid for the call; the kernel copies the
            // set's pairs and keeps only `filter`, a function of this module,
            // which it drops with the module's BTF when the module unloads.
            to_result(unsafe { bindings::register_btf_kfunc_id_set(prog_type.as_raw(), &kset) })?;
        }
        Ok(())
    }
}

impl KfuncSet {
    /// Registers the set's functions as targets that `BPF_MODIFY_RETURN`
    /// (fmod_ret) programs may attach to, like C's
    /// `register_btf_fmodret_id_set()`. Call it from the module's `init`.
    #[inline]
    pub fn register_fmodret(&'static self, module: &'static ThisModule) -> Result {
        check_initializing(module, self.name)?;
        self.check_resolved()?;
        let kset = bindings::btf_kfunc_id_set {
            owner: module.as_ptr().cast(),
            set: self.set,
            filter: self.filter,
        };
        // SAFETY: as in `register`.
        to_result(unsafe { bindings::register_btf_fmodret_id_set(&kset) })
    }

    /// Fails, saying why, if resolve_btfids did not fill in the set: the
    /// module was built without the kfunc-rs BTF step, so its Rust kfuncs
    /// have no BTF. (The kernel would only answer -EINVAL.)
    #[inline]
    fn check_resolved(&self) -> Result {
        // SAFETY: `set` points to the set (type invariant), whose `cnt`
        // pairs resolve_btfids wrote at build time.
        let (cnt, unresolved) = unsafe {
            let set = &*self.set;
            let pairs = set.pairs.as_slice(set.cnt as usize);
            (set.cnt as usize, pairs.iter().filter(|p| p.id == 0).count())
        };
        let len = self.len();
        if cnt == len && unresolved == 0 {
            return Ok(());
        }
        // With no BTF at all resolve_btfids may not even have counted them.
        let missing = if cnt == len { unresolved } else { len };
        kernel::pr_err!(
            "kfunc set {}: {} of its {} kfuncs have no BTF id; build the module with the \
             kfunc-rs BTF step (PAHOLE=<kfunc-rs>/scripts/kfunc-rs-pahole, see rust/kfunc.mk)\n",
            self.name,
            missing,
            len
        );
        Err(EINVAL)
    }
}

/// Fails unless `module` is initializing: `register_btf_kfunc_id_set()`
/// and `register_btf_id_dtor_kfuncs()` may only run from its init.
#[doc(hidden)]
#[inline]
pub fn check_initializing(module: &'static ThisModule, what: &str) -> Result {
    let m = module.as_ptr();
    if m.is_null() {
        // Built into the kernel: initcalls run once, before programs.
        return Ok(());
    }
    // SAFETY: `m` is this module's `struct module`, live while its code
    // runs; the loader changes `state` only around init.
    let state = unsafe { (*m).state };
    if state != kernel::bindings::module_state_MODULE_STATE_COMING {
        kernel::pr_err!(
            "{}: registration is only allowed from the module's init\n",
            what
        );
        return Err(EINVAL);
    }
    Ok(())
}

/// The unique part of the `__BTF_ID__func__<kfunc>__<suffix>` symbols of a
/// set: a hash of the set's name, so that one kfunc may be in several sets
/// of an object. resolve_btfids cuts the name at the last `__`, so the
/// suffix must not contain `_`.
#[doc(hidden)]
pub const fn symbol_suffix(set_name: &str) -> u32 {
    // FNV-1a, 32 bits.
    let bytes = set_name.as_bytes();
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}
