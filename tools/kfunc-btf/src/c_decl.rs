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

/// Where `print` writes: the text so far, or why it is incomplete.
#[derive(Default)]
struct Out {
    text: String,
    /// The first print that could not be written whole. btf_dump's
    /// callback returns nothing, so it is reported after the dump.
    error: Option<String>,
}

/// The longest piece one print may write. btf_dump prints a declaration
/// in small pieces (a keyword, a name, a `*`), so a longer one is a BTF
/// name of thousands of bytes, which is better refused than cut: the
/// `va_list` can be read only once, and va_copy is a C macro.
const PIECE_MAX: usize = 4095;

/// Appends what btf_dump prints to the `Out` behind `ctx`.
unsafe extern "C" fn print(ctx: *mut c_void, fmt: *const c_char, args: *mut sys::__va_list_tag) {
    // SAFETY: `ctx` is the `Out` `emit` passed, alive during the dump.
    let out = unsafe { &mut *ctx.cast::<Out>() };
    if out.error.is_some() {
        return;
    }
    let mut buf = [0u8; PIECE_MAX + 1];
    // SAFETY: `buf` has the size passed; `fmt` and `args` come from libbpf,
    // and are used once.
    let n = unsafe { vsnprintf(buf.as_mut_ptr().cast(), buf.len(), fmt, args) };
    match usize::try_from(n) {
        Ok(n) if n < buf.len() => out.text.push_str(&String::from_utf8_lossy(&buf[..n])),
        Ok(n) => {
            out.error = Some(format!(
                "btf_dump printed a piece of {n} bytes, longer than the {PIECE_MAX} kfunc-btf \
                 takes (a BTF name that long?)"
            ))
        }
        Err(_) => {
            out.error = Some(format!(
                "vsnprintf failed on what btf_dump printed: {}",
                std::io::Error::last_os_error()
            ))
        }
    }
}

/// The declaration of type `id` of `btf` named `name`.
pub fn emit(btf: *mut sys::btf, id: u32, name: &str) -> Result<String> {
    let mut out = Out::default();
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
    if let Some(e) = out.error {
        bail!("the C declaration of type {id} named {name:?}: {e}");
    }
    Ok(out.text)
}

#[cfg(test)]
mod tests {
    use crate::btf::Btf;

    #[test]
    fn declares_like_bpftool() {
        let mut b = Btf::new_empty().unwrap();
        let s = b.add_struct("task_struct", 8, &[]).unwrap();
        let p = b.add_ptr(s).unwrap();
        assert_eq!(b.c_decl(p, "task").unwrap(), "struct task_struct *task");
    }

    #[test]
    fn a_piece_too_long_to_print_is_an_error_not_cut() {
        let mut b = Btf::new_empty().unwrap();
        let name = "s".repeat(super::PIECE_MAX + 1);
        let s = b.add_struct(&name, 8, &[]).unwrap();
        let p = b.add_ptr(s).unwrap();
        let err = format!("{:#}", b.c_decl(p, "x").unwrap_err());
        assert!(
            err.contains("longer than the 4095 kfunc-btf takes"),
            "{err}"
        );
        // Just short enough is printed whole: btf_dump prints `struct
        // <name>` in one piece.
        let name = "s".repeat(super::PIECE_MAX - "struct ".len());
        let s = b.add_struct(&name, 8, &[]).unwrap();
        assert_eq!(b.c_decl(s, "").unwrap(), format!("struct {name}"));
    }
}
