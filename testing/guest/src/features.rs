// SPDX-License-Identifier: GPL-2.0

//! Tests of samples/rust_kfunc_features.rs: one crate feature each, used
//! by the BPF programs of samples/bpf/rust_kfunc_features.bpf.c, and the
//! verifier enforcing it on the misuses of rust_kfunc_features_fail.bpf.c.

use crate::bpf::{self, Input, Plain};
use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use crate::sample::{check_kfunc_btf, BtfDump};
use anyhow::{ensure, Context, Result};
use std::time::Duration;

/// The module's name.
pub const MODULE: &str = "rust_kfunc_features";
const OBJ: &str = "rust_kfunc_features.bpf.o";
const FAIL_OBJ: &str = "rust_kfunc_features_fail.bpf.o";

/// The kfuncs as BPF programs see them: BTF parameter names, with the
/// suffixes the Rust types stand for, and without the implicit argument.
const KFUNCS: &[(&str, &[&str])] = &[
    ("rs_scale", &["x", "factor__k"]),
    ("rs_task_pid", &["task"]),
    ("rs_task_pid_or", &["task__nullable", "fallback"]),
    ("rs_strlen", &["s__str"]),
    ("rs_mem_sum", &["mem", "mem__sz"]),
    ("rs_mem_fill", &["buf", "buf__szk", "value"]),
    ("bpf_iter_rs_range_new", &["it", "start", "end"]),
    ("bpf_iter_rs_range_next", &["it"]),
    ("bpf_iter_rs_range_destroy", &["it"]),
    ("rs_range_left", &["it__iter"]),
    ("rs_aux_seen", &["x"]),
    ("rs_sum7", &["a", "b", "c", "d", "e", "f", "g"]),
    (
        "rs_param_names",
        &[
            "type",
            "the_first_of_three_long_parameter_names",
            "the_second_of_three_long_parameter_names",
            "the_third_of_three_long_parameter_names",
        ],
    ),
];

/// The kfuncs the module has only where the kernel has the feature, and
/// the cfg of the kfunc crate (rustc-cfgs, from the kernel's tree, in the
/// initramfs) that says so.
const KERNEL_DEPENDENT: &[(&str, &str)] = &[
    ("rs_aux_seen", "--cfg=kfunc_flag=\"IMPLICIT_ARGS\""),
    ("rs_sum7", "--cfg=kfunc_stack_args"),
];

/// Whether this kernel's build of the module has `kfunc` (always, unless it
/// is one of [`KERNEL_DEPENDENT`] and its cfg is not set).
fn has(kfunc: &str) -> bool {
    let cfgs: Vec<String> = paths::data_files("rustc-cfgs")
        .first()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| {
            t.lines()
                .map(|l| l.trim_matches('\'').to_string())
                .collect()
        })
        .unwrap_or_default();
    KERNEL_DEPENDENT
        .iter()
        .find(|(k, _)| *k == kfunc)
        .is_none_or(|(_, cfg)| cfgs.iter().any(|c| c == cfg))
}

/// Misuses the verifier must reject: program and the verifier's message (in
/// the wording of each kernel kfunc-rs supports, newest first).
const REJECTED: &[(&str, &[&str])] = &[
    ("scale_not_const", &["must be a known constant"]),
    (
        "pid_null",
        &[
            "Possibly NULL pointer passed to trusted R1",
            "Possibly NULL pointer passed to trusted arg0",
        ],
    ),
    ("next_unchecked", &["R0 invalid mem access 'scalar'"]),
    ("strlen_stack", &["doesn't point to a const string"]),
    (
        "mem_oversized",
        &[
            "invalid read from stack R1 off=-8 size=16",
            "invalid indirect access to stack R1 off=-8 size=16",
        ],
    ),
    ("fill_not_const", &["must be a known constant"]),
    ("range_leak", &["Unreleased reference"]),
    (
        "stack_args_missing",
        &["callee expects 7 args, stack arg2 is not initialized"],
    ),
    (
        "tc_strlen",
        &["calling kernel function rs_strlen is not allowed"],
    ),
];

/// `struct feature_args` of samples/bpf/rust_kfunc_features.h.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
struct FeatureArgs {
    input: u64,
    out: u64,
    pid: i32,
    pad: i32,
}
impl Plain for FeatureArgs {}

/// Runs syscall program `prog` with `args`; it must return 0.
fn run(prog: &str, args: FeatureArgs) -> Result<FeatureArgs> {
    let o = bpf::load_ok(&paths::bpf_obj(OBJ), prog)?;
    let (ret, out) = bpf::run_syscall(&o, prog, args)?;
    ensure!(ret == 0, "{prog} returned {ret}");
    Ok(out)
}

fn input(v: u64) -> FeatureArgs {
    FeatureArgs {
        input: v,
        ..Default::default()
    }
}

/// The feature tests, in order: load, use each feature, misuse it, unload.
pub fn tests() -> Vec<Test<'static>> {
    let mut t = vec![
        Test::new(
            format!("{MODULE}: module loads and registers both sets"),
            || {
                kmod::insmod(&paths::module(MODULE))?;
                let log = kmod::dmesg()?;
                let n = KFUNCS.iter().filter(|(k, _)| has(k)).count() + 2;
                let want = format!(
                    "rust_kfunc_features: registered {n} kfuncs for syscall programs, 1 for tc"
                );
                ensure!(
                    log.contains(&want),
                    "no {want:?} (the #[cfg]'d-out kfunc must not count)"
                );
                Ok(())
            },
        ),
        Test::new(
            format!("{MODULE}: BTF names carry the suffixes the Rust types stand for"),
            || {
                let kfuncs: Vec<_> = KFUNCS.iter().copied().filter(|(k, _)| has(k)).collect();
                let dump = check_kfunc_btf(MODULE, &kfuncs)?;
                for (k, cfg) in KERNEL_DEPENDENT {
                    ensure!(
                        has(k) || dump.find(&format!("FUNC '{k}' ")).is_none(),
                        "{k} is in the module although the kernel lacks {cfg}"
                    );
                }
                Ok(())
            },
        ),
        Test::new(
            format!("{MODULE}: a #[cfg]'d-out kfunc has no BTF and no set entry"),
            || {
                let dump = BtfDump::of(&format!("/sys/kernel/btf/{MODULE}"))?;
                ensure!(
                    dump.find("'rs_configured_out'").is_none(),
                    "rs_configured_out is in the module's BTF"
                );
                Ok(())
            },
        ),
        Test::new(format!("{MODULE}: Const (__k): rs_scale(x, 3)"), || {
            let out = run("scale", input(14))?;
            ensure!(out.out == 42, "rs_scale(14, 3) = {}", out.out);
            Ok(())
        }),
        Test::new(
            format!("{MODULE}: Option<&Task> (__nullable) takes a task or NULL"),
            || {
                let me = std::process::id() as i32;
                let out = run(
                    "task_pid_or",
                    FeatureArgs {
                        pid: 1,
                        ..Default::default()
                    },
                )?;
                ensure!(
                    out.pid == me,
                    "the current task's pid is {}, not {me}",
                    out.pid
                );
                let out = run(
                    "task_pid_or",
                    FeatureArgs {
                        pid: 0,
                        ..Default::default()
                    },
                )?;
                ensure!(out.pid == -7, "NULL task gave {}", out.pid);
                Ok(())
            },
        ),
        Test::new(
            format!("{MODULE}: &CStr (__str) reads a .rodata string"),
            || {
                let out = run("strlen_ro", input(0))?;
                ensure!(out.out == 8, "strlen(\"kfunc-rs\") = {}", out.out);
                Ok(())
            },
        ),
        Test::new(format!("{MODULE}: Mem (__sz) and MemK (__szk)"), || {
            let out = run("mem", input(5))?;
            ensure!(out.out == 40, "8 bytes of 5 sum to {}", out.out);
            Ok(())
        }),
        Test::new(
            format!("{MODULE}: iterator (IterNew/IterMut) and IterRef (__iter)"),
            || {
                let out = run("range", input(10))?;
                ensure!(out.out == 10 + 11 + 12 + 13, "sum of 10..14 = {}", out.out);
                ensure!(out.pid == 2, "left after two: {}", out.pid);
                Ok(())
            },
        ),
        Test::new(
            format!("{MODULE}: typed ksyms: a per-CPU and a plain variable"),
            || {
                let first = run("ksyms", input(0))?;
                ensure!(
                    first.out == 0x6b66_756e_6373,
                    "the per-CPU read did not match the bump, or the magic is {:#x}",
                    first.out
                );
                let again = run("ksyms", input(0))?;
                ensure!(
                    again.input >= 1 && first.input >= 1,
                    "bump counts {} {}",
                    first.input,
                    again.input
                );
                Ok(())
            },
        ),
        Test::new(
            format!("{MODULE}: one kfunc in two sets: rs_scale from tc"),
            || {
                let o = bpf::load_ok(&paths::bpf_obj(OBJ), "tc_scale")?;
                let packet = [0u8; 64];
                let ret = bpf::run(&o, "tc_scale", Input::Packet(&packet))?
                    .map_err(|e| anyhow::anyhow!("run failed: errno {e}"))?;
                ensure!(ret == 128, "rs_scale(len 64, 2) = {ret}");
                Ok(())
            },
        ),
    ];
    // The kernel-dependent kfuncs' tests, where the module has them.
    if has("rs_aux_seen") {
        t.push(Test::new(
            format!("{MODULE}: KF_IMPLICIT_ARGS: rs_aux_seen(x) for programs, rs_aux_seen_impl(x, aux) too"),
            || {
                let dump = BtfDump::of(&format!("/sys/kernel/btf/{MODULE}"))?;
                let f = dump
                    .find("FUNC 'rs_aux_seen_impl' ")
                    .context("no FUNC rs_aux_seen_impl (resolve_btfids adds it)")?;
                let proto = dump.lines(f).unwrap()[0]
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("type_id="))
                    .and_then(|v| v.parse().ok())
                    .context("FUNC without type")?;
                let params: Vec<String> = dump.lines(proto).context("no prototype")?[1..]
                    .iter()
                    .filter_map(|l| l.split('\'').nth(1).map(str::to_string))
                    .collect();
                ensure!(params == ["x", "aux"], "rs_aux_seen_impl takes {params:?}");
                Ok(())
            },
        ));
        t.push(Test::new(
            format!("{MODULE}: ProgAux (KF_IMPLICIT_ARGS): one argument in, aux added"),
            || {
                let out = run("implicit", input(41))?;
                ensure!(out.out == 42, "rs_aux_seen(41) = {}", out.out);
                Ok(())
            },
        ));
    }
    if has("rs_sum7") {
        t.push(Test::new(
            format!("{MODULE}: seven arguments, two on the stack"),
            || {
                let o = bpf::load_ok(&paths::bpf_obj(OBJ), "stack_args")?;
                let ret = bpf::run(&o, "stack_args", Input::Nothing)?
                    .map_err(|e| anyhow::anyhow!("run failed: errno {e}"))?;
                ensure!(ret == 28, "rs_sum7(1..=7) = {ret}");
                Ok(())
            },
        ));
    }
    for (prog, message) in REJECTED {
        if prog == &"stack_args_missing" && !has("rs_sum7") {
            continue;
        }
        t.push(Test::new(
            format!("{MODULE}: verifier rejects {prog}: {}", message[0]),
            move || bpf::load_rejected(&paths::bpf_obj(FAIL_OBJ), prog, message).map(drop),
        ));
    }
    t.push(Test::new(format!("{MODULE}: rmmod succeeds"), || {
        kmod::rmmod_patiently(MODULE, Duration::from_secs(10)).context("rmmod")
    }));
    t
}
