// SPDX-License-Identifier: GPL-2.0

//! Tests of samples/rust_kfunc_sample.rs: its kfuncs called by the BPF
//! programs of samples/bpf/, the verifier's rejections of their misuse, the
//! module's BTF, and module unloading.

use crate::bpf::{self, Plain};
use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use anyhow::{bail, ensure, Context, Result};
use std::collections::HashMap;
use std::time::Duration;

/// The sample module's name.
pub const MODULE: &str = "rust_kfunc_sample";
/// Its C twin (samples/c_twin), with the same kfuncs and BPF-visible types.
pub const C_TWIN: &str = "kfunc_sample_c";
const OBJ: &str = "rust_kfunc_sample.bpf.o";
const FAIL_OBJ: &str = "rust_kfunc_sample_fail.bpf.o";

/// A pid no task has in the guest.
pub const MISSING_PID: i32 = 0x3fff_fff0;

/// The sample's kfuncs and their parameter names, as in the Rust source.
pub const KFUNCS: &[(&str, &[&str])] = &[
    ("rs_task_tgid", &["task"]),
    ("rs_memzero", &["mem", "mem__sz"]),
    ("rs_counter_acquire", &["id"]),
    ("rs_counter_add", &["counter", "delta"]),
    ("rs_counter_release", &["counter"]),
];

/// Misuses the verifier must reject: program of rust_kfunc_sample_fail.bpf.c
/// and the verifier's message (in the wording of each kernel kfunc-rs
/// supports, newest first).
pub const REJECTED: &[(&str, &[&str])] = &[
    ("counter_unreleased", &["Unreleased reference"]),
    (
        "counter_unchecked",
        &[
            "R0 invalid mem access 'trusted_ptr_or_null_'",
            "R0 invalid mem access 'ptr_or_null_'",
        ],
    ),
    (
        "release_unacquired",
        &[
            "release kfunc rs_counter_release expects referenced PTR_TO_BTF_ID passed to R1",
            "arg#0 pointer type STRUCT rs_counter must point to scalar, or struct with scalar",
        ],
    ),
    ("task_untrusted", &["R1 must be referenced or trusted"]),
    (
        "memzero_oversized",
        &[
            "invalid read from stack R1 off=-8 size=16",
            "invalid indirect access to stack R1 off=-8 size=16",
        ],
    ),
    (
        "memzero_unregistered_type",
        &["calling kernel function rs_memzero is not allowed"],
    ),
    (
        "counter_filtered",
        &["calling kernel function rs_counter_acquire is not allowed"],
    ),
];

/// `struct task_args` of samples/bpf/rust_kfunc_sample.h.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct TaskArgs {
    pub pid: i32,
    pub found_pid: i32,
    pub found_tgid: i32,
}
impl Plain for TaskArgs {}

/// `struct memzero_args`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct MemzeroArgs {
    pub size: u32,
    pub buf: [u8; 16],
}
impl Plain for MemzeroArgs {}

/// `struct counter_args`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct CounterArgs {
    pub id: u32,
    pub refs: u32,
    pub delta: u64,
    pub value: u64,
    pub read: u64,
}
impl Plain for CounterArgs {}

/// `struct newtask_stats`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct NewtaskStats {
    pub calls: u64,
    pub counter: u64,
    pub parent_tgid: i32,
    pub pad: i32,
}
impl Plain for NewtaskStats {}

/// The types of one BTF, as `bpftool btf dump` prints them: id -> lines.
pub struct BtfDump(HashMap<u32, Vec<String>>);

impl BtfDump {
    /// Runs bpftool on `path` (a /sys/kernel/btf file).
    pub fn of(path: &str) -> Result<Self> {
        let out = std::process::Command::new(paths::bpftool())
            .args(["btf", "dump", "file", path])
            .output()
            .context("running bpftool")?;
        ensure!(
            out.status.success(),
            "bpftool btf dump file {path} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut types: HashMap<u32, Vec<String>> = HashMap::new();
        let mut current = None;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(rest) = line.strip_prefix('[') {
                let id = rest.split(']').next().and_then(|i| i.parse().ok());
                current = id;
                if let Some(id) = id {
                    types.insert(id, vec![line.to_string()]);
                }
            } else if let Some(t) = current.and_then(|id| types.get_mut(&id)) {
                t.push(line.trim().to_string());
            }
        }
        Ok(Self(types))
    }

    /// The id of the type whose header line contains `needle`.
    pub fn find(&self, needle: &str) -> Option<u32> {
        self.0
            .iter()
            .find(|(_, l)| l[0].contains(needle))
            .map(|(id, _)| *id)
    }

    /// The lines of type `id`.
    pub fn lines(&self, id: u32) -> Option<&[String]> {
        self.0.get(&id).map(Vec::as_slice)
    }
}

fn field(line: &str, key: &str) -> Option<u32> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .and_then(|v| v.parse().ok())
}

/// Checks that the module's BTF has each kfunc as a FUNC tagged
/// `bpf_kfunc`, with a FUNC_PROTO carrying the Rust parameter names.
pub fn check_kfunc_btf(module: &str, kfuncs: &[(&str, &[&str])]) -> Result<BtfDump> {
    let dump = BtfDump::of(&format!("/sys/kernel/btf/{module}"))?;
    // Kernels whose resolve_btfids tags kfuncs (6.13+) tag vmlinux's too;
    // on older ones neither C nor Rust kfuncs have the tag.
    let tags_kfuncs = std::fs::read("/sys/kernel/btf/vmlinux")
        .map(|b| b.windows(11).any(|w| w == b"\0bpf_kfunc\0"))
        .unwrap_or(false);
    for (name, params) in kfuncs {
        let func = dump
            .find(&format!("FUNC '{name}' "))
            .with_context(|| format!("no BTF FUNC for {name}"))?;
        let header = &dump.lines(func).unwrap()[0];
        ensure!(header.contains(" linkage="), "{name}: {header}");
        let proto_id = field(header, "type_id=").context("FUNC without type_id")?;
        let proto = dump
            .lines(proto_id)
            .with_context(|| format!("{name}: no type {proto_id}"))?;
        ensure!(
            proto[0].contains("FUNC_PROTO"),
            "{name}: type {proto_id} is not a FUNC_PROTO: {}",
            proto[0]
        );
        let names: Vec<&str> = proto[1..]
            .iter()
            .filter_map(|l| l.split('\'').nth(1))
            .collect();
        ensure!(
            names == *params,
            "{name}: BTF parameters {names:?}, expected {params:?}"
        );
        let tagged = dump.0.values().any(|l| {
            l[0].contains("DECL_TAG 'bpf_kfunc'") && field(&l[0], "type_id=") == Some(func)
        });
        ensure!(
            tagged || !tags_kfuncs,
            "{name}: no bpf_kfunc decl tag (resolve_btfids did not see it as a kfunc)"
        );
    }
    Ok(dump)
}

fn obj(name: &str) -> std::path::PathBuf {
    paths::bpf_obj(name)
}

/// Runs `task_lookup` (bpf_task_from_pid + rs_task_tgid) for `pid`.
pub fn lookup_task(pid: i32) -> Result<(i32, TaskArgs)> {
    let o = bpf::load_ok(&obj(OBJ), "task_lookup")?;
    bpf::run_syscall(
        &o,
        "task_lookup",
        TaskArgs {
            pid,
            ..Default::default()
        },
    )
}

/// Attaches `on_newtask`, forks `forks` times, and returns what it saw.
pub fn watch_forks(forks: usize) -> Result<NewtaskStats> {
    let o = bpf::load_ok(&obj(OBJ), "on_newtask")?;
    let link = bpf::attach(&o, "on_newtask")?;
    for _ in 0..forks {
        std::process::Command::new("true")
            .status()
            .context("forking true")?;
    }
    drop(link);
    Ok(NewtaskStats::from_bytes(&bpf::bss(&o)?))
}

/// A kfunc module built without the BTF step must refuse to load, saying
/// why.
pub fn without_btf_step() -> Test<'static> {
    Test::new(
        "kfuncs_without_btf: a module built without the BTF step fails to load, saying why",
        || {
            let module = "kfuncs_without_btf";
            let err = match kmod::insmod(&paths::module(module)) {
                Ok(()) => bail!("{module} loaded"),
                Err(e) => e,
            };
            ensure!(
                !kmod::is_loaded(module),
                "{module} is loaded after a failed insmod"
            );
            let log = kmod::dmesg()?;
            let want = "kfunc-rs: kfunc set NOBTF_KFUNCS: 1 of its 1 kfuncs have no BTF id; build the module with the kfunc-rs BTF step";
            ensure!(
                log.contains(want),
                "insmod failed ({err:#}) without the message {want:?}"
            );
            Ok(())
        },
    )
}

/// The tests of `module` (the Rust sample or its C twin), in order: load
/// the module, use it, misuse it, unload it.
pub fn tests(module: &'static str) -> Vec<Test<'static>> {
    let mut t = vec![
        Test::new(
            format!("{module}: module loads and registers its kfunc set"),
            move || {
                kmod::insmod(&paths::module(module))?;
                ensure!(
                    std::path::Path::new("/sys/kernel/btf")
                        .join(module)
                        .exists(),
                    "no /sys/kernel/btf/{module}"
                );
                if module == MODULE {
                    let log = kmod::dmesg()?;
                    ensure!(
                        log.contains("rust_kfunc_sample: registered 5 kfuncs for tracing and syscall programs"),
                        "no registration message in dmesg"
                    );
                }
                Ok(())
            },
        ),
        Test::new(
            format!("{module}: bpftool shows each kfunc as FUNC with its parameter names"),
            move || {
                let dump = check_kfunc_btf(module, KFUNCS)?;
                // The task pointer is vmlinux's struct task_struct, not a copy
                // (the pointer type itself may be vmlinux's, where the
                // module's BTF is split on vmlinux rather than distilled).
                let vmlinux = BtfDump::of("/sys/kernel/btf/vmlinux")?;
                let any = |id: u32| dump.lines(id).or_else(|| vmlinux.lines(id));
                let tgid = dump.find("FUNC 'rs_task_tgid' ").unwrap();
                let proto = field(&dump.lines(tgid).unwrap()[0], "type_id=").unwrap();
                let param = dump.lines(proto).unwrap().get(1).context("no parameter")?.clone();
                let ptr = field(&param, "type_id=").context("no parameter type")?;
                let target = field(&any(ptr).context("parameter type missing")?[0], "type_id=")
                    .context("the parameter is not a pointer")?;
                ensure!(
                    dump.lines(target).is_none(),
                    "task_struct is defined in the module's BTF (id {target})"
                );
                let line = &vmlinux
                    .lines(target)
                    .context("the parameter points nowhere")?[0];
                ensure!(
                    line.contains("STRUCT 'task_struct'"),
                    "rs_task_tgid takes a pointer to {line}"
                );
                // The module struct has its Rust layout.
                let counter = dump
                    .find("STRUCT 'rs_counter' size=24 vlen=4")
                    .context("no struct rs_counter")?;
                let members = dump.lines(counter).unwrap()[1..].join(" ");
                for m in [
                    "'value' type_id=",
                    "'id' type_id=",
                    "bits_offset=64",
                    "'refs' type_id=",
                    "bits_offset=96",
                    "'owner' type_id=",
                    "bits_offset=128",
                ] {
                    ensure!(
                        members.contains(m),
                        "rs_counter members lack {m}: {members}"
                    );
                }
                Ok(())
            },
        ),
        Test::new(
            format!("{module}: rs_task_tgid reads the runner's own task from bpf_task_from_pid"),
            move || {
                let pid = std::process::id() as i32;
                let (ret, out) = lookup_task(pid)?;
                ensure!(
                    ret == 0 && out.found_pid == pid && out.found_tgid == pid,
                    "pid {pid}: ret {ret}, {out:?}"
                );
                Ok(())
            },
        ),
        Test::new(
            format!("{module}: task_lookup handles bpf_task_from_pid's NULL for a pid that does not exist"),
            move || {
                let (ret, out) = lookup_task(MISSING_PID)?;
                ensure!(ret == 1 && out.found_pid == -1, "ret {ret}, {out:?}");
                Ok(())
            },
        ),
        Test::new(
            format!("{module}: rs_memzero zeroes exactly mem__sz bytes"),
            move || {
                let o = bpf::load_ok(&obj(OBJ), "memzero")?;
                for size in [0u32, 1, 10, 16] {
                    let (ret, out) =
                        bpf::run_syscall(&o, "memzero", MemzeroArgs { size, buf: [0; 16] })?;
                    ensure!(ret == 0, "size {size}: ret {ret}");
                    let want: Vec<u8> = (0..16).map(|i| if i < size { 0 } else { 0xaa }).collect();
                    ensure!(
                        out.buf[..] == want[..],
                        "size {size}: buffer {:02x?}",
                        out.buf
                    );
                }
                Ok(())
            },
        ),
        Test::new(
            format!("{module}: rs_counter_* take and return the module's struct"),
            move || {
                let o = bpf::load_ok(&obj(OBJ), "counter")?;
                let args = CounterArgs {
                    id: 1,
                    delta: 5,
                    ..Default::default()
                };
                let (r1, a) = bpf::run_syscall(&o, "counter", args)?;
                let (r2, b) = bpf::run_syscall(&o, "counter", args)?;
                ensure!(r1 == 0 && r2 == 0, "returned {r1}, {r2}");
                ensure!(
                    b.value == a.value + 5,
                    "second add gave {} after {}",
                    b.value,
                    a.value
                );
                ensure!(
                    a.read == a.value && b.read == b.value,
                    "read through the pointer: {a:?} {b:?}"
                );
                ensure!(
                    a.refs == 1 && b.refs == 1,
                    "refs while held: {} {}",
                    a.refs,
                    b.refs
                );
                let (r3, _) = bpf::run_syscall(&o, "counter", CounterArgs { id: 99, ..args })?;
                ensure!(r3 == 1, "counter 99 should not exist (returned {r3})");
                Ok(())
            },
        ),
        Test::new(
            format!("{module}: a tp_btf program calls the kfuncs on every fork"),
            move || {
                let stats = watch_forks(3)?;
                ensure!(stats.calls >= 3, "ran {} times for 3 forks", stats.calls);
                ensure!(
                    stats.parent_tgid == std::process::id() as i32,
                    "forking tgid {} is not the runner's {}",
                    stats.parent_tgid,
                    std::process::id()
                );
                ensure!(stats.counter >= 3, "counter 2 is {}", stats.counter);
                Ok(())
            },
        ),
    ];
    for (prog, message) in REJECTED {
        t.push(Test::new(
            format!("{module}: verifier rejects {prog}: {}", message[0]),
            move || bpf::load_rejected(&obj(FAIL_OBJ), prog, message).map(drop),
        ));
    }
    t.push(Test::new(
        format!("{module}: rmmod fails while a loaded program uses the kfuncs"),
        move || {
            let o = bpf::load_ok(&obj(OBJ), "counter")?;
            if kmod::rmmod(module).is_ok() {
                bail!("rmmod succeeded while program 'counter' was loaded");
            }
            ensure!(kmod::is_loaded(module), "module gone");
            drop(o);
            Ok(())
        },
    ));
    t.push(Test::new(
        format!("{module}: rmmod succeeds once no program uses the kfuncs"),
        move || {
            kmod::rmmod_patiently(module, Duration::from_secs(10))?;
            ensure!(!kmod::is_loaded(module), "module still loaded");
            Ok(())
        },
    ));
    t
}
