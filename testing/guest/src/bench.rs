// SPDX-License-Identifier: GPL-2.0

//! `kfunc-guest bench` (`make bench`, scripts/bench.sh) and its smoke test
//! in `make check`: the call cost of one trivial kfunc (add two u64)
//! written with kfunc-rs, in C, and as a C shim calling Rust, against a
//! BPF helper call and an empty loop (testing/bench/).
//!
//! Each variant is a syscall program calling its function in a loop of
//! [`LOOPS`]; a round runs every variant once, in an order that rotates
//! from round to round, so that drift over the boot spreads over all of
//! them. The time per call is the run's wall time over [`LOOPS`].

use crate::bpf;
use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use anyhow::{ensure, Context, Result};
use libbpf_rs::Object;

/// The loop length of testing/bench/bench.bpf.c (`BENCH_LOOPS`).
pub const LOOPS: u64 = 1 << 22;

/// The variants: name, program.
pub const VARIANTS: [(&str, &str); 5] = [
    ("rust", "loop_rs"),
    ("c", "loop_c"),
    ("shim", "loop_shim"),
    ("helper", "loop_helper"),
    ("empty", "loop_empty"),
];

/// The functions the loops call (for the JITed code's call targets).
const CALLEES: [&str; 5] = [
    "bench_add_rs",
    "bench_add_c",
    "bench_add_shim",
    "bench_add_shim_impl",
    "bpf_get_numa_node_id",
];

/// The benchmark's modules, loaded in this order.
const MODULES: [&str; 2] = ["bench_rs", "bench_c"];

/// What every loop leaves in `sink`: each adds `i` (the helper's adds the
/// NUMA node too, 0 on the test kernel).
const EXPECTED_SINK: u64 = LOOPS * (LOOPS - 1) / 2;

/// Loads the modules (if not loaded) and the programs.
fn setup() -> Result<Object> {
    for m in MODULES {
        if !kmod::is_loaded(m) {
            kmod::insmod(&paths::module(m))?;
        }
    }
    bpf::load(&paths::bpf_obj("bench.bpf.o"), &[])
        .map_err(|e| anyhow::anyhow!("loading bench.bpf.o: {}\n{}", e.error, e.log))
}

/// `sink` of the object's .bss.
fn sink(obj: &Object) -> Result<u64> {
    let bss = bpf::bss(obj)?;
    let b: [u8; 8] = bss.get(..8).context(".bss too small")?.try_into()?;
    Ok(u64::from_ne_bytes(b))
}

/// Runs `rounds` rounds; returns, per variant, the ns per call of each.
pub fn measure(obj: &Object, rounds: usize) -> Result<Vec<(&'static str, Vec<f64>)>> {
    let mut out: Vec<(&'static str, Vec<f64>)> =
        VARIANTS.iter().map(|v| (v.0, Vec::new())).collect();
    for round in 0..rounds {
        for k in 0..VARIANTS.len() {
            let i = (round + k) % VARIANTS.len();
            let prog = VARIANTS[i].1;
            bpf::set_bss(obj, &0u64.to_ne_bytes())?;
            let (ret, elapsed) = bpf::run_timed(obj, prog)?;
            ensure!(ret == 0, "{prog} returned {ret}");
            let got = sink(obj)?;
            ensure!(
                got == EXPECTED_SINK,
                "{prog}: the loop summed {got}, not {EXPECTED_SINK}"
            );
            out[i].1.push(elapsed.as_nanos() as f64 / LOOPS as f64);
        }
    }
    Ok(out)
}

/// The size /proc/modules gives for loaded module `name` (its loaded
/// text, data and the rest the loader keeps).
fn loaded_size(name: &str) -> Result<u64> {
    let text = std::fs::read_to_string("/proc/modules")?;
    text.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(name)).then(|| w.next()?.parse().ok())?
        })
        .with_context(|| format!("{name} is not in /proc/modules"))
}

/// Loads module `name` (timing insmod, which registers its kfunc sets),
/// reads its loaded size and unloads it: prints `module <name> <insmod
/// ms> <loaded bytes>`.
fn module_figures(name: &str) -> Result<()> {
    let start = std::time::Instant::now();
    kmod::insmod(&paths::module(name))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let size = loaded_size(name)?;
    kmod::rmmod_patiently(name, std::time::Duration::from_secs(10))?;
    println!("module {name} {ms:.3} {size}");
    Ok(())
}

/// `kfunc-guest bench`: prints `bench <variant> <round> <ns per call>`
/// lines, `jited <variant> <address> <hex>` (each loop's JITed code) and
/// `ksym <name> <address>` (what the loops call) for
/// scripts/bench.sh, unloads the modules, then the figures of
/// the sample, its C twin and the generated `scale_*` modules.
fn main(rounds: usize) -> Result<()> {
    let obj = setup()?;
    let results = measure(&obj, rounds)?;
    for (name, samples) in &results {
        for (round, ns) in samples.iter().enumerate() {
            println!("bench {name} {round} {ns:.3}");
        }
    }
    // The JIT's machine code of each loop, for the host to disassemble,
    // and the addresses of what they call.
    for (name, prog) in VARIANTS {
        let (addr, code) = bpf::jited(&obj, prog)?;
        ensure!(!code.is_empty(), "{prog} is not JIT-compiled");
        let hex: String = code.iter().map(|b| format!("{b:02x}")).collect();
        println!("jited {name} {addr:x} {hex}");
    }
    let kallsyms = std::fs::read_to_string("/proc/kallsyms")?;
    for line in kallsyms.lines() {
        let mut w = line.split_whitespace();
        let (Some(addr), Some(_), Some(sym)) = (w.next(), w.next(), w.next()) else {
            continue;
        };
        if CALLEES.contains(&sym) {
            println!("ksym {sym} {addr}");
        }
    }
    drop(obj);
    for m in MODULES.iter().rev() {
        kmod::rmmod_patiently(m, std::time::Duration::from_secs(60))?;
    }
    let mut others = vec![
        "rust_kfunc_sample".to_string(),
        "kfunc_sample_c".to_string(),
    ];
    for e in std::fs::read_dir(paths::module_dir())? {
        let name = e?
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".ko")
            .to_string();
        if name.starts_with("scale_") {
            others.push(name);
        }
    }
    for m in &others {
        module_figures(m)?;
    }
    Ok(())
}

/// The rounds of `make bench`.
pub const ROUNDS: usize = 31;

/// `make bench`'s guest side, as one test (its figures are printed
/// between the KTAP lines).
pub fn full(rounds: usize) -> Test<'static> {
    Test::new("bench: call cost, JITed code, module figures", move || {
        main(rounds)
    })
}

/// The smoke test of `make check`: one round, every variant runs and
/// computes the right sum; no timing is judged.
pub fn smoke() -> Test<'static> {
    Test::new(
        "bench: every variant of the make bench kfunc runs and sums right (one round, untimed)",
        || {
            let obj = setup()?;
            measure(&obj, 1)?;
            drop(obj);
            for m in MODULES.iter().rev() {
                kmod::rmmod_patiently(m, std::time::Duration::from_secs(60))?;
            }
            Ok(())
        },
    )
}
