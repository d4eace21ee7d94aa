// SPDX-License-Identifier: GPL-2.0

//! Where this module's BTF ids end up once the module is loaded.
//!
//! C: [`kernel/bpf/btf.c`](srctree/kernel/bpf/btf.c) (`btf_relocate_id()`),
//! [`tools/lib/bpf/btf_relocate.c`](srctree/tools/lib/bpf/btf_relocate.c)
//!
//! An out-of-tree module's BTF is split BTF on a *distilled* base (the few
//! vmlinux types it refers to). At load time the kernel relocates it onto
//! the running vmlinux BTF: the module's own type `id` becomes
//! `id + (vmlinux type count) - (distilled base type count)`. The ids that
//! resolve_btfids wrote into `.BTF_ids` are build-time ids, so comparing
//! them with a run-time id (as a set filter does) needs that offset. The
//! kernel relocates its own copy of a registered set, not the module's.

use kernel::bindings;
use kernel::error::{code::EINVAL, Result};
use kernel::ThisModule;

/// `BTF_MAGIC` of include/uapi/linux/btf.h.
const BTF_MAGIC: u16 = 0xeb9f;

/// Bytes after the common 12-byte `struct btf_type` for a type of `kind`
/// with `vlen` entries, as include/uapi/linux/btf.h lays them out.
#[inline]
fn extra_len(kind: u32, vlen: usize) -> Option<usize> {
    Some(match kind {
        1 | 14 | 17 => 4,             // INT, VAR, DECL_TAG
        2 | 7..=12 | 16 | 18 => 0,    // PTR, FWD..FUNC, FLOAT, TYPE_TAG
        3 => 12,                      // ARRAY
        4 | 5 | 15 | 19 => 12 * vlen, // STRUCT, UNION, DATASEC, ENUM64
        6 | 13 => 8 * vlen,           // ENUM, FUNC_PROTO
        _ => return None,
    })
}

#[inline]
fn u32_at(data: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(data.get(off..off + 4)?.try_into().ok()?))
}

/// The number of type ids of raw BTF `data`, counting `void`, or `None` if
/// `data` is not BTF this code understands.
#[inline]
pub(crate) fn type_count(data: &[u8]) -> Option<u32> {
    if u16::from_ne_bytes(data.get(0..2)?.try_into().ok()?) != BTF_MAGIC {
        return None;
    }
    let hdr_len = u32_at(data, 4)? as usize;
    let type_off = u32_at(data, 8)? as usize;
    let type_len = u32_at(data, 12)? as usize;
    let start = hdr_len.checked_add(type_off)?;
    let types = data.get(start..start.checked_add(type_len)?)?;
    let (mut pos, mut count) = (0usize, 1u32);
    while pos < types.len() {
        let info = u32_at(types, pos + 4)?;
        let extra = extra_len((info >> 24) & 0x1f, (info & 0xffff) as usize)?;
        pos = pos.checked_add(12 + extra)?;
        count += 1;
    }
    (pos == types.len()).then_some(count)
}

/// The number of type ids of the running kernel's vmlinux BTF.
#[inline]
fn vmlinux_type_count() -> Result<u32> {
    let mut btf: *mut bindings::btf = core::ptr::null_mut();
    // SAFETY: the name is a NUL-terminated string and `btf` a valid place
    // for the result. `int` is always in vmlinux BTF, which is found first.
    // The reference this takes on vmlinux BTF is not dropped (`btf_put` is
    // not exported); vmlinux BTF is never freed, so that costs nothing.
    let id = unsafe { bindings::bpf_find_btf_id(c"int".as_ptr().cast(), 1, &mut btf) };
    if id <= 0 || btf.is_null() {
        return Err(EINVAL);
    }
    // Binary search for the last valid id: `btf_type_by_id` returns NULL
    // past the end.
    let (mut valid, mut invalid) = (id as u32, 1u32 << 24);
    while invalid - valid > 1 {
        let mid = valid + (invalid - valid) / 2;
        // SAFETY: `btf` is vmlinux BTF, kept alive by the reference above;
        // `btf_type_by_id` checks the id.
        if unsafe { bindings::btf_type_by_id(btf, mid) }.is_null() {
            invalid = mid;
        } else {
            valid = mid;
        }
    }
    Ok(valid + 1)
}

/// What to add to a build-time id of this module's own BTF types to get
/// its run-time id.
#[inline]
pub(crate) fn split_id_offset(module: &ThisModule) -> Result<u32> {
    let m = module.as_ptr();
    // SAFETY: `ThisModule` points to this module's `struct module`, valid
    // while the module is loaded; its BTF fields are set before `init`.
    let (base, size) = unsafe { ((*m).btf_base_data, (*m).btf_base_data_size) };
    if base.is_null() {
        // No distilled base: the BTF was built on vmlinux and is not moved.
        return Ok(0);
    }
    // SAFETY: the loader keeps the module's `.BTF.base` section of `size`
    // bytes at `base` while the module is loaded.
    let data = unsafe { core::slice::from_raw_parts(base.cast::<u8>(), size as usize) };
    let distilled = type_count(data).ok_or(EINVAL)?;
    Ok(vmlinux_type_count()?.wrapping_sub(distilled))
}
