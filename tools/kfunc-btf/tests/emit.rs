// SPDX-License-Identifier: GPL-2.0

//! The BTF step end to end on a synthetic vmlinux and module: what it adds,
//! how it unifies with the base, and that bad input leaves files alone.

mod common;

use common::*;
use kfunc_btf::btf::{Btf, Kind};
use std::rc::Rc;

fn section() -> Vec<u8> {
    let mut s = kfunc_record(&MEMZERO, 0);
    s.extend(kfunc_record(&TASK_ACQUIRE, 1));
    s.extend(kfunc_record(&COUNTER_ADD, 2));
    s.extend(struct_record(&RS_COUNTER));
    s
}

const KFUNCS: &[&str] = &["rs_memzero", "rs_task_acquire", "rs_counter_add"];

struct Setup {
    _dir: tempfile::TempDir,
    base: std::path::PathBuf,
    btf: std::path::PathBuf,
    module: std::path::PathBuf,
}

/// A base, an empty module BTF, and the module `write` writes.
fn setup_module(write: impl FnOnce(&std::path::Path) -> std::path::PathBuf) -> Setup {
    setup_module_on(|_| {}, write)
}

/// [`setup_module`] with what `extra` adds to the base.
fn setup_module_on(
    extra: impl FnOnce(&mut Btf),
    write: impl FnOnce(&std::path::Path) -> std::path::PathBuf,
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let base = write_base_with(dir.path(), extra);
    let btf = write_empty_split(&base, dir.path());
    let module = write(dir.path());
    Setup {
        _dir: dir,
        base,
        btf,
        module,
    }
}

fn setup(records: &[u8], set: &[&str]) -> Setup {
    setup_module(|dir| write_module(dir, records, TEST_SET, set))
}

/// [`setup`] on a base that also has `void <name>(void)` for each of
/// `funcs`, and `<name>` with the prototype of `rs_memzero` for each of
/// `like_memzero`.
fn setup_with_vmlinux_funcs(
    records: &[u8],
    set: &[&str],
    funcs: &[&str],
    like_memzero: &[&str],
) -> Setup {
    setup_module_on(
        |b| {
            let void = b.add_func_proto(0, &[]).unwrap();
            for f in funcs {
                b.add_func(f, void).unwrap();
            }
            // void (u8 *mem, u32 mem__sz), u8 being the base's own.
            let u8_ = b.add_int("unsigned char", 1, false, false).unwrap();
            let u8_ = b.add_typedef("u8", u8_).unwrap();
            let ptr = b.add_ptr(u8_).unwrap();
            let u32_ = b.find("u32", Kind::Typedef).unwrap();
            let params = [("mem".to_string(), ptr), ("mem__sz".to_string(), u32_)];
            let proto = b.add_func_proto(0, &params).unwrap();
            for f in like_memzero {
                b.add_func(f, proto).unwrap();
            }
        },
        |dir| write_module(dir, records, TEST_SET, set),
    )
}

fn setup_with_var(records: &[u8], section: &str, var: &str, offset: u64, size: u64) -> Setup {
    setup_module(|dir| write_module_var(dir, records, section, var, offset, size))
}

fn result(s: &Setup) -> (Rc<Btf>, Btf) {
    let base = Rc::new(Btf::parse(&s.base).unwrap());
    let split = Btf::parse_split(&s.btf, base.clone()).unwrap();
    (base, split)
}

/// Runs the BTF step with `base`, which must fail leaving the BTF file and
/// the module as they were; returns the error.
fn fails_untouched(s: &Setup, base: &std::path::Path) -> String {
    let btf = std::fs::read(&s.btf).unwrap();
    let module = std::fs::read(&s.module).unwrap();
    let err = format!("{:#}", kfunc_btf::add(base, &s.btf, &s.module).unwrap_err());
    assert_eq!(
        std::fs::read(&s.btf).unwrap(),
        btf,
        "BTF file changed on error"
    );
    assert_eq!(std::fs::read(&s.module).unwrap(), module, "the .ko changed");
    err
}

#[test]
fn adds_funcs_with_parameter_names() {
    let s = setup(&section(), KFUNCS);
    let module_before = std::fs::read(&s.module).unwrap();
    let added = kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    assert_eq!(
        std::fs::read(&s.module).unwrap(),
        module_before,
        "the .ko changed"
    );
    assert_eq!(added.kfuncs, KFUNCS);
    assert!(added.warnings.is_empty(), "{:?}", added.warnings);
    let (_, btf) = result(&s);
    let func = btf.find("rs_memzero", Kind::Func).expect("FUNC rs_memzero");
    let proto = btf.info(func).unwrap().target;
    assert_eq!(btf.info(proto).unwrap().kind, Kind::FuncProto);
    let params: Vec<String> = btf.members(proto).into_iter().map(|p| p.0).collect();
    assert_eq!(params, ["mem", "mem__sz"]);
    // The size parameter is the kernel's `u32` typedef, as for C.
    let sz = btf.members(proto)[1].1;
    assert_eq!(btf.info(sz).unwrap().name, "u32");
}

#[test]
fn kernel_structs_are_the_base_ones() {
    let s = setup(&section(), KFUNCS);
    kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    let (base, btf) = result(&s);
    let base_count = base.type_count();
    let func = btf.find("rs_task_acquire", Kind::Func).unwrap();
    let proto = btf.info(func).unwrap().target;
    let ptr = btf.info(proto).unwrap().target; // FUNC_PROTO's type is the return type
    let ptr = btf.info(ptr).unwrap();
    assert_eq!(ptr.kind, Kind::Ptr);
    assert!(
        ptr.target < base_count,
        "task_struct was copied into the module"
    );
    assert_eq!(btf.info(ptr.target).unwrap().name, "task_struct");
    // Exactly one task_struct, and no duplicated base integer.
    let dup = (base_count..btf.type_count())
        .filter_map(|id| btf.info(id))
        .filter(|i| {
            matches!(
                i.name.as_str(),
                "task_struct" | "unsigned int" | "int" | "u32"
            )
        })
        .count();
    assert_eq!(dup, 0);
}

#[test]
fn module_structs_get_their_layout() {
    let s = setup(&section(), KFUNCS);
    kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    let (_, btf) = result(&s);
    let id = btf
        .find("rs_counter", Kind::Struct)
        .expect("STRUCT rs_counter");
    assert_eq!(btf.info(id).unwrap().size, 16);
    let m: Vec<(String, u32)> = btf
        .members(id)
        .into_iter()
        .map(|(n, _, off)| (n, off))
        .collect();
    assert_eq!(
        m,
        [("value".into(), 0), ("id".into(), 64), ("refs".into(), 96)]
    );
    // rs_counter_add takes a pointer to that very struct.
    let f = btf.find("rs_counter_add", Kind::Func).unwrap();
    let p = btf.members(btf.info(f).unwrap().target)[0].1;
    assert_eq!(btf.info(p).unwrap().target, id);
}

#[test]
fn unknown_kernel_type_names_the_kfunc_and_parameter() {
    const NOPE: kfunc::record::Type = kfunc::record::Type::Kernel {
        kind: kfunc::record::KernelKind::Union,
        name: "no_such_union",
        size: 8,
    };
    const NOPE_PTR: kfunc::record::Type = kfunc::record::Type::Ptr {
        pointee: &NOPE,
        is_const: false,
    };
    const BAD: kfunc::record::Kfunc = kfunc::record::Kfunc {
        name: "rs_bad",
        params: "thing",
        sig: &kfunc::record::Sig::new(
            &kfunc::record::Type::Void,
            &[kfunc::record::SigParam {
                suffix: "",
                ty: &NOPE_PTR,
            }],
        ),
    };
    let s = setup(&kfunc_record(&BAD, 0), &["rs_bad"]);
    let err = fails_untouched(&s, &s.base);
    assert!(err.contains("kfunc `rs_bad`, parameter `thing`"), "{err}");
    assert!(err.contains("union no_such_union"), "{err}");
}

#[test]
fn kfunc_in_a_set_without_record_is_an_error() {
    let s = setup(&kfunc_record(&MEMZERO, 0), &["rs_memzero", "rs_forgotten"]);
    let err = fails_untouched(&s, &s.base);
    assert!(err.contains("rs_forgotten (in TEST_SET)"), "{err}");
}

#[test]
fn corrupt_module_leaves_btf_untouched() {
    let s = setup(&section(), KFUNCS);
    std::fs::write(&s.module, b"\x7fELF but not really").unwrap();
    fails_untouched(&s, &s.base);
}

#[test]
fn corrupt_records_leave_btf_untouched() {
    let mut records = section();
    let n = records.len();
    records.truncate(n - 3);
    let s = setup(&records, KFUNCS);
    let err = fails_untouched(&s, &s.base);
    assert!(err.contains("signature record"), "{err}");
}

#[test]
fn missing_vmlinux_leaves_btf_untouched() {
    let s = setup(&section(), KFUNCS);
    let err = fails_untouched(&s, &s.base.with_extension("gone"));
    assert!(err.contains("does not exist"), "{err}");
    // No temporary file is left behind either.
    let leftovers = std::fs::read_dir(s.btf.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("kfunc-btf")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn running_twice_is_refused() {
    let s = setup(&section(), KFUNCS);
    kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    let err = fails_untouched(&s, &s.base);
    assert!(err.contains("already has BTF"), "{err}");
}

#[test]
fn module_without_records_is_left_alone() {
    let s = setup(&[], &[]);
    let before = std::fs::read(&s.btf).unwrap();
    assert!(kfunc_btf::add(&s.base, &s.btf, &s.module)
        .unwrap()
        .kfuncs
        .is_empty());
    assert_eq!(std::fs::read(&s.btf).unwrap(), before);
}

#[test]
fn self_referencing_module_struct_points_to_itself() {
    use kfunc::record::{Field, Kfunc, Sig, SigParam, Struct, Type};
    const NODE: Type = Type::ModuleStruct {
        name: "rs_node",
        size: 16,
    };
    const NODE_PTR: Type = Type::Ptr {
        pointee: &NODE,
        is_const: false,
    };
    const U32: Type = Type::Int {
        size: 4,
        signed: false,
        name: "u32",
    };
    const RS_NODE: Struct = Struct {
        name: "rs_node",
        size: 16,
        members: &[
            Field {
                name: "next",
                offset: 0,
                ty: &NODE_PTR,
            },
            Field {
                name: "value",
                offset: 8,
                ty: &U32,
            },
        ],
    };
    const NEXT: Kfunc = Kfunc {
        name: "rs_node_next",
        params: "node",
        sig: &Sig::new(
            &NODE_PTR,
            &[SigParam {
                suffix: "",
                ty: &NODE_PTR,
            }],
        ),
    };
    let mut records = kfunc_record(&NEXT, 0);
    records.extend(struct_record(&RS_NODE));
    let s = setup(&records, &["rs_node_next"]);
    kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    let (base, btf) = result(&s);
    let node = btf.find("rs_node", Kind::Struct).expect("STRUCT rs_node");
    let next = btf.members(node)[0].1;
    assert_eq!(btf.info(next).unwrap().kind, Kind::Ptr);
    assert_eq!(
        btf.info(next).unwrap().target,
        node,
        "next does not point to rs_node"
    );
    let fwds = (base.type_count()..btf.type_count())
        .filter(|&id| btf.info(id).map(|i| i.kind) == Some(Kind::Fwd))
        .count();
    assert_eq!(fwds, 0, "a forward declaration was left");
}

#[test]
fn kernel_struct_of_another_size_than_vmlinux_warns() {
    use kfunc::record::{KernelKind, Kfunc, Sig, SigParam, Type};
    // The base's task_struct is 64 bytes; a binding of 48 bytes is wrong.
    const TASK48: Type = Type::Kernel {
        kind: KernelKind::Struct,
        name: "task_struct",
        size: 48,
    };
    const TASK48_PTR: Type = Type::Ptr {
        pointee: &TASK48,
        is_const: false,
    };
    const K: Kfunc = Kfunc {
        name: "rs_task_thing",
        params: "task",
        sig: &Sig::new(
            &Type::Void,
            &[SigParam {
                suffix: "",
                ty: &TASK48_PTR,
            }],
        ),
    };
    let s = setup(&kfunc_record(&K, 0), &["rs_task_thing"]);
    let added = kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    assert_eq!(added.warnings.len(), 1, "{:?}", added.warnings);
    assert!(
        added.warnings[0].contains(
            "struct task_struct is 48 bytes in the kernel crate's bindings but 64 in vmlinux BTF"
        ),
        "{}",
        added.warnings[0]
    );
}

#[test]
fn variables_get_var_and_datasec() {
    use kfunc::record::{Type, Var};
    const U32: Type = Type::Int {
        size: 4,
        signed: false,
        name: "u32",
    };
    const PERCPU: Var = Var {
        name: "rs_hits",
        percpu: true,
        ty: &U32,
    };
    let records = var_record(&PERCPU);
    let s = setup_with_var(&records, ".data..percpu", "rs_hits", 8, 4);
    kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    let (_, btf) = result(&s);
    let var = btf.find_own("rs_hits", Kind::Var).expect("VAR rs_hits");
    assert_eq!(btf.info(btf.info(var).unwrap().target).unwrap().name, "u32");
    let sec = btf
        .find_own(".data..percpu", Kind::Datasec)
        .expect("DATASEC");
    assert_eq!(btf.info(sec).unwrap().size, 16, "the section's size");
}

#[test]
fn percpu_record_of_a_non_percpu_symbol_is_an_error() {
    use kfunc::record::{Type, Var};
    const V: Var = Var {
        name: "rs_hits",
        percpu: true,
        ty: &Type::Bool,
    };
    let s = setup_with_var(&var_record(&V), ".data", "rs_hits", 0, 1);
    let err = fails_untouched(&s, &s.base);
    assert!(
        err.contains("variable `rs_hits` is recorded as per-CPU but is in section .data"),
        "{err}"
    );
}

#[test]
fn unload_records_clears_shf_alloc_and_nothing_else() {
    let s = setup(&section(), KFUNCS);
    let before = std::fs::read(&s.module).unwrap();
    assert!(kfunc_btf::module::unload_records(&s.module).unwrap());
    let after = std::fs::read(&s.module).unwrap();
    assert_eq!(before.len(), after.len());
    let diff: Vec<usize> = (0..before.len())
        .filter(|&i| before[i] != after[i])
        .collect();
    assert_eq!(diff.len(), 1, "one byte of sh_flags changes: {diff:?}");
    assert_eq!(
        before[diff[0]] & !after[diff[0]],
        2,
        "SHF_ALLOC (bit 1) cleared"
    );
    // The records still read back; a second run has nothing to do.
    assert_eq!(
        kfunc_btf::module::Module::read(&s.module)
            .unwrap()
            .records
            .kfuncs
            .len(),
        3
    );
    assert!(!kfunc_btf::module::unload_records(&s.module).unwrap());
}

#[test]
fn kfunc_named_like_a_vmlinux_function_gets_btf_of_its_own() {
    let s = setup_with_vmlinux_funcs(&section(), KFUNCS, &["rs_memzero"], &[]);
    let added = kfunc_btf::add(&s.base, &s.btf, &s.module).unwrap();
    assert_eq!(added.kfuncs, KFUNCS);
    let (base, btf) = result(&s);
    let own = btf.find_own("rs_memzero", Kind::Func).expect("own FUNC");
    assert!(own >= base.type_count());
    assert!(base.find("rs_memzero", Kind::Func).is_some());
    // libbpf would bind BPF programs' calls to vmlinux's: say so.
    assert_eq!(added.warnings.len(), 1, "{:?}", added.warnings);
    assert!(
        added.warnings[0].contains("kfunc `rs_memzero` has the name of a vmlinux function"),
        "{}",
        added.warnings[0]
    );
}

#[test]
fn set_entry_with_a_func_in_vmlinux_only_is_an_error() {
    // resolve_btfids looks set entries up in the module's own BTF: a
    // vmlinux FUNC of that name would give the entry id 0.
    let s = setup_with_vmlinux_funcs(
        &kfunc_record(&MEMZERO, 0),
        &["rs_memzero", "rs_forgotten"],
        &["rs_forgotten"],
        &[],
    );
    let err = fails_untouched(&s, &s.base);
    assert!(
        err.contains(
            "neither BTF of the module's own nor a signature record: rs_forgotten (in TEST_SET)"
        ),
        "{err}"
    );
}

#[test]
fn kfunc_identical_to_a_vmlinux_function_is_an_error() {
    // Dedup makes the kfunc's FUNC vmlinux's, leaving the module none.
    let s = setup_with_vmlinux_funcs(
        &kfunc_record(&MEMZERO, 0),
        &["rs_memzero"],
        &[],
        &["rs_memzero"],
    );
    let err = fails_untouched(&s, &s.base);
    assert!(
        err.contains("name and prototype of a vmlinux function"),
        "{err}"
    );
    assert!(err.ends_with("rename them: rs_memzero"), "{err}");
}

#[test]
fn btf_header_longer_than_libbpfs_is_refused() {
    // A header with 8 more bytes (as pahole's with a kind layout section):
    // libbpf would write the file back with its 24-byte header only.
    let s = setup(&section(), KFUNCS);
    let mut raw = std::fs::read(&s.btf).unwrap();
    assert_eq!(u32::from_le_bytes(raw[4..8].try_into().unwrap()), 24);
    raw[4..8].copy_from_slice(&32u32.to_le_bytes());
    raw.splice(24..24, [0u8; 8]);
    std::fs::write(&s.btf, &raw).unwrap();
    // libbpf itself reads it.
    let base = Rc::new(Btf::parse(&s.base).unwrap());
    Btf::parse_split(&s.btf, base).unwrap();
    let err = fails_untouched(&s, &s.base);
    assert!(
        err.contains(&format!(
            "{} has a BTF header of 32 bytes (hdr_len)",
            s.btf.display()
        )),
        "{err}"
    );
}

#[test]
fn btf_that_is_not_raw_is_refused() {
    // An ELF file would be replaced by raw BTF.
    let s = setup(&section(), KFUNCS);
    std::fs::copy(&s.module, &s.btf).unwrap();
    let err = fails_untouched(&s, &s.base);
    assert!(err.contains("is not a raw BTF file"), "{err}");
}
