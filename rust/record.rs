// SPDX-License-Identifier: GPL-2.0

//! Signature records: what the BTF step needs to know about each Rust kfunc.
//!
//! pahole runs with `--lang_exclude=rust`, so a Rust kfunc has no BTF and
//! resolve_btfids cannot resolve it. For every kfunc, [`kfunc_set!`] places
//! a record in the module's [`SECTION`]: the kfunc's name, its parameter
//! names and the C shape of its parameter and return types. Every
//! [`btf_struct!`] places one for the struct it declares. The host tool
//! `kfunc-btf` (tools/kfunc-btf) reads these records from the `.ko` and adds
//! the matching BTF (FUNC, FUNC_PROTO, STRUCT) before resolve_btfids runs.
//!
//! The records are built at compile time by `const fn`s from the Rust types'
//! [`BtfType`](crate::BtfType) descriptions, so they hold plain bytes with no
//! relocations. This file depends on `core` only: the host tool's tests
//! compile it to check that both sides agree on the format.
//!
//! # Format (version 1, little endian)
//!
//! ```text
//! record  := "KFRS" version:u8 kind:u8 length:u32 body     length counts the whole record
//! kfunc   := name:str ret:type count:u8 (name:str type)*   kind 1
//! struct  := name:str size:u32 count:u16 (name:str offset:u32 type)*   kind 2
//! str     := length:u16 bytes
//! type    := 0                                  void
//!          | 1 size:u8 signed:u8 name:str       integer, named after its C type
//!          | 2 size:u8                          bool
//!          | 3 const:u8 type                    pointer
//!          | 4 kind:u8 name:str                 kernel type, found by name in vmlinux BTF
//!          | 5 name:str                         module struct, declared by btf_struct!
//!          | 6 length:u32 type                  array
//! ```
//!
//! [`kfunc_set!`]: crate::kfunc_set
//! [`btf_struct!`]: crate::btf_struct

/// The ELF section that holds the records.
pub const SECTION: &str = ".kfunc_rs.btf";
/// The first bytes of every record.
pub const MAGIC: [u8; 4] = *b"KFRS";
/// The format version written by this crate.
pub const VERSION: u8 = 1;
/// Record kind of a kfunc signature.
pub const KIND_KFUNC: u8 = 1;
/// Record kind of a module struct.
pub const KIND_STRUCT: u8 = 2;
/// Bytes before a record's body: magic, version, kind, length.
pub const HEADER_LEN: usize = 10;

/// The kind of a kernel type found by name in vmlinux BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The C shape of a Rust type, as far as BTF is concerned.
///
/// # Examples
///
/// ```ignore
/// use kfunc::record::{KernelKind, Type};
///
/// // `*mut task_struct`:
/// const TASK: Type = Type::Kernel { kind: KernelKind::Struct, name: "task_struct" };
/// const TASK_PTR: Type = Type::Ptr { pointee: &TASK, is_const: false };
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
        /// Whether the pointee is `const` (`*const T`, `&T`).
        is_const: bool,
    },
    /// A type defined by the kernel, found by name in vmlinux BTF
    /// (`struct task_struct`).
    Kernel {
        /// Struct, union, enum or typedef.
        kind: KernelKind,
        /// The C name.
        name: &'static str,
    },
    /// A `#[repr(C)]` struct of the module, declared with `btf_struct!`,
    /// which places its own record.
    ModuleStruct {
        /// The struct's name in BTF.
        name: &'static str,
    },
    /// A fixed-size array.
    Array {
        /// Element type.
        elem: &'static Type,
        /// Number of elements.
        len: u32,
    },
}

/// A named, typed kfunc parameter or struct member.
#[derive(Debug)]
pub struct Field {
    /// The name as written in Rust; it reaches BTF unchanged, so the
    /// verifier's suffix annotations (`__sz`, `__k`, `__ign`, ...) work.
    pub name: &'static str,
    /// Byte offset (struct members only; 0 for parameters).
    pub offset: u32,
    /// The type.
    pub ty: &'static Type,
}

/// The signature of one kfunc.
///
/// # Examples
///
/// ```ignore
/// use kfunc::record::{Field, Kfunc, Type};
///
/// const U32: Type = Type::Int { size: 4, signed: false, name: "u32" };
/// const K: Kfunc = Kfunc {
///     name: "my_kfunc",
///     ret: &Type::Void,
///     params: &[Field { name: "x", offset: 0, ty: &U32 }],
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
    /// The parameters, in order.
    pub params: &'static [Field],
}

/// The layout of one module struct, as [`btf_struct!`](crate::btf_struct)
/// records it.
///
/// # Examples
///
/// ```ignore
/// use kfunc::record::{Field, Struct, Type};
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
/// assert_eq!(S.encode::<{ S.encoded_len() }>()[5], kfunc::record::KIND_STRUCT);
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

    const fn byte(mut self, b: u8) -> Self {
        if N != 0 {
            self.buf[self.pos] = b;
        }
        self.pos += 1;
        self
    }

    const fn bytes(mut self, b: &[u8]) -> Self {
        let mut i = 0;
        while i < b.len() {
            self = self.byte(b[i]);
            i += 1;
        }
        self
    }

    const fn u16(self, v: u16) -> Self {
        self.bytes(&v.to_le_bytes())
    }

    const fn u32(self, v: u32) -> Self {
        self.bytes(&v.to_le_bytes())
    }

    const fn str(self, s: &str) -> Self {
        assert!(
            s.len() <= u16::MAX as usize,
            "name too long for a signature record"
        );
        self.u16(s.len() as u16).bytes(s.as_bytes())
    }

    const fn header(self, kind: u8, len: usize) -> Self {
        assert!(len <= u32::MAX as usize, "signature record too long");
        self.bytes(&MAGIC).byte(VERSION).byte(kind).u32(len as u32)
    }

    const fn ty(self, t: &Type) -> Self {
        match t {
            Type::Void => self.byte(0),
            Type::Int { size, signed, name } => {
                self.byte(1).byte(*size).byte(*signed as u8).str(name)
            }
            Type::Bool => self.byte(2).byte(1),
            Type::Ptr { pointee, is_const } => self.byte(3).byte(*is_const as u8).ty(pointee),
            Type::Kernel { kind, name } => self.byte(4).byte(*kind as u8).str(name),
            Type::ModuleStruct { name } => self.byte(5).str(name),
            Type::Array { elem, len } => self.byte(6).u32(*len).ty(elem),
        }
    }

    const fn fields(mut self, fields: &[Field], with_offsets: bool) -> Self {
        let mut i = 0;
        while i < fields.len() {
            self = self.str(fields[i].name);
            if with_offsets {
                self = self.u32(fields[i].offset);
            }
            self = self.ty(fields[i].ty);
            i += 1;
        }
        self
    }

    const fn finish(self) -> [u8; N] {
        assert!(N == 0 || self.pos == N, "signature record size mismatch");
        self.buf
    }
}

impl Kfunc {
    const fn write<const N: usize>(&self, len: usize) -> Writer<N> {
        assert!(
            self.params.len() <= 12,
            "a kfunc takes at most 12 parameters"
        );
        Writer::<N>::new()
            .header(KIND_KFUNC, len)
            .str(self.name)
            .ty(self.ret)
            .byte(self.params.len() as u8)
            .fields(self.params, false)
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
        Writer::<N>::new()
            .header(KIND_STRUCT, len)
            .str(self.name)
            .u32(self.size)
            .u16(self.members.len() as u16)
            .fields(self.members, true)
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
