// SPDX-License-Identifier: GPL-2.0

//! A small safe wrapper over libbpf's BTF API (libbpf-sys): parsing base
//! and split BTF, looking types up, adding types, dedup and raw output.
//!
//! C header: libbpf's `btf.h`.

use anyhow::{bail, Context, Result};
use libbpf_sys as sys;
use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr::NonNull;

/// BTF kinds, as in `include/uapi/linux/btf.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// BTF_KIND_INT
    Int,
    /// BTF_KIND_PTR
    Ptr,
    /// BTF_KIND_ARRAY
    Array,
    /// BTF_KIND_STRUCT
    Struct,
    /// BTF_KIND_UNION
    Union,
    /// BTF_KIND_ENUM
    Enum,
    /// BTF_KIND_FWD
    Fwd,
    /// BTF_KIND_TYPEDEF
    Typedef,
    /// BTF_KIND_FUNC
    Func,
    /// BTF_KIND_FUNC_PROTO
    FuncProto,
    /// BTF_KIND_ENUM64
    Enum64,
    /// BTF_KIND_VAR
    Var,
    /// BTF_KIND_DATASEC
    Datasec,
    /// BTF_KIND_DECL_TAG
    DeclTag,
    /// Any other kind, by number.
    Other(u32),
}

impl Kind {
    fn raw(self) -> u32 {
        match self {
            Kind::Int => sys::BTF_KIND_INT,
            Kind::Ptr => sys::BTF_KIND_PTR,
            Kind::Array => sys::BTF_KIND_ARRAY,
            Kind::Struct => sys::BTF_KIND_STRUCT,
            Kind::Union => sys::BTF_KIND_UNION,
            Kind::Enum => sys::BTF_KIND_ENUM,
            Kind::Fwd => sys::BTF_KIND_FWD,
            Kind::Typedef => sys::BTF_KIND_TYPEDEF,
            Kind::Func => sys::BTF_KIND_FUNC,
            Kind::FuncProto => sys::BTF_KIND_FUNC_PROTO,
            Kind::Enum64 => sys::BTF_KIND_ENUM64,
            Kind::Var => sys::BTF_KIND_VAR,
            Kind::Datasec => sys::BTF_KIND_DATASEC,
            Kind::DeclTag => sys::BTF_KIND_DECL_TAG,
            Kind::Other(k) => k,
        }
    }

    fn from_raw(k: u32) -> Self {
        [
            Kind::Int,
            Kind::Ptr,
            Kind::Array,
            Kind::Struct,
            Kind::Union,
            Kind::Enum,
            Kind::Fwd,
            Kind::Typedef,
            Kind::Func,
            Kind::FuncProto,
            Kind::Enum64,
            Kind::Var,
            Kind::Datasec,
            Kind::DeclTag,
        ]
        .into_iter()
        .find(|kind| kind.raw() == k)
        .unwrap_or(Kind::Other(k))
    }
}

/// A BTF type id (0 is `void`).
pub type TypeId = u32;

/// What a type is, as far as this tool looks at types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    /// The kind.
    pub kind: Kind,
    /// The name ("" for anonymous types).
    pub name: String,
    /// Size in bytes (INT, STRUCT, UNION, ENUM) or 0.
    pub size: u32,
    /// Referenced type (PTR, TYPEDEF, FUNC, CONST, ...) or 0.
    pub target: TypeId,
}

/// The header libbpf knows and writes: `struct btf_header`, 24 bytes.
const HEADER_LEN: u32 = size_of::<sys::btf_header>() as u32;

/// Checks that the raw BTF file `path` can be read and written back
/// through libbpf without loss. libbpf reads a longer header than its own
/// `struct btf_header` (newer pahole adds sections, such as the kind
/// layout one, after `str_len`) but writes only its own 24 bytes and the
/// type and string sections, so the sections it does not know would be
/// dropped without a word.
pub fn check_rewritable(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut hdr = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut hdr))
        .with_context(|| format!("cannot read the BTF header of {}", path.display()))?;
    let magic = u16::from_ne_bytes([hdr[0], hdr[1]]);
    let hdr_len = u32::from_ne_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    // BTF is in the target's byte order, which may not be the host's.
    let hdr_len = if u32::from(magic) == sys::BTF_MAGIC {
        hdr_len
    } else if u32::from(magic.swap_bytes()) == sys::BTF_MAGIC {
        hdr_len.swap_bytes()
    } else {
        bail!(
            "{} is not a raw BTF file (magic {magic:#06x}); the BTF step takes the detached \
             BTF file pahole writes",
            path.display()
        );
    };
    if hdr_len > HEADER_LEN {
        bail!(
            "{} has a BTF header of {hdr_len} bytes (hdr_len), longer than the {HEADER_LEN} \
             bytes of the struct btf_header libbpf writes: rewriting it would drop the sections \
             only the longer header describes (such as the kind layout section of newer \
             pahole versions), which this kfunc-btf does not know",
            path.display()
        );
    }
    Ok(())
}

/// An owned `struct btf`, alone or split on a base.
pub struct Btf {
    ptr: NonNull<sys::btf>,
    // Keeps the base alive while the split BTF refers to it.
    _base: Option<std::rc::Rc<Btf>>,
}

fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| anyhow::anyhow!("name {s:?} contains a NUL byte"))
}

fn check_id(op: &str, name: &str, id: i32) -> Result<TypeId> {
    if id < 0 {
        bail!(
            "libbpf {op} failed for {name:?}: {}",
            std::io::Error::from_raw_os_error(-id)
        );
    }
    Ok(id as TypeId)
}

fn path_cstring(path: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| anyhow::anyhow!("path {} contains a NUL byte", path.display()))
}

impl Btf {
    fn from_raw(ptr: *mut sys::btf, base: Option<std::rc::Rc<Btf>>, what: &str) -> Result<Self> {
        match NonNull::new(ptr) {
            Some(ptr) => Ok(Self { ptr, _base: base }),
            None => bail!("{what}: {}", std::io::Error::last_os_error()),
        }
    }

    /// Parses the BTF of an ELF file (its `.BTF` section) or a raw BTF file.
    pub fn parse(path: &Path) -> Result<Self> {
        let c = path_cstring(path)?;
        // SAFETY: `c` is a valid C string; libbpf returns NULL on error.
        let ptr = unsafe { sys::btf__parse(c.as_ptr(), std::ptr::null_mut()) };
        Self::from_raw(
            ptr,
            None,
            &format!("cannot read BTF from {}", path.display()),
        )
    }

    /// Parses split BTF from `path` on top of `base`.
    pub fn parse_split(path: &Path, base: std::rc::Rc<Btf>) -> Result<Self> {
        let c = path_cstring(path)?;
        // SAFETY: `c` is a valid C string and `base` a valid BTF that
        // outlives the result (the result holds an `Rc` to it).
        let ptr = unsafe { sys::btf__parse_split(c.as_ptr(), base.ptr.as_ptr()) };
        Self::from_raw(
            ptr,
            Some(base),
            &format!("cannot read split BTF from {}", path.display()),
        )
    }

    /// An empty BTF, for tests and tools building BTF from scratch.
    pub fn new_empty() -> Result<Self> {
        // SAFETY: no arguments; libbpf returns NULL on error.
        Self::from_raw(unsafe { sys::btf__new_empty() }, None, "btf__new_empty")
    }

    /// An empty split BTF on top of `base`.
    pub fn new_split(base: std::rc::Rc<Btf>) -> Result<Self> {
        // SAFETY: `base` is valid and outlives the result.
        let ptr = unsafe { sys::btf__new_empty_split(base.ptr.as_ptr()) };
        Self::from_raw(ptr, Some(base), "btf__new_empty_split")
    }

    /// The first type id of this BTF's own types (1, or the base's count
    /// for split BTF).
    pub fn first_own_id(&self) -> TypeId {
        // SAFETY: valid BTF; the base, if any, is kept alive by `_base`
        // (or by libbpf, for a distilled base it made).
        let base = unsafe { sys::btf__base_btf(self.ptr.as_ptr()) };
        if base.is_null() {
            1
        } else {
            // SAFETY: `base` is a valid BTF.
            unsafe { sys::btf__type_cnt(base) }
        }
    }

    /// The element type of ARRAY `id`.
    pub fn array_elem(&self, id: TypeId) -> Option<TypeId> {
        if self.info(id)?.kind != Kind::Array {
            return None;
        }
        // SAFETY: `id` is a valid ARRAY: a `btf_type` followed by a
        // `btf_array`.
        Some(unsafe {
            (*sys::btf__type_by_id(self.ptr.as_ptr(), id)
                .add(1)
                .cast::<sys::btf_array>())
            .type_
        })
    }

    /// The target and component index of DECL_TAG `id`.
    pub fn decl_tag(&self, id: TypeId) -> Option<(TypeId, i32)> {
        let info = self.info(id)?;
        if info.kind != Kind::DeclTag {
            return None;
        }
        // SAFETY: `id` is a valid DECL_TAG: a `btf_type` followed by a
        // `btf_decl_tag`.
        let idx = unsafe {
            let t = sys::btf__type_by_id(self.ptr.as_ptr(), id);
            (*t.add(1).cast::<sys::btf_decl_tag>()).component_idx
        };
        Some((info.target, idx))
    }

    /// The C declaration of type `id` named `name` (`u64 value`, `struct
    /// task_struct *f(s32 pid)`), as libbpf's btf_dump (and so bpftool)
    /// writes it.
    pub fn c_decl(&self, id: TypeId, name: &str) -> Result<String> {
        crate::c_decl::emit(self.ptr.as_ptr(), id, name)
    }

    /// Number of type ids, including void and the base's types.
    pub fn type_count(&self) -> u32 {
        // SAFETY: `self.ptr` is a valid BTF.
        unsafe { sys::btf__type_cnt(self.ptr.as_ptr()) }
    }

    /// Finds a type by name and kind (in the base too, for split BTF).
    pub fn find(&self, name: &str, kind: Kind) -> Option<TypeId> {
        let c = CString::new(name).ok()?;
        // SAFETY: valid BTF and C string.
        let id = unsafe { sys::btf__find_by_name_kind(self.ptr.as_ptr(), c.as_ptr(), kind.raw()) };
        (id > 0).then_some(id as TypeId)
    }

    /// Finds a type of this BTF's own by name and kind (not the base's).
    pub fn find_own(&self, name: &str, kind: Kind) -> Option<TypeId> {
        (self.first_own_id()..self.type_count()).find(|&id| {
            self.info(id)
                .is_some_and(|i| i.kind == kind && i.name == name)
        })
    }

    /// The names of this BTF's own types of `kind` (not the base's).
    pub fn own_names(&self, kind: Kind) -> std::collections::HashSet<String> {
        self.names(self.first_own_id()..self.type_count(), kind)
    }

    /// The names of its base's types of `kind` (none without a base).
    pub fn base_names(&self, kind: Kind) -> std::collections::HashSet<String> {
        self.names(1..self.first_own_id(), kind)
    }

    fn names(&self, ids: std::ops::Range<TypeId>, kind: Kind) -> std::collections::HashSet<String> {
        ids.filter_map(|id| self.info(id))
            .filter(|i| i.kind == kind)
            .map(|i| i.name)
            .collect()
    }

    /// Describes type `id`, or `None` if there is no such type.
    pub fn info(&self, id: TypeId) -> Option<TypeInfo> {
        // SAFETY: valid BTF; libbpf checks `id` and returns NULL if invalid.
        let t = unsafe { sys::btf__type_by_id(self.ptr.as_ptr(), id) };
        // SAFETY: a non-NULL result points into this BTF, alive as `self`.
        let t = unsafe { t.as_ref() }?;
        let kind = Kind::from_raw((t.info >> 24) & 0x1f);
        // SAFETY: `name_off` comes from this BTF; the result is a C string
        // owned by it (or NULL).
        let name = unsafe { sys::btf__name_by_offset(self.ptr.as_ptr(), t.name_off) };
        let name = if name.is_null() {
            String::new()
        } else {
            // SAFETY: non-NULL names are NUL-terminated strings of this BTF.
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned()
        };
        // SAFETY: `size` and `type` share a union; both are plain `u32`s.
        let size_or_type = unsafe { t.__bindgen_anon_1.size };
        let sized = matches!(
            kind,
            Kind::Int | Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Datasec
        );
        Some(TypeInfo {
            kind,
            name,
            size: if sized { size_or_type } else { 0 },
            target: if sized { 0 } else { size_or_type },
        })
    }

    /// The named entries of a STRUCT, UNION or FUNC_PROTO: (name, type id,
    /// bit offset; 0 for parameters).
    pub fn members(&self, id: TypeId) -> Vec<(String, TypeId, u32)> {
        let Some(info) = self.info(id) else {
            return Vec::new();
        };
        // SAFETY: `id` is valid (checked above); the type lives as `self`.
        let t = unsafe { &*sys::btf__type_by_id(self.ptr.as_ptr(), id) };
        let vlen = (t.info & 0xffff) as usize;
        let name = |off: u32| {
            // SAFETY: offsets come from this BTF; names are C strings.
            let p = unsafe { sys::btf__name_by_offset(self.ptr.as_ptr(), off) };
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: non-NULL names are NUL-terminated.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        // SAFETY: the entries follow the type record, `vlen` of them, as
        // laid out by include/uapi/linux/btf.h for these kinds.
        unsafe {
            let after = (t as *const sys::btf_type).add(1);
            match info.kind {
                Kind::Struct | Kind::Union => {
                    let m = std::slice::from_raw_parts(after.cast::<sys::btf_member>(), vlen);
                    m.iter()
                        .map(|m| (name(m.name_off), m.type_, m.offset))
                        .collect()
                }
                Kind::FuncProto => {
                    let p = std::slice::from_raw_parts(after.cast::<sys::btf_param>(), vlen);
                    p.iter().map(|p| (name(p.name_off), p.type_, 0)).collect()
                }
                _ => Vec::new(),
            }
        }
    }

    /// Follows typedefs and modifiers to the underlying type.
    pub fn resolve(&self, id: TypeId) -> Option<TypeId> {
        // SAFETY: valid BTF; libbpf checks `id`.
        let r = unsafe { sys::btf__resolve_type(self.ptr.as_ptr(), id) };
        (r >= 0).then_some(r as TypeId)
    }

    /// Adds `INT name` of `size` bytes.
    pub fn add_int(
        &mut self,
        name: &str,
        size: u32,
        signed: bool,
        boolean: bool,
    ) -> Result<TypeId> {
        let c = c_string(name)?;
        let encoding = if boolean {
            sys::BTF_INT_BOOL
        } else if signed {
            sys::BTF_INT_SIGNED
        } else {
            0
        };
        // SAFETY: valid BTF and C string.
        let id = unsafe {
            sys::btf__add_int(
                self.ptr.as_ptr(),
                c.as_ptr(),
                u64::from(size),
                encoding as i32,
            )
        };
        check_id("btf__add_int", name, id)
    }

    /// Adds a pointer to `target`.
    pub fn add_ptr(&mut self, target: TypeId) -> Result<TypeId> {
        // SAFETY: valid BTF.
        check_id("btf__add_ptr", "", unsafe {
            sys::btf__add_ptr(self.ptr.as_ptr(), target as i32)
        })
    }

    /// Adds `const target`.
    pub fn add_const(&mut self, target: TypeId) -> Result<TypeId> {
        // SAFETY: valid BTF.
        check_id("btf__add_const", "", unsafe {
            sys::btf__add_const(self.ptr.as_ptr(), target as i32)
        })
    }

    /// Adds `typedef target name`.
    pub fn add_typedef(&mut self, name: &str, target: TypeId) -> Result<TypeId> {
        let c = c_string(name)?;
        // SAFETY: valid BTF and C string.
        let id = unsafe { sys::btf__add_typedef(self.ptr.as_ptr(), c.as_ptr(), target as i32) };
        check_id("btf__add_typedef", name, id)
    }

    /// Adds a forward declaration of `struct name`.
    pub fn add_fwd_struct(&mut self, name: &str) -> Result<TypeId> {
        let c = c_string(name)?;
        // SAFETY: valid BTF and C string.
        let id = unsafe { sys::btf__add_fwd(self.ptr.as_ptr(), c.as_ptr(), sys::BTF_FWD_STRUCT) };
        check_id("btf__add_fwd", name, id)
    }

    /// Adds `struct name` of `size` bytes with `members` (name, type id,
    /// byte offset).
    pub fn add_struct(
        &mut self,
        name: &str,
        size: u32,
        members: &[(String, TypeId, u32)],
    ) -> Result<TypeId> {
        let c = c_string(name)?;
        // SAFETY: valid BTF and C string.
        let id = check_id("btf__add_struct", name, unsafe {
            sys::btf__add_struct(self.ptr.as_ptr(), c.as_ptr(), size)
        })?;
        for (member, ty, offset) in members {
            let m = c_string(member)?;
            // SAFETY: valid BTF; the struct just added is the last type,
            // which is what btf__add_field appends to.
            let err = unsafe {
                sys::btf__add_field(self.ptr.as_ptr(), m.as_ptr(), *ty as i32, offset * 8, 0)
            };
            check_id("btf__add_field", member, err)?;
        }
        Ok(id)
    }

    /// Adds `elem[len]`, indexed by `index` (an integer type).
    pub fn add_array(&mut self, index: TypeId, elem: TypeId, len: u32) -> Result<TypeId> {
        // SAFETY: valid BTF.
        let id = unsafe { sys::btf__add_array(self.ptr.as_ptr(), index as i32, elem as i32, len) };
        check_id("btf__add_array", "", id)
    }

    /// Adds a function prototype returning `ret` with named parameters.
    pub fn add_func_proto(&mut self, ret: TypeId, params: &[(String, TypeId)]) -> Result<TypeId> {
        // SAFETY: valid BTF.
        let id = check_id("btf__add_func_proto", "", unsafe {
            sys::btf__add_func_proto(self.ptr.as_ptr(), ret as i32)
        })?;
        for (name, ty) in params {
            let c = c_string(name)?;
            // SAFETY: valid BTF; the prototype just added is the last type,
            // which is what btf__add_func_param appends to.
            let err =
                unsafe { sys::btf__add_func_param(self.ptr.as_ptr(), c.as_ptr(), *ty as i32) };
            check_id("btf__add_func_param", name, err)?;
        }
        Ok(id)
    }

    /// Adds a global, allocated variable `name` of type `ty`.
    pub fn add_var(&mut self, name: &str, ty: TypeId) -> Result<TypeId> {
        let c = c_string(name)?;
        // SAFETY: valid BTF and C string.
        let id = unsafe {
            sys::btf__add_var(
                self.ptr.as_ptr(),
                c.as_ptr(),
                sys::BTF_VAR_GLOBAL_ALLOCATED as i32,
                ty as i32,
            )
        };
        check_id("btf__add_var", name, id)
    }

    /// Adds a data section `name` of `size` bytes holding `vars` (variable
    /// id, offset, size), which must be sorted by offset.
    pub fn add_datasec(
        &mut self,
        name: &str,
        size: u32,
        vars: &[(TypeId, u32, u32)],
    ) -> Result<TypeId> {
        let c = c_string(name)?;
        // SAFETY: valid BTF and C string.
        let id = check_id("btf__add_datasec", name, unsafe {
            sys::btf__add_datasec(self.ptr.as_ptr(), c.as_ptr(), size)
        })?;
        for (var, offset, vsize) in vars {
            // SAFETY: valid BTF; the data section just added is the last
            // type, which is what btf__add_datasec_var_info appends to.
            let err = unsafe {
                sys::btf__add_datasec_var_info(self.ptr.as_ptr(), *var as i32, *offset, *vsize)
            };
            check_id("btf__add_datasec_var_info", name, err)?;
        }
        Ok(id)
    }

    /// Adds a global function `name` of prototype `proto`.
    pub fn add_func(&mut self, name: &str, proto: TypeId) -> Result<TypeId> {
        let c = c_string(name)?;
        // SAFETY: valid BTF and C string.
        let id = unsafe {
            sys::btf__add_func(
                self.ptr.as_ptr(),
                c.as_ptr(),
                sys::BTF_FUNC_GLOBAL,
                proto as i32,
            )
        };
        check_id("btf__add_func", name, id)
    }

    /// Deduplicates the BTF (for split BTF: against the base too, so types
    /// equal to the base's become the base's).
    pub fn dedup(&mut self) -> Result<()> {
        // SAFETY: valid BTF; NULL options are the defaults.
        let err = unsafe { sys::btf__dedup(self.ptr.as_ptr(), std::ptr::null()) };
        check_id("btf__dedup", "", err).map(|_| ())
    }

    /// The raw BTF, as written to a `.BTF` section or a detached file (for
    /// split BTF: only the split part).
    pub fn raw_data(&self) -> Result<Vec<u8>> {
        let mut size = 0u32;
        // SAFETY: valid BTF; libbpf returns a buffer of `size` bytes it owns.
        let data = unsafe { sys::btf__raw_data(self.ptr.as_ptr(), &mut size) };
        if data.is_null() {
            bail!("btf__raw_data: {}", std::io::Error::last_os_error());
        }
        // SAFETY: the buffer has `size` bytes and lives as long as `self`.
        Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size as usize) }.to_vec())
    }
}

impl Drop for Btf {
    fn drop(&mut self) {
        // SAFETY: we own the BTF; the base (if any) is dropped after it.
        unsafe { sys::btf__free(self.ptr.as_ptr()) };
    }
}
