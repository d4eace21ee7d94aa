// SPDX-License-Identifier: GPL-2.0

//! The record format: what the kernel crate's encoder (rust/record.rs)
//! writes, the tool reads back unchanged.

mod common;

use common::*;
use kfunc_btf::record::{Field, KernelKind, Records, Type};

/// The kfuncs of [`TEST_SET`] in these tests' records.
const KFUNCS: &[&str] = &["rs_memzero", "rs_task_acquire"];

/// Parses `section`, whose kfuncs are [`KFUNCS`].
fn parse(section: &[u8]) -> anyhow::Result<Records> {
    parse_records(section, KFUNCS)
}

fn int(size: u8, signed: bool, name: &str) -> Type {
    Type::Int {
        size,
        signed,
        name: name.into(),
    }
}

#[test]
fn kfunc_records_round_trip() {
    let mut section = kfunc_record(&MEMZERO, 0);
    section.extend(kfunc_record(&TASK_ACQUIRE, 1));
    let r = parse(&section).unwrap();
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

/// A set's kfuncs as its static holds them: one record, with their
/// signatures, each once, and each kfunc written at the position the one
/// before ended. It reads as the same kfuncs in records of their own.
#[test]
fn kfuncs_of_one_record_round_trip() {
    use kfunc::record::{begin_kfuncs, end_record, kfuncs_len, ListKind, SigTable};
    let mut table = SigTable::EMPTY;
    let memzero = table.add(MEMZERO.sig);
    let task_acquire = table.add(TASK_ACQUIRE.sig);
    assert_eq!((memzero, task_acquire), (0, 1));
    assert_eq!(table.add(MEMZERO.sig), memzero);
    let set = ListKind::Set8;
    let len = kfuncs_len(set, TEST_SET, &table) + MEMZERO.body_len() + TASK_ACQUIRE.body_len();
    let mut section = vec![0; len];
    let at = begin_kfuncs(&mut section, 0, &table, set, TEST_SET);
    let at = MEMZERO.encode_body_at(&mut section, at, memzero, set.id_at(0));
    let at = TASK_ACQUIRE.encode_body_at(&mut section, at, task_acquire, set.id_at(1));
    assert_eq!(end_record(&mut section, 0, at), len);
    let mut apart = kfunc_record(&MEMZERO, 0);
    apart.extend(kfunc_record(&TASK_ACQUIRE, 1));
    assert_eq!(parse(&section).unwrap(), parse(&apart).unwrap());
    let r = parse(&section).unwrap();
    let names: Vec<&str> = r.kfuncs.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["rs_memzero", "rs_task_acquire"]);
}

/// A parameter's BTF name is its Rust name, without the `r#` of a raw
/// identifier, and its type's suffix.
#[test]
fn parameter_names_take_their_suffix() {
    use kfunc::record::{Kfunc, Sig, SigParam};
    const SIG: Sig = Sig::new(
        &U32,
        &[
            SigParam {
                suffix: "__k",
                ty: &U32,
            },
            SigParam {
                suffix: "",
                ty: &U32,
            },
        ],
    );
    const K: Kfunc = Kfunc {
        name: "rs_konst",
        params: "x r#type",
        sig: &SIG,
    };
    assert_eq!(K.param(1).name, "type");
    let r = parse_records(&kfunc_record(&K, 0), &["rs_konst"]).unwrap();
    assert_eq!(r.kfuncs[0].to_string(), "u32 rs_konst(u32 x__k, u32 type)");
}

/// Records of their own, written one after another into one buffer, each
/// at the position the one before ended.
#[test]
fn records_written_in_place_round_trip() {
    let len = MEMZERO.encoded_len(TEST_SET) + TASK_ACQUIRE.encoded_len(TEST_SET);
    let mut section = vec![0; len];
    let at = MEMZERO.encode_at(&mut section, 0, TEST_SET, 0);
    assert_eq!(TASK_ACQUIRE.encode_at(&mut section, at, TEST_SET, 1), len);
    let mut apart = kfunc_record(&MEMZERO, 0);
    apart.extend(kfunc_record(&TASK_ACQUIRE, 1));
    assert_eq!(section, apart);
    let r = parse(&section).unwrap();
    let names: Vec<&str> = r.kfuncs.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["rs_memzero", "rs_task_acquire"]);
}

#[test]
fn struct_records_round_trip() {
    let r = parse(&struct_record(&RS_COUNTER)).unwrap();
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
    section.extend(kfunc_record(&MEMZERO, 0));
    section.extend([0; 5]);
    section.extend(struct_record(&RS_COUNTER));
    let r = parse(&section).unwrap();
    assert_eq!((r.kfuncs.len(), r.structs.len()), (1, 1));
}

#[test]
fn truncated_record_is_an_error() {
    let rec = kfunc_record(&MEMZERO, 0);
    for cut in [4, 10, rec.len() - 1] {
        let err = parse(&rec[..cut]).unwrap_err();
        assert!(format!("{err:#}").contains("offset 0x0"), "{err:#}");
    }
}

#[test]
fn garbage_is_an_error() {
    let err = parse(b"not a record").unwrap_err();
    assert!(err.to_string().contains("no signature record"), "{err}");
    let mut rec = kfunc_record(&MEMZERO, 0);
    rec[4] = 9; // version
    let err = parse(&rec).unwrap_err();
    assert!(err.to_string().contains("format version 9"), "{err}");
    let mut rec = kfunc_record(&MEMZERO, 0);
    // The last parameter's type, `u32`: its tag.
    let u32_type = [1, 4, 0, 3, 0, b'u', b'3', b'2'];
    let tag = rec.windows(8).rposition(|w| w == u32_type).unwrap();
    rec[tag] = 0x7f;
    let err = format!("{:#}", parse(&rec).unwrap_err());
    assert!(err.contains("bad type tag 127"), "{err}");
}

/// A kfunc record of `body`: the header, then `body`.
fn kfunc_record_of(body: &[u8]) -> Vec<u8> {
    use kfunc::record::{RecordKind, HEADER_LEN, MAGIC, VERSION};
    let mut rec = MAGIC.to_vec();
    rec.extend([VERSION, RecordKind::Kfunc as u8]);
    rec.extend(((HEADER_LEN + body.len()) as u32).to_le_bytes());
    rec.extend(body);
    rec
}

/// The errors of the kfunc record's own layout: a signature a kfunc
/// names but the record lacks, signatures and no kfunc, a suffix that no
/// C name may end with.
#[test]
fn bad_kfunc_records_are_errors() {
    use kfunc::record::{Kfunc, Sig, SigParam, HEADER_LEN};
    let good = kfunc_record(&TASK_ACQUIRE, 1);
    // The kfunc's signature index follows its place in the set (kfunc 1:
    // 16 bytes from the set's symbol), after the one signature.
    let place = 4;
    let index = good.len() - (2 + "pid".len()) - 2;
    assert_eq!(&good[index - place..index], 16u32.to_le_bytes());
    let mut bad = good.clone();
    bad[index] = 5;
    let err = format!("{:#}", parse(&bad).unwrap_err());
    assert!(
        err.contains("kfunc rs_task_acquire has signature 5, of 1"),
        "{err}"
    );

    let signatures_only = kfunc_record_of(&good[HEADER_LEN..index - place]);
    let err = format!("{:#}", parse(&signatures_only).unwrap_err());
    assert!(err.contains("record ends early"), "{err}");

    const SIG: Sig = Sig::new(
        &U32,
        &[SigParam {
            suffix: "__k-1",
            ty: &U32,
        }],
    );
    const K: Kfunc = Kfunc {
        name: "rs_bad_suffix",
        params: "x",
        sig: &SIG,
    };
    let err = format!("{:#}", parse(&kfunc_record(&K, 0)).unwrap_err());
    assert!(err.contains("bad parameter suffix \"__k-1\""), "{err}");
}

/// Kfuncs naming one large signature again and again: a few bytes each
/// must not make the reader copy gigabytes of types.
#[test]
fn repeated_large_signatures_are_bounded() {
    let long = "s".repeat(60_000);
    let set = format!("{}{TEST_SET}", kfunc::record::ListKind::Set8.prefix());
    let mut body = (set.len() as u16).to_le_bytes().to_vec();
    body.extend(set.as_bytes());
    // One signature: no parameters, returning `struct sss...`.
    body.extend([1, 0, 0, 5]);
    body.extend((long.len() as u16).to_le_bytes());
    body.extend(long.as_bytes());
    for _ in 0..2000 {
        // the set's kfunc 0, signature 0, no parameter names.
        body.extend([8, 0, 0, 0, 0, 0, 0, 0]);
    }
    let err = format!("{:#}", parse(&kfunc_record_of(&body)).unwrap_err());
    assert!(err.contains("bytes of signatures"), "{err}");
}

/// A kfunc's parameter names, in one string: split at whitespace (a long
/// `stringify!` breaks lines), without `r#`; one name for each parameter,
/// no more, no less.
#[test]
fn parameter_names_are_split_and_counted() {
    use kfunc::record::{param_name, Kfunc};
    assert_eq!(param_name("a b", 1), Some("b"));
    assert_eq!(param_name("a\nr#type", 1), Some("type"));
    assert_eq!(param_name(" a  b ", 0), Some("a"));
    assert_eq!(param_name("a b", 2), None);
    assert_eq!(param_name("", 0), None);

    let two = Kfunc {
        name: "rs_two",
        params: "mem\nr#type",
        ..MEMZERO
    };
    let k = &parse(&kfunc_record(&two, 0)).unwrap().kfuncs[0];
    let names: Vec<_> = k.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["mem", "type"]);

    for (params, want) in [
        ("mem", "names for 1 of its 2 parameters"),
        ("mem mem more", "more names than its 2 parameters"),
        ("mem\0mem", "\"mem\\0mem\" is not a C identifier"),
        ("mem 1x", "\"1x\" is not a C identifier"),
    ] {
        let bad = Kfunc { params, ..MEMZERO };
        let err = format!("{:#}", parse(&kfunc_record(&bad, 0)).unwrap_err());
        assert!(
            err.contains("kfunc rs_memzero") && err.contains(want),
            "{params:?}: {err}"
        );
    }
}
