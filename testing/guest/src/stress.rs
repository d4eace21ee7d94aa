// SPDX-License-Identifier: GPL-2.0

//! The stress tests of the sample module (the `stress` group): load/unload
//! cycles with a program calling its kfuncs each time, kmemleak after them
//! (on kernels with kmemleak), program loads racing rmmod, and every CPU
//! taking and dropping references to the module's counters from a tracing
//! program at once, after which the reference counts must be back where
//! they started.
//!
//! `make check` runs a bounded version; `make stress` passes
//! `kfunc_rs.stress=full` on the kernel command line for the full one.

use crate::bpf::{self, Plain};
use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use crate::sample::CounterArgs;
use anyhow::{bail, ensure, Context, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MODULE: &str = "rust_kfunc_sample";
/// The sample's BPF object (its `counter` program).
const OBJ: &str = "rust_kfunc_sample.bpf.o";
/// testing/stress/stress.bpf.c.
const STRESS_OBJ: &str = "stress.bpf.o";
/// The sample's counters (`NR_COUNTERS`).
const COUNTERS: u32 = 4;
/// How long rmmod may take once no program uses the module.
const PATIENCE: Duration = Duration::from_secs(10);

/// How much of each stress a run does.
#[derive(Clone, Copy)]
struct Scale {
    /// Load/unload cycles.
    cycles: usize,
    /// How long program loads race rmmod.
    race: Duration,
    /// System calls (each one acquire/add/release round) of the SMP stress.
    calls: u64,
}

impl Scale {
    /// `kfunc_rs.stress=full` on the kernel command line: the full run
    /// (make stress); the bounded one of make check otherwise.
    fn get() -> Self {
        if cmdline_has("kfunc_rs.stress=full") {
            Self {
                cycles: 1000,
                race: Duration::from_secs(60),
                calls: 1_000_000,
            }
        } else {
            Self {
                cycles: 100,
                race: Duration::from_secs(10),
                calls: 1_000_000,
            }
        }
    }
}

/// Whether the kernel command line has the word `word`.
fn cmdline_has(word: &str) -> bool {
    std::fs::read_to_string("/proc/cmdline")
        .unwrap_or_default()
        .split_whitespace()
        .any(|w| w == word)
}

/// `struct stress_stats` of stress.bpf.c.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
struct StressStats {
    tgid: i32,
    pad: i32,
    calls: u64,
    misses: u64,
}
impl Plain for StressStats {}

/// Runs the sample's `counter` program on counter `id`; returns what it
/// saw (`refs` is the count while the program holds its reference).
fn counter(obj: &libbpf_rs::Object, id: u32, delta: u64) -> Result<CounterArgs> {
    let (ret, out) = bpf::run_syscall(
        obj,
        "counter",
        CounterArgs {
            id,
            delta,
            ..Default::default()
        },
    )?;
    ensure!(ret == 0, "counter {id}: the program returned {ret}");
    Ok(out)
}

/// The counters' references and values, as the `counter` program sees
/// them (while holding one more reference).
fn counters() -> Result<Vec<(u32, u64)>> {
    let o = bpf::load_ok(&paths::bpf_obj(OBJ), "counter")?;
    (0..COUNTERS)
        .map(|id| counter(&o, id, 0).map(|c| (c.refs, c.value)))
        .collect()
}

fn insmod() -> Result<()> {
    kmod::insmod(&paths::module(MODULE))
}

/// The stress tests.
pub fn tests() -> Vec<Test<'static>> {
    let scale = Scale::get();
    let mut t = vec![
        Test::new(
            format!(
                "stress: {} cycles of insmod, a program calling the kfuncs, rmmod",
                scale.cycles
            ),
            move || {
                for i in 0..scale.cycles {
                    insmod().with_context(|| format!("cycle {i}"))?;
                    let o = bpf::load_ok(&paths::bpf_obj(OBJ), "counter")?;
                    let c = counter(&o, i as u32 % COUNTERS, 1)?;
                    ensure!(c.refs == 1, "cycle {i}: {} references while held", c.refs);
                    drop(o);
                    kmod::rmmod_patiently(MODULE, PATIENCE)
                        .with_context(|| format!("cycle {i}"))?;
                }
                Ok(())
            },
        ),
        Test::new(
            format!(
                "stress: program loads race rmmod for {} s",
                scale.race.as_secs()
            ),
            move || race(scale.race),
        ),
        Test::new(
            format!(
                "stress: {} acquire/add/release rounds from a tracing program on every CPU; \
                 references back at their start",
                scale.calls
            ),
            move || smp(scale.calls),
        ),
    ];
    // kmemleak is in the debug kernel (TARGET=...-debug, which boot.sh
    // passes on), where it must be there.
    if std::path::Path::new(KMEMLEAK).exists() || cmdline_has("kfunc_rs.variant=debug") {
        t.insert(
            1,
            Test::new(
                "stress: kmemleak finds no leak of the module after the cycles",
                kmemleak,
            ),
        );
    }
    t
}

const KMEMLEAK: &str = "/sys/kernel/debug/kmemleak";

/// Scans for leaks and fails on any report naming the module. kmemleak
/// reports an object only when it is older than 5 s and two scans found
/// it unreferenced; the kernel's own boot-time reports are not judged.
fn kmemleak() -> Result<()> {
    std::thread::sleep(Duration::from_secs(6));
    for _ in 0..2 {
        std::fs::write(KMEMLEAK, "scan").context("kmemleak scan")?;
    }
    let report = std::fs::read_to_string(KMEMLEAK).context("reading kmemleak")?;
    let ours: Vec<&str> = report
        .split("unreferenced object")
        .filter(|r| r.contains(MODULE) || r.contains("kfunc"))
        .collect();
    if !ours.is_empty() {
        bail!(
            "{} leaks of the module:\nunreferenced object{}",
            ours.len(),
            ours.join("unreferenced object")
        );
    }
    Ok(())
}

/// One thread loads and runs programs calling the module's kfuncs while
/// another loads and unloads the module, for `time`, and on (up to three
/// times as long) until each side has both won and lost. Loads fail while
/// the module is out and rmmod fails while a program holds it; nothing may
/// crash, and the module must unload at the end.
fn race(time: Duration) -> Result<()> {
    let (load, release) = race_timing()?;
    println!(
        "# race: one load and run takes {} ms, its release {} ms",
        load.as_millis(),
        release.as_millis()
    );
    // The module stays in, and the loader pauses after each program's
    // release, for 1 ms to twice one load (TCG, debug options and the
    // kernel's BTF size vary it tenfold), scattered, so that rmmod comes
    // before, during and after loads, and finds the module free as well
    // as held.
    let most = u64::try_from(load.as_millis() * 2).unwrap_or(u64::MAX);
    let stop = AtomicBool::new(false);
    let (loaded, ran) = (AtomicU64::new(0), AtomicU64::new(0));
    let (mut inserted, mut removed) = (0u64, 0u64);
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut pauses = Scattered::new(most, 1);
            while !stop.load(Ordering::Relaxed) {
                let Ok(o) = bpf::load(&paths::bpf_obj(OBJ), &["counter"]) else {
                    // The module is out: its kfuncs do not resolve.
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                };
                loaded.fetch_add(1, Ordering::Relaxed);
                if counter(&o, 0, 1).is_ok() {
                    ran.fetch_add(1, Ordering::Relaxed);
                }
                drop(o);
                std::thread::sleep(release + pauses.next_ms());
            }
        });
        let mut stays = Scattered::new(most, 0);
        loop {
            let seen = inserted > 0
                && removed > 0
                && loaded.load(Ordering::Relaxed) > 0
                && ran.load(Ordering::Relaxed) > 0;
            let elapsed = started.elapsed();
            if elapsed >= time * 3 || (elapsed >= time && seen) {
                break;
            }
            if !kmod::is_loaded(MODULE) && insmod().is_ok() {
                inserted += 1;
            }
            std::thread::sleep(stays.next_ms());
            if kmod::rmmod(MODULE).is_ok() {
                removed += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    let (loaded, ran) = (loaded.into_inner(), ran.into_inner());
    if kmod::is_loaded(MODULE) {
        kmod::rmmod_patiently(MODULE, PATIENCE)
            .context("the module did not unload after the race")?;
    }
    println!(
        "# race: {inserted} insmods, {removed} rmmods, {loaded} program loads, {ran} runs in {} ms",
        started.elapsed().as_millis()
    );
    ensure!(
        inserted > 0 && removed > 0 && loaded > 0 && ran > 0,
        "no race: {inserted} insmods, {removed} rmmods, {loaded} loads, {ran} runs"
    );
    Ok(())
}

/// How long a warm load and run of the `counter` program takes (the
/// boot's first parses the kernel's BTF cold), and how long its program
/// then holds the module after its last fd is closed (it is freed after
/// an RCU grace period). Leaves the module out.
fn race_timing() -> Result<(Duration, Duration)> {
    if !kmod::is_loaded(MODULE) {
        insmod()?;
    }
    let timed = (|| -> Result<(Duration, Duration)> {
        let mut load = Duration::ZERO;
        for _ in 0..2 {
            let started = Instant::now();
            let o = bpf::load_ok(&paths::bpf_obj(OBJ), "counter")?;
            counter(&o, 0, 1)?;
            load = started.elapsed();
        }
        let started = Instant::now();
        while kmod::refcnt(MODULE) != Some(0) {
            ensure!(
                started.elapsed() < PATIENCE,
                "the module is still held {} s after its programs closed",
                PATIENCE.as_secs()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok((load, started.elapsed()))
    })();
    kmod::rmmod_patiently(MODULE, PATIENCE).context("rmmod before the race")?;
    timed.context("timing one load and run before the race")
}

/// Durations of 1 to `most` ms in a scattered, repeatable order: a stride
/// coprime to the range's length visits all of it before repeating.
struct Scattered {
    most: u64,
    stride: u64,
    at: u64,
}

impl Scattered {
    /// Starts `start` strides in.
    fn new(most: u64, start: u64) -> Self {
        let most = most.max(2);
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let mut stride = (most * 3 / 8) | 1;
        while gcd(stride, most) != 1 {
            stride += 2;
        }
        Self {
            most,
            stride,
            at: start * stride % most,
        }
    }

    fn next_ms(&mut self) -> Duration {
        self.at = (self.at + self.stride) % self.most;
        Duration::from_millis(self.at + 1)
    }
}

/// `calls` system calls from one thread per CPU, each running the
/// attached program's acquire/add/release round; then every reference
/// must be back and every round counted.
fn smp(calls: u64) -> Result<()> {
    insmod()?;
    let result = smp_on_module(calls);
    let unload = kmod::rmmod_patiently(MODULE, PATIENCE);
    result?;
    unload
}

fn smp_on_module(calls: u64) -> Result<()> {
    let before = counters()?;
    let o = bpf::load_ok(&paths::bpf_obj(STRESS_OBJ), "stress_counters")?;
    let tgid = std::process::id() as i32;
    bpf::set_bss(
        &o,
        &StressStats {
            tgid,
            ..Default::default()
        }
        .bytes(),
    )?;
    let link = bpf::attach(&o, "stress_counters")?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let threads: Vec<_> = (0..cpus)
        .map(|cpu| {
            let n = calls / cpus as u64 + u64::from((cpu as u64) < calls % cpus as u64);
            std::thread::spawn(move || {
                pin_to(cpu);
                for _ in 0..n {
                    // SAFETY: getppid has no arguments and no side effect.
                    unsafe { libc::syscall(libc::SYS_getppid) };
                }
            })
        })
        .collect();
    for th in threads {
        th.join().expect("a stress thread panicked");
    }
    drop(link);
    let elapsed = start.elapsed();
    let stats = StressStats::from_bytes(&bpf::bss(&o)?);
    drop(o);
    let after = counters()?;
    println!(
        "# smp: {} rounds on {cpus} CPUs in {:.1} s, {} misses",
        stats.calls,
        elapsed.as_secs_f64(),
        stats.misses
    );
    ensure!(stats.misses == 0, "{} acquires returned NULL", stats.misses);
    // Every getppid, and the few other calls the threads make, ran it.
    ensure!(
        stats.calls >= calls,
        "{} rounds for {calls} system calls",
        stats.calls
    );
    for (id, ((refs0, value0), (refs1, value1))) in before.iter().zip(&after).enumerate() {
        ensure!(
            refs1 == refs0,
            "counter {id}: {refs1} references after the stress, {refs0} before"
        );
        ensure!(value1 >= value0, "counter {id} went back");
    }
    let added: u64 = before.iter().zip(&after).map(|(b, a)| a.1 - b.1).sum();
    ensure!(
        added == stats.calls,
        "the counters grew by {added}, the program counted {} rounds",
        stats.calls
    );
    Ok(())
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: usize) {
    // SAFETY: an all-zero cpu_set_t is empty; CPU_SET writes within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}
