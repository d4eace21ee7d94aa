// SPDX-License-Identifier: GPL-2.0

//! Turns signature records into BTF in a module's split BTF: FUNC and
//! FUNC_PROTO for each kfunc, STRUCT for each module struct, with kernel
//! types taken from vmlinux BTF by name. A final dedup makes every added
//! type that equals one of vmlinux's (an `int`, a pointer to
//! `struct task_struct`) the vmlinux one.

use crate::btf::{Btf, Kind, TypeId};
use crate::module::VarPlace;
use crate::record::{KernelKind, Kfunc, Records, Struct, Type};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::{HashMap, HashSet};

/// What [`add_records`] did.
#[derive(Debug, Default)]
pub struct Added {
    /// The kfuncs given BTF.
    pub kfuncs: Vec<String>,
    /// Problems that do not stop the build, for the build log.
    pub warnings: Vec<String>,
}

/// Adds BTF for all records to `btf`; `places` says where each recorded
/// variable is.
pub fn add_records(
    btf: &mut Btf,
    records: &Records,
    places: &HashMap<String, VarPlace>,
) -> Result<Added> {
    let mut structs = HashMap::new();
    for s in &records.structs {
        if let Some(old) = structs.insert(s.name.as_str(), s) {
            if old != s {
                bail!(
                    "module struct {} is declared twice with different layouts",
                    s.name
                );
            }
        }
    }
    // Looked up for every kfunc: indexed once (a lookup by name scans
    // every type, vmlinux's included).
    let own_funcs = btf.own_names(Kind::Func);
    let base_funcs = btf.base_names(Kind::Func);
    let mut emitter = Emitter {
        btf,
        own_funcs,
        base_funcs,
        structs,
        memo: HashMap::new(),
        building: HashSet::new(),
        warnings: Vec::new(),
    };
    for s in &records.structs {
        emitter
            .module_struct(&s.name)
            .with_context(|| format!("module struct `{}`", s.name))?;
    }
    let mut added = Vec::new();
    for k in &records.kfuncs {
        emitter.kfunc(k)?;
        added.push(k.name.clone());
    }
    emitter.vars(records, places)?;
    emitter
        .btf
        .dedup()
        .context("deduplicating the module's BTF against vmlinux")?;
    Ok(Added {
        kfuncs: added,
        warnings: emitter.warnings,
    })
}

struct Emitter<'a, 'r> {
    btf: &'a mut Btf,
    /// The names of the module's FUNCs, kept up to date.
    own_funcs: HashSet<String>,
    /// The names of the base's (vmlinux's) FUNCs.
    base_funcs: HashSet<String>,
    structs: HashMap<&'r str, &'r Struct>,
    memo: HashMap<Type, TypeId>,
    building: HashSet<String>,
    warnings: Vec<String>,
}

impl Emitter<'_, '_> {
    /// A `VAR` per variable and a `DATASEC` per section holding some, as
    /// pahole writes them for C per-CPU variables.
    fn vars(&mut self, records: &Records, places: &HashMap<String, VarPlace>) -> Result<()> {
        /// A section's size and its variables (id, offset, size).
        type Section = (u64, Vec<(u32, u32, u32)>);
        let mut sections: std::collections::BTreeMap<&str, Section> =
            std::collections::BTreeMap::new();
        for v in &records.vars {
            let place = places
                .get(&v.name)
                .with_context(|| format!("variable `{}` has no symbol", v.name))?;
            if v.percpu != (place.section == ".data..percpu") {
                bail!(
                    "variable `{}` is recorded as {}per-CPU but is in section {}",
                    v.name,
                    if v.percpu { "" } else { "not " },
                    place.section
                );
            }
            if self.btf.find_own(&v.name, Kind::Var).is_some() {
                bail!("variable `{}` already has BTF", v.name);
            }
            let ty = self
                .type_id(&v.ty)
                .with_context(|| format!("variable `{}` of type `{}`", v.name, v.ty))?;
            let id = self.btf.add_var(&v.name, ty)?;
            let entry = sections
                .entry(place.section.as_str())
                .or_insert((place.section_size, Vec::new()));
            entry
                .1
                .push((id, u32::try_from(place.offset)?, u32::try_from(place.size)?));
        }
        for (name, (size, mut vars)) in sections {
            if self.btf.find_own(name, Kind::Datasec).is_some() {
                bail!(
                    "section {name} already has a BTF DATASEC (C variables in the same module): \
                     Rust and C ksyms in one section are not supported"
                );
            }
            vars.sort_by_key(|v| v.1);
            self.btf.add_datasec(name, u32::try_from(size)?, &vars)?;
        }
        Ok(())
    }

    fn kfunc(&mut self, k: &Kfunc) -> Result<()> {
        // Only a FUNC of the module's own is a conflict: resolve_btfids
        // looks set entries up in the module's own types, so a vmlinux
        // function of the same name (a static one, say) does not break
        // the module; it only misleads libbpf, as warned below.
        if self.own_funcs.contains(&k.name) {
            bail!(
                "kfunc `{}` already has BTF: is it defined twice, or was this file processed already?",
                k.name
            );
        }
        if self.base_funcs.contains(&k.name) {
            // libbpf resolves a BPF program's kfunc ksym in vmlinux BTF
            // first and looks at modules only if vmlinux has no FUNC of
            // that name (find_ksym_btf_id), so programs calling this kfunc
            // would get vmlinux's function, which is no kfunc.
            self.warnings.push(format!(
                "kfunc `{}` has the name of a vmlinux function: libbpf resolves kfunc calls in \
                 vmlinux BTF first, so BPF programs calling it would bind to vmlinux's function",
                k.name
            ));
        }
        let ret = self
            .type_id(&k.ret)
            .with_context(|| format!("kfunc `{}`, return type `{}`", k.name, k.ret))?;
        let mut params = Vec::with_capacity(k.params.len());
        for p in &k.params {
            let id = self.type_id(&p.ty).with_context(|| {
                format!(
                    "kfunc `{}`, parameter `{}` of type `{}`",
                    k.name, p.name, p.ty
                )
            })?;
            if id == 0 {
                bail!(
                    "kfunc `{}`, parameter `{}`: a parameter cannot be void",
                    k.name,
                    p.name
                );
            }
            params.push((p.name.clone(), id));
        }
        let proto = self.btf.add_func_proto(ret, &params)?;
        self.btf.add_func(&k.name, proto)?;
        self.own_funcs.insert(k.name.clone());
        Ok(())
    }

    fn type_id(&mut self, ty: &Type) -> Result<TypeId> {
        if let Some(&id) = self.memo.get(ty) {
            return Ok(id);
        }
        let id = match ty {
            Type::Void => 0,
            Type::Int { size, signed, name } => self.int(name, *size, *signed)?,
            Type::Bool => self.btf.add_int("_Bool", 1, false, true)?,
            Type::Ptr { pointee, is_const } => {
                let mut target = self.type_id(pointee)?;
                if *is_const {
                    target = self.btf.add_const(target)?;
                }
                self.btf.add_ptr(target)?
            }
            Type::Kernel { kind, name, size } => self.kernel_type(*kind, name, *size)?,
            Type::ModuleStruct(name) => self.module_struct(name)?,
            Type::Array { elem, len } => {
                let elem = self.type_id(elem)?;
                if elem == 0 {
                    bail!("an array of void");
                }
                let index = self.int("u32", 4, false)?;
                self.btf.add_array(index, elem, *len)?
            }
        };
        self.memo.insert(ty.clone(), id);
        Ok(id)
    }

    /// An integer: the kernel's typedef of that name when it has the
    /// right shape (so BTF says `u32`, as for C), else a plain INT.
    fn int(&mut self, name: &str, size: u8, signed: bool) -> Result<TypeId> {
        for kind in [Kind::Typedef, Kind::Int] {
            if let Some(id) = self.btf.find(name, kind) {
                let resolved = self.btf.resolve(id).and_then(|r| self.btf.info(r));
                if let Some(info) = resolved {
                    if info.kind == Kind::Int && info.size == u32::from(size) {
                        return Ok(id);
                    }
                }
            }
        }
        let c_name = match (size, signed) {
            (1, false) => "unsigned char",
            (1, true) => "signed char",
            (2, false) => "short unsigned int",
            (2, true) => "short int",
            (4, false) => "unsigned int",
            (4, true) => "int",
            (8, false) => "long long unsigned int",
            (8, true) => "long long int",
            (16, false) => "__int128 unsigned",
            _ => "__int128",
        };
        self.btf.add_int(c_name, u32::from(size), signed, false)
    }

    fn kernel_type(&mut self, kind: KernelKind, name: &str, rust_size: u32) -> Result<TypeId> {
        let kinds: &[Kind] = match kind {
            KernelKind::Struct => &[Kind::Struct],
            KernelKind::Union => &[Kind::Union],
            KernelKind::Enum => &[Kind::Enum, Kind::Enum64],
            KernelKind::Typedef => &[Kind::Typedef],
        };
        if let Some(id) = kinds.iter().find_map(|k| self.btf.find(name, *k)) {
            let btf_size = self.btf.info(id).map_or(0, |i| i.size);
            if rust_size != 0
                && matches!(kind, KernelKind::Struct | KernelKind::Union)
                && btf_size != rust_size
            {
                self.warnings.push(format!(
                    "{} {name} is {rust_size} bytes in the kernel crate's bindings but {btf_size} in vmlinux \
                     BTF: bindgen and C disagree on its layout for this kernel config, so Rust code that \
                     reads its fields through the bindings reads the wrong ones",
                    kind.keyword()
                ));
            }
            return Ok(id);
        }
        if kind == KernelKind::Struct {
            // The kernel defines the struct but vmlinux BTF lacks it (no
            // vmlinux code uses it): declare it, as pahole does for C.
            self.warnings.push(format!(
                "struct {name} is not in vmlinux BTF; declaring it without a body"
            ));
            return self.btf.add_fwd_struct(name);
        }
        Err(anyhow!(
            "kernel type `{} {name}` is not in vmlinux BTF",
            kind.keyword()
        ))
    }

    fn module_struct(&mut self, name: &str) -> Result<TypeId> {
        let key = Type::ModuleStruct(name.to_string());
        if let Some(&id) = self.memo.get(&key) {
            return Ok(id);
        }
        let s = *self.structs.get(name).ok_or_else(|| {
            anyhow!("struct `{name}` has no record: declare it with kfunc::btf_struct!")
        })?;
        if let Some(id) = self.btf.find(name, Kind::Struct) {
            // Already in the module's BTF (a C part of the module, or
            // vmlinux): it must be the same struct.
            let size = self.btf.info(id).map_or(0, |i| i.size);
            if size != s.size {
                bail!(
                    "struct `{name}` is {} bytes in Rust but {size} bytes in the existing BTF",
                    s.size
                );
            }
            self.memo.insert(key, id);
            return Ok(id);
        }
        if !self.building.insert(name.to_string()) {
            // A member points back to a struct being built: declare it;
            // dedup joins the declaration to the full struct.
            return self.btf.add_fwd_struct(name);
        }
        let mut members = Vec::with_capacity(s.members.len());
        for m in &s.members {
            let id = self
                .type_id(&m.ty)
                .with_context(|| format!("member `{}` of type `{}`", m.name, m.ty))?;
            if id == 0 {
                bail!("member `{}` cannot be void", m.name);
            }
            members.push((m.name.clone(), id, m.offset));
        }
        let id = self.btf.add_struct(name, s.size, &members)?;
        self.building.remove(name);
        self.memo.insert(key, id);
        Ok(id)
    }
}
