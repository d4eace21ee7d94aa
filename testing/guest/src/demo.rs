// SPDX-License-Identifier: GPL-2.0

//! The `make run` demo: load the sample module, show its kfuncs' BTF, call
//! each kfunc from BPF programs and say what came back.

use crate::bpf;
use crate::kmod;
use crate::paths;
use crate::sample::{self, CounterArgs, MemzeroArgs};
use anyhow::{ensure, Result};
use std::path::PathBuf;

/// Runs the demo, then prints a one-test KTAP report of its outcome.
pub fn run() -> Result<()> {
    let result = steps();
    println!("KTAP version 1\n1..1");
    match &result {
        Ok(()) => println!("ok 1 demo"),
        Err(e) => println!("not ok 1 demo # {e}"),
    }
    result
}

fn obj() -> PathBuf {
    paths::bpf_obj("rust_kfunc_sample.bpf.o")
}

// Each step loads its own BPF object, which is unloaded when the step
// returns, so that the module can be unloaded at the end.
fn steps() -> Result<()> {
    println!("== kfunc-rs demo: Rust kfuncs called from BPF programs ==\n");
    load_module()?;
    show_btf()?;
    task_lookup()?;
    memzero()?;
    counter()?;
    tracing()?;
    rejections()?;
    kmod::rmmod_patiently(sample::MODULE, std::time::Duration::from_secs(10))?;
    println!(
        "\n$ rmmod {}   (no program uses the kfuncs any more)",
        sample::MODULE
    );
    Ok(())
}

fn load_module() -> Result<()> {
    println!("$ insmod {}", paths::module(sample::MODULE).display());
    kmod::insmod(&paths::module(sample::MODULE))?;
    let log = kmod::dmesg()?;
    if let Some(line) = log
        .lines()
        .find(|l| l.contains("rust_kfunc_sample: registered"))
    {
        println!("  kernel: {}", line.split("] ").nth(1).unwrap_or(line));
    }
    Ok(())
}

fn show_btf() -> Result<()> {
    println!("\nThe module's BTF, written by kfunc-btf from the Rust declarations:");
    let dump = sample::check_kfunc_btf(sample::MODULE, sample::KFUNCS)?;
    for (name, params) in sample::KFUNCS {
        if let Some(id) = dump.find(&format!("FUNC '{name}' ")) {
            println!(
                "  [{id}] FUNC {name}({}) + decl_tag bpf_kfunc",
                params.join(", ")
            );
        }
    }
    println!();
    Ok(())
}

fn task_lookup() -> Result<()> {
    let pid = std::process::id() as i32;
    let (ret, out) = sample::lookup_task(pid)?;
    println!(
        "syscall program task_lookup: bpf_task_from_pid({pid}) -> task (pid {}), \
         rs_task_tgid(task) -> {}, bpf_task_release(task); returned {ret}",
        out.found_pid, out.found_tgid
    );
    ensure!(out.found_pid == pid, "expected pid {pid}");
    let (ret, out) = sample::lookup_task(sample::MISSING_PID)?;
    println!(
        "syscall program task_lookup: bpf_task_from_pid({}) -> NULL (no such task); returned {ret}",
        sample::MISSING_PID
    );
    ensure!(out.found_pid == -1, "expected NULL");
    Ok(())
}

fn memzero() -> Result<()> {
    let o = bpf::load_ok(&obj(), "memzero")?;
    let (_, out) = bpf::run_syscall(
        &o,
        "memzero",
        MemzeroArgs {
            size: 10,
            buf: [0; 16],
        },
    )?;
    println!(
        "syscall program memzero: rs_memzero(buf, 10) on 16 bytes of 0xaa -> {:02x?}",
        out.buf
    );
    Ok(())
}

fn counter() -> Result<()> {
    let o = bpf::load_ok(&obj(), "counter")?;
    let args = CounterArgs {
        id: 1,
        delta: 5,
        ..Default::default()
    };
    let (_, out) = bpf::run_syscall(&o, "counter", args)?;
    println!(
        "syscall program counter: rs_counter_acquire(1) -> counter (refs {}), \
         rs_counter_add(counter, 5) -> {}, counter->value reads {}, rs_counter_release(counter)",
        out.refs, out.value, out.read
    );
    Ok(())
}

fn tracing() -> Result<()> {
    let stats = sample::watch_forks(1)?;
    println!(
        "tp_btf/task_newtask program: ran {} time(s) on fork; rs_task_tgid(bpf_task_from_pid(current tgid)) \
         -> {}; counter 2 is now {}",
        stats.calls, stats.parent_tgid, stats.counter
    );
    Ok(())
}

fn rejections() -> Result<()> {
    println!("\nThe verifier enforces the kfuncs' flags, annotations and registration:");
    for (prog, message) in sample::REJECTED {
        bpf::load_rejected(
            &paths::bpf_obj("rust_kfunc_sample_fail.bpf.o"),
            prog,
            message,
        )?;
        println!("  {prog:<26} rejected: {}", message[0]);
    }
    Ok(())
}
