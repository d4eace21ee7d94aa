// SPDX-License-Identifier: GPL-2.0

//! Reads the signature records that the kfunc crate's macros place in a
//! module's `.kfunc_rs.btf` section. The format, its constants and tags
//! are defined once, in rust/record.rs, which this crate compiles too (as
//! `kfunc::record`, from the kfunc-record package).

use anyhow::{bail, ensure, Context, Result};
pub use kfunc::record::KernelKind;
pub use kfunc::record::SECTION;
use kfunc::record::{param_name, RecordKind, TypeTag, HEADER_LEN, MAGIC, MAX_PARAMS, VERSION};

/// The C shape of a parameter, return value or member type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// `void`
    Void,
    /// An integer, named after its kernel C type (`u32`, `s64`, ...).
    Int {
        /// Bytes.
        size: u8,
        /// Signedness.
        signed: bool,
        /// The kernel's C name.
        name: String,
    },
    /// `_Bool`
    Bool,
    /// A pointer.
    Ptr {
        /// The pointee.
        pointee: Box<Type>,
        /// Whether the pointee is const.
        is_const: bool,
    },
    /// A kernel type found by name in vmlinux BTF.
    Kernel {
        /// Its kind.
        kind: KernelKind,
        /// Its name.
        name: String,
        /// The size of its Rust binding, 0 if opaque.
        size: u32,
    },
    /// A module struct declared with `btf_struct!`.
    ModuleStruct(String),
    /// An array.
    Array {
        /// Element type.
        elem: Box<Type>,
        /// Length.
        len: u32,
    },
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Void => write!(f, "void"),
            Type::Int { name, .. } => write!(f, "{name}"),
            Type::Bool => write!(f, "bool"),
            Type::Ptr { pointee, is_const } => {
                write!(f, "{}{pointee} *", if *is_const { "const " } else { "" })
            }
            Type::Kernel { kind, name, .. } => write!(f, "{} {name}", kind.keyword()),
            Type::ModuleStruct(name) => write!(f, "struct {name}"),
            Type::Array { elem, len } => write!(f, "{elem}[{len}]"),
        }
    }
}

/// A named, typed parameter or member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The name.
    pub name: String,
    /// Byte offset (members only).
    pub offset: u32,
    /// The type.
    pub ty: Type,
}

/// A kfunc's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kfunc {
    /// The kfunc's name.
    pub name: String,
    /// Return type.
    pub ret: Type,
    /// Parameters in order.
    pub params: Vec<Field>,
}

impl std::fmt::Display for Kfunc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}(", self.ret, self.name)?;
        for (i, p) in self.params.iter().enumerate() {
            write!(f, "{}{} {}", if i > 0 { ", " } else { "" }, p.ty, p.name)?;
        }
        write!(f, ")")
    }
}

/// A module struct's layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Struct {
    /// Its name.
    pub name: String,
    /// Its size.
    pub size: u32,
    /// Its members.
    pub members: Vec<Field>,
}

/// A module variable for typed `__ksym`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// Its symbol name.
    pub name: String,
    /// Whether it is per-CPU.
    pub percpu: bool,
    /// Its type.
    pub ty: Type,
}

/// All records of a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    /// Kfunc signatures, in section order.
    pub kfuncs: Vec<Kfunc>,
    /// Module structs, in section order.
    pub structs: Vec<Struct>,
    /// Module variables, in section order.
    pub vars: Vec<Var>,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        ensure!(self.data.len() - self.pos >= n, "record ends early");
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into()?))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }

    /// A type name (`u32`, `unsigned long`).
    fn str(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        let s = std::str::from_utf8(self.take(n)?).context("name is not UTF-8")?;
        ensure!(
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() || b == b' '),
            "bad name {s:?}"
        );
        Ok(s.to_string())
    }

    /// A name that BTF and C take as an identifier: of a kfunc, a
    /// parameter, a struct, a member or a variable.
    fn ident(&mut self) -> Result<String> {
        let s = self.str()?;
        check_ident(&s)?;
        Ok(s)
    }

    /// The names of a kfunc's `count` parameters, in one string
    /// ([`param_name`]).
    fn param_names(&mut self, count: usize) -> Result<Vec<String>> {
        let n = self.u16()? as usize;
        let s = std::str::from_utf8(self.take(n)?).context("parameter names are not UTF-8")?;
        // (Quoted in errors up to 80 bytes: a record may hold 64 KiB.)
        let quoted = format!("{:?}", s.get(..80).unwrap_or(s));
        let names = (0..count)
            .map(|i| {
                let name = param_name(s, i).with_context(|| {
                    format!("names for {i} of its {count} parameters in {quoted}")
                })?;
                check_ident(name)?;
                Ok(name.to_string())
            })
            .collect::<Result<Vec<_>>>()?;
        ensure!(
            param_name(s, count).is_none(),
            "more names than its {count} parameters in {quoted}"
        );
        Ok(names)
    }

    /// A parameter's verifier annotation, which its BTF name ends with:
    /// empty, or identifier characters.
    fn suffix(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        let s = std::str::from_utf8(self.take(n)?).context("suffix is not UTF-8")?;
        ensure!(
            s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'),
            "bad parameter suffix {s:?}"
        );
        Ok(s.to_string())
    }

    fn ty(&mut self, depth: u32) -> Result<Type> {
        ensure!(depth < 32, "type nested too deeply");
        let tag = self.u8()?;
        let Some(tag) = TypeTag::from_u8(tag) else {
            bail!("bad type tag {tag}");
        };
        Ok(match tag {
            TypeTag::Void => Type::Void,
            TypeTag::Int => {
                let size = self.u8()?;
                ensure!(
                    matches!(size, 1 | 2 | 4 | 8 | 16),
                    "bad integer size {size}"
                );
                let signed = self.u8()? != 0;
                Type::Int {
                    size,
                    signed,
                    name: self.str()?,
                }
            }
            TypeTag::Bool => {
                ensure!(self.u8()? == 1, "bad bool size");
                Type::Bool
            }
            TypeTag::Ptr => {
                let is_const = self.u8()? != 0;
                Type::Ptr {
                    is_const,
                    pointee: Box::new(self.ty(depth + 1)?),
                }
            }
            TypeTag::Kernel => {
                let k = self.u8()?;
                let kind =
                    KernelKind::from_u8(k).with_context(|| format!("bad kernel type kind {k}"))?;
                Type::Kernel {
                    kind,
                    name: self.ident()?,
                    size: self.u32()?,
                }
            }
            TypeTag::ModuleStruct => Type::ModuleStruct(self.ident()?),
            TypeTag::Array => {
                let len = self.u32()?;
                Type::Array {
                    len,
                    elem: Box::new(self.ty(depth + 1)?),
                }
            }
        })
    }
}

/// Gives the name of the kfunc whose BTF id is at offset `at` from symbol
/// `list` of `.BTF_ids`, where a kfunc record places each of its kfuncs.
pub type KfuncNames<'a> = dyn Fn(&str, u32) -> Result<String> + 'a;

/// Parses the contents of a `.kfunc_rs.btf` section, naming each kfunc
/// with `names`. Records are packed back to back; zero bytes between them
/// (alignment padding) are skipped.
pub fn parse(section: &[u8], names: &KfuncNames<'_>) -> Result<Records> {
    let mut records = Records::default();
    let mut budget = MAX_SIGNATURE_COPIES;
    let mut pos = 0;
    while pos < section.len() {
        if section[pos] == 0 {
            pos += 1;
            continue;
        }
        let rest = &section[pos..];
        ensure!(
            rest.len() >= HEADER_LEN && rest[..4] == MAGIC,
            "no signature record at offset {pos:#x} of {SECTION}"
        );
        ensure!(
            rest[4] == VERSION,
            "signature record at offset {pos:#x} has format version {}, this kfunc-btf reads version {VERSION}: \
             rebuild kfunc-btf from the same kfunc-rs as the module",
            rest[4]
        );
        let len = u32::from_le_bytes(rest[6..10].try_into()?) as usize;
        ensure!(
            (HEADER_LEN..=rest.len()).contains(&len),
            "signature record at offset {pos:#x} of {SECTION} has a bad length {len} (truncated section?)"
        );
        let mut r = Reader {
            data: &rest[..len],
            pos: HEADER_LEN,
        };
        let what = match RecordKind::from_u8(rest[5]) {
            Some(RecordKind::Kfunc) => {
                parse_kfuncs(&mut r, &mut records.kfuncs, &mut budget, names)
            }
            Some(RecordKind::Struct) => parse_struct(&mut r).map(|s| records.structs.push(s)),
            Some(RecordKind::Var) => parse_var(&mut r).map(|v| records.vars.push(v)),
            None => Err(anyhow::anyhow!("unknown record kind {}", rest[5])),
        };
        what.with_context(|| format!("bad signature record at offset {pos:#x} of {SECTION}"))?;
        ensure!(
            r.pos == len,
            "signature record at offset {pos:#x} of {SECTION} has {} trailing bytes",
            len - r.pos
        );
        pos += len;
    }
    Ok(records)
}

/// The most bytes of signatures that a section's kfuncs may repeat: each
/// kfunc gets a copy of its signature's types, and a few bytes naming a
/// signature of up to 64 KiB must not make hostile input take gigabytes.
/// A module's real records repeat at most about a MiB per set (a set's
/// at most 256 kfuncs with signatures of at most 2 KiB, rust/record.rs).
const MAX_SIGNATURE_COPIES: usize = 64 << 20;

/// The kfuncs of a kfunc record: its list, its signatures, then one kfunc
/// or more, to its end. `budget` is what is left of
/// [`MAX_SIGNATURE_COPIES`].
fn parse_kfuncs(
    r: &mut Reader<'_>,
    kfuncs: &mut Vec<Kfunc>,
    budget: &mut usize,
    names: &KfuncNames<'_>,
) -> Result<()> {
    let list = r.ident().context("the list's symbol")?;
    let count = r.u16()?;
    let sigs = (0..count)
        .map(|i| parse_sig(r).with_context(|| format!("signature {i}")))
        .collect::<Result<Vec<_>>>()?;
    loop {
        kfuncs.push(parse_kfunc(r, &list, &sigs, budget, names)?);
        if r.pos == r.data.len() {
            return Ok(());
        }
    }
}

/// A signature: the return type, each parameter's suffix and type, and
/// the size of its encoding.
struct Sig {
    ret: Type,
    params: Vec<(String, Type)>,
    size: usize,
}

/// Whether `s` is a name that BTF and C take as an identifier.
fn check_ident(s: &str) -> Result<()> {
    let b = s.as_bytes();
    ensure!(
        b.first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_'),
        "{s:?} is not a C identifier"
    );
    Ok(())
}

fn parse_sig(r: &mut Reader<'_>) -> Result<Sig> {
    let start = r.pos;
    let count = r.u8()?;
    ensure!(
        count as usize <= MAX_PARAMS,
        "{count} parameters, more than BTF's {MAX_PARAMS}"
    );
    let ret = r.ty(0)?;
    let params = (0..count)
        .map(|_| Ok((r.suffix()?, r.ty(0)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Sig {
        ret,
        params,
        size: r.pos - start,
    })
}

fn parse_kfunc(
    r: &mut Reader<'_>,
    list: &str,
    sigs: &[Sig],
    budget: &mut usize,
    names: &KfuncNames<'_>,
) -> Result<Kfunc> {
    let at = r.u32()?;
    let name = names(list, at).with_context(|| format!("the kfunc at +{at} of {list}"))?;
    check_ident(&name).with_context(|| format!("the kfunc at +{at} of {list}"))?;
    let index = r.u16()? as usize;
    let Some(sig) = sigs.get(index) else {
        bail!(
            "kfunc {name} has signature {index}, of {} in its record",
            sigs.len()
        );
    };
    *budget = budget.checked_sub(sig.size).with_context(|| {
        format!("kfunc {name}: the records repeat over {MAX_SIGNATURE_COPIES} bytes of signatures")
    })?;
    let names = r
        .param_names(sig.params.len())
        .with_context(|| format!("kfunc {name}"))?;
    let params = names
        .into_iter()
        .zip(&sig.params)
        .map(|(name, (suffix, ty))| Field {
            name: name + suffix,
            offset: 0,
            ty: ty.clone(),
        })
        .collect();
    Ok(Kfunc {
        name,
        ret: sig.ret.clone(),
        params,
    })
}

fn parse_struct(r: &mut Reader<'_>) -> Result<Struct> {
    let name = r.ident()?;
    let size = r.u32()?;
    let count = r.u16()?;
    let mut members = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let name = r.ident()?;
        let offset = r.u32()?;
        ensure!(
            offset < size.max(1),
            "member {name} at offset {offset} is outside the struct"
        );
        members.push(Field {
            name,
            offset,
            ty: r.ty(0)?,
        });
    }
    Ok(Struct {
        name,
        size,
        members,
    })
}

fn parse_var(r: &mut Reader<'_>) -> Result<Var> {
    let name = r.ident()?;
    let percpu = match r.u8()? {
        0 => false,
        1 => true,
        b => bail!("variable {name}: bad per-CPU flag {b}"),
    };
    Ok(Var {
        name,
        percpu,
        ty: r.ty(0)?,
    })
}
