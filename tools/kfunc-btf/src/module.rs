// SPDX-License-Identifier: GPL-2.0

//! Reads what the BTF step needs from a module's ELF file: the signature
//! records and the kfunc sets in `.BTF_ids` (laid out by btf_ids.h or by
//! the kfunc crate, which are byte-compatible).

use crate::record::{self, Records};
use anyhow::{bail, ensure, Context, Result};
use object::{Object, ObjectSection, ObjectSymbol};
use std::collections::HashMap;
use std::path::Path;

const SET8_PREFIX: &str = kfunc::record::ListKind::Set8.prefix();
const FUNC_PREFIX: &str = "__BTF_ID__func__";
/// The set8 header (cnt, flags) before the id/flags pairs.
const SET8_HEADER: u64 = kfunc::record::ListKind::Set8.id_at(0) as u64;

/// One `BTF_ID_FLAGS(func, name, flags)` entry of a set8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set8Entry {
    /// Offset in the set.
    pub offset: u64,
    /// The kfunc.
    pub kfunc: String,
    /// Size of the entry's symbol.
    pub symbol_size: u64,
    /// Kind of the entry's symbol (`data` for `STT_OBJECT`).
    pub symbol_kind: String,
    /// The BTF id word (0 until resolve_btfids fills it).
    pub id: u32,
    /// The flags word after the id.
    pub flags: u32,
}

/// A kfunc set (set8) in `.BTF_ids`, as btf_ids.h lays it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfuncSet {
    /// The set's name.
    pub name: String,
    /// Whether the `BTF_ID_LIST` label `<name>` marks the set's start.
    pub has_list_label: bool,
    /// Size of the `__BTF_ID__set8__<name>` symbol.
    pub size: u64,
    /// The header words: `cnt` (filled by resolve_btfids) and `flags`.
    pub header: [u32; 2],
    /// The entries, in layout order.
    pub entries: Vec<Set8Entry>,
}

impl std::fmt::Display for KfuncSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "set8 {}: size {}, list label {}, cnt {}, flags {:#x}",
            self.name,
            self.size,
            if self.has_list_label { "yes" } else { "no" },
            self.header[0],
            self.header[1]
        )?;
        for e in &self.entries {
            writeln!(
                f,
                "  +{:<3} id {:<6} {} ({}-byte {}) flags {:#x}",
                e.offset, e.id, e.kfunc, e.symbol_size, e.symbol_kind, e.flags
            )?;
        }
        Ok(())
    }
}

/// Where a module variable is: what a BTF `DATASEC` entry says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarPlace {
    /// Its section's name (`.data..percpu`, `.data`, `.bss`, `.rodata`).
    pub section: String,
    /// The section's size.
    pub section_size: u64,
    /// Its offset in the section.
    pub offset: u64,
    /// Its size.
    pub size: u64,
}

/// What the BTF step reads from a module.
#[derive(Debug, Default)]
pub struct Module {
    /// The signature records.
    pub records: Records,
    /// The kfunc sets, by name.
    pub sets: Vec<KfuncSet>,
    /// Where the recorded variables are, by name.
    pub var_places: HashMap<String, VarPlace>,
    /// Whether the module carries a distilled base BTF (`.BTF.base`), as
    /// out-of-tree modules do; in-tree modules' BTF is on vmlinux itself.
    pub has_distilled_base: bool,
    /// The ELF machine (`e_machine`) it is built for.
    pub machine: u16,
}

/// The kfunc name in `__BTF_ID__func__<name>__<suffix>`, cut the way
/// resolve_btfids cuts it (at the last `__`).
fn kfunc_name(symbol: &str) -> Option<&str> {
    let rest = symbol.strip_prefix(FUNC_PREFIX)?;
    let (name, suffix) = rest.rsplit_once("__")?;
    (!name.is_empty() && !suffix.contains('_')).then_some(name)
}

/// A symbol of `.BTF_ids`: name, offset in the section, size and kind
/// (`data` for `STT_OBJECT`).
type IdsSymbol = (String, u64, u64, String);

/// The symbols of an object's `.BTF_ids`, and the section's bytes.
fn ids_symbols<'d>(file: &object::File<'d>) -> Result<(Vec<IdsSymbol>, &'d [u8])> {
    let Some(ids) = file.section_by_name(".BTF_ids") else {
        return Ok((Vec::new(), &[]));
    };
    let bytes = ids.data()?;
    let len = bytes.len() as u64;
    let mut syms = Vec::new();
    for s in file
        .symbols()
        .filter(|s| s.section_index() == Some(ids.index()))
    {
        let name = s.name().context("bad symbol name")?.to_string();
        // Offsets in the section: relocatable objects (.o, .ko) have
        // section addresses of 0.
        let start = s.address().checked_sub(ids.address());
        if start
            .and_then(|a| a.checked_add(s.size()))
            .is_none_or(|end| end > len)
        {
            bail!(
                "symbol {name} ({} bytes at {:#x}) lies outside .BTF_ids ({len} bytes)",
                s.size(),
                s.address()
            );
        }
        syms.push((
            name,
            start.unwrap_or_default(),
            s.size(),
            format!("{:?}", s.kind()).to_lowercase(),
        ));
    }
    Ok((syms, bytes))
}

/// The `.BTF_ids` symbols that signature records place kfuncs by: lists
/// (by name: offset and size, or none if two symbols have the name) and
/// kfuncs' BTF ids (by offset: the kfunc's name).
struct Places<'s> {
    lists: HashMap<&'s str, Option<(u64, u64)>>,
    ids: HashMap<u64, &'s str>,
}

impl<'s> Places<'s> {
    fn new(syms: &'s [IdsSymbol]) -> Self {
        let mut places = Self {
            lists: HashMap::new(),
            ids: HashMap::new(),
        };
        for (name, start, size, _) in syms {
            match kfunc_name(name) {
                Some(kfunc) => {
                    places.ids.insert(*start, kfunc);
                }
                None => {
                    places
                        .lists
                        .entry(name)
                        .and_modify(|l| *l = None)
                        .or_insert(Some((*start, *size)));
                }
            }
        }
        places
    }

    /// The name of the kfunc whose BTF id is `at` bytes from symbol `list`
    /// of `.BTF_ids`, where a signature record places it: its id's
    /// symbol's.
    fn kfunc_at(&self, list: &str, at: u32) -> Result<String> {
        let (start, size) = match self.lists.get(list) {
            Some(Some(place)) => *place,
            Some(None) => bail!("two symbols {list} in .BTF_ids"),
            None => bail!("no symbol {list} in .BTF_ids"),
        };
        let at = u64::from(at);
        ensure!(at + 4 <= size, "it lies outside {list} ({size} bytes)");
        self.ids
            .get(&(start + at))
            .map(|k| k.to_string())
            .with_context(|| format!("no kfunc's BTF id ({FUNC_PREFIX}<name>__<n>) there"))
    }
}

/// Reads the kfunc sets of an object's `.BTF_ids`, from its symbols.
fn kfunc_sets(syms: &[IdsSymbol], bytes: &[u8]) -> Result<Vec<KfuncSet>> {
    let word = |off: u64| -> Result<u32> {
        let o = off as usize;
        let b = bytes
            .get(o..o + 4)
            .context(".BTF_ids entry outside the section")?;
        Ok(u32::from_le_bytes(b.try_into()?))
    };
    let mut sets = Vec::new();
    for (name, start, size, _) in syms {
        let Some(set) = name.strip_prefix(SET8_PREFIX) else {
            continue;
        };
        if *size < SET8_HEADER || !(size - SET8_HEADER).is_multiple_of(8) {
            bail!(
                "set {set}: its symbol's size {size} is not a set8's (8 bytes of header, then 8 a kfunc)"
            );
        }
        let mut entries = Vec::new();
        for (sym, addr, symbol_size, kind) in syms {
            if !(start + SET8_HEADER..start + size).contains(addr) {
                continue;
            }
            if let Some(kfunc) = kfunc_name(sym) {
                if !(addr - start).is_multiple_of(8) {
                    bail!(
                        "set {set}: entry {sym} is at offset {}, not on an 8-byte pair",
                        addr - start
                    );
                }
                entries.push(Set8Entry {
                    offset: addr - start,
                    kfunc: kfunc.to_string(),
                    symbol_size: *symbol_size,
                    symbol_kind: kind.clone(),
                    id: word(*addr)?,
                    flags: word(addr + 4)?,
                });
            }
        }
        entries.sort_by_key(|e| e.offset);
        sets.push(KfuncSet {
            name: set.to_string(),
            has_list_label: syms.iter().any(|(n, a, _, _)| n == set && a == start),
            size: *size,
            header: [word(*start)?, word(start + 4)?],
            entries,
        });
    }
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sets)
}

impl Module {
    /// Reads `path`, which must be an ELF object.
    pub fn read(path: &Path) -> Result<Self> {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&data)
            .with_context(|| format!("{} is not a usable module object", path.display()))
    }

    /// Parses the bytes of an ELF object: a 64-bit one, as every kernel
    /// with BPF kfuncs (and Rust) is.
    pub fn parse(data: &[u8]) -> Result<Self> {
        let file = object::File::parse(data).context("not an ELF file")?;
        if file.format() != object::BinaryFormat::Elf {
            bail!("not an ELF file");
        }
        if !file.is_64() {
            bail!("a 32-bit ELF file: kfunc-rs modules are 64-bit");
        }
        let (syms, ids) = ids_symbols(&file)?;
        let places = Places::new(&syms);
        let records = match file.section_by_name(record::SECTION) {
            Some(s) => record::parse(
                s.data().context("cannot read the signature records")?,
                &|list, at| places.kfunc_at(list, at),
            )?,
            None => Records::default(),
        };
        let mut var_places = HashMap::new();
        for v in &records.vars {
            let sym = file
                .symbols()
                .find(|s| s.name() == Ok(v.name.as_str()) && s.is_definition())
                .with_context(|| format!("variable {} has a record but no symbol", v.name))?;
            let section = sym
                .section_index()
                .and_then(|i| file.section_by_index(i).ok())
                .with_context(|| format!("variable {} is in no section", v.name))?;
            var_places.insert(
                v.name.clone(),
                VarPlace {
                    section: section.name()?.to_string(),
                    section_size: section.size(),
                    offset: sym
                        .address()
                        .checked_sub(section.address())
                        .filter(|o| o.saturating_add(sym.size()) <= section.size())
                        .with_context(|| format!("variable {} lies outside its section", v.name))?,
                    size: sym.size(),
                },
            );
        }
        Ok(Self {
            records,
            sets: kfunc_sets(&syms, ids)?,
            var_places,
            has_distilled_base: file.section_by_name(".BTF.base").is_some(),
            machine: elf_machine(data).context("no ELF header")?,
        })
    }
}

/// The `e_machine` of the 64-bit ELF file starting with `header` (which
/// need hold only the ELF header).
pub fn elf_machine(header: &[u8]) -> Option<u16> {
    use object::read::elf::FileHeader;
    let h = object::elf::FileHeader64::<object::Endianness>::parse(header).ok()?;
    Some(h.e_machine(h.endian().ok()?).0)
}

/// Clears `SHF_ALLOC` of the records' section in the ELF file at `path`,
/// so that the module loader leaves the records in the file instead of
/// copying them into module memory: nothing at run time reads them. The
/// file is replaced atomically. Returns whether the flag was set.
pub fn unload_records(path: &Path) -> Result<bool> {
    let mut data =
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let changed = unload_records_in(&mut data).with_context(|| format!("{}", path.display()))?;
    if changed {
        crate::write_atomic(path, &data)?;
    }
    Ok(changed)
}

/// [`unload_records`] on the bytes of an ELF file, in place.
pub fn unload_records_in(data: &mut [u8]) -> Result<bool> {
    use object::read::elf::{FileHeader, SectionHeader};
    use object::Endian;
    let (offset, flags) = {
        let header = object::elf::FileHeader64::<object::Endianness>::parse(&*data)
            .context("not a 64-bit ELF file")?;
        let endian = header.endian()?;
        let sections = header.sections(endian, &*data)?;
        let Some((index, section)) = sections
            .iter()
            .enumerate()
            .find(|(_, s)| sections.section_name(endian, s) == Ok(record::SECTION.as_bytes()))
        else {
            return Ok(false);
        };
        let flags = section.sh_flags(endian).0;
        // sh_flags is the third field of Elf64_Shdr, after two u32s.
        let offset = usize::try_from(header.e_shoff(endian))
            .ok()
            .and_then(|o| {
                o.checked_add(index.checked_mul(usize::from(header.e_shentsize(endian)))?)
            })
            .and_then(|o| o.checked_add(8))
            .context("section header outside the file")?;
        let alloc = object::elf::SHF_ALLOC.0;
        if flags & alloc == 0 {
            return Ok(false);
        }
        let new = flags & !alloc;
        (
            offset,
            if endian.is_little_endian() {
                new.to_le_bytes()
            } else {
                new.to_be_bytes()
            },
        )
    };
    data.get_mut(
        offset
            ..offset
                .checked_add(8)
                .context("section header outside the file")?,
    )
    .context("section header outside the file")?
    .copy_from_slice(&flags);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_kfunc_names_like_resolve_btfids() {
        assert_eq!(
            kfunc_name("__BTF_ID__func__rs_memzero__s123"),
            Some("rs_memzero")
        );
        assert_eq!(
            kfunc_name("__BTF_ID__func__bpf_task_acquire__17"),
            Some("bpf_task_acquire")
        );
        assert_eq!(kfunc_name("__BTF_ID__func__a__b__c"), Some("a__b"));
        assert_eq!(kfunc_name("__BTF_ID__func__x__bad_suffix"), None);
        assert_eq!(kfunc_name("__BTF_ID__struct__x__1"), None);
    }

    #[test]
    fn rejects_non_elf_input() {
        assert!(Module::parse(b"not an object").is_err());
    }
}
