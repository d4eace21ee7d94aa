// SPDX-License-Identifier: GPL-2.0

//! Signature records: what the BTF step needs to know about a module's Rust
//! kfuncs, structs and variables. The one definition of the format.
//!
//! pahole runs with `--lang_exclude=rust`, so Rust code has no BTF and
//! resolve_btfids cannot resolve a Rust kfunc. For every kfunc,
//! [`kfunc_set!`] places a record in the module's [`SECTION`]: the kfunc's
//! name, its parameter names (with the verifier's suffixes) and the C shape
//! of its parameter and return types. [`btf_struct!`] places one for each
//! struct it declares, [`ksyms!`] one for each variable. The host tool
//! `kfunc-btf` (tools/kfunc-btf) reads them from the `.ko` and adds the
//! matching BTF (FUNC, FUNC_PROTO, STRUCT, VAR, DATASEC) before
//! resolve_btfids runs.
//!
//! Records are built at compile time by `const fn`s from the Rust types'
//! [`BtfType`](crate::BtfType) descriptions, so they are plain bytes with
//! no relocations. The BTF step clears `SHF_ALLOC` from the section: the
//! records are in the `.ko` file, never in the loaded module's memory.
//!
//! This file depends on `core` only, because both sides compile it: the
//! kernel crate writes records with it and `kfunc-btf` reads them with its
//! constants and tags, so the two cannot drift apart.
//!
//! # Format (version 3, little endian)
//!
//! ```text
//! record  := "KFRS" version:u8 kind:u8 length:u32 body     length counts the whole record
//! kfunc   := name:str ret:type count:u8 (name:str type)*   kind 1 (Kfunc)
//! struct  := name:str size:u32 count:u16 (name:str offset:u32 type)*   kind 2 (Struct)
//! var     := name:str percpu:u8 type                       kind 3 (Var)
//! str     := length:u16 bytes
//! type    := 0                                  void
//!          | 1 size:u8 signed:u8 name:str       integer, named after its C type
//!          | 2 size:u8                          bool
//!          | 3 const:u8 type                    pointer
//!          | 4 kind:u8 name:str size:u32        kernel type, found by name in vmlinux BTF
//!                                             (size: the Rust binding's, 0 if opaque)
//!          | 5 name:str                         module struct, declared by btf_struct!
//!          | 6 length:u32 type                  array
//! ```
//!
//! [`kfunc_set!`]: crate::kfunc_set
//! [`btf_struct!`]: crate::btf_struct
//! [`ksyms!`]: crate::ksyms

/// The ELF section that holds the records, for `#[link_section]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_rs_record_section {
    () => {
        ".kfunc_rs.btf"
    };
}

/// The ELF section that holds the records.
pub const SECTION: &str = crate::__kfunc_rs_record_section!();
/// The first bytes of every record.
pub const MAGIC: [u8; 4] = *b"KFRS";
/// The format version of this file.
pub const VERSION: u8 = 3;
/// Bytes before a record's body: magic, version, kind, length.
pub const HEADER_LEN: usize = 10;
/// The most parameters a record may hold (the BTF limit of the kernel's
/// own `MAX_BPF_FUNC_ARGS`); the target kernel's smaller limit is checked
/// at compile time (see `check.rs` of the kernel crate).
pub const MAX_PARAMS: usize = 12;

/// What a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordKind {
    /// A kfunc's signature.
    Kfunc = 1,
    /// A module struct's layout.
    Struct = 2,
    /// A module variable, for BPF programs' typed `__ksym`s.
    Var = 3,
}

impl RecordKind {
    /// The kind with this tag.
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Kfunc,
            2 => Self::Struct,
            3 => Self::Var,
            _ => return None,
        })
    }
}

/// The first byte of an encoded [`Type`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TypeTag {
    /// `void`
    Void = 0,
    /// An integer.
    Int = 1,
    /// `_Bool`
    Bool = 2,
    /// A pointer.
    Ptr = 3,
    /// A kernel type, found by name in vmlinux BTF.
    Kernel = 4,
    /// A module struct.
    ModuleStruct = 5,
    /// An array.
    Array = 6,
}

impl TypeTag {
    /// The tag with this value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Void,
            1 => Self::Int,
            2 => Self::Bool,
            3 => Self::Ptr,
            4 => Self::Kernel,
            5 => Self::ModuleStruct,
            6 => Self::Array,
            _ => return None,
        })
    }
}

/// The kind of a kernel type found by name in vmlinux BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum KernelKind {
    /// `struct name`
    Struct = 1,
    /// `union name`
    Union = 2,
    /// `enum name`
    Enum = 3,
    /// `typedef ... name`
    Typedef = 4,
}

impl KernelKind {
    /// The kind with this value.
    pub const fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Struct,
            2 => Self::Union,
            3 => Self::Enum,
            4 => Self::Typedef,
            _ => return None,
        })
    }

    /// The C keyword (`struct`, `union`, `enum`, `typedef`).
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::Struct => "struct",
            Self::Union => "union",
            Self::Enum => "enum",
            Self::Typedef => "typedef",
        }
    }
}

/// The C shape of a Rust type, as far as BTF is concerned.
///
/// # Examples
///
/// ```
/// use kfunc::record::{KernelKind, Type};
///
/// // `*mut task_struct`:
/// const TASK: Type = Type::Kernel { kind: KernelKind::Struct, name: "task_struct", size: 0 };
/// const TASK_PTR: Type = Type::Ptr { pointee: &TASK, is_const: false };
/// assert!(TASK_PTR.is_ptr());
/// ```
#[derive(Debug)]
pub enum Type {
    /// C `void`: a return type of `()`, or the pointee of `*mut c_void`.
    Void,
    /// A C integer, `name` being its kernel C spelling (`u32`, `s64`, ...).
    Int {
        /// Size in bytes.
        size: u8,
        /// Whether the type is signed.
        signed: bool,
        /// The kernel's C name for the type.
        name: &'static str,
    },
    /// C `_Bool`.
    Bool,
    /// A pointer.
    Ptr {
        /// What the pointer points to.
        pointee: &'static Type,
        /// Whether the pointee is `const` (`*const T`).
        is_const: bool,
    },
    /// A type defined by the kernel, found by name in vmlinux BTF
    /// (`struct task_struct`).
    Kernel {
        /// Struct, union, enum or typedef.
        kind: KernelKind,
        /// The C name.
        name: &'static str,
        /// `size_of` the Rust binding, 0 for an opaque one. The BTF step
        /// compares it with vmlinux's: a difference means bindgen and C
        /// disagree on the type's layout.
        size: usize,
    },
    /// A `#[repr(C)]` struct of the module, declared with `btf_struct!`,
    /// which places its own record.
    ModuleStruct {
        /// The struct's name in BTF.
        name: &'static str,
        /// `size_of` the struct (not encoded: its record has it).
        size: usize,
    },
    /// A fixed-size array.
    Array {
        /// Element type.
        elem: &'static Type,
        /// Number of elements.
        len: u32,
    },
}

impl Type {
    /// Whether this is a pointer.
    pub const fn is_ptr(&self) -> bool {
        matches!(self, Type::Ptr { .. })
    }

    /// The name and size of the struct this type is, or points to.
    pub const fn struct_behind(&self) -> Option<(&'static str, usize)> {
        match self {
            Type::Ptr { pointee, .. } => pointee.struct_behind(),
            Type::Kernel {
                kind: KernelKind::Struct,
                name,
                size,
            } => Some((name, *size)),
            Type::ModuleStruct { name, size } => Some((name, *size)),
            _ => None,
        }
    }
}

/// A kfunc parameter: its name as BTF will have it is `name` + `suffix`,
/// the suffix being the verifier annotation its Rust type stands for
/// (`__nullable`, `__k`, `__sz`, ...).
#[derive(Debug)]
pub struct Param {
    /// The name as written in Rust.
    pub name: &'static str,
    /// The verifier annotation of the parameter's type, or `""`.
    pub suffix: &'static str,
    /// The C type.
    pub ty: &'static Type,
}

impl Param {
    /// Whether the BTF name (`name` + `suffix`) ends in `end`.
    pub const fn ends_with(&self, end: &str) -> bool {
        let (n, s, e) = (self.name.as_bytes(), self.suffix.as_bytes(), end.as_bytes());
        if n.len() + s.len() < e.len() {
            return false;
        }
        let mut i = 0;
        while i < e.len() {
            // Byte `i` from the end of name + suffix.
            let from_end = e.len() - i;
            let c = if from_end <= s.len() {
                s[s.len() - from_end]
            } else {
                n[n.len() - (from_end - s.len())]
            };
            if c != e[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// `name` without the `r#` of a Rust raw identifier (`r#type` is C's
/// `type`).
pub const fn strip_raw(name: &'static str) -> &'static str {
    // (`from_utf8`, not `str::split_at`, which older kernels' MSRV does
    // not allow in a `const fn`.)
    match name.as_bytes() {
        [b'r', b'#', rest @ ..] => match core::str::from_utf8(rest) {
            Ok(s) => s,
            Err(_) => name,
        },
        _ => name,
    }
}

/// A struct member.
#[derive(Debug)]
pub struct Field {
    /// The member's name.
    pub name: &'static str,
    /// Byte offset.
    pub offset: u32,
    /// The type.
    pub ty: &'static Type,
}

/// The signature of one kfunc.
///
/// # Examples
///
/// ```
/// use kfunc::record::{Kfunc, Param, Type};
///
/// const U32: Type = Type::Int { size: 4, signed: false, name: "u32" };
/// const K: Kfunc = Kfunc {
///     name: "my_kfunc",
///     ret: &Type::Void,
///     params: &[Param { name: "x", suffix: "__k", ty: &U32 }],
/// };
/// const LEN: usize = K.encoded_len();
/// static RECORD: [u8; LEN] = K.encode::<LEN>();
/// assert_eq!(&RECORD[..4], b"KFRS");
/// ```
#[derive(Debug)]
pub struct Kfunc {
    /// The kfunc's symbol name.
    pub name: &'static str,
    /// The return type.
    pub ret: &'static Type,
    /// The C parameters, in order.
    pub params: &'static [Param],
}

/// The layout of one module struct, as [`btf_struct!`](crate::btf_struct)
/// records it.
///
/// # Examples
///
/// ```
/// use kfunc::record::{Field, RecordKind, Struct, Type};
///
/// const U64: Type = Type::Int { size: 8, signed: false, name: "u64" };
/// const S: Struct = Struct {
///     name: "my_pair",
///     size: 16,
///     members: &[
///         Field { name: "a", offset: 0, ty: &U64 },
///         Field { name: "b", offset: 8, ty: &U64 },
///     ],
/// };
/// assert_eq!(S.encode::<{ S.encoded_len() }>()[5], RecordKind::Struct as u8);
/// ```
#[derive(Debug)]
pub struct Struct {
    /// The struct's name in BTF.
    pub name: &'static str,
    /// `size_of` the struct.
    pub size: u32,
    /// The members, in declaration order, with their offsets.
    pub members: &'static [Field],
}

/// A module variable that BPF programs may read as a typed `__ksym`, as
/// [`ksyms!`](crate::ksyms) records it. The BTF step finds its section and
/// offset in the module's symbol table.
///
/// # Examples
///
/// ```
/// use kfunc::record::{Type, Var};
///
/// const V: Var = Var { name: "my_counter", percpu: true, ty: &Type::Bool };
/// assert_eq!(V.encoded_len(), 10 + 2 + 10 + 1 + 2);
/// ```
#[derive(Debug)]
pub struct Var {
    /// The variable's symbol name.
    pub name: &'static str,
    /// Whether it is a per-CPU variable (in `.data..percpu`).
    pub percpu: bool,
    /// The variable's type.
    pub ty: &'static Type,
}

/// Writes bytes into a buffer of `N` bytes, or only counts them when `N` is
/// 0, so that one `const fn` both sizes and fills a record.
struct Writer<const N: usize> {
    buf: [u8; N],
    pos: usize,
}

impl<const N: usize> Writer<N> {
    const fn new() -> Self {
        Self {
            buf: [0; N],
            pos: 0,
        }
    }

    const fn byte(&mut self, b: u8) -> &mut Self {
        if N != 0 {
            self.buf[self.pos] = b;
        }
        self.pos += 1;
        self
    }

    const fn bytes(&mut self, b: &[u8]) -> &mut Self {
        if N != 0 {
            let mut i = 0;
            while i < b.len() {
                self.buf[self.pos + i] = b[i];
                i += 1;
            }
        }
        self.pos += b.len();
        self
    }

    const fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    const fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A `str` of the two parts `a` and `b`, written as one.
    const fn str2(&mut self, a: &str, b: &str) -> &mut Self {
        assert!(
            a.len() + b.len() <= u16::MAX as usize,
            "name too long for a signature record"
        );
        self.u16((a.len() + b.len()) as u16)
            .bytes(a.as_bytes())
            .bytes(b.as_bytes())
    }

    const fn str(&mut self, s: &str) -> &mut Self {
        self.str2(s, "")
    }

    const fn header(&mut self, kind: RecordKind, len: usize) -> &mut Self {
        assert!(len <= u32::MAX as usize, "signature record too long");
        self.bytes(&MAGIC)
            .byte(VERSION)
            .byte(kind as u8)
            .u32(len as u32)
    }

    const fn ty(&mut self, t: &Type) -> &mut Self {
        match t {
            Type::Void => self.byte(TypeTag::Void as u8),
            Type::Int { size, signed, name } => self
                .byte(TypeTag::Int as u8)
                .byte(*size)
                .byte(*signed as u8)
                .str(name),
            Type::Bool => self.byte(TypeTag::Bool as u8).byte(1),
            Type::Ptr { pointee, is_const } => self
                .byte(TypeTag::Ptr as u8)
                .byte(*is_const as u8)
                .ty(pointee),
            Type::Kernel { kind, name, size } => {
                assert!(*size <= u32::MAX as usize, "kernel type too large");
                self.byte(TypeTag::Kernel as u8)
                    .byte(*kind as u8)
                    .str(name)
                    .u32(*size as u32)
            }
            Type::ModuleStruct { name, .. } => self.byte(TypeTag::ModuleStruct as u8).str(name),
            Type::Array { elem, len } => self.byte(TypeTag::Array as u8).u32(*len).ty(elem),
        }
    }

    const fn finish(self) -> [u8; N] {
        assert!(N == 0 || self.pos == N, "signature record size mismatch");
        self.buf
    }
}

impl Kfunc {
    const fn write<const N: usize>(&self, len: usize) -> Writer<N> {
        assert!(
            self.params.len() <= MAX_PARAMS,
            "a kfunc takes at most 12 parameters"
        );
        let mut w = Writer::<N>::new();
        w.header(RecordKind::Kfunc, len)
            .str(self.name)
            .ty(self.ret)
            .byte(self.params.len() as u8);
        let mut i = 0;
        while i < self.params.len() {
            let p = &self.params[i];
            w.str2(p.name, p.suffix).ty(p.ty);
            i += 1;
        }
        w
    }

    /// The size of this kfunc's record.
    pub const fn encoded_len(&self) -> usize {
        self.write::<0>(0).pos
    }

    /// This kfunc's record; `N` must be [`Self::encoded_len`].
    pub const fn encode<const N: usize>(&self) -> [u8; N] {
        self.write::<N>(N).finish()
    }
}

impl Struct {
    const fn write<const N: usize>(&self, len: usize) -> Writer<N> {
        assert!(
            self.members.len() <= u16::MAX as usize,
            "too many struct members"
        );
        let mut w = Writer::<N>::new();
        w.header(RecordKind::Struct, len)
            .str(self.name)
            .u32(self.size)
            .u16(self.members.len() as u16);
        let mut i = 0;
        while i < self.members.len() {
            let m = &self.members[i];
            w.str(m.name).u32(m.offset).ty(m.ty);
            i += 1;
        }
        w
    }

    /// The size of this struct's record.
    pub const fn encoded_len(&self) -> usize {
        self.write::<0>(0).pos
    }

    /// This struct's record; `N` must be [`Self::encoded_len`].
    pub const fn encode<const N: usize>(&self) -> [u8; N] {
        self.write::<N>(N).finish()
    }
}

impl Var {
    const fn write<const N: usize>(&self, len: usize) -> Writer<N> {
        let mut w = Writer::<N>::new();
        w.header(RecordKind::Var, len)
            .str(self.name)
            .byte(self.percpu as u8)
            .ty(self.ty);
        w
    }

    /// The size of this variable's record.
    pub const fn encoded_len(&self) -> usize {
        self.write::<0>(0).pos
    }

    /// This variable's record; `N` must be [`Self::encoded_len`].
    pub const fn encode<const N: usize>(&self) -> [u8; N] {
        self.write::<N>(N).finish()
    }
}
