// SPDX-License-Identifier: GPL-2.0

//! `testbed`: boots the kfunc-rs test kernel under QEMU and turns what the
//! guest printed into pass/fail results.
//!
//! ```text
//! testbed boot --kernel IMAGE --initrd initrd.gz --out DIR [--arch ARCH]
//!              [--append WORDS] [--timeout SECS] [--cpus N] [--memory MIB]
//!              [--counts FILE] [--show-output]
//! ```
//!
//! Exits 0 only if QEMU ended by itself, every planned test passed and the
//! console shows no kernel bug. `--counts` receives "PASSED FAILED".
//! Guest diagnostics starting with "# |" (tables) are always printed.

mod console;
mod ktap;
mod qemu;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

const TAIL_LINES: usize = 40;

/// Boots the kfunc-rs test kernel under QEMU (TCG) and reads the guest's
/// KTAP results.
#[derive(Parser)]
#[command(version, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Boots the kernel with the initramfs, waits for the guest to power
    /// off, and reports its results.
    Boot(BootArgs),
}

#[derive(clap::Args)]
struct BootArgs {
    /// The kernel image (bzImage on x86_64, Image on arm64).
    #[arg(long)]
    kernel: PathBuf,
    /// The initramfs.
    #[arg(long)]
    initrd: PathBuf,
    /// The directory that receives console.log and ktap.log.
    #[arg(long)]
    out: PathBuf,
    /// The guest's architecture (the QEMU machine, its console and the
    /// port the guest runner writes to).
    #[arg(long, value_enum, default_value = "x86_64")]
    arch: qemu::Arch,
    /// Extra kernel command line words.
    #[arg(long, default_value = "")]
    append: String,
    /// Hard limit on the whole run, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Number of virtual CPUs.
    #[arg(long, default_value_t = 2)]
    cpus: u32,
    /// Guest memory, in MiB.
    #[arg(long, default_value_t = 1024)]
    memory: u32,
    /// A file that receives "PASSED FAILED".
    #[arg(long)]
    counts: Option<PathBuf>,
    /// Print everything the guest runner printed.
    #[arg(long)]
    show_output: bool,
}

struct Args {
    boot: qemu::Boot,
    counts: Option<PathBuf>,
    show_output: bool,
}

fn parse_args() -> Args {
    let Command::Boot(a) = Cli::parse().command;
    Args {
        boot: qemu::Boot {
            kernel: a.kernel,
            initrd: a.initrd,
            out_dir: a.out,
            append: a.append,
            timeout: Duration::from_secs(a.timeout),
            cpus: a.cpus,
            memory: a.memory,
            qemu: std::env::var("QEMU").unwrap_or_else(|_| a.arch.qemu().into()),
            arch: a.arch,
        },
        counts: a.counts,
        show_output: a.show_output,
    }
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
    let args = parse_args();
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
