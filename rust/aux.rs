// SPDX-License-Identifier: GPL-2.0

//! The implicit argument [`ProgAux`] (`KF_IMPLICIT_ARGS`).
//!
//! C header: [`include/linux/btf.h`](srctree/include/linux/btf.h)
//! (`KF_IMPLICIT_ARGS`); tools/bpf/resolve_btfids/main.c rewrites the
//! kfunc's prototypes.

use crate::arg::KfuncArg;
use crate::record::Type;
use crate::{BtfType, KfuncFlags};
use core::marker::PhantomData;
use core::ptr::NonNull;

/// The calling program's `struct bpf_prog_aux`, passed by the verifier,
/// not by the program (`KF_IMPLICIT_ARGS`, implied). It must be the last
/// parameter and come in a register; BPF programs call the kfunc without
/// it, and the BTF step plus resolve_btfids give the kfunc the two
/// prototypes the verifier expects (`name` without it, `name_impl` with
/// it).
///
/// # Invariants
///
/// `aux` is the aux of the program running the kfunc call `'k` belongs to.
#[derive(Clone, Copy)]
pub struct ProgAux<'k> {
    aux: NonNull<crate::bindings::bpf_prog_aux>,
    _p: PhantomData<&'k ()>,
}

impl ProgAux<'_> {
    /// The raw `struct bpf_prog_aux *`.
    #[inline(always)]
    pub fn as_ptr(self) -> *mut crate::bindings::bpf_prog_aux {
        self.aux.as_ptr()
    }
}

// SAFETY: for `KF_IMPLICIT_ARGS` kfuncs the verifier loads the running
// program's aux (`BPF_LD_IMM64(.., env->prog->aux)`) into the register of
// the implicit parameter, never NULL.
unsafe impl<'a> KfuncArg for ProgAux<'a> {
    type Raw = *mut crate::bindings::bpf_prog_aux;
    type Bound<'k> = ProgAux<'k>;
    const BTF: &'static Type = &<*mut crate::bindings::bpf_prog_aux as BtfType>::BTF;
    const IMPLIES: KfuncFlags = KfuncFlags::OPT_IMPLICIT_ARGS;

    #[inline(always)]
    unsafe fn from_raw<'k>(raw: Self::Raw) -> Self::Bound<'k> {
        // INVARIANT: see above.
        ProgAux {
            // SAFETY: never NULL, see above.
            aux: unsafe { NonNull::new_unchecked(raw) },
            _p: PhantomData,
        }
    }
}
