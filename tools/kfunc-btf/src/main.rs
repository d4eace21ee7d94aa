//! `kfunc-btf`: adds BTF for Rust kfuncs to a module's BTF (see lib.rs).
//!
//! ```text
//! kfunc-btf add --base <vmlinux> --btf <detached BTF file> <module.ko>
//! kfunc-btf dump <module.ko>     the signature records, as C
//! kfunc-btf sets <object>        the layout of the .BTF_ids kfunc sets (in a
//!                                linked .ko resolve_btfids has sorted the
//!                                id/flags pairs, so they no longer follow
//!                                the entry symbols)
//! ```

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

const USAGE: &str = "usage: kfunc-btf add --base <vmlinux> --btf <file> <module.ko>\n       kfunc-btf dump <module.ko>\n       kfunc-btf sets <object>";

fn main() {
    if let Err(e) = run() {
        eprintln!("kfunc-btf: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("add") => {
            let (mut base, mut btf, mut module) = (None, None, None);
            while let Some(a) = args.next() {
                match a.as_str() {
                    "--base" => {
                        base = Some(PathBuf::from(args.next().context("--base needs a path")?))
                    }
                    "--btf" => {
                        btf = Some(PathBuf::from(args.next().context("--btf needs a path")?))
                    }
                    _ if module.is_none() && !a.starts_with('-') => module = Some(PathBuf::from(a)),
                    _ => bail!("unexpected argument {a}\n{USAGE}"),
                }
            }
            let (base, btf, module) = (
                base.context(USAGE)?,
                btf.context(USAGE)?,
                module.context(USAGE)?,
            );
            let added = kfunc_btf::add(&base, &btf, &module)?;
            if std::env::var_os("KFUNC_BTF_VERBOSE").is_some() && !added.is_empty() {
                eprintln!(
                    "kfunc-btf: {}: added BTF for {}",
                    module.display(),
                    added.join(", ")
                );
            }
            Ok(())
        }
        Some("dump") => {
            let module = PathBuf::from(args.next().context(USAGE)?);
            let m = kfunc_btf::module::Module::read(&module)?;
            for s in &m.records.structs {
                println!("struct {} {{ /* {} bytes */", s.name, s.size);
                for f in &s.members {
                    println!("\t{} {}; /* offset {} */", f.ty, f.name, f.offset);
                }
                println!("}};");
            }
            for k in &m.records.kfuncs {
                println!("{k};");
            }
            for s in &m.sets {
                let kfuncs: Vec<&str> = s.entries.iter().map(|e| e.kfunc.as_str()).collect();
                println!("/* set {}: {} */", s.name, kfuncs.join(", "));
            }
            Ok(())
        }
        Some("sets") => {
            let path = PathBuf::from(args.next().context(USAGE)?);
            for set in kfunc_btf::module::Module::read(&path)?.sets {
                print!("{set}");
            }
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}
