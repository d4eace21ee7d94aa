// SPDX-License-Identifier: GPL-2.0

//! `kfunc-guest user`: tests a user's own module, as `make check` in a
//! directory made by `make new` asks (scripts/user.sh).
//!
//! Every module of the initramfs is loaded, in name order. Then every
//! program of every BPF object is a test:
//!
//! - a program with upstream's test_loader annotations (progs/bpf_misc.h:
//!   `__success`, `__failure`, `__msg(...)`, `__retval(...)`, ...) is
//!   judged as upstream's test_loader judges it ([`test_loader`]);
//! - one without runs by its type: a syscall program without a context,
//!   a packet program (tc, xdp, socket filter, cgroup skb) on upstream's
//!   `pkt_v4`, once; any other program is attached (and detached). It
//!   passes if it loads and runs; its return value is printed.
//!
//! A program the verifier rejects prints the end of the verifier's log.
//! Last, the modules are unloaded, which fails if a program still holds
//! one after the tests.

use crate::bpf::{self, Input};
use crate::conformance::scenario::pkt_v4;
use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use crate::test_loader::{self, Driver, Env};
use anyhow::{anyhow, bail, Context, Result};
use libbpf_rs::libbpf_sys as sys;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// The files of directory `dir` of the initramfs whose names end in
/// `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.to_string_lossy().ends_with(suffix));
    out.sort();
    out
}

/// The module name of a `.ko` file.
fn module_name(ko: &Path) -> String {
    ko.file_stem()
        .map(|s| s.to_string_lossy().replace('-', "_"))
        .unwrap_or_default()
}

/// The last `n` lines of a verifier log, for a failure.
fn log_tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| !l.ends_with("skipped loading"))
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether programs of type `prog_type` run on a packet.
fn takes_packet(prog_type: u32) -> bool {
    matches!(
        prog_type,
        sys::BPF_PROG_TYPE_SCHED_CLS
            | sys::BPF_PROG_TYPE_SCHED_ACT
            | sys::BPF_PROG_TYPE_XDP
            | sys::BPF_PROG_TYPE_SOCKET_FILTER
            | sys::BPF_PROG_TYPE_CGROUP_SKB
    )
}

/// Loads program `prog` of `path` alone and runs or attaches it by its
/// type; returns what it did, for the log.
fn run_plain(path: &Path, prog: &str, prog_type: u32) -> Result<String> {
    let obj = bpf::load(path, &[prog]).map_err(|e| {
        anyhow!(
            "the program does not load: {}\nverifier log (the end):\n{}",
            e.error,
            log_tail(&e.log, 30)
        )
    })?;
    let ran = |input| {
        bpf::run(&obj, prog, input)?
            .map_err(|errno| anyhow!("BPF_PROG_TEST_RUN failed: errno {errno}"))
    };
    if prog_type == sys::BPF_PROG_TYPE_SYSCALL {
        Ok(format!("ran: retval {}", ran(Input::Nothing)?))
    } else if takes_packet(prog_type) {
        Ok(format!(
            "ran on pkt_v4: retval {}",
            ran(Input::Packet(&pkt_v4()))?
        ))
    } else {
        drop(bpf::attach(&obj, prog)?);
        Ok("loaded, attached and detached".into())
    }
}

/// The tests of one object: its programs, annotated or not.
fn object_tests(path: PathBuf, env: &Rc<Env>) -> Vec<Test<'static>> {
    let object = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short = object.trim_end_matches(".bpf.o").to_string();
    let specs = match test_loader::read_object(&object, &path, Driver::RunTests, env) {
        Ok(s) => Rc::new(s),
        Err(e) => {
            let msg = format!("{e:#}");
            return vec![Test::new(format!("{short}: opens"), move || bail!("{msg}"))];
        }
    };
    let mut tests = Vec::new();
    // Annotated programs: upstream's test_loader semantics.
    for sub in test_loader::subtests(&specs, env) {
        let program = &specs.programs[sub.index];
        if !program.spec.as_ref().is_ok_and(|s| s.annotated) {
            continue;
        }
        let name = format!("{short}/{}", sub.name());
        tests.push(Test::new(name.clone(), move || {
            let o = sub.run();
            if !o.ok {
                bail!("{}\n{}", o.result, o.detail.trim_end());
            }
            println!("# {name}: {}", o.result);
            Ok(())
        }));
    }
    // The others: load, and run or attach.
    for p in specs
        .programs
        .iter()
        .filter(|p| !p.spec.as_ref().is_ok_and(|s| s.annotated) && p.spec.is_ok())
    {
        let (name, prog, prog_type) = (format!("{short}/{}", p.name), p.name.clone(), p.prog_type);
        let path = path.clone();
        tests.push(Test::new(name.clone(), move || {
            let what = run_plain(&path, &prog, prog_type)?;
            println!("# {name}: {what}");
            Ok(())
        }));
    }
    // A program whose spec cannot be made (no BTF): say so.
    for p in specs.programs.iter().filter(|p| p.spec.is_err()) {
        let msg = p.spec.as_ref().err().cloned().unwrap_or_default();
        tests.push(Test::new(format!("{short}/{}", p.name), move || {
            bail!("{msg} (compile BPF objects with -g)")
        }));
    }
    tests
}

/// The tests of the user's modules and BPF objects.
pub fn tests() -> Vec<Test<'static>> {
    let modules = files(&paths::module_dir(), ".ko");
    let objects = files(&paths::bpf_dir(), ".bpf.o");
    let mut tests = Vec::new();
    if modules.is_empty() {
        tests.push(Test::new("modules: at least one", || {
            bail!("no module in the initramfs")
        }));
    }
    for ko in &modules {
        let ko = ko.clone();
        tests.push(Test::new(
            format!("{}: loads", module_name(&ko)),
            move || kmod::insmod(&ko).with_context(|| format!("insmod {}", ko.display())),
        ));
    }
    let env = Rc::new(Env::probe());
    for o in objects {
        tests.extend(object_tests(o, &env));
    }
    for ko in modules.iter().rev() {
        let name = module_name(ko);
        // Programs release their module references after an RCU grace
        // period: give them a moment.
        tests.push(Test::new(format!("{name}: unloads"), move || {
            kmod::rmmod_patiently(&name, Duration::from_secs(10))
        }));
    }
    tests
}
