//! The `make run` demo: load the sample module, show its kfuncs' BTF, call
//! each kfunc from BPF programs and say what came back.

use crate::bpf::{self, Plain};
use crate::kmod;
use crate::paths;
use crate::sample::{self, CounterArgs, MemzeroArgs, NewtaskStats, TaskArgs};
use anyhow::{ensure, Result};

fn say(line: &str) {
    println!("{line}");
}

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

fn steps() -> Result<()> {
    let obj = paths::bpf_obj("rust_kfunc_sample.bpf.o");
    say("== kfunc-rs demo: Rust kfuncs called from BPF programs ==");
    say("");
    say(&format!(
        "$ insmod {}",
        paths::module(sample::MODULE).display()
    ));
    kmod::insmod(&paths::module(sample::MODULE))?;
    let log = kmod::dmesg()?;
    if let Some(line) = log.lines().find(|l| l.contains("rust_kfunc_sample:")) {
        say(&format!(
            "  kernel: {}",
            line.split("] ").nth(1).unwrap_or(line)
        ));
    }
    say("");
    say("The module's BTF, written by kfunc-btf from the Rust declarations:");
    let dump = sample::check_kfunc_btf(sample::MODULE, sample::KFUNCS)?;
    for (name, params) in sample::KFUNCS {
        let id = dump.find(&format!("FUNC '{name}' ")).unwrap();
        say(&format!(
            "  [{id}] FUNC {name}({})  + decl_tag bpf_kfunc",
            params.join(", ")
        ));
    }
    say("");

    let o = bpf::load_ok(&obj, "task_lookup")?;
    let pid = std::process::id() as i32;
    let (ret, out) = bpf::run_syscall(
        &o,
        "task_lookup",
        TaskArgs {
            pid,
            ..Default::default()
        },
    )?;
    say(&format!("syscall program task_lookup: rs_task_acquire({pid}) -> task (pid {}, tgid {}), then rs_task_release(task); returned {ret}", out.found_pid, out.found_tgid));
    ensure!(out.found_pid == pid, "expected pid {pid}");
    let (ret, out) = bpf::run_syscall(
        &o,
        "task_lookup",
        TaskArgs {
            pid: 0x3fff_fff0,
            ..Default::default()
        },
    )?;
    say(&format!(
        "syscall program task_lookup: rs_task_acquire({}) -> NULL (no such task); returned {ret}",
        0x3fff_fff0
    ));
    ensure!(out.found_pid == -1, "expected NULL");

    let o = bpf::load_ok(&obj, "memzero")?;
    let (_, out) = bpf::run_syscall(
        &o,
        "memzero",
        MemzeroArgs {
            size: 10,
            buf: [0; 16],
        },
    )?;
    say(&format!(
        "syscall program memzero: rs_memzero(buf, 10) on 16 bytes of 0xaa -> {:02x?}",
        out.buf
    ));

    let o = bpf::load_ok(&obj, "counter")?;
    let (_, out) = bpf::run_syscall(
        &o,
        "counter",
        CounterArgs {
            id: 1,
            delta: 5,
            ..Default::default()
        },
    )?;
    say(&format!("syscall program counter: rs_counter_acquire(1) -> counter (refs {}), rs_counter_add(counter, 5) -> {}, counter->value reads {}", out.refs, out.value, out.read));

    let o = bpf::load_ok(&obj, "on_newtask")?;
    let link = bpf::attach(&o, "on_newtask")?;
    std::process::Command::new("true").status()?;
    drop(link);
    let stats = NewtaskStats::from_bytes(&bpf::bss(&o)?);
    say(&format!("tp_btf/task_newtask program: ran {} time(s) on fork; rs_task_acquire(current tgid) saw tgid {}; counter 2 is now {}", stats.calls, stats.parent_tgid, stats.counter));
    say("");
    say("The verifier enforces the kfuncs' flags and annotations:");
    for (prog, message) in sample::REJECTED {
        bpf::load_rejected(
            &paths::bpf_obj("rust_kfunc_sample_fail.bpf.o"),
            prog,
            message,
        )?;
        say(&format!("  {prog:<26} rejected: {message}"));
    }
    drop(o);
    say("");
    kmod::rmmod_patiently(sample::MODULE, std::time::Duration::from_secs(10))?;
    say("$ rmmod rust_kfunc_sample   (done)");
    Ok(())
}
