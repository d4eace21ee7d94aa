// SPDX-License-Identifier: GPL-2.0

//! Signature records: what the BTF step needs to know about a module's Rust
//! kfuncs, structs and variables. The one definition of the format.
//!
//! pahole runs with `--lang_exclude=rust`, so Rust code has no BTF and
//! resolve_btfids cannot resolve a Rust kfunc. For every kfunc set (and
//! `kfunc_dtors!` list), [`kfunc_set!`] places a record in the module's
//! [`SECTION`] with, for each kfunc, its place in the list's `.BTF_ids`
//! entries (whose symbols name the kfuncs), its parameter names, and its
//! signature: the C shape of its parameter and return types and the
//! verifier's suffixes of the parameter names. [`btf_struct!`] places one
//! for each struct it declares, [`ksyms!`] one for each variable. The host tool
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
//! # Format (version 6, little endian)
//!
//! ```text
//! record  := "KFRS" version:u8 kind:u8 length:u32 body     length counts the whole record
//! kfuncs  := list:str count:u16 sig{count} kfunc+       kind 1 (Kfunc)
//! sig     := count:u8 ret:type (suffix:str type){count}
//! kfunc   := at:u32 sig:u16 params:str        sig: an index of the record's sigs
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
//! A kfunc record holds one kfunc or more (a set's), and the distinct
//! signatures they have, which each kfunc names by its index. Its `list`
//! is the symbol of the set or destructor list in `.BTF_ids` that holds
//! them ([`ListKind`]), and a kfunc's `at` the offset from that symbol of
//! the kfunc's BTF id, whose symbol, `__BTF_ID__func__<name>__<n>`, names
//! the kfunc: the name is not written twice, and the const evaluator,
//! which pays for every byte it writes, does not copy it. A kfunc's
//! parameter `i` is named [`param_name`]`(params, i)` + `suffix[i]` in BTF:
//! `params` holds the names of all of them, as written in Rust, in one
//! string. A signature
//! depends only on a kfunc's types: it is encoded once per Rust signature
//! ([`Sig::new`]) and written once per record ([`SigTable`]).
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

/// The prefix of a kfunc set's symbol in `.BTF_ids`, for `concat!`:
/// `__BTF_ID__set8__<set>`, as `BTF_KFUNCS_START` (btf_ids.h) names it.
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_rs_set8_prefix {
    () => {
        "__BTF_ID__set8__"
    };
}

/// The prefix of a destructor list's symbol in `.BTF_ids`, for `concat!`:
/// `__kfunc_rs_dtors__<list>` ([`kfunc_dtors!`](crate::kfunc_dtors)).
#[doc(hidden)]
#[macro_export]
macro_rules! __kfunc_rs_dtors_prefix {
    () => {
        "__kfunc_rs_dtors__"
    };
}

/// A list of kfuncs' BTF ids in `.BTF_ids`, which a kfunc record names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// A kfunc set, a `struct btf_id_set8`: a header of 8 bytes, then an
    /// id and its flags (8 bytes) per kfunc in the build.
    Set8,
    /// A destructor list ([`kfunc_dtors!`](crate::kfunc_dtors)): a type's
    /// id, then its destructor's (8 bytes) per destructor.
    Dtors,
}

impl ListKind {
    /// The prefix of the list's symbol, followed by the list's name.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Set8 => crate::__kfunc_rs_set8_prefix!(),
            Self::Dtors => crate::__kfunc_rs_dtors_prefix!(),
        }
    }

    /// Whether the list has a slot for an entry, in the build if `enabled`:
    /// a set holds only the entries in the build (the assembler skips the
    /// others, `.if` in [`kfunc_set!`](crate::kfunc_set)), a destructor
    /// list holds them all.
    pub const fn has_slot(self, enabled: bool) -> bool {
        enabled || matches!(self, Self::Dtors)
    }

    /// The offset from the list's symbol of the BTF id of its kfunc `i`.
    pub const fn id_at(self, i: usize) -> u32 {
        let at = match self {
            Self::Set8 => 8 + 8 * i,
            Self::Dtors => 8 * i + 4,
        };
        assert!(at <= u32::MAX as usize, "a list too long for a record");
        at as u32
    }
}

/// The first bytes of every record.
pub const MAGIC: [u8; 4] = *b"KFRS";
/// The format version of this file.
pub const VERSION: u8 = 6;
/// Bytes before a record's body: magic, version, kind, length.
pub const HEADER_LEN: usize = 10;
/// The most parameters a record may hold (the BTF limit of the kernel's
/// own `MAX_BPF_FUNC_ARGS`); the target kernel's smaller limit is checked
/// at compile time (see `check.rs` of the kernel crate).
pub const MAX_PARAMS: usize = 12;

// Records are built by the compiler's const evaluator, for every kfunc of
// every build, and it pays for every statement it runs, a call costing
// as much as a dozen: sizes are sums, not a dry run of the writer; the
// writer's appends are macros, expanded in place; bytes are copied by
// matching slices, eight at a time while eight or more remain (no calls
// to `len` or indexing of the source; a `copy_nonoverlapping` call saves
// nothing here, and older kernels' MSRV does not allow it in a `const
// fn`), names' lengths are counted as they are written, a type's chain of
// pointers and arrays is a loop, not recursion, what depends only on a
// kfunc's types is encoded once per signature ([`Sig`]), and a set's
// kfuncs share one record.

/// The bytes of a `&'static str`, without calling `str::as_bytes`.
macro_rules! bytes {
    ($s:expr) => {{
        let s: &'static str = $s;
        // SAFETY: `str` has the layout of `[u8]`: its UTF-8 bytes, which
        // live as long.
        unsafe { ::core::mem::transmute::<&'static str, &'static [u8]>(s) }
    }};
}

/// Appends to `$buf` at `$pos`: a list of bytes `[...]`, or a `&[u8]`.
macro_rules! put {
    ($buf:ident, $pos:ident, [$($b:expr),+]) => {{
        $( $buf[$pos] = $b; $pos += 1; )+
    }};
    ($buf:ident, $pos:ident, $s:expr) => {{
        let mut s: &[u8] = $s;
        while let [b0, b1, b2, b3, b4, b5, b6, b7, rest @ ..] = s {
            $buf[$pos] = *b0;
            $buf[$pos + 1] = *b1;
            $buf[$pos + 2] = *b2;
            $buf[$pos + 3] = *b3;
            $buf[$pos + 4] = *b4;
            $buf[$pos + 5] = *b5;
            $buf[$pos + 6] = *b6;
            $buf[$pos + 7] = *b7;
            $pos += 8;
            s = rest;
        }
        while let [b, rest @ ..] = s {
            $buf[$pos] = *b;
            $pos += 1;
            s = rest;
        }
    }};
}

/// Appends a little-endian `u16` or `u32`.
macro_rules! put_le {
    ($buf:ident, $pos:ident, u16, $v:expr) => {{
        let v: u16 = $v;
        put!($buf, $pos, [v as u8, (v >> 8) as u8])
    }};
    ($buf:ident, $pos:ident, u32, $v:expr) => {{
        let v: u32 = $v;
        put!(
            $buf,
            $pos,
            [v as u8, (v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8]
        )
    }};
}

/// Appends a name: its length (`u16`) and its bytes, the two parts `$a`
/// and `$b` (if given) written as one.
macro_rules! put_name {
    ($buf:ident, $pos:ident, $a:expr $(, $b:expr)?) => {{
        let mut at = $pos;
        $pos += 2;
        put!($buf, $pos, bytes!($a));
        $(put!($buf, $pos, bytes!($b));)?
        let len = $pos - at - 2;
        assert!(
            len <= u16::MAX as usize,
            "name too long for a signature record"
        );
        put_le!($buf, at, u16, len as u16);
    }};
}

/// Appends a record's header, its length left 0 for [`end_record`].
macro_rules! put_header {
    ($buf:ident, $pos:ident, $kind:expr) => {{
        let [m0, m1, m2, m3] = MAGIC;
        put!(
            $buf,
            $pos,
            [m0, m1, m2, m3, VERSION, $kind as u8, 0, 0, 0, 0]
        );
    }};
}

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

/// A kfunc parameter, as BTF will name it: `name` + `suffix`, the suffix
/// being the verifier annotation its Rust type stands for (`__nullable`,
/// `__k`, `__sz`, ...). A view of one parameter of a [`Kfunc`]
/// ([`Kfunc::param`]).
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// The name as written in Rust, without the `r#` of a raw identifier.
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
        let (nl, sl, el) = (n.len(), s.len(), e.len());
        if nl + sl < el {
            return false;
        }
        let mut i = 0;
        while i < el {
            // Byte `i` from the end of name + suffix.
            let from_end = el - i;
            let c = if from_end <= sl {
                s[sl - from_end]
            } else {
                n[nl - (from_end - sl)]
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
    match bytes!(name) {
        [b'r', b'#', rest @ ..] => match core::str::from_utf8(rest) {
            Ok(s) => s,
            Err(_) => name,
        },
        _ => name,
    }
}

/// Name `i` of the kfunc parameter names `names`, without the `r#` of a
/// raw identifier, or `None` if there are not so many. `names` holds the
/// names as written in Rust (`r#type` is C's `type`), separated by ASCII
/// whitespace: what `stringify!` makes of a list of identifiers (one space
/// between two, or a line break in a long list). One string, not one
/// per parameter: a kfunc's declaration then costs the compiler no
/// promoted constant, and its record no walk over the names. Both sides
/// split it here.
pub const fn param_name(names: &str, i: usize) -> Option<&str> {
    let bytes = names.as_bytes();
    let (mut at, mut word) = (0, 0);
    loop {
        // The next word: skip the separators before it.
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if word == i {
            let (_, rest) = bytes.split_at(start);
            let (name, _) = rest.split_at(at - start);
            let name = match name {
                [b'r', b'#', rest @ ..] => rest,
                _ => name,
            };
            return match core::str::from_utf8(name) {
                Ok(name) => Some(name),
                Err(_) => None,
            };
        }
        word += 1;
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

/// The C type and verifier annotation of a kfunc parameter, as a [`Sig`]
/// has them.
#[derive(Debug)]
pub struct SigParam {
    /// The verifier annotation of the parameter's type, or `""`.
    pub suffix: &'static str,
    /// The C type.
    pub ty: &'static Type,
}

/// The most bytes a [`Sig`]'s encoding may take.
pub const SIG_CAPACITY: usize = 2048;

/// What a kfunc's record says of its types: its return type and the C
/// type and annotation of each parameter, with the record's `sig` part
/// encoded once, when the `Sig` is made ([`Sig::new`]).
pub struct Sig {
    /// The return type.
    pub ret: &'static Type,
    /// The C parameters, in order.
    pub params: &'static [SigParam],
    /// The encoding (`sig` but its count), in its first `len` bytes.
    bytes: [u8; SIG_CAPACITY],
    len: usize,
    /// A 128-bit hash of the encoding, which tells signatures apart
    /// without comparing their bytes ([`Sig::same`]).
    id: u128,
}

impl core::fmt::Debug for Sig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sig")
            .field("ret", &self.ret)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Sig {
    /// The signature with these types, encoded.
    pub const fn new(ret: &'static Type, params: &'static [SigParam]) -> Self {
        let mut len = ret.encoded_len();
        let mut rest = params;
        while let [p, more @ ..] = rest {
            len += 2 + bytes!(p.suffix).len() + p.ty.encoded_len();
            rest = more;
        }
        assert!(
            len <= SIG_CAPACITY,
            "kfunc signature too long for a signature record (its type names take over 2 KiB)"
        );
        let mut bytes = [0; SIG_CAPACITY];
        let mut pos = ret.encode_at(&mut bytes, 0);
        let mut rest = params;
        while let [p, more @ ..] = rest {
            put_name!(bytes, pos, p.suffix);
            pos = p.ty.encode_at(&mut bytes, pos);
            rest = more;
        }
        // 128-bit FNV-1a, over the encoding and its length.
        let mut id: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d ^ pos as u128;
        let mut i = 0;
        while i < pos {
            id = (id ^ bytes[i] as u128).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
            i += 1;
        }
        Self {
            ret,
            params,
            bytes,
            len: pos,
            id,
        }
    }

    /// Whether `self` and `other` encode the same. By their lengths and
    /// 128-bit hashes, not their bytes, which the const evaluator would
    /// pay for kfunc after kfunc: two of a record's at most
    /// [`SIG_TABLE_CAPACITY`] signatures collide with a chance below
    /// 2^-109, as do two of rustc's own 128-bit fingerprints, which its
    /// incremental compilation trusts alike.
    const fn same(&self, other: &Sig) -> bool {
        self.id == other.id && self.len == other.len
    }
}

/// The most signatures a kfunc record may hold.
pub const SIG_TABLE_CAPACITY: usize = 256;

/// The slots of a [`SigTable`]'s hash index: a power of two, twice its
/// capacity.
const SIG_TABLE_SLOTS: usize = 2 * SIG_TABLE_CAPACITY;

/// The distinct signatures of a kfunc record's kfuncs, in the order of
/// their first use ([`SigTable::add`]), indexed by their hashes so that
/// finding one costs the same whatever their number.
pub struct SigTable {
    sigs: [Option<&'static Sig>; SIG_TABLE_CAPACITY],
    len: usize,
    /// Open addressing on the low bits of the hashes: 0 for a free slot,
    /// else the index in `sigs` plus one.
    slots: [u16; SIG_TABLE_SLOTS],
}

impl SigTable {
    /// No signatures.
    pub const EMPTY: Self = Self {
        sigs: [None; SIG_TABLE_CAPACITY],
        len: 0,
        slots: [0; SIG_TABLE_SLOTS],
    };

    /// Adds `sig`, if the table does not have it; returns its index, which
    /// a kfunc with this signature gives [`Kfunc::encode_body_at`].
    pub const fn add(&mut self, sig: &'static Sig) -> u16 {
        let (slot, found) = self.slot(sig);
        if let Some(i) = found {
            return i as u16;
        }
        assert!(
            self.len < SIG_TABLE_CAPACITY,
            "too many kfunc signatures for one signature record"
        );
        self.sigs[self.len] = Some(sig);
        self.len += 1;
        self.slots[slot] = self.len as u16;
        self.len as u16 - 1
    }

    /// The slot of `sig`'s hash index that has it, or the free one where
    /// it would go, and its index if it is there.
    const fn slot(&self, sig: &Sig) -> (usize, Option<usize>) {
        let mut slot = sig.id as usize % SIG_TABLE_SLOTS;
        loop {
            match self.slots[slot] {
                0 => return (slot, None),
                n => {
                    if let Some(s) = self.sigs[n as usize - 1] {
                        if s.same(sig) {
                            return (slot, Some(n as usize - 1));
                        }
                    }
                }
            }
            slot = (slot + 1) % SIG_TABLE_SLOTS;
        }
    }

    /// The size of the table in a kfunc record.
    pub const fn encoded_len(&self) -> usize {
        let mut len = 2;
        let mut i = 0;
        while i < self.len {
            if let Some(s) = self.sigs[i] {
                len += 1 + s.len;
            }
            i += 1;
        }
        len
    }

    /// Writes the table at `pos` of `buf`; returns the position after it.
    const fn encode_at(&self, buf: &mut [u8], mut pos: usize) -> usize {
        put_le!(buf, pos, u16, self.len as u16);
        let mut i = 0;
        while i < self.len {
            if let Some(s) = self.sigs[i] {
                put!(buf, pos, [s.params.len() as u8]);
                put!(buf, pos, s.bytes.split_at(s.len).0);
            }
            i += 1;
        }
        pos
    }
}

/// The signature of one kfunc.
///
/// # Examples
///
/// ```
/// use kfunc::record::{Kfunc, Sig, SigParam, Type};
///
/// const U32: Type = Type::Int { size: 4, signed: false, name: "u32" };
/// const SIG: Sig = Sig::new(&Type::Void, &[SigParam { suffix: "__k", ty: &U32 }]);
/// const K: Kfunc = Kfunc { name: "my_kfunc", params: "x", sig: &SIG };
/// assert_eq!(K.param(0).name, "x");
/// // `my_kfunc` alone, the first kfunc of set `my_set`.
/// const LEN: usize = K.encoded_len("my_set");
/// static RECORD: [u8; LEN] = {
///     let mut buf = [0; LEN];
///     assert!(K.encode_at(&mut buf, 0, "my_set", 0) == LEN);
///     buf
/// };
/// assert_eq!(&RECORD[..4], b"KFRS");
/// ```
#[derive(Debug)]
pub struct Kfunc {
    /// The kfunc's symbol name (for the checks' messages: the record has
    /// the kfunc's place in its list instead).
    pub name: &'static str,
    /// The names of its C parameters as written in Rust, without their
    /// suffixes, which `sig` has, in one string ([`param_name`]).
    pub params: &'static str,
    /// Its types.
    pub sig: &'static Sig,
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

/// Ends the record that began at `start` and ends at `end`: writes its
/// length into its header (sizing it again would double the work);
/// returns `end`.
pub const fn end_record(buf: &mut [u8], start: usize, end: usize) -> usize {
    let len = end - start;
    assert!(len <= u32::MAX as usize, "signature record too long");
    let mut at = start + MAGIC.len() + 2;
    put_le!(buf, at, u32, len as u32);
    end
}

impl Type {
    /// The size of this type's encoding.
    const fn encoded_len(&self) -> usize {
        let (mut t, mut len) = (self, 0);
        loop {
            match t {
                Type::Void => return len + 1,
                Type::Int { name, .. } => return len + 3 + 2 + bytes!(*name).len(),
                Type::Bool => return len + 2,
                Type::Ptr { pointee, .. } => {
                    len += 2;
                    t = pointee;
                }
                Type::Kernel { name, .. } => return len + 2 + 2 + bytes!(*name).len() + 4,
                Type::ModuleStruct { name, .. } => return len + 1 + 2 + bytes!(*name).len(),
                Type::Array { elem, .. } => {
                    len += 1 + 4;
                    t = elem;
                }
            }
        }
    }

    /// Writes this type's encoding into `buf` at `pos`; returns the
    /// position after it.
    const fn encode_at(&self, buf: &mut [u8], mut pos: usize) -> usize {
        let mut t = self;
        loop {
            match t {
                Type::Void => {
                    put!(buf, pos, [TypeTag::Void as u8]);
                    return pos;
                }
                Type::Int { size, signed, name } => {
                    put!(buf, pos, [TypeTag::Int as u8, *size, *signed as u8]);
                    put_name!(buf, pos, *name);
                    return pos;
                }
                Type::Bool => {
                    put!(buf, pos, [TypeTag::Bool as u8, 1]);
                    return pos;
                }
                Type::Ptr { pointee, is_const } => {
                    put!(buf, pos, [TypeTag::Ptr as u8, *is_const as u8]);
                    t = pointee;
                }
                Type::Kernel { kind, name, size } => {
                    assert!(*size <= u32::MAX as usize, "kernel type too large");
                    put!(buf, pos, [TypeTag::Kernel as u8, *kind as u8]);
                    put_name!(buf, pos, *name);
                    put_le!(buf, pos, u32, *size as u32);
                    return pos;
                }
                Type::ModuleStruct { name, .. } => {
                    put!(buf, pos, [TypeTag::ModuleStruct as u8]);
                    put_name!(buf, pos, *name);
                    return pos;
                }
                Type::Array { elem, len } => {
                    put!(buf, pos, [TypeTag::Array as u8]);
                    put_le!(buf, pos, u32, *len);
                    t = elem;
                }
            }
        }
    }
}

/// The records of one kind of item ([`Struct`], [`Var`]): each
/// writes itself at a position of a buffer and knows its size.
macro_rules! record_impl {
    ($t:ty, $what:literal) => {
        impl $t {
            #[doc = ::core::concat!("This ", $what, "'s record; `N` must be [`Self::encoded_len`].")]
            pub const fn encode<const N: usize>(&self) -> [u8; N] {
                let mut buf = [0; N];
                let end = self.encode_at(&mut buf, 0);
                assert!(end == N, "signature record size mismatch");
                buf
            }
        }
    };
}

record_impl!(Struct, "struct");
record_impl!(Var, "variable");

impl Kfunc {
    /// The number of C parameters.
    pub const fn param_count(&self) -> usize {
        self.sig.params.len()
    }

    /// C parameter `i`.
    pub const fn param(&self, i: usize) -> Param {
        let p = &self.sig.params[i];
        Param {
            name: match param_name(self.params, i) {
                Some(name) => name,
                None => panic!("a kfunc needs a name for each parameter"),
            },
            suffix: p.suffix,
            ty: p.ty,
        }
    }

    /// The return type.
    pub const fn ret(&self) -> &'static Type {
        self.sig.ret
    }

    /// The signatures of a record of this kfunc alone, and the index of
    /// its own.
    const fn table(&self) -> (SigTable, u16) {
        let mut table = SigTable::EMPTY;
        let sig = table.add(self.sig);
        (table, sig)
    }

    /// The size of a record of this kfunc alone, in kfunc set `set`.
    pub const fn encoded_len(&self, set: &str) -> usize {
        kfuncs_len(ListKind::Set8, set, &self.table().0) + self.body_len()
    }

    /// Writes a record of this kfunc alone, kfunc `i` of set `set`, into
    /// `buf` at `pos`, which must leave room for [`Self::encoded_len`]
    /// bytes (or the evaluation fails); returns the position after it.
    pub const fn encode_at(
        &self,
        buf: &mut [u8],
        pos: usize,
        set: &'static str,
        i: usize,
    ) -> usize {
        let (table, sig) = self.table();
        let body = begin_kfuncs(buf, pos, &table, ListKind::Set8, set);
        let end = self.encode_body_at(buf, body, sig, ListKind::Set8.id_at(i));
        end_record(buf, pos, end)
    }

    /// The size of this kfunc in a kfunc record, but for its signature.
    pub const fn body_len(&self) -> usize {
        4 + 2 + 2 + bytes!(self.params).len()
    }

    /// Writes this kfunc into `buf` at `pos`, in the kfunc record that
    /// [`begin_kfuncs`] began with a table in which its signature has
    /// index `sig`, which [`SigTable::add`] returned for it (not checked
    /// again here: the const evaluator would pay for it kfunc after
    /// kfunc); returns the position after it. Nor are its parameter names
    /// counted: the BTF step rejects a record without a name for each
    /// parameter. `at` is where its BTF id is in the record's list
    /// ([`ListKind::id_at`]).
    pub const fn encode_body_at(&self, buf: &mut [u8], mut pos: usize, sig: u16, at: u32) -> usize {
        assert!(
            self.sig.params.len() <= MAX_PARAMS,
            "a kfunc takes at most 12 parameters"
        );
        put_le!(buf, pos, u32, at);
        put_le!(buf, pos, u16, sig);
        put_name!(buf, pos, self.params);
        pos
    }
}

/// The size of a kfunc record of list `list` of kind `kind` with the
/// signatures `table`, but for its kfuncs' [`Kfunc::body_len`].
pub const fn kfuncs_len(kind: ListKind, list: &str, table: &SigTable) -> usize {
    HEADER_LEN + 2 + kind.prefix().len() + list.len() + table.encoded_len()
}

/// Begins a kfunc record at `pos` of `buf` for kfuncs of list `list` of
/// kind `kind`, with the signatures `table`, for kfuncs written with
/// [`Kfunc::encode_body_at`] and ended by [`end_record`]; returns the
/// position after the signatures. The record's size is [`kfuncs_len`] and
/// its kfuncs' [`Kfunc::body_len`].
pub const fn begin_kfuncs(
    buf: &mut [u8],
    mut pos: usize,
    table: &SigTable,
    kind: ListKind,
    list: &'static str,
) -> usize {
    put_header!(buf, pos, RecordKind::Kfunc);
    put_name!(buf, pos, kind.prefix(), list);
    table.encode_at(buf, pos)
}

impl Struct {
    /// The size of this struct's record.
    pub const fn encoded_len(&self) -> usize {
        let mut len = HEADER_LEN + 2 + self.name.len() + 4 + 2;
        let n = self.members.len();
        let mut i = 0;
        while i < n {
            let m = &self.members[i];
            len += 2 + m.name.len() + 4 + m.ty.encoded_len();
            i += 1;
        }
        len
    }

    /// Writes this struct's record into `buf` at `pos` (see
    /// [`Kfunc::encode_at`]).
    pub const fn encode_at(&self, buf: &mut [u8], mut pos: usize) -> usize {
        let n = self.members.len();
        assert!(n <= u16::MAX as usize, "too many struct members");
        let start = pos;
        put_header!(buf, pos, RecordKind::Struct);
        put_name!(buf, pos, self.name);
        put_le!(buf, pos, u32, self.size);
        put_le!(buf, pos, u16, n as u16);
        let mut i = 0;
        while i < n {
            let m = &self.members[i];
            put_name!(buf, pos, m.name);
            put_le!(buf, pos, u32, m.offset);
            pos = m.ty.encode_at(buf, pos);
            i += 1;
        }
        end_record(buf, start, pos)
    }
}

impl Var {
    /// The size of this variable's record.
    pub const fn encoded_len(&self) -> usize {
        HEADER_LEN + 2 + self.name.len() + 1 + self.ty.encoded_len()
    }

    /// Writes this variable's record into `buf` at `pos` (see
    /// [`Kfunc::encode_at`]).
    pub const fn encode_at(&self, buf: &mut [u8], mut pos: usize) -> usize {
        let start = pos;
        put_header!(buf, pos, RecordKind::Var);
        put_name!(buf, pos, self.name);
        put!(buf, pos, [self.percpu as u8]);
        pos = self.ty.encode_at(buf, pos);
        end_record(buf, start, pos)
    }
}
