// SPDX-License-Identifier: GPL-2.0

//! Runs a `.cases` case ([`super::cases`]) against whatever module is
//! loaded, doing what upstream's prog_tests/*.c do with a skeleton: open,
//! set globals, load, attach, trigger, run, read globals back.
//!
//! A case stops at its first step that does not meet upstream's
//! expectation (upstream's `goto cleanup`). Its result, which must be the
//! same for both modules, names what each step observed, in words that do
//! not depend on addresses, timing or retries. Where upstream waits in an
//! unbounded loop (`while (!skel->bss->done) sched_yield();`), `wait` and
//! `until` give up after [`PATIENCE`].

use super::cases::{
    Case, Check, Input, Line, LoadExpect, Place, RunExpect, SetOp, Step, Trigger, Value, Var,
};
use crate::bpf::{self, AnyObject, RawLink};
use crate::paths;
use crate::test_loader::Outcome;
use anyhow::{anyhow, bail, ensure, Context, Result};
use std::io::Read;
use std::os::fd::FromRawFd;
use std::time::{Duration, Instant};

/// How long `wait` and `until` wait.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// upstream's pkt_v4 (network_helpers.c): Ethernet (IPv4), IPv4 (ihl 5,
/// TCP, tot_len 123), TCP (doff 5, urg_ptr 123); 54 bytes.
pub fn pkt_v4() -> Vec<u8> {
    let mut p = vec![0u8; 54];
    p[12..14].copy_from_slice(&0x0800u16.to_be_bytes()); // h_proto
    p[14] = 5; // ihl
    p[16..18].copy_from_slice(&123u16.to_be_bytes()); // tot_len
    p[23] = 6; // IPPROTO_TCP
    p[46] = 5 << 4; // doff
    p[52..54].copy_from_slice(&123u16.to_ne_bytes()); // urg_ptr, host order
    p
}

/// An object of the case, with the links made from it.
struct Obj {
    alias: String,
    // Declared first, so dropped first: links go before their object.
    links: Vec<(String, RawLink)>,
    object: AnyObject,
}

/// The state of a running case.
#[derive(Default)]
struct Runner {
    objects: Vec<Obj>,
    current: Option<String>,
    /// The effective capabilities before the first `drop-cap`.
    saved_caps: Option<u64>,
    /// What the steps observed.
    done: Vec<String>,
    /// More on a failure.
    detail: String,
}

/// Runs `case`.
pub fn run(case: &Case) -> Outcome {
    let mut r = Runner::default();
    let mut outcome = r.steps(&case.steps);
    drop(std::mem::take(&mut r.objects));
    if let Some(old) = r.saved_caps.take() {
        if let Err(e) = set_effective(old) {
            outcome = Outcome {
                result: format!("failed to restore the capabilities: {e}"),
                ok: false,
                detail: String::new(),
            };
        }
    }
    outcome
}

fn errno_name(e: i32) -> String {
    let name = match -e {
        1 => "EPERM",
        2 => "ENOENT",
        7 => "E2BIG",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        22 => "EINVAL",
        28 => "ENOSPC",
        95 => "EOPNOTSUPP",
        524 => "ENOTSUPP",
        _ => return format!("error {e}"),
    };
    format!("{e} ({name})")
}

/// The last non-empty line of a log that is not libbpf's own.
fn last_line(log: &str) -> &str {
    log.lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("libbpf"))
        .unwrap_or("")
        .trim()
}

/// The last `n` lines of `log`, indented.
fn tail(what: &str, log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let from = lines.len().saturating_sub(n);
    let mut out = format!("{what}, last lines:\n");
    for l in &lines[from..] {
        out.push_str("  ");
        out.push_str(l);
        out.push('\n');
    }
    out
}

impl Runner {
    fn steps(&mut self, steps: &[Line]) -> Outcome {
        for (i, l) in steps.iter().enumerate() {
            if l.step == Step::PidNs {
                self.done.push("in a new PID namespace".into());
                return self.in_pid_ns(&steps[i + 1..]);
            }
            match self.step(l) {
                Ok(Some(seen)) => self.done.push(seen),
                Ok(None) => {}
                Err(e) => {
                    let mut result = self.done.join("; ");
                    if !result.is_empty() {
                        result.push_str("; ");
                    }
                    result.push_str(&format!("`{}`: {e:#}", l.text));
                    return Outcome {
                        result,
                        ok: false,
                        detail: std::mem::take(&mut self.detail),
                    };
                }
            }
        }
        Outcome {
            result: self.done.join("; "),
            ok: true,
            detail: String::new(),
        }
    }

    fn find(&self, alias: &str) -> Result<&Obj> {
        self.objects
            .iter()
            .find(|o| o.alias == alias)
            .with_context(|| format!("{alias} is not open"))
    }

    fn current(&mut self) -> Result<&mut Obj> {
        let alias = self.current.clone().context("no object is open")?;
        self.objects
            .iter_mut()
            .find(|o| o.alias == alias)
            .with_context(|| format!("{alias} is not open"))
    }

    fn object_of(&self, v: &Var) -> Result<&Obj> {
        match &v.object {
            Some(a) => self.find(a),
            None => self.find(self.current.as_deref().context("no object is open")?),
        }
    }

    /// The value of a variable, and for a global its size and signedness.
    fn read(&self, v: &Var) -> Result<(i128, Option<(usize, bool)>)> {
        let obj = self.object_of(v)?;
        Ok(match &v.place {
            Place::Global(s, name) => (
                bpf::read_global(&obj.object, s.name(), name)?,
                Some(bpf::global_type(&obj.object, s.name(), name)?),
            ),
            Place::MapId(m) => (i128::from(bpf::map_id(obj.object.loaded()?, m)?), None),
            Place::KprobeMissed(p) => {
                let link = obj
                    .links
                    .iter()
                    .find(|(n, _)| n == p)
                    .with_context(|| format!("{p} is not attached"))?;
                (i128::from(bpf::kprobe_missed(&link.1)?), None)
            }
        })
    }

    fn value(&self, v: &Value) -> Result<i128> {
        Ok(match v {
            Value::Int(i) => *i,
            // SAFETY: getpid() has no preconditions.
            Value::Pid => i128::from(unsafe { libc::getpid() }),
            Value::Ncpus => bpf::possible_cpus()? as i128,
            Value::Var(v) => self.read(v)?.0,
        })
    }

    /// Whether `c` holds, and what was read.
    fn holds(&self, c: &Check) -> Result<(bool, i128)> {
        let (actual, ty) = self.read(&c.var)?;
        let mut want = self.value(&c.value)?;
        if let Some((size, signed)) = ty {
            // C converts the expected value to the variable's type.
            want = bpf::as_c_type(want, size, signed);
        }
        Ok(((actual == want) == c.equal, actual))
    }

    /// Runs a program once; the observation, or why it fails upstream's
    /// expectation.
    fn run_prog(&mut self, prog: &str, input: Input, expect: RunExpect) -> Result<String> {
        let obj = self.current()?.object.loaded()?;
        let packet = pkt_v4();
        // struct syscall_test_args { __u8 data[16]; size_t size; }, size 10.
        let mut args = [0u8; 24];
        args[16..].copy_from_slice(&10u64.to_ne_bytes());
        let inp = match input {
            Input::Tc => bpf::Input::Packet(&packet),
            Input::Syscall => bpf::Input::Context(&mut args),
            Input::None => bpf::Input::Nothing,
        };
        match (bpf::run(obj, prog, inp)?, expect) {
            (Ok(r), RunExpect::Succeeds) => Ok(format!("{prog}: retval {r}")),
            (Ok(r), RunExpect::Retval(w)) if r == w => Ok(format!("{prog}: retval {r}")),
            (Ok(r), RunExpect::Retval(w)) => bail!("{prog} returns {r}, upstream expects {w}"),
            (Ok(r), RunExpect::Errno(w)) => {
                bail!("{prog} runs and returns {r}, upstream expects errno {w}")
            }
            (Err(e), RunExpect::Errno(w)) if e == w => Ok(format!("{prog}: run fails, errno {e}")),
            (Err(e), _) => bail!("BPF_PROG_TEST_RUN of {prog} fails: {}", errno_name(e)),
        }
    }

    fn step(&mut self, l: &Line) -> Result<Option<String>> {
        let args = l.text.split_once(' ').map_or("", |(_, a)| a.trim());
        match &l.step {
            Step::Open { object, alias } => {
                let open = bpf::open(&paths::bpf_obj(&format!("{object}.bpf.o")), object)?;
                self.objects.push(Obj {
                    alias: alias.clone(),
                    links: Vec::new(),
                    object: AnyObject::Open(open),
                });
                self.current = Some(alias.clone());
                Ok(None)
            }
            Step::Use(a) => {
                self.find(a)?;
                self.current = Some(a.clone());
                Ok(None)
            }
            Step::Close(a) => {
                let a = match a {
                    Some(a) => a.clone(),
                    None => self.current.clone().context("no object is open")?,
                };
                self.find(&a)?;
                self.objects.retain(|o| o.alias != a);
                if self.current.as_deref() == Some(&a) {
                    self.current = None;
                }
                Ok(None)
            }
            Step::Set(v, op, value) => {
                let Place::Global(section, name) = &v.place else {
                    bail!("set writes global variables only");
                };
                let new = self.value(value)?;
                let obj = &self.object_of(v)?.object;
                let old = bpf::read_global(obj, section.name(), name)?;
                let new = match op {
                    SetOp::Assign => new,
                    SetOp::Add => old + new,
                    SetOp::Sub => old - new,
                };
                bpf::write_global(obj, section.name(), name, new)?;
                Ok(None)
            }
            Step::Load(progs, expect) => self.load(progs, expect).map(Some),
            Step::Attach(progs) => {
                let obj = self.current()?;
                let loaded = obj.object.loaded()?;
                let links = if progs.is_empty() {
                    bpf::attach_all(loaded)?
                } else {
                    progs
                        .iter()
                        .map(|p| Ok((p.clone(), bpf::attach_prog(loaded, p)?)))
                        .collect::<Result<Vec<_>>>()?
                };
                let names: Vec<String> = links.iter().map(|(n, _)| n.clone()).collect();
                obj.links.extend(links);
                Ok(Some(if names.is_empty() {
                    "attached nothing".into()
                } else {
                    format!("attached {}", names.join(", "))
                }))
            }
            Step::Detach => {
                self.current()?.links.clear();
                Ok(None)
            }
            Step::Run(prog, input, expect) => self.run_prog(prog, *input, *expect).map(Some),
            Step::Check(c) => {
                let (ok, actual) = self.holds(c)?;
                ensure!(
                    ok,
                    "{} is {actual}, upstream expects {args}",
                    var_text(args)
                );
                Ok(Some(args.to_string()))
            }
            Step::Wait(c) => {
                let start = Instant::now();
                loop {
                    let (ok, actual) = self.holds(c)?;
                    if ok {
                        return Ok(Some(format!("waited for {args}")));
                    }
                    ensure!(
                        start.elapsed() < PATIENCE,
                        "{} is still {actual} after {PATIENCE:?}, upstream waits for {args}",
                        var_text(args)
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Step::Until(c, prog, input, expect) => {
                let start = Instant::now();
                loop {
                    self.run_prog(prog, *input, *expect)?;
                    let (ok, actual) = self.holds(c)?;
                    if ok {
                        let cond = args.split_whitespace().next().unwrap_or("");
                        return Ok(Some(format!("{prog} run until {cond}")));
                    }
                    ensure!(
                        start.elapsed() < PATIENCE,
                        "{} is still {actual} after running {prog} for {PATIENCE:?}",
                        var_text(args)
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Step::Trigger(t) => trigger(*t).map(|()| None),
            Step::Update(map, key) => {
                bpf::map_update_zeroed(self.current()?.object.loaded()?, map, *key)?;
                Ok(None)
            }
            Step::Delete(map, key) => {
                bpf::map_delete(self.current()?.object.loaded()?, map, *key)?;
                Ok(None)
            }
            Step::SyncRcu => {
                // upstream's kern_sync_rcu(): membarrier(MEMBARRIER_CMD_SHARED).
                // SAFETY: membarrier takes two integers.
                let err = unsafe { libc::syscall(libc::SYS_membarrier, 1, 0) };
                ensure!(err == 0, "membarrier: {}", std::io::Error::last_os_error());
                Ok(None)
            }
            Step::DropCap(cap) => {
                let old = effective()?;
                self.saved_caps.get_or_insert(old);
                set_effective(old & !(1u64 << cap))?;
                Ok(None)
            }
            Step::PidNs => unreachable!("handled by steps()"),
            Step::Prepare => {
                let AnyObject::Open(open) = &mut self.current()?.object else {
                    bail!("the object is loaded");
                };
                bpf::prepare(open)?;
                Ok(None)
            }
            Step::ReplaceMap {
                map,
                kind,
                name,
                key_size,
                value_size,
                max_entries,
            } => {
                let AnyObject::Open(open) = &mut self.current()?.object else {
                    bail!("the object is loaded");
                };
                bpf::replace_map(open, map, *kind, name, *key_size, *value_size, *max_entries)?;
                Ok(None)
            }
            Step::RawLoad {
                program,
                prog_type,
                log_level,
                text,
            } => {
                let AnyObject::Open(open) = &self.current()?.object else {
                    bail!("the object is loaded");
                };
                match bpf::raw_load(open, program, *prog_type, *log_level)? {
                    (Ok(()), log) => {
                        self.detail = tail("verifier log", &log, 20);
                        bail!("{program} loads, upstream expects it rejected")
                    }
                    (Err(_), log) if log.contains(text.as_str()) => {
                        Ok(Some(format!("{program} rejected: \"{text}\"")))
                    }
                    (Err(e), log) => {
                        self.detail = tail("verifier log", &log, 20);
                        bail!(
                            "{program} rejected ({}) without the text ({})",
                            errno_name(e),
                            last_line(&log)
                        )
                    }
                }
            }
        }
    }

    fn load(&mut self, progs: &[String], expect: &LoadExpect) -> Result<String> {
        let alias = self.current.clone().context("no object is open")?;
        let i = self
            .objects
            .iter()
            .position(|o| o.alias == alias)
            .with_context(|| format!("{alias} is not open"))?;
        let Obj {
            object: AnyObject::Open(mut open),
            ..
        } = self.objects.remove(i)
        else {
            bail!("{alias} is already loaded");
        };
        let mut found = 0;
        for mut p in open.progs_mut() {
            if !progs.is_empty() {
                let wanted = progs.iter().any(|n| p.name() == n.as_str());
                found += usize::from(wanted);
                p.set_autoload(wanted);
            }
            if matches!(expect, LoadExpect::Ok(Some(_))) && p.autoload() {
                p.set_log_level(1);
            }
        }
        ensure!(
            found == progs.len(),
            "the object lacks some of the programs {progs:?}"
        );
        bpf::last_log();
        let result = bpf::load_open(open);
        let log = bpf::last_log();
        let object = match (result, expect) {
            (Ok(o), LoadExpect::Ok(text)) => {
                if let Some(t) = text {
                    if !log.contains(t.as_str()) {
                        self.detail = tail("libbpf and verifier log", &log, 20);
                        bail!("loads, but its log lacks \"{t}\"");
                    }
                }
                o
            }
            (Ok(_), LoadExpect::Error(e)) => {
                bail!("loads, upstream expects the load to fail with {e}")
            }
            (Ok(_), LoadExpect::Reject(_)) => bail!("loads (not rejected)"),
            (Err(e), LoadExpect::Ok(_)) => {
                self.current = None;
                self.detail = tail("libbpf and verifier log", &log, 30);
                bail!("the load fails: {}", errno_name(e))
            }
            (Err(e), LoadExpect::Error(w)) => {
                self.current = None;
                ensure!(
                    e == *w,
                    "the load fails with {}, upstream expects {w}",
                    errno_name(e)
                );
                return Ok(format!("load fails: {}", errno_name(e)));
            }
            (Err(_), LoadExpect::Reject(t)) => {
                self.current = None;
                if log.contains(t.as_str()) {
                    return Ok(format!("rejected: \"{t}\""));
                }
                self.detail = tail("libbpf and verifier log", &log, 30);
                bail!("rejected without the text ({})", last_line(&log));
            }
        };
        self.objects.insert(
            i,
            Obj {
                alias,
                links: Vec::new(),
                object: AnyObject::Loaded(object),
            },
        );
        Ok(match expect {
            LoadExpect::Ok(Some(t)) => format!("loads, log has \"{t}\""),
            _ => "loads".into(),
        })
    }

    /// The rest of the case in a child that is process 1 of a new PID
    /// namespace (upstream: `clone(CLONE_NEWPID)`), which reports its
    /// outcome through a pipe.
    fn in_pid_ns(&mut self, rest: &[Line]) -> Outcome {
        let fail = |result: String| Outcome {
            result,
            ok: false,
            detail: String::new(),
        };
        let mut fds = [0i32; 2];
        // SAFETY: `fds` has room for the two fds.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return fail(format!("pipe: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: clone() without a new stack is fork(): the runner is
        // single-threaded, and the child only runs the remaining steps,
        // writes to the pipe and _exits.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone,
                libc::CLONE_NEWPID | libc::SIGCHLD,
                0,
                0,
                0,
                0,
            )
        };
        if pid == 0 {
            // SAFETY: the read end is the parent's.
            unsafe { libc::close(fds[0]) };
            let o = self.steps(rest);
            let msg = format!(
                "{}\n{}\n{}",
                u8::from(o.ok),
                o.result.replace('\n', " "),
                o.detail
            );
            // SAFETY: the write end is ours; `msg` has its length.
            unsafe {
                libc::write(fds[1], msg.as_ptr().cast(), msg.len());
                libc::_exit(0);
            }
        }
        // SAFETY: the write end is the child's.
        unsafe { libc::close(fds[1]) };
        if pid < 0 {
            // SAFETY: our read end.
            unsafe { libc::close(fds[0]) };
            return fail(format!(
                "clone(CLONE_NEWPID): {}",
                std::io::Error::last_os_error()
            ));
        }
        let mut text = String::new();
        // SAFETY: the read end is ours; the File closes it.
        let read = unsafe { std::fs::File::from_raw_fd(fds[0]) }.read_to_string(&mut text);
        let mut status = 0;
        // SAFETY: `pid` is our child.
        unsafe { libc::waitpid(pid as i32, &mut status, 0) };
        let mut parts = text.splitn(3, '\n');
        match (read, parts.next(), parts.next()) {
            (Ok(_), Some(ok), Some(result)) => Outcome {
                result: result.to_string(),
                ok: ok == "1",
                detail: parts.next().unwrap_or("").to_string(),
            },
            _ => fail(format!(
                "the child in the new PID namespace reported nothing (wait status {status:#x})"
            )),
        }
    }
}

/// The variable of a check's text (`bss:x` of `bss:x!=0`).
fn var_text(check: &str) -> &str {
    let end = check.find(['!', '=']).unwrap_or(check.len());
    let s = &check[..end];
    s.split_whitespace().next().unwrap_or(s)
}

fn trigger(t: Trigger) -> Result<()> {
    match t {
        Trigger::Usleep => {
            // SAFETY: usleep has no preconditions.
            unsafe { libc::usleep(1) };
        }
        Trigger::Getpgid => {
            // SAFETY: getpgid has no preconditions.
            unsafe { libc::getpgid(0) };
        }
        Trigger::Fork => {
            // SAFETY: the runner is single-threaded; the child only
            // _exits.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: as above.
                unsafe { libc::_exit(0) };
            }
            ensure!(pid > 0, "fork: {}", std::io::Error::last_os_error());
            let mut status = 0;
            // SAFETY: `pid` is our child.
            let w = unsafe { libc::waitpid(pid, &mut status, 0) };
            ensure!(w == pid, "waitpid: {}", std::io::Error::last_os_error());
        }
        Trigger::Tcp6 => {
            let listener = std::net::TcpListener::bind("[::1]:0").context("listening on [::1]")?;
            let addr = listener.local_addr()?;
            let client = std::net::TcpStream::connect(addr)
                .with_context(|| format!("connecting to {addr}"))?;
            drop(client);
            drop(listener);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Capabilities (upstream's cap_helpers.c)

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

fn capget() -> Result<[CapData; 2]> {
    let mut hdr = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: version 3 takes a header and two data structs.
    let err = unsafe { libc::syscall(libc::SYS_capget, &raw mut hdr, data.as_mut_ptr()) };
    if err != 0 {
        return Err(anyhow!("capget: {}", std::io::Error::last_os_error()));
    }
    Ok(data)
}

/// The effective capability set.
fn effective() -> Result<u64> {
    let d = capget()?;
    Ok((u64::from(d[1].effective) << 32) | u64::from(d[0].effective))
}

/// Sets the effective capability set.
fn set_effective(caps: u64) -> Result<()> {
    let mut data = capget()?;
    data[0].effective = caps as u32;
    data[1].effective = (caps >> 32) as u32;
    let mut hdr = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    // SAFETY: version 3 takes a header and two data structs.
    let err = unsafe { libc::syscall(libc::SYS_capset, &raw mut hdr, data.as_ptr()) };
    if err != 0 {
        return Err(anyhow!("capset: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkt_v4_matches_upstream_layout() {
        let p = pkt_v4();
        assert_eq!(p.len(), 54);
        assert_eq!(&p[12..15], &[0x08, 0x00, 0x45 & 0x0f]);
        assert_eq!(p[23], 6);
    }

    #[test]
    fn check_texts_name_their_variable() {
        assert_eq!(var_text("bss:x!=0"), "bss:x");
        assert_eq!(var_text("A.map_id:m=3"), "A.map_id:m");
        assert_eq!(var_text("bss:n=2 run count none"), "bss:n");
    }

    #[test]
    fn values_convert_as_c_converts() {
        assert_eq!(bpf::as_c_type(-1, 8, false), i128::from(u64::MAX));
        assert_eq!(bpf::as_c_type(-1, 4, true), -1);
        assert_eq!(bpf::as_c_type(0xffff_ffff, 4, true), -1);
        assert_eq!(bpf::as_c_type(1 << 32, 4, false), 0);
        assert_eq!(bpf::as_c_type(192, 8, true), 192);
    }
}
