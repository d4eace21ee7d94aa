//! Reads what the BTF step needs from a module's ELF file: the signature
//! records and the kfunc sets in `.BTF_ids` (laid out by btf_ids.h or by
//! the kfunc crate, which are byte-compatible).

use crate::record::{self, Records};
use anyhow::{bail, Context, Result};
use object::{Object, ObjectSection, ObjectSymbol};
use std::collections::BTreeMap;
use std::path::Path;

const SET8_PREFIX: &str = "__BTF_ID__set8__";
const FUNC_PREFIX: &str = "__BTF_ID__func__";
/// The set8 header (cnt, flags) before the id/flags pairs.
const SET8_HEADER: u64 = 8;

/// A kfunc set found in `.BTF_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfuncSet {
    /// The set's name.
    pub name: String,
    /// The kfuncs in it, in layout order.
    pub kfuncs: Vec<String>,
}

/// The layout of one set8 in `.BTF_ids`, as btf_ids.h defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set8Layout {
    /// The set's name.
    pub name: String,
    /// Whether the `BTF_ID_LIST` label `<name>` marks the set's start.
    pub has_list_label: bool,
    /// Size of the `__BTF_ID__set8__<name>` symbol.
    pub size: u64,
    /// The header words: `cnt` (filled by resolve_btfids) and `flags`.
    pub header: [u32; 2],
    /// Entries: offset in the set, kfunc name, symbol size and type, flags word.
    pub entries: Vec<(u64, String, u64, String, u32)>,
}

impl std::fmt::Display for Set8Layout {
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
        for (off, name, size, kind, flags) in &self.entries {
            writeln!(
                f,
                "  +{off:<3} {name} ({size}-byte {kind}) flags {flags:#x}"
            )?;
        }
        Ok(())
    }
}

/// Reads the layout of every set8 of an ELF object's `.BTF_ids`.
pub fn set8_layouts(data: &[u8]) -> Result<Vec<Set8Layout>> {
    let file = object::File::parse(data).context("not an ELF file")?;
    let Some(ids) = file.section_by_name(".BTF_ids") else {
        return Ok(Vec::new());
    };
    let bytes = ids.data()?;
    let word = |off: u64| -> Result<u32> {
        let o = off as usize;
        let b = bytes
            .get(o..o + 4)
            .context(".BTF_ids entry outside the section")?;
        Ok(u32::from_le_bytes(b.try_into()?))
    };
    let syms: Vec<_> = file
        .symbols()
        .filter(|s| s.section_index() == Some(ids.index()))
        .filter_map(|s| Some((s.name().ok()?.to_string(), s.address(), s.size(), s.kind())))
        .collect();
    let mut sets = Vec::new();
    for (name, start, size, _) in &syms {
        let Some(set) = name.strip_prefix(SET8_PREFIX) else {
            continue;
        };
        let mut entries: Vec<_> = syms
            .iter()
            .filter(|(_, a, _, _)| (*start + SET8_HEADER..*start + size).contains(a))
            .filter_map(|(n, a, sz, k)| {
                Some((
                    a - start,
                    kfunc_name(n)?.to_string(),
                    *sz,
                    format!("{k:?}").to_lowercase(),
                    0,
                ))
            })
            .collect();
        entries.sort();
        for e in &mut entries {
            e.4 = word(start + e.0 + 4)?;
        }
        sets.push(Set8Layout {
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

/// What the BTF step reads from a module.
#[derive(Debug, Default)]
pub struct Module {
    /// The signature records.
    pub records: Records,
    /// The kfunc sets.
    pub sets: Vec<KfuncSet>,
}

/// The kfunc name in `__BTF_ID__func__<name>__<suffix>`, cut the way
/// resolve_btfids cuts it (at the last `__`).
fn kfunc_name(symbol: &str) -> Option<&str> {
    let rest = symbol.strip_prefix(FUNC_PREFIX)?;
    let (name, suffix) = rest.rsplit_once("__")?;
    (!name.is_empty() && !suffix.contains('_')).then_some(name)
}

impl Module {
    /// Reads `path`, which must be an ELF object.
    pub fn read(path: &Path) -> Result<Self> {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&data)
            .with_context(|| format!("{} is not a usable module object", path.display()))
    }

    /// Parses the bytes of an ELF object.
    pub fn parse(data: &[u8]) -> Result<Self> {
        let file = object::File::parse(data).context("not an ELF file")?;
        if file.format() != object::BinaryFormat::Elf {
            bail!("not an ELF file");
        }
        let records = match file.section_by_name(record::SECTION) {
            Some(s) => record::parse(s.data().context("cannot read the signature records")?)?,
            None => Records::default(),
        };
        let Some(ids) = file.section_by_name(".BTF_ids") else {
            return Ok(Self {
                records,
                sets: Vec::new(),
            });
        };
        let mut sets = Vec::new();
        let mut funcs = BTreeMap::new();
        for sym in file.symbols() {
            if sym.section_index() != Some(ids.index()) {
                continue;
            }
            let name = sym.name().context("bad symbol name")?;
            if let Some(set) = name.strip_prefix(SET8_PREFIX) {
                sets.push((set.to_string(), sym.address(), sym.size()));
            } else if let Some(kfunc) = kfunc_name(name) {
                funcs.insert(sym.address(), kfunc.to_string());
            }
        }
        let sets = sets
            .into_iter()
            .map(|(name, start, size)| KfuncSet {
                name,
                kfuncs: funcs
                    .range(start + SET8_HEADER..start + size)
                    .map(|(_, f)| f.clone())
                    .collect(),
            })
            .collect();
        Ok(Self { records, sets })
    }
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
