// SPDX-License-Identifier: GPL-2.0

//! The implicit `ProgAux` argument comes last.
// expect[kfunc_flag="IMPLICIT_ARGS"]: kfunc `rs_bad_aux`: an implicit argument (`ProgAux`) must come after all the others
// expect[!kfunc_flag="IMPLICIT_ARGS"]: is implicit (`ProgAux`), which needs KF_IMPLICIT_ARGS, and this kernel has none

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// The implicit argument first.
    pub fn rs_bad_aux(aux: kfunc::ProgAux<'_>, a: u32) -> u32 {
        let _ = aux;
        a
    }
}
