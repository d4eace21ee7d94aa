// SPDX-License-Identifier: GPL-2.0

//! Shared test fixtures: signature records encoded by the kernel crate's
//! own encoder (rust/record.rs, compiled for the host as `kfunc::record`), a small base BTF
//! standing in for vmlinux, and module objects built with `object`.

#![allow(dead_code)]

use kfunc::record::{Field, KernelKind, Kfunc, Sig, SigParam, Struct, Type, Var};
use kfunc_btf::btf::{Btf, Kind};
use object::write::{Object, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub const U8: Type = Type::Int {
    size: 1,
    signed: false,
    name: "u8",
};
pub const U32: Type = Type::Int {
    size: 4,
    signed: false,
    name: "u32",
};
pub const U64: Type = Type::Int {
    size: 8,
    signed: false,
    name: "u64",
};
pub const S32: Type = Type::Int {
    size: 4,
    signed: true,
    name: "s32",
};
pub const TASK: Type = Type::Kernel {
    kind: KernelKind::Struct,
    name: "task_struct",
    size: 64,
};
pub const TASK_PTR: Type = Type::Ptr {
    pointee: &TASK,
    is_const: false,
};
pub const U8_PTR: Type = Type::Ptr {
    pointee: &U8,
    is_const: false,
};
pub const COUNTER: Type = Type::ModuleStruct {
    name: "rs_counter",
    size: 16,
};
pub const COUNTER_PTR: Type = Type::Ptr {
    pointee: &COUNTER,
    is_const: false,
};

pub const MEMZERO: Kfunc = Kfunc {
    name: "rs_memzero",
    params: "mem mem__sz",
    sig: &Sig::new(
        &Type::Void,
        &[
            SigParam {
                suffix: "",
                ty: &U8_PTR,
            },
            SigParam {
                suffix: "",
                ty: &U32,
            },
        ],
    ),
};
pub const TASK_ACQUIRE: Kfunc = Kfunc {
    name: "rs_task_acquire",
    params: "pid",
    sig: &Sig::new(
        &TASK_PTR,
        &[SigParam {
            suffix: "",
            ty: &S32,
        }],
    ),
};
pub const COUNTER_ADD: Kfunc = Kfunc {
    name: "rs_counter_add",
    params: "counter delta",
    sig: &Sig::new(
        &U64,
        &[
            SigParam {
                suffix: "",
                ty: &COUNTER_PTR,
            },
            SigParam {
                suffix: "",
                ty: &U64,
            },
        ],
    ),
};
pub const RS_COUNTER: Struct = Struct {
    name: "rs_counter",
    size: 16,
    members: &[
        Field {
            name: "value",
            offset: 0,
            ty: &U64,
        },
        Field {
            name: "id",
            offset: 8,
            ty: &U32,
        },
        Field {
            name: "refs",
            offset: 12,
            ty: &U32,
        },
    ],
};

/// The kfunc set of the test modules ([`write_module`]).
pub const TEST_SET: &str = "TEST_SET";

/// Encodes a record of kfunc `k` alone, kfunc `i` of [`TEST_SET`], with
/// the kernel crate's encoder.
pub fn kfunc_record(k: &Kfunc, i: usize) -> Vec<u8> {
    let mut buf = vec![0; k.encoded_len(TEST_SET)];
    assert_eq!(k.encode_at(&mut buf, 0, TEST_SET, i), buf.len());
    buf
}

/// Parses records whose kfuncs are those of [`TEST_SET`] with the kfuncs
/// `kfuncs`, as [`write_module`] lays it out.
pub fn parse_records(
    section: &[u8],
    kfuncs: &[&str],
) -> anyhow::Result<kfunc_btf::record::Records> {
    let set = format!("{}{TEST_SET}", kfunc::record::ListKind::Set8.prefix());
    kfunc_btf::record::parse(section, &|list, at| {
        anyhow::ensure!(list == set, "no list {list}");
        let i = (0..kfuncs.len()).find(|&i| kfunc::record::ListKind::Set8.id_at(i) == at);
        i.map(|i| kfuncs[i].to_string())
            .ok_or_else(|| anyhow::anyhow!("no kfunc at +{at}"))
    })
}

/// Encodes a variable record with the kernel crate's encoder.
pub fn var_record(v: &Var) -> Vec<u8> {
    let mut buf = vec![0; v.encoded_len()];
    assert_eq!(v.encode_at(&mut buf, 0), buf.len());
    buf
}

/// Encodes a struct record with the kernel crate's encoder.
pub fn struct_record(s: &Struct) -> Vec<u8> {
    let mut buf = vec![0; s.encoded_len()];
    assert_eq!(s.encode_at(&mut buf, 0), buf.len());
    buf
}

/// A base BTF standing in for vmlinux: ints, the kernel's u32/s32/u64
/// typedefs and `struct task_struct { int pid; }`.
pub fn write_base(dir: &Path) -> PathBuf {
    write_base_with(dir, |_| {})
}

/// The base of [`write_base`] with what `extra` adds after its types.
pub fn write_base_with(dir: &Path, extra: impl FnOnce(&mut Btf)) -> PathBuf {
    let mut b = Btf::new_empty().unwrap();
    let int = b.add_int("int", 4, true, false).unwrap();
    let uint = b.add_int("unsigned int", 4, false, false).unwrap();
    let ull = b
        .add_int("long long unsigned int", 8, false, false)
        .unwrap();
    add_typedef(&mut b, "u32", uint);
    add_typedef(&mut b, "s32", int);
    add_typedef(&mut b, "u64", ull);
    b.add_struct("task_struct", 64, &[("pid".into(), int, 0)])
        .unwrap();
    extra(&mut b);
    let path = dir.join("vmlinux.btf");
    std::fs::write(&path, b.raw_data().unwrap()).unwrap();
    path
}

fn add_typedef(b: &mut Btf, name: &str, target: u32) {
    b.add_typedef(name, target).unwrap();
}

/// An empty detached module BTF on `base`, as pahole writes for a module
/// whose only code is Rust.
pub fn write_empty_split(base: &Path, dir: &Path) -> PathBuf {
    let base = Rc::new(Btf::parse(base).unwrap());
    let split = Btf::new_split(base).unwrap();
    let path = dir.join("module.ko.BTF.1");
    std::fs::write(&path, split.raw_data().unwrap()).unwrap();
    path
}

/// A relocatable x86-64 ELF holding `records` in the records' section.
fn object_with_records(records: &[u8]) -> Object<'static> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let rec = obj.add_section(
        Vec::new(),
        kfunc::record::SECTION.as_bytes().to_vec(),
        SectionKind::ReadOnlyData,
    );
    obj.append_section_data(rec, records, 1);
    obj
}

/// A relocatable ELF like a `.ko`: the records section and a kfunc set in
/// `.BTF_ids` laid out as BTF_KFUNCS_START/BTF_ID_FLAGS lay it out.
pub fn write_module(dir: &Path, records: &[u8], set: &str, kfuncs: &[&str]) -> PathBuf {
    let mut obj = object_with_records(records);
    let ids = obj.add_section(Vec::new(), b".BTF_ids".to_vec(), SectionKind::ReadOnlyData);
    let size = 8 + 8 * kfuncs.len() as u64;
    obj.append_section_data(ids, &vec![0u8; size as usize], 4);
    let mut sym = |name: String, value: u64, size: u64| {
        obj.add_symbol(Symbol {
            name: name.into_bytes(),
            value,
            size,
            kind: SymbolKind::Data,
            scope: SymbolScope::Compilation,
            weak: false,
            section: SymbolSection::Section(ids),
            flags: SymbolFlags::None,
        });
    };
    sym(
        format!("{}{set}", kfunc::record::ListKind::Set8.prefix()),
        0,
        size,
    );
    for (i, k) in kfuncs.iter().enumerate() {
        let at = kfunc::record::ListKind::Set8.id_at(i);
        sym(format!("__BTF_ID__func__{k}__s{i}"), at.into(), 4);
    }
    let path = dir.join("module.ko");
    std::fs::write(&path, obj.write().unwrap()).unwrap();
    path
}

/// Whether `btf` has `kind name`.
pub fn has(btf: &Btf, name: &str, kind: Kind) -> bool {
    btf.find(name, kind).is_some()
}

/// A relocatable ELF like a `.ko` with only records and one variable:
/// `var` at `offset` (of `size` bytes) in a 16-byte section `section`.
pub fn write_module_var(
    dir: &Path,
    records: &[u8],
    section: &str,
    var: &str,
    offset: u64,
    size: u64,
) -> PathBuf {
    let mut obj = object_with_records(records);
    let data = obj.add_section(Vec::new(), section.as_bytes().to_vec(), SectionKind::Data);
    obj.append_section_data(data, &[0u8; 16], 8);
    obj.add_symbol(Symbol {
        name: var.as_bytes().to_vec(),
        value: offset,
        size,
        kind: SymbolKind::Data,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(data),
        flags: SymbolFlags::None,
    });
    let path = dir.join("module.ko");
    std::fs::write(&path, obj.write().unwrap()).unwrap();
    path
}
