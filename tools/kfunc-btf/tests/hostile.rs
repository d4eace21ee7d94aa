// SPDX-License-Identifier: GPL-2.0

//! Hostile inputs to the BTF step: every object of tests/corpus/ (named in
//! tests/corpus/EXPECT with the base it runs against and what the error
//! must say) makes `kfunc-btf add` exit 1 with that message and leaves the
//! module, the BTF file and the base byte for byte as they were. The
//! other subcommands may accept or refuse each object, but never crash or
//! write a file half.
//!
//! The corpus is committed (and seeds the fuzzers, fuzz/); this file also
//! writes it: `cargo test -p kfunc-btf --test hostile -- --ignored`.

mod common;

use common::*;
use kfunc::record::{Kfunc, Sig, SigParam, Type};
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One line of tests/corpus/EXPECT.
struct Case {
    object: String,
    base: String,
    message: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(corpus_dir().join("EXPECT")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut w = l.splitn(3, ' ');
            Case {
                object: w.next().unwrap().to_string(),
                base: w.next().expect("no base").to_string(),
                message: w.next().expect("no message").to_string(),
            }
        })
        .collect()
}

/// An x86-64 ELF file standing in for vmlinux: `.BTF` holding `btf`, or
/// none.
fn elf_base(btf: Option<&[u8]>) -> Vec<u8> {
    use object::write::Object;
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    obj.append_section_data(text, &[0xc3], 1);
    if let Some(btf) = btf {
        let s = obj.add_section(Vec::new(), b".BTF".to_vec(), SectionKind::ReadOnlyData);
        obj.append_section_data(s, btf, 4);
    }
    obj.write().unwrap()
}

/// Runs the kfunc-btf binary; returns its exit code and standard error.
fn kfunc_btf(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kfunc-btf"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_bad_input_fails_cleanly() {
    let cases = cases();
    assert!(cases.len() >= 10, "the corpus is too small");
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let raw_base = write_base(dir.path());
        let btf = write_empty_split(&raw_base, dir.path());
        let base = match case.base.as_str() {
            "btf" => raw_base.clone(),
            "elf" | "elf-nobtf" => {
                let raw = std::fs::read(&raw_base).unwrap();
                let path = dir.path().join("vmlinux");
                let elf = elf_base((case.base == "elf").then_some(&raw[..]));
                std::fs::write(&path, elf).unwrap();
                path
            }
            other => panic!("{}: unknown base {other}", case.object),
        };
        let module = dir.path().join(&case.object);
        std::fs::copy(corpus_dir().join(&case.object), &module)
            .unwrap_or_else(|e| panic!("{}: {e}", case.object));
        let before: Vec<Vec<u8>> = [&module, &btf, &base]
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let unchanged = |what: &str| {
            for (p, b) in [&module, &btf, &base].iter().zip(&before) {
                assert_eq!(
                    &std::fs::read(p).unwrap(),
                    b,
                    "{}: {what} changed {}",
                    case.object,
                    p.display()
                );
            }
        };

        let (code, err) = kfunc_btf(&[
            "add".as_ref(),
            "--base".as_ref(),
            base.as_os_str(),
            "--btf".as_ref(),
            btf.as_os_str(),
            module.as_os_str(),
        ]);
        assert_eq!(code, Some(1), "{}: add exited {code:?}: {err}", case.object);
        assert!(
            err.contains(&case.message),
            "{}: add said {err:?}, not {:?}",
            case.object,
            case.message
        );
        unchanged("add");

        // The inspecting subcommands: an answer or an error, no crash.
        for args in [
            vec!["dump".as_ref(), module.as_os_str()],
            vec!["sets".as_ref(), module.as_os_str()],
            vec![
                "list".as_ref(),
                module.as_os_str(),
                "--base".as_ref(),
                base.as_os_str(),
            ],
            vec![
                "header".as_ref(),
                "--base".as_ref(),
                base.as_os_str(),
                module.as_os_str(),
            ],
        ] {
            let (code, err) = kfunc_btf(&args);
            assert!(
                matches!(code, Some(0 | 1)),
                "{}: {:?} exited {code:?}: {err}",
                case.object,
                args[0]
            );
            unchanged(&args[0].to_string_lossy());
        }
        // unload-records rewrites the module, whole, only when it can.
        let (code, err) = kfunc_btf(&["unload-records".as_ref(), module.as_os_str()]);
        assert!(
            matches!(code, Some(0 | 1)),
            "{}: unload-records exited {code:?}: {err}",
            case.object
        );
        if code == Some(1) {
            unchanged("unload-records");
        }
    }
}

/// A kfunc `u32 rs_ok(u32 x)`, kfunc 0 of the test set.
fn kfunc_u32() -> Vec<u8> {
    const SIG: Sig = Sig::new(
        &U32,
        &[SigParam {
            suffix: "",
            ty: &U32,
        }],
    );
    kfunc_record(
        &Kfunc {
            name: "rs_ok",
            params: "x",
            sig: &SIG,
        },
        0,
    )
}

/// The offset of the header of section `name` in ELF64 file `data`.
fn section_header(data: &[u8], name: &str) -> usize {
    use object::{Object, ObjectSection};
    let file = object::File::parse(data).unwrap();
    let index = file.section_by_name(name).unwrap().index().0;
    let shoff = u64::from_le_bytes(data[0x28..0x30].try_into().unwrap()) as usize;
    let shentsize = u16::from_le_bytes(data[0x3a..0x3c].try_into().unwrap()) as usize;
    shoff + index * shentsize
}

/// The offset of the symbol table entry of `name` in ELF64 file `data`.
fn symbol_entry(data: &[u8], name: &str) -> usize {
    use object::{Object, ObjectSection, ObjectSymbol};
    let file = object::File::parse(data).unwrap();
    let index = file
        .symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap()
        .index()
        .0;
    let symtab = file.section_by_name(".symtab").unwrap();
    symtab.file_range().unwrap().0 as usize + index * 24
}

#[test]
#[ignore = "writes tests/corpus/ (run it to regenerate the corpus)"]
fn regenerate_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let good_records = [kfunc_record(&MEMZERO, 0), kfunc_record(&TASK_ACQUIRE, 1)].concat();
    let good = std::fs::read(write_module(
        dir.path(),
        &good_records,
        TEST_SET,
        &["rs_memzero", "rs_task_acquire"],
    ))
    .unwrap();
    let out = corpus_dir();
    std::fs::create_dir_all(&out).unwrap();
    let put = |name: &str, data: &[u8]| std::fs::write(out.join(name), data).unwrap();

    put("empty.ko", b"");
    put("not_elf.ko", b"kfunc-rs: not an object at all\n");
    put("truncated.ko", &good[..good.len() / 2]);
    put("header_only.ko", &good[..64]);

    let mut elf32 = good.clone();
    elf32[4] = 1; // EI_CLASS: ELFCLASS32
    put("elf32.ko", &elf32);

    let mut aarch64 = good.clone();
    aarch64[18..20].copy_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    put("wrong_machine.ko", &aarch64);

    let mut big_endian = good.clone();
    big_endian[5] = 2; // EI_DATA: ELFDATA2MSB
    put("wrong_endian.ko", &big_endian);

    // The records section claims more bytes than the file has.
    let mut oversized = good.clone();
    let sh = section_header(&good, kfunc::record::SECTION);
    oversized[sh + 32..sh + 40].copy_from_slice(&(1u64 << 40).to_le_bytes());
    put("oversized_records_section.ko", &oversized);

    // The section headers lie outside the file.
    let mut no_headers = good.clone();
    no_headers[0x28..0x30].copy_from_slice(&(u64::MAX - 8).to_le_bytes());
    put("section_headers_outside.ko", &no_headers);

    // The set's symbol claims more entries than `.BTF_ids` holds.
    let mut lying_set = good.clone();
    let set = format!("{}{TEST_SET}", kfunc::record::ListKind::Set8.prefix());
    let sym = symbol_entry(&good, &set);
    lying_set[sym + 16..sym + 24].copy_from_slice(&4096u64.to_le_bytes());
    put("set_size_lies.ko", &lying_set);

    // A set entry's symbol points past the section.
    let mut entry_outside = good.clone();
    let sym = symbol_entry(&good, "__BTF_ID__func__rs_task_acquire__s1");
    entry_outside[sym + 8..sym + 16].copy_from_slice(&0x10000u64.to_le_bytes());
    put("set_entry_outside.ko", &entry_outside);

    // A record claims more bytes than the section holds.
    let mut overclaim = good_records.clone();
    overclaim[6..10].copy_from_slice(&u32::MAX.to_le_bytes());
    put(
        "record_overclaims.ko",
        &std::fs::read(write_module(
            dir.path(),
            &overclaim,
            TEST_SET,
            &["rs_memzero"],
        ))
        .unwrap(),
    );

    // A record cut short inside a name.
    let cut = kfunc_record(&MEMZERO, 0);
    let mut cut = cut[..cut.len() - 3].to_vec();
    let len = cut.len() as u32;
    cut[6..10].copy_from_slice(&len.to_le_bytes());
    put(
        "record_cut_short.ko",
        &std::fs::read(write_module(dir.path(), &cut, TEST_SET, &["rs_memzero"])).unwrap(),
    );

    put(
        "duplicate_kfunc.ko",
        &std::fs::read(write_module(
            dir.path(),
            &[kfunc_record(&MEMZERO, 0), kfunc_record(&MEMZERO, 0)].concat(),
            TEST_SET,
            &["rs_memzero"],
        ))
        .unwrap(),
    );

    // Kfuncs are named by their BTF ids' symbols, which C would not
    // accept as these names.
    for (file, name) in [
        ("name_with_space.ko", "rs bad"),
        ("name_with_dash.ko", "rs-bad"),
        ("name_starting_with_digit.ko", "1rs_bad"),
    ] {
        put(
            file,
            &std::fs::read(write_module(dir.path(), &kfunc_u32(), TEST_SET, &[name])).unwrap(),
        );
    }

    // A record placing its kfunc past the end of its set.
    put(
        "record_place_outside_set.ko",
        &std::fs::read(write_module(
            dir.path(),
            &kfunc_record(&MEMZERO, 1),
            TEST_SET,
            &["rs_memzero"],
        ))
        .unwrap(),
    );

    // A record naming a set the module does not have.
    put(
        "record_set_missing.ko",
        &std::fs::read(write_module(
            dir.path(),
            &kfunc_record(&MEMZERO, 0),
            "OTHER_SET",
            &["rs_memzero"],
        ))
        .unwrap(),
    );

    // A pointer to a pointer to ... deeper than any C type.
    let mut deep = &Type::Void;
    let mut chain: Vec<&'static Type> = Vec::new();
    for _ in 0..34 {
        let t: &'static Type = Box::leak(Box::new(Type::Ptr {
            pointee: deep,
            is_const: false,
        }));
        chain.push(t);
        deep = t;
    }
    put(
        "type_nested_too_deeply.ko",
        &std::fs::read(write_module(
            dir.path(),
            &kfunc_record(
                &Kfunc {
                    name: "rs_deep",
                    params: "",
                    sig: Box::leak(Box::new(Sig::new(deep, &[]))),
                },
                0,
            ),
            TEST_SET,
            &["rs_deep"],
        ))
        .unwrap(),
    );

    // A good module, for the bases that are bad.
    put("good.ko", &good);
}
