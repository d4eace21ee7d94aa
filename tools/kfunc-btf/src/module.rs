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
