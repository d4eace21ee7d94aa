// SPDX-License-Identifier: GPL-2.0

//! `kfunc-guest`: runs inside the kfunc-rs test guest.
//!
//! ```text
//! kfunc-guest check   run every test, print KTAP
//! kfunc-guest demo    show the sample's kfuncs being called, readably
//! kfunc-guest user    test the user's modules and BPF objects (make new)
//! ```

mod bpf;
mod conformance;
mod demo;
mod disasm;
mod features;
mod kmod;
mod ktap;
mod paths;
mod sample;
mod test_loader;
mod user;

fn main() {
    bpf::capture_libbpf_log();
    let mode = std::env::args().nth(1).unwrap_or_default();
    let code = match mode.as_str() {
        "check" => {
            let mut tests = sample::tests(sample::MODULE);
            tests.extend(sample::tests(sample::C_TWIN));
            tests.push(sample::without_btf_step());
            tests.extend(features::tests());
            tests.extend(conformance::tests());
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
        _ => {
            eprintln!("usage: kfunc-guest check|demo|user");
            2
        }
    };
    std::process::exit(code);
}
