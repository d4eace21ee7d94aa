// SPDX-License-Identifier: GPL-2.0

//! C declarations of BTF types through libbpf's `btf_dump`, the code
//! bpftool prints `format c` with, so that what kfunc-btf writes reads
//! exactly as bpftool's output.
//!
//! C header: libbpf's `btf.h` (`btf_dump__new`, `btf_dump__emit_type_decl`).

use anyhow::{bail, Result};
use libbpf_sys as sys;
use std::ffi::{c_char, c_int, c_void, CString};

unsafe extern "C" {
    // libc's; libbpf-sys binds the va_list type, not this function.
    fn vsnprintf(
        buf: *mut c_char,
        n: usize,
        fmt: *const c_char,
        ap: *mut sys::__va_list_tag,
    ) -> c_int;
}

/// Appends what btf_dump prints to the `String` behind `ctx`.
unsafe extern "C" fn print(ctx: *mut c_void, fmt: *const c_char, args: *mut sys::__va_list_tag) {
    let mut buf = [0u8; 4096];
    // SAFETY: `buf` has the size passed; `fmt` and `args` come from libbpf,
    // and are used once.
    let n = unsafe { vsnprintf(buf.as_mut_ptr().cast(), buf.len(), fmt, args) };
    if n < 0 {
        return;
    }
    let n = (n as usize).min(buf.len() - 1);
    // SAFETY: `ctx` is the `String` `emit` passed, alive during the dump.
    let out = unsafe { &mut *ctx.cast::<String>() };
    out.push_str(&String::from_utf8_lossy(&buf[..n]));
}

/// The declaration of type `id` of `btf` named `name`.
pub fn emit(btf: *mut sys::btf, id: u32, name: &str) -> Result<String> {
    let mut out = String::new();
    let opts = sys::btf_dump_opts {
        sz: size_of::<sys::btf_dump_opts>() as _,
    };
    // SAFETY: `btf` is valid (the caller's `Btf`); `out` outlives the dump.
    let d = unsafe { sys::btf_dump__new(btf, Some(print), (&raw mut out).cast(), &opts) };
    if d.is_null() {
        bail!("btf_dump__new: {}", std::io::Error::last_os_error());
    }
    let field = CString::new(name)?;
    let decl_opts = sys::btf_dump_emit_type_decl_opts {
        sz: size_of::<sys::btf_dump_emit_type_decl_opts>() as _,
        field_name: field.as_ptr(),
        ..Default::default()
    };
    // SAFETY: `d` is valid; `decl_opts` and the name outlive the call.
    let err = unsafe { sys::btf_dump__emit_type_decl(d, id, &decl_opts) };
    // SAFETY: `d` came from btf_dump__new and is not used again.
    unsafe { sys::btf_dump__free(d) };
    if err < 0 {
        bail!(
            "btf_dump__emit_type_decl of type {id}: {}",
            std::io::Error::from_raw_os_error(-err)
        );
    }
    Ok(out)
}
