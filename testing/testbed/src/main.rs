// SPDX-License-Identifier: GPL-2.0

//! `testbed`: boots the kfunc-rs test kernel under QEMU and turns what the
//! guest printed into pass/fail results.
//!
//! ```text
//! testbed boot --kernel bzImage --initrd initrd.gz --out DIR
//!              [--append WORDS] [--timeout SECS] [--cpus N]
//!              [--counts FILE] [--show-output]
//! ```
//!
//! Exits 0 only if QEMU ended by itself, every planned test passed and the
//! console shows no kernel bug. `--counts` receives "PASSED FAILED".
//! Guest diagnostics starting with "# |" (tables) are always printed.

mod console;
mod ktap;
mod qemu;

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::time::Duration;

const TAIL_LINES: usize = 40;

struct Args {
    boot: qemu::Boot,
    counts: Option<PathBuf>,
    show_output: bool,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    match it.next().as_deref() {
        Some("boot") => {}
        other => bail!("usage: testbed boot --kernel K --initrd I --out DIR [...] (got {other:?})"),
    }
    let mut kernel = None;
    let mut initrd = None;
    let mut out = None;
    let mut append = String::new();
    let mut timeout = 300;
    let mut cpus = 2;
    let mut counts = None;
    let mut show_output = false;
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--kernel" => kernel = Some(PathBuf::from(value()?)),
            "--initrd" => initrd = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--append" => append = value()?,
            "--timeout" => timeout = value()?.parse().context("--timeout takes seconds")?,
            "--cpus" => cpus = value()?.parse().context("--cpus takes a number")?,
            "--counts" => counts = Some(PathBuf::from(value()?)),
            "--show-output" => show_output = true,
            _ => bail!("unknown argument {arg}"),
        }
    }
    Ok(Args {
        boot: qemu::Boot {
            kernel: kernel.context("--kernel is required")?,
            initrd: initrd.context("--initrd is required")?,
            out_dir: out.context("--out is required")?,
            append,
            timeout: Duration::from_secs(timeout),
            cpus,
            qemu: std::env::var("QEMU").unwrap_or_else(|_| "qemu-system-x86_64".into()),
        },
        counts,
        show_output,
    })
}

fn print_tail(console: &str) {
    eprintln!("---- last {TAIL_LINES} console lines ----");
    for line in console::tail(console, TAIL_LINES) {
        eprintln!("{line}");
    }
    eprintln!("----");
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("testbed: error: {e:#}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<bool> {
    let args = parse_args()?;
    let run = args.boot.run()?;
    if args.show_output {
        print!("{}", run.output);
    }
    let report = ktap::parse(&run.output);
    // Tables the guest prints as "# |" diagnostics are shown whatever the
    // outcome.
    for line in run.output.lines().filter(|l| l.starts_with("# |")) {
        println!("  {}", line.trim_end_matches('\r').trim_start_matches("# "));
    }
    let mut ok = true;
    for r in &report.results {
        if !r.passed() {
            for d in &r.diagnostics {
                println!("    # {d}");
            }
        }
        println!("  {:<6} {}", if r.passed() { "ok" } else { "FAIL" }, r.name);
        if !r.passed() {
            println!("         {}", r.outcome);
        }
    }
    for p in &report.problems {
        println!("  FAIL   KTAP: {p}");
        ok = false;
    }
    let mut failed = report.failed();
    match &run.exit {
        qemu::Exit::Exited => {}
        qemu::Exit::TimedOut => {
            eprintln!(
                "testbed: the guest did not finish within {} s",
                args.boot.timeout.as_secs()
            );
            print_tail(&run.console);
            ok = false;
        }
        qemu::Exit::QemuFailed(why) => {
            eprintln!("testbed: QEMU failed: {why}");
            print_tail(&run.console);
            ok = false;
        }
    }
    let bugs = console::bug_lines(&run.console);
    if !bugs.is_empty() {
        eprintln!("testbed: the kernel console shows a bug:");
        for b in &bugs {
            eprintln!("  {b}");
        }
        if run.exit == qemu::Exit::Exited {
            print_tail(&run.console);
        }
        // A kernel bug fails the run as one more failed check.
        failed += 1;
        ok = false;
    }
    ok &= report.ok();
    if !ok && failed == 0 {
        failed = 1;
    }
    let passed = report.passed();
    println!(
        "testbed: guest {passed} passed, {failed} failed (boot {:.1} s, logs in {})",
        run.elapsed.as_secs_f64(),
        args.boot.out_dir.display()
    );
    if let Some(path) = args.counts {
        std::fs::write(&path, format!("{passed} {failed}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ok)
}
