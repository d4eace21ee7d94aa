// SPDX-License-Identifier: GPL-2.0

//! The BPF-side header of a module, `<module>.kfuncs.h`, from the module's
//! final BTF (after resolve_btfids): the `extern ... __weak __ksym`
//! prototype of every kfunc, as bpftool's `format c` prints it, and the
//! definitions of the module's own structs they use. BPF programs include
//! it after vmlinux.h instead of writing prototypes by hand, so a program
//! whose prototype disagrees with the module fails to compile.

use crate::btf::{Btf, Kind, TypeId};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

const KFUNC_DECL_TAG: &str = "bpf_kfunc";
const FASTCALL_DECL_TAG: &str = "bpf_fastcall";

/// A kfunc of the module, as BPF programs declare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfuncDecl {
    /// Its name.
    pub name: String,
    /// Its BTF FUNC id.
    pub id: TypeId,
    /// `extern <prototype> __weak __ksym;`, as bpftool prints it.
    pub line: String,
}

/// The module's kfuncs, sorted by name as bpftool sorts them: its own
/// FUNCs with a `bpf_kfunc` decl tag (which resolve_btfids adds on newer
/// kernels), and those of `set_ids`, the ids in its kfunc sets (all older
/// kernels give).
pub fn kfuncs(btf: &Btf, set_ids: &BTreeSet<TypeId>) -> Result<Vec<KfuncDecl>> {
    let mut kfuncs: BTreeSet<TypeId> = set_ids
        .iter()
        .copied()
        .filter(|&id| id >= btf.first_own_id() && btf.info(id).map(|i| i.kind) == Some(Kind::Func))
        .collect();
    let mut fastcalls = BTreeSet::new();
    for id in btf.first_own_id()..btf.type_count() {
        let Some((target, -1)) = btf.decl_tag(id) else {
            continue;
        };
        if btf.info(target).map(|i| i.kind) != Some(Kind::Func) {
            continue;
        }
        match btf.info(id).map(|i| i.name).as_deref() {
            Some(KFUNC_DECL_TAG) => kfuncs.insert(target),
            Some(FASTCALL_DECL_TAG) => fastcalls.insert(target),
            _ => false,
        };
    }
    let mut out = Vec::new();
    for id in kfuncs {
        let info = btf.info(id).context("kfunc FUNC vanished")?;
        let decl = btf.c_decl(info.target, &info.name)?;
        let fastcall = if fastcalls.contains(&id) {
            "__bpf_fastcall "
        } else {
            ""
        };
        out.push(KfuncDecl {
            line: format!("extern {fastcall}{decl} __weak __ksym;"),
            name: info.name,
            id,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The module's own named structs, by id.
fn own_structs(btf: &Btf) -> BTreeMap<TypeId, String> {
    (btf.first_own_id()..btf.type_count())
        .filter_map(|id| {
            let i = btf.info(id)?;
            (matches!(i.kind, Kind::Struct | Kind::Union) && !i.name.is_empty())
                .then_some((id, i.name))
        })
        .collect()
}

/// The module's own structs that `id` contains by value (through arrays,
/// typedefs and modifiers, not pointers).
fn by_value_deps(
    btf: &Btf,
    id: TypeId,
    own: &BTreeMap<TypeId, String>,
    out: &mut BTreeSet<TypeId>,
) {
    let Some(info) = btf.info(id) else { return };
    match info.kind {
        Kind::Ptr => {}
        Kind::Struct | Kind::Union if own.contains_key(&id) => {
            out.insert(id);
        }
        Kind::Array => {
            if let Some(elem) = btf.array_elem(id) {
                by_value_deps(btf, elem, own, out);
            }
        }
        // Typedefs and modifiers (const, volatile, type tags).
        Kind::Other(_) | Kind::Typedef if info.target != 0 => {
            by_value_deps(btf, info.target, own, out)
        }
        _ => {}
    }
}

/// The definition of own struct `id`, members by btf_dump.
fn struct_def(btf: &Btf, id: TypeId, name: &str) -> Result<String> {
    let kw = if btf.info(id).map(|i| i.kind) == Some(Kind::Union) {
        "union"
    } else {
        "struct"
    };
    let mut s = format!("{kw} {name} {{\n");
    for (member, ty, _bit_offset) in btf.members(id) {
        writeln!(s, "\t{};", btf.c_decl(ty, &member)?)?;
    }
    s.push_str("};\n");
    Ok(s)
}

/// The header of module `name`.
pub fn header(name: &str, btf: &Btf, set_ids: &BTreeSet<TypeId>) -> Result<String> {
    let guard = format!(
        "__{}_KFUNCS_H__",
        name.to_ascii_uppercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let mut h = String::new();
    writeln!(h, "/* SPDX-License-Identifier: GPL-2.0 */")?;
    writeln!(
        h,
        "/* The kfuncs of module {name} and its types, for BPF programs. Generated"
    )?;
    writeln!(
        h,
        " * by `kfunc-btf header` from the module's BTF: do not edit. Include it"
    )?;
    writeln!(h, " * after vmlinux.h. */")?;
    writeln!(h, "#ifndef {guard}\n#define {guard}\n")?;
    writeln!(
        h,
        "#ifndef __ksym\n#define __ksym __attribute__((section(\".ksyms\")))\n#endif"
    )?;
    writeln!(
        h,
        "#ifndef __weak\n#define __weak __attribute__((weak))\n#endif"
    )?;
    writeln!(
        h,
        "#ifndef __bpf_fastcall\n#if __has_attribute(bpf_fastcall)"
    )?;
    writeln!(h, "#define __bpf_fastcall __attribute__((bpf_fastcall))\n#else\n#define __bpf_fastcall\n#endif\n#endif\n")?;

    let own = own_structs(btf);
    if !own.is_empty() {
        writeln!(h, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX")?;
        writeln!(h, "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)")?;
        writeln!(h, "#endif\n")?;
        for name in own.values() {
            writeln!(h, "struct {name};")?;
        }
        h.push('\n');
        // Definitions, each after the structs it holds by value.
        let mut done = BTreeSet::new();
        while done.len() < own.len() {
            let before = done.len();
            for (&id, name) in &own {
                if done.contains(&id) {
                    continue;
                }
                let mut deps = BTreeSet::new();
                for (_, ty, _) in btf.members(id) {
                    by_value_deps(btf, ty, &own, &mut deps);
                }
                deps.remove(&id);
                if deps.is_subset(&done) {
                    writeln!(h, "{}", struct_def(btf, id, name)?)?;
                    done.insert(id);
                }
            }
            anyhow::ensure!(
                done.len() > before,
                "module structs contain each other by value"
            );
        }
        writeln!(
            h,
            "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n"
        )?;
    }

    writeln!(h, "#ifndef BPF_NO_KFUNC_PROTOTYPES")?;
    for k in kfuncs(btf, set_ids)? {
        writeln!(h, "{}", k.line)?;
    }
    writeln!(h, "#endif\n\n#endif /* {guard} */")?;
    Ok(h)
}
