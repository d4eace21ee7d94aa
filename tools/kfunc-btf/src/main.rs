// SPDX-License-Identifier: GPL-2.0

//! `kfunc-btf`: the BTF step of kfunc-rs and tools to inspect its results
//! (see lib.rs).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use kfunc_btf::btf::Btf;
use kfunc_btf::module::Module;
use std::path::{Path, PathBuf};
use std::rc::Rc;

#[derive(Parser)]
#[command(
    name = "kfunc-btf",
    about = "BTF for Rust kfuncs, and tools to inspect kfunc modules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Adds BTF for the module's Rust kfuncs, structs and variables to its
    /// detached BTF (the module build's BTF step runs this).
    Add {
        /// The base BTF (vmlinux).
        #[arg(long)]
        base: PathBuf,
        /// The detached BTF file pahole wrote for the module.
        #[arg(long)]
        btf: PathBuf,
        /// The module.
        module: PathBuf,
    },
    /// Clears SHF_ALLOC of the records' section: the loader then leaves the
    /// records in the file, out of module memory.
    UnloadRecords {
        /// The module.
        module: PathBuf,
    },
    /// The module's signature records, as C.
    Dump {
        /// The module (or a module object).
        module: PathBuf,
    },
    /// The layout of the kfunc sets in `.BTF_ids`. In a linked `.ko`
    /// resolve_btfids has sorted the id/flags pairs, so they no longer
    /// follow the entry symbols.
    Sets {
        /// A module or object file.
        object: PathBuf,
    },
    /// Every kfunc of a built module: its sets, with its flags in each,
    /// and its C prototype, from the module's BTF and `.BTF_ids`.
    List {
        /// The module.
        module: PathBuf,
        /// The base BTF (vmlinux) the module was built against: needed
        /// for a module without a distilled base (`.BTF.base`), as in-tree
        /// modules are. Not used for a module with one: the ids in its
        /// `.BTF_ids` are those of its BTF on that distilled base.
        #[arg(long)]
        base: Option<PathBuf>,
        /// The kernel tree the module was built for (build or source
        /// directory), whose include/linux/btf.h names the flags.
        #[arg(long)]
        kernel: Option<PathBuf>,
    },
    /// Writes the BPF-side header of a built module: every kfunc's
    /// `extern ... __ksym` prototype and the module's structs.
    Header {
        /// The base BTF (vmlinux).
        #[arg(long)]
        base: PathBuf,
        /// The module.
        module: PathBuf,
        /// Where to write the header (atomically); standard output if
        /// not given.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("kfunc-btf: error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Add { base, btf, module } => {
            let added = kfunc_btf::add(&base, &btf, &module)?;
            for w in &added.warnings {
                eprintln!("kfunc-btf: warning: {}: {w}", module.display());
            }
            if std::env::var_os("KFUNC_BTF_VERBOSE").is_some() && !added.kfuncs.is_empty() {
                eprintln!(
                    "kfunc-btf: {}: added BTF for {}",
                    module.display(),
                    added.kfuncs.join(", ")
                );
            }
        }
        Command::UnloadRecords { module } => {
            kfunc_btf::module::unload_records(&module)?;
        }
        Command::Dump { module } => {
            let m = Module::read(&module)?;
            for s in &m.records.structs {
                println!("struct {} {{ /* {} bytes */", s.name, s.size);
                for f in &s.members {
                    println!("\t{} {}; /* offset {} */", f.ty, f.name, f.offset);
                }
                println!("}};");
            }
            for v in &m.records.vars {
                println!(
                    "{}{} {};",
                    if v.percpu { "/* per-CPU */ " } else { "" },
                    v.ty,
                    v.name
                );
            }
            for k in &m.records.kfuncs {
                println!("{k};");
            }
            for s in &m.sets {
                let kfuncs: Vec<&str> = s.entries.iter().map(|e| e.kfunc.as_str()).collect();
                println!("/* set {}: {} */", s.name, kfuncs.join(", "));
            }
        }
        Command::Sets { object } => {
            for set in Module::read(&object)?.sets {
                print!("{set}");
            }
        }
        Command::List {
            module,
            base,
            kernel,
        } => list(&module, base.as_deref(), kernel.as_deref())?,
        Command::Header {
            base,
            module,
            output,
        } => {
            let btf = module_btf(&module, Some(&base))?;
            let set_ids = set_ids(&Module::read(&module)?);
            let name = module
                .file_stem()
                .and_then(|s| s.to_str())
                .context("bad module file name")?;
            let text = kfunc_btf::header::header(name, &btf, &set_ids)?;
            match output {
                Some(path) => kfunc_btf::write_atomic(&path, text.as_bytes())?,
                None => print!("{text}"),
            }
        }
    }
    Ok(())
}

/// The BTF ids in the module's kfunc sets (0 where unresolved).
fn set_ids(m: &Module) -> std::collections::BTreeSet<u32> {
    m.sets
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.id))
        .filter(|&id| id != 0)
        .collect()
}

/// The module's BTF: on `base` (relocated from its distilled base, if it
/// has one), or on the distilled base it carries.
fn module_btf(module: &Path, base: Option<&Path>) -> Result<Btf> {
    match base {
        Some(base) => Btf::parse_split(module, Rc::new(Btf::parse(base)?)),
        None => Btf::parse(module),
    }
    .with_context(|| format!("reading the BTF of {}", module.display()))
}

/// `KF_*` names and values from the kernel's include/linux/btf.h.
fn flag_names(kernel: &Path) -> Result<Vec<(String, u32)>> {
    let header = ["include/linux/btf.h", "source/include/linux/btf.h"]
        .iter()
        .map(|p| kernel.join(p))
        .find(|p| p.exists())
        .with_context(|| format!("no include/linux/btf.h in {}", kernel.display()))?;
    let text = std::fs::read_to_string(&header)?;
    let mut flags = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("#define") else {
            continue;
        };
        let rest = rest.split("/*").next().unwrap_or("");
        let mut words = rest.split_whitespace();
        let Some(name) = words.next().and_then(|n| n.strip_prefix("KF_")) else {
            continue;
        };
        // `(1 << N)`
        let value: String = words
            .collect::<String>()
            .chars()
            .filter(|c| !"()".contains(*c))
            .collect();
        if let Some(Ok(bit)) = value.strip_prefix("1<<").map(str::parse::<u32>) {
            flags.push((name.to_string(), 1 << bit));
        }
    }
    Ok(flags)
}

fn list(module: &Path, base: Option<&Path>, kernel: Option<&Path>) -> Result<()> {
    let names = kernel.map(flag_names).transpose()?;
    let m = Module::read(module)?;
    // The ids in `.BTF_ids` are those resolve_btfids wrote: of the
    // module's BTF on its distilled base if it has one (relocating it onto
    // vmlinux would renumber it), else on vmlinux.
    let btf = if m.has_distilled_base {
        module_btf(module, None)?
    } else {
        let base = base.with_context(|| {
            format!(
                "{} has no distilled base BTF (.BTF.base), as in-tree modules have none: \
                 give the vmlinux it was built against with --base",
                module.display()
            )
        })?;
        module_btf(module, Some(base))?
    };
    let describe = |flags: u32| -> String {
        let Some(names) = &names else {
            return format!("{flags:#x}");
        };
        let mut parts: Vec<&str> = names
            .iter()
            .filter(|(_, v)| flags & v != 0)
            .map(|(n, _)| n.as_str())
            .collect();
        let known = names.iter().fold(0, |a, (_, v)| a | v);
        let unknown = flags & !known;
        let extra = (unknown != 0).then(|| format!("{unknown:#x}"));
        parts.extend(extra.as_deref());
        if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join(" | ")
        }
    };
    for k in kfunc_btf::header::kfuncs(&btf, &set_ids(&m))? {
        // A kfunc may be in several sets, with other flags in each (the
        // flags are per entry), so they are listed per set.
        println!("{}", k.name);
        let mut in_a_set = false;
        for s in &m.sets {
            if let Some(e) = s.entries.iter().find(|e| e.id == k.id) {
                println!("\tset {}: {}", s.name, describe(e.flags));
                in_a_set = true;
            }
        }
        if !in_a_set {
            println!("\tin no set");
        }
        println!("\t{}", k.line);
    }
    Ok(())
}
