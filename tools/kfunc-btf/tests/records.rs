// SPDX-License-Identifier: GPL-2.0

//! The record format: what the kernel crate's encoder (rust/record.rs)
//! writes, the tool reads back unchanged.

mod common;

use common::*;
use kfunc_btf::record::{self, Field, KernelKind, Type};

fn int(size: u8, signed: bool, name: &str) -> Type {
    Type::Int {
        size,
        signed,
        name: name.into(),
    }
}

#[test]
fn kfunc_records_round_trip() {
    let mut section = kfunc_record(&MEMZERO);
    section.extend(kfunc_record(&TASK_ACQUIRE));
    let r = record::parse(&section).unwrap();
    assert_eq!(r.kfuncs.len(), 2);
    let m = &r.kfuncs[0];
    assert_eq!(m.name, "rs_memzero");
    assert_eq!(m.ret, Type::Void);
    assert_eq!(
        m.params,
        vec![
            Field {
                name: "mem".into(),
                offset: 0,
                ty: Type::Ptr {
                    pointee: Box::new(int(1, false, "u8")),
                    is_const: false
                }
            },
            Field {
                name: "mem__sz".into(),
                offset: 0,
                ty: int(4, false, "u32")
            },
        ]
    );
    let t = &r.kfuncs[1];
    assert_eq!(
        t.ret,
        Type::Ptr {
            pointee: Box::new(Type::Kernel {
                kind: KernelKind::Struct,
                name: "task_struct".into(),
                size: 64,
            }),
            is_const: false
        }
    );
    assert_eq!(
        t.to_string(),
        "struct task_struct * rs_task_acquire(s32 pid)"
    );
}

/// A set's records as its static holds them: written one after another
/// into one buffer, each at the position the one before ended.
#[test]
fn records_written_in_place_round_trip() {
    let len = MEMZERO.encoded_len() + TASK_ACQUIRE.encoded_len();
    let mut section = vec![0; len];
    let at = MEMZERO.encode_at(&mut section, 0);
    assert_eq!(TASK_ACQUIRE.encode_at(&mut section, at), len);
    let mut apart = kfunc_record(&MEMZERO);
    apart.extend(kfunc_record(&TASK_ACQUIRE));
    assert_eq!(section, apart);
    let r = record::parse(&section).unwrap();
    let names: Vec<&str> = r.kfuncs.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["rs_memzero", "rs_task_acquire"]);
}

#[test]
fn struct_records_round_trip() {
    let r = record::parse(&struct_record(&RS_COUNTER)).unwrap();
    let s = &r.structs[0];
    assert_eq!((s.name.as_str(), s.size), ("rs_counter", 16));
    let m: Vec<_> = s
        .members
        .iter()
        .map(|m| (m.name.as_str(), m.offset))
        .collect();
    assert_eq!(m, [("value", 0), ("id", 8), ("refs", 12)]);
}

#[test]
fn padding_between_records_is_skipped() {
    let mut section = vec![0, 0, 0];
    section.extend(kfunc_record(&MEMZERO));
    section.extend([0; 5]);
    section.extend(struct_record(&RS_COUNTER));
    let r = record::parse(&section).unwrap();
    assert_eq!((r.kfuncs.len(), r.structs.len()), (1, 1));
}

#[test]
fn truncated_record_is_an_error() {
    let rec = kfunc_record(&MEMZERO);
    for cut in [4, 10, rec.len() - 1] {
        let err = record::parse(&rec[..cut]).unwrap_err();
        assert!(format!("{err:#}").contains("offset 0x0"), "{err:#}");
    }
}

#[test]
fn garbage_is_an_error() {
    let err = record::parse(b"not a record").unwrap_err();
    assert!(err.to_string().contains("no signature record"), "{err}");
    let mut rec = kfunc_record(&MEMZERO);
    rec[4] = 9; // version
    let err = record::parse(&rec).unwrap_err();
    assert!(err.to_string().contains("format version 9"), "{err}");
    let mut rec = kfunc_record(&MEMZERO);
    let tag = rec.len() - 10; // inside the last parameter's type
    rec[tag] = 0x7f;
    assert!(record::parse(&rec).is_err());
}
