// SPDX-License-Identifier: GPL-2.0

//! FASTCALL, which compiled Rust cannot honour.
// expect[kfunc_flag="FASTCALL"]: kfunc `rs_fast`: FASTCALL tells the verifier the kfunc keeps every caller-saved register
// expect[!kfunc_flag="FASTCALL"]: no associated function or constant named `FASTCALL` found for struct `KfuncFlags`

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Claims to clobber no caller-saved register.
    #[flags(FASTCALL)]
    pub fn rs_fast(x: u64) -> u64 {
        x + 1
    }
}
