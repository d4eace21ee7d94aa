// SPDX-License-Identifier: GPL-2.0

//! `kfunc-guest`: runs inside the kfunc-rs test guest.
//!
//! ```text
//! kfunc-guest check   run every test, print KTAP
//! kfunc-guest demo    show the sample's kfuncs being called, readably
//! kfunc-guest user    test the user's modules and BPF objects (make new)
//! kfunc-guest bench   time the make bench kfunc variants (scripts/bench.sh)
//! ```

mod bench;
mod bpf;
mod conformance;
mod demo;
mod disasm;
mod features;
mod kmod;
mod ktap;
mod paths;
mod sample;
mod stress;
mod test_loader;
mod user;

/// The test groups of check mode: sample, twin, nobtf, features,
/// conformance, bench, stress.
const GROUPS: [&str; 7] = [
    "sample",
    "twin",
    "nobtf",
    "features",
    "conformance",
    "bench",
    "stress",
];

/// The groups `kfunc_rs.only=` names on the kernel command line, if any;
/// an unknown group is an error of its own.
fn only_groups() -> Option<Vec<String>> {
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let value = cmdline
        .split_whitespace()
        .find_map(|w| w.strip_prefix("kfunc_rs.only="))?;
    let groups: Vec<String> = value.split(',').map(str::to_string).collect();
    for g in &groups {
        if !GROUPS.contains(&g.as_str()) {
            println!(
                "kfunc-guest: unknown test group {g:?} (groups: {})",
                GROUPS.join(", ")
            );
            std::process::exit(2);
        }
    }
    Some(groups)
}

fn main() {
    bpf::capture_libbpf_log();
    let mode = std::env::args().nth(1).unwrap_or_default();
    let code = match mode.as_str() {
        "check" => {
            // `kfunc_rs.only=<group>[,<group>...]` on the kernel command
            // line (make quick ONLY=...) runs only those groups.
            let only = only_groups();
            let wants = |g: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == g));
            let mut tests = Vec::new();
            if wants("sample") {
                tests.extend(sample::tests(sample::MODULE));
            }
            if wants("twin") {
                tests.extend(sample::tests(sample::C_TWIN));
            }
            if wants("nobtf") {
                tests.push(sample::without_btf_step());
            }
            if wants("features") {
                tests.extend(features::tests());
            }
            if wants("conformance") {
                tests.extend(conformance::tests());
            }
            if wants("bench") {
                tests.push(bench::smoke());
            }
            if wants("stress") {
                tests.extend(stress::tests());
            }
            let failed = ktap::run(tests);
            i32::from(failed > 0)
        }
        "demo" => match demo::run() {
            Ok(()) => 0,
            Err(e) => {
                println!("demo failed: {e:#}");
                1
            }
        },
        "user" => i32::from(ktap::run(user::tests()) > 0),
        "bench" => i32::from(ktap::run(vec![bench::full(bench::ROUNDS)]) > 0),
        _ => {
            eprintln!("usage: kfunc-guest check|demo|user|bench");
            2
        }
    };
    std::process::exit(code);
}
