// SPDX-License-Identifier: GPL-2.0

//! kfunc-btf: the BTF step of kfunc-rs.
//!
//! pahole runs with `--lang_exclude=rust`, so Rust kfuncs get no BTF and
//! resolve_btfids cannot resolve them. Kbuild's module BTF step
//! (scripts/gen-btf.sh) runs `pahole --btf_encode_detached=<file>`, then
//! `resolve_btfids --btf <file>`. Between the two, scripts/kfunc-rs-pahole
//! runs this tool, which reads the signature records the kfunc crate left
//! in the `.ko` and adds the kfuncs' BTF to `<file>`, so resolve_btfids,
//! decl tags, sorting and the distilled base work as for C kfuncs.

pub mod btf;
mod c_decl;
pub mod emit;
pub mod header;
pub mod module;
pub mod record;

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

/// Adds BTF for the Rust kfuncs of `module` to the split BTF file `btf`
/// (on `base`, normally vmlinux). The file is replaced atomically, and
/// only when everything succeeded. Returns the kfuncs added and the
/// warnings for the build log.
pub fn add(base: &Path, btf_path: &Path, module: &Path) -> Result<emit::Added> {
    let m = module::Module::read(module)?;
    let in_sets: Vec<(&str, &str)> = m
        .sets
        .iter()
        .flat_map(|s| {
            s.entries
                .iter()
                .map(move |e| (s.name.as_str(), e.kfunc.as_str()))
        })
        .collect();
    if m.records.kfuncs.is_empty() && m.records.structs.is_empty() && m.records.vars.is_empty() {
        return Ok(emit::Added::default());
    }
    if !base.exists() {
        bail!(
            "base BTF {} does not exist (is the kernel built?)",
            base.display()
        );
    }
    check_architecture(base, m.machine)?;
    // Before any work: the file is rewritten at the end.
    btf::check_rewritable(btf_path)?;
    let base = Rc::new(Btf::parse(base).with_context(|| {
        format!(
            "{} has no usable BTF (a vmlinux built with CONFIG_DEBUG_INFO_BTF=y, or its raw BTF)",
            base.display()
        )
    })?);
    let mut split = Btf::parse_split(btf_path, base)?;
    let added = emit::add_records(&mut split, &m.records, &m.var_places)
        .with_context(|| format!("adding BTF for the Rust kfuncs of {}", module.display()))?;
    // resolve_btfids resolves set entries with btf__find_by_name_kind_own:
    // a FUNC of vmlinux's alone gives the entry id 0, so only the
    // module's own FUNCs count here.
    let own_funcs = split.own_names(btf::Kind::Func);
    let missing: Vec<&(&str, &str)> = in_sets
        .iter()
        .filter(|(_, k)| !own_funcs.contains(*k))
        .collect();
    // A recorded kfunc whose FUNC is missing now was merged by dedup
    // into an identical FUNC of vmlinux's.
    let merged: Vec<&str> = missing
        .iter()
        .map(|(_, k)| *k)
        .filter(|k| added.kfuncs.iter().any(|a| a == k))
        .collect();
    if !merged.is_empty() {
        bail!(
            "kfuncs of {} have the name and prototype of a vmlinux function, so dedup made \
             their BTF vmlinux's and resolve_btfids, which looks only at the module's own BTF, \
             would give them id 0; rename them: {}",
            module.display(),
            merged.join(", ")
        );
    }
    if !missing.is_empty() {
        let missing: Vec<String> = missing
            .iter()
            .map(|(s, k)| format!("{k} (in {s})"))
            .collect();
        bail!(
            "kfuncs of {} have neither BTF of the module's own nor a signature record: {}",
            module.display(),
            missing.join(", ")
        );
    }
    write_atomic(btf_path, &split.raw_data()?)?;
    Ok(added)
}

/// Fails if `base` is an ELF file (vmlinux) of another architecture than
/// the module's (`e_machine`): the kernel and the module of two different
/// builds. A raw BTF base says nothing of its architecture.
fn check_architecture(base: &Path, module: u16) -> Result<()> {
    use std::io::Read;
    let mut header = Vec::with_capacity(64);
    std::fs::File::open(base)
        .and_then(|f| f.take(64).read_to_end(&mut header))
        .with_context(|| format!("cannot read {}", base.display()))?;
    if !header.starts_with(b"\x7fELF") {
        return Ok(());
    }
    let machine = module::elf_machine(&header)
        .with_context(|| format!("{} is not a 64-bit ELF file", base.display()))?;
    if machine != module {
        bail!(
            "the module is built for ELF machine {module} but {} is for machine {machine}: \
             build the module against that kernel",
            base.display()
        );
    }
    Ok(())
}

/// Writes `data` to `path` through a temporary file and a rename, so
/// `path` is either untouched or complete.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().context("output path has no file name")?;
    let tmp = dir.join(format!(
        ".{}.kfunc-btf.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let mode = std::fs::metadata(path).ok().map(|m| m.permissions());
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        if let Some(mode) = mode {
            f.set_permissions(mode)?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

pub use btf::Btf;
