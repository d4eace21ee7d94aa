// SPDX-License-Identifier: GPL-2.0

//! The `.cases` format of testing/conformance/: what upstream's hand-written
//! prog_tests/*.c do with a program file, as data. The format is
//! documented for its users in the header of
//! testing/conformance/kfunc_call.cases; this is its parser, which is
//! strict: an unknown keyword, a malformed line or a step that cannot
//! apply where it stands (an object used before it is opened, a program
//! run before it is loaded, ...) makes the whole file an error.
//!
//! A case is a list of [`Step`]s. A one-line case is shorthand for the
//! steps of the three forms of upstream's prog_tests/kfunc_call.c; a
//! `test ... end` block lists its steps one a line, and `each` lines
//! make one case per value (upstream's tables of program names).

use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeSet;

/// The input of a `BPF_PROG_TEST_RUN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// upstream's pkt_v4 (`data_in`), run once: tc programs.
    Tc,
    /// A context of `struct syscall_test_args` with 16 data bytes and
    /// size 10 (prog_tests/kfunc_call.c's syscall programs).
    Syscall,
    /// Nothing (zeroed options).
    None,
}

/// What a `load` step expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadExpect {
    /// The load succeeds; with a text, the programs are loaded with a
    /// level 1 verifier log, which must hold it.
    Ok(Option<String>),
    /// The load fails with this (negative) error.
    Error(i32),
    /// The load fails, the verifier log holding the text.
    Reject(String),
}

/// What a `run` step expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunExpect {
    /// The run succeeds, whatever it returns.
    Succeeds,
    /// The run succeeds and returns this.
    Retval(i32),
    /// The run fails with this (negative) errno.
    Errno(i32),
}

/// A section of global variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// `.bss`.
    Bss,
    /// `.data`.
    Data,
    /// `.rodata`.
    Rodata,
}

impl Section {
    /// Its name without the dot.
    pub fn name(self) -> &'static str {
        match self {
            Section::Bss => "bss",
            Section::Data => "data",
            Section::Rodata => "rodata",
        }
    }
}

/// Something of an object that a step reads or writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A global variable: `bss:<var>`, `data:<var>`, `rodata:<var>`.
    Global(Section, String),
    /// `map_id:<map>`: the kernel's id of a map.
    MapId(String),
    /// `kprobe_missed:<program>`: the `kprobe.missed` count of the
    /// program's perf-event kprobe link.
    KprobeMissed(String),
}

/// A [`Place`] of an object: `[<alias>.]<place>` (the current object
/// when no alias is given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// The object's alias, if not the current object.
    pub object: Option<String>,
    /// What of it.
    pub place: Place,
}

/// A value: a number, `$pid` (getpid()), `$ncpus` (the possible CPUs),
/// or a [`Var`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A number.
    Int(i128),
    /// `getpid()` where the step runs.
    Pid,
    /// `libbpf_num_possible_cpus()`.
    Ncpus,
    /// Read from an object.
    Var(Var),
}

/// `<var>=<value>` or `<var>!=<value>`, compared as C compares the
/// variable with the value converted to its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What is read.
    pub var: Var,
    /// `=` (true) or `!=`.
    pub equal: bool,
    /// What it is compared with.
    pub value: Value,
}

/// How `set` changes a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// `=`.
    Assign,
    /// `+=`.
    Add,
    /// `-=`.
    Sub,
}

/// What `trigger` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `usleep(1)`.
    Usleep,
    /// `getpgid(0)`.
    Getpgid,
    /// `fork()`: the child exits at once, the parent waits for it.
    Fork,
    /// A TCP connection over IPv6 loopback: a listener on `[::1]`, a
    /// client connected to it, both closed.
    Tcp6,
}

/// A capability that `drop-cap` may drop.
pub const CAPS: [(&str, u32); 5] = [
    ("CAP_NET_ADMIN", 12),
    ("CAP_SYS_ADMIN", 21),
    ("CAP_SYS_BOOT", 22),
    ("CAP_PERFMON", 38),
    ("CAP_BPF", 39),
];

/// Map types `replace-map` may create.
pub const MAP_TYPES: [(&str, u32); 2] = [("array", 2), ("hash", 1)];

/// Program types `raw-load` may load as.
pub const PROG_TYPES: [(&str, u32); 4] = [
    ("kprobe", 2),
    ("sched_cls", 3),
    ("tracepoint", 5),
    ("syscall", 31),
];

/// One step of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `open <object> [as <alias>]`.
    Open {
        /// progs/<object>.c.
        object: String,
        /// The name steps use for it (the object's by default).
        alias: String,
    },
    /// `use <alias>`.
    Use(String),
    /// `close [<alias>]`.
    Close(Option<String>),
    /// `set <var><op><value>`.
    Set(Var, SetOp, Value),
    /// `load [<program>...] [log=TEXT | error=N | reject log=TEXT]`.
    Load(Vec<String>, LoadExpect),
    /// `attach [<program>...]`.
    Attach(Vec<String>),
    /// `detach`.
    Detach,
    /// `run <program> <input> [retval=N | errno=N]`.
    Run(String, Input, RunExpect),
    /// `check <check>`.
    Check(Check),
    /// `wait <check>`.
    Wait(Check),
    /// `until <check> run <program> <input> [retval=N | errno=N]`.
    Until(Check, String, Input, RunExpect),
    /// `trigger <what>`.
    Trigger(Trigger),
    /// `update <map> <key>`.
    Update(String, u32),
    /// `delete <map> <key>`.
    Delete(String, u32),
    /// `sync-rcu`.
    SyncRcu,
    /// `drop-cap <CAP_NAME>`.
    DropCap(u32),
    /// `pid-ns`.
    PidNs,
    /// `prepare`.
    Prepare,
    /// `replace-map <map> <type> <name> <key_size> <value_size>
    /// <max_entries>`.
    ReplaceMap {
        /// The object's map.
        map: String,
        /// `BPF_MAP_TYPE_*`.
        kind: u32,
        /// The new map's name.
        name: String,
        /// Key size.
        key_size: u32,
        /// Value size.
        value_size: u32,
        /// Max entries.
        max_entries: u32,
    },
    /// `raw-load <program> <type> <log_level> reject log=TEXT`.
    RawLoad {
        /// The prepared program.
        program: String,
        /// `BPF_PROG_TYPE_*`.
        prog_type: u32,
        /// The verifier log level.
        log_level: u32,
        /// The text the log must hold.
        text: String,
    },
}

/// A step and the line it was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The step.
    pub step: Step,
    /// Its text.
    pub text: String,
}

/// One case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The object the case is about (the table groups by it).
    pub object: String,
    /// The case's name: upstream's subtest, or the program.
    pub name: String,
    /// Its steps.
    pub steps: Vec<Line>,
}

pub fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn ident(s: &str, what: &str) -> Result<String> {
    ensure!(is_ident(s), "{what} {s:?} is not a C identifier");
    Ok(s.to_string())
}

/// A number as C writes it: decimal or `0x` hex, maybe negative.
fn number(s: &str) -> Result<i128> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = match digits.strip_prefix("0x") {
        Some(h) => {
            i128::from(u64::from_str_radix(h, 16).with_context(|| format!("bad number {s:?}"))?)
        }
        None => i128::from(
            digits
                .parse::<u64>()
                .with_context(|| format!("bad number {s:?}"))?,
        ),
    };
    Ok(if neg { -v } else { v })
}

fn int32(s: &str) -> Result<i32> {
    s.parse().with_context(|| format!("bad number {s:?}"))
}

fn uint32(s: &str) -> Result<u32> {
    s.parse().with_context(|| format!("bad number {s:?}"))
}

fn input(s: &str) -> Result<Input> {
    Ok(match s {
        "tc" => Input::Tc,
        "syscall" => Input::Syscall,
        "none" => Input::None,
        _ => bail!("unknown input {s:?} (tc, syscall or none)"),
    })
}

fn named<T: Copy>(table: &[(&str, T)], s: &str, what: &str) -> Result<T> {
    table
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .with_context(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            format!("unknown {what} {s:?} ({})", names.join(", "))
        })
}

/// `[<alias>.]<kind>:<name>`.
fn var(s: &str) -> Result<Var> {
    let (kind, name) = s
        .split_once(':')
        .with_context(|| format!("{s:?} is not [<object>.]<kind>:<name>"))?;
    let (object, kind) = match kind.split_once('.') {
        Some((o, k)) => (Some(ident(o, "object")?), k),
        None => (None, kind),
    };
    let name = ident(name, "name")?;
    let place = match kind {
        "bss" => Place::Global(Section::Bss, name),
        "data" => Place::Global(Section::Data, name),
        "rodata" => Place::Global(Section::Rodata, name),
        "map_id" => Place::MapId(name),
        "kprobe_missed" => Place::KprobeMissed(name),
        _ => bail!("unknown kind {kind:?} in {s:?} (bss, data, rodata, map_id, kprobe_missed)"),
    };
    Ok(Var { object, place })
}

fn value(s: &str) -> Result<Value> {
    Ok(match s {
        "$pid" => Value::Pid,
        "$ncpus" => Value::Ncpus,
        _ if s.contains(':') => Value::Var(var(s)?),
        _ => Value::Int(number(s)?),
    })
}

/// `<var>=<value>` or `<var>!=<value>`.
fn check(s: &str) -> Result<Check> {
    let (lhs, equal, rhs) = if let Some((l, r)) = s.split_once("!=") {
        (l, false, r)
    } else if let Some((l, r)) = s.split_once('=') {
        (l, true, r)
    } else {
        bail!("{s:?} is not <var>=<value> or <var>!=<value>");
    };
    Ok(Check {
        var: var(lhs)?,
        equal,
        value: value(rhs)?,
    })
}

/// `[retval=N | errno=N]`.
fn run_expect(words: &[&str]) -> Result<RunExpect> {
    Ok(match words {
        [] => RunExpect::Succeeds,
        [w] if w.starts_with("retval=") => RunExpect::Retval(int32(&w[7..])?),
        [w] if w.starts_with("errno=") => RunExpect::Errno(int32(&w[6..])?),
        _ => bail!("expected retval=N or errno=N after the input, not {words:?}"),
    })
}

/// `<program> <input> [retval=N | errno=N]`.
fn run_args(rest: &str) -> Result<Step> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let [program, inp, expect @ ..] = words.as_slice() else {
        bail!("expected run <program> <input> [retval=N | errno=N]");
    };
    Ok(Step::Run(
        ident(program, "program")?,
        input(inp)?,
        run_expect(expect)?,
    ))
}

/// `log=TEXT`, which runs to the end of the line.
fn log_text(s: &str) -> Result<String> {
    let text = s
        .strip_prefix("log=")
        .with_context(|| format!("expected log=TEXT, not {s:?}"))?;
    ensure!(!text.trim().is_empty(), "log= needs a text");
    Ok(text.to_string())
}

/// The words before `log=`, and the text after it.
fn split_log(s: &str) -> (&str, Option<&str>) {
    match s.find("log=") {
        Some(i) if i == 0 || s.as_bytes()[i - 1] == b' ' => (&s[..i], Some(&s[i..])),
        _ => (s, None),
    }
}

fn load(rest: &str) -> Result<Step> {
    let (head, log) = split_log(rest);
    let mut words: Vec<&str> = head.split_whitespace().collect();
    let expect = match (words.last().copied(), log) {
        (Some("reject"), Some(l)) => {
            words.pop();
            LoadExpect::Reject(log_text(l)?)
        }
        (Some("reject"), None) => bail!("reject needs log=TEXT"),
        (Some(w), None) if w.starts_with("error=") => {
            words.pop();
            LoadExpect::Error(int32(&w[6..])?)
        }
        (_, Some(l)) => LoadExpect::Ok(Some(log_text(l)?)),
        (_, None) => LoadExpect::Ok(None),
    };
    let progs = words
        .iter()
        .map(|w| ident(w, "program"))
        .collect::<Result<Vec<_>>>()?;
    Ok(Step::Load(progs, expect))
}

/// Parses one step line.
pub fn parse_step(line: &str) -> Result<Step> {
    let (keyword, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(k, r)| (k, r.trim()));
    let words: Vec<&str> = rest.split_whitespace().collect();
    let none = |step: Step| {
        ensure!(words.is_empty(), "{keyword} takes no arguments");
        Ok(step)
    };
    match keyword {
        "open" => match words.as_slice() {
            [o] => Ok(Step::Open {
                object: ident(o, "object")?,
                alias: o.to_string(),
            }),
            [o, "as", a] => Ok(Step::Open {
                object: ident(o, "object")?,
                alias: ident(a, "alias")?,
            }),
            _ => bail!("expected open <object> [as <alias>]"),
        },
        "use" => match words.as_slice() {
            [a] => Ok(Step::Use(ident(a, "alias")?)),
            _ => bail!("expected use <alias>"),
        },
        "close" => match words.as_slice() {
            [] => Ok(Step::Close(None)),
            [a] => Ok(Step::Close(Some(ident(a, "alias")?))),
            _ => bail!("expected close [<alias>]"),
        },
        "set" => {
            let [s] = words.as_slice() else {
                bail!("expected set <var>=<value> (or += or -=), without spaces");
            };
            let (lhs, op, rhs) = if let Some((l, r)) = s.split_once("+=") {
                (l, SetOp::Add, r)
            } else if let Some((l, r)) = s.split_once("-=") {
                (l, SetOp::Sub, r)
            } else if let Some((l, r)) = s.split_once('=') {
                (l, SetOp::Assign, r)
            } else {
                bail!("expected set <var>=<value> (or += or -=)");
            };
            let v = var(lhs)?;
            ensure!(
                matches!(v.place, Place::Global(..)),
                "set writes global variables (bss:, data:, rodata:) only"
            );
            Ok(Step::Set(v, op, value(rhs)?))
        }
        "load" => load(rest),
        "attach" => Ok(Step::Attach(
            words
                .iter()
                .map(|w| ident(w, "program"))
                .collect::<Result<_>>()?,
        )),
        "detach" => none(Step::Detach),
        "run" => run_args(rest),
        "check" | "wait" => {
            let [c] = words.as_slice() else {
                bail!("expected {keyword} <var>=<value> or <var>!=<value>, without spaces");
            };
            let c = check(c)?;
            Ok(if keyword == "check" {
                Step::Check(c)
            } else {
                Step::Wait(c)
            })
        }
        "until" => {
            let [c, "run", ..] = words.as_slice() else {
                bail!("expected until <check> run <program> <input> [retval=N | errno=N]");
            };
            let Step::Run(p, i, e) = run_args(&words[2..].join(" "))? else {
                unreachable!("run_args makes a run step");
            };
            Ok(Step::Until(check(c)?, p, i, e))
        }
        "trigger" => Ok(Step::Trigger(match words.as_slice() {
            ["usleep"] => Trigger::Usleep,
            ["getpgid"] => Trigger::Getpgid,
            ["fork"] => Trigger::Fork,
            ["tcp6"] => Trigger::Tcp6,
            _ => bail!("expected trigger usleep|getpgid|fork|tcp6"),
        })),
        "update" | "delete" => {
            let [m, k] = words.as_slice() else {
                bail!("expected {keyword} <map> <key>");
            };
            let (m, k) = (ident(m, "map")?, uint32(k)?);
            Ok(if keyword == "update" {
                Step::Update(m, k)
            } else {
                Step::Delete(m, k)
            })
        }
        "sync-rcu" => none(Step::SyncRcu),
        "drop-cap" => match words.as_slice() {
            [c] => Ok(Step::DropCap(named(&CAPS, c, "capability")?)),
            _ => bail!("expected drop-cap <CAP_NAME>"),
        },
        "pid-ns" => none(Step::PidNs),
        "prepare" => none(Step::Prepare),
        "replace-map" => {
            let [map, kind, name, k, v, n] = words.as_slice() else {
                bail!("expected replace-map <map> <type> <name> <key_size> <value_size> <max_entries>");
            };
            Ok(Step::ReplaceMap {
                map: ident(map, "map")?,
                kind: named(&MAP_TYPES, kind, "map type")?,
                name: ident(name, "map name")?,
                key_size: uint32(k)?,
                value_size: uint32(v)?,
                max_entries: uint32(n)?,
            })
        }
        "raw-load" => {
            let (head, log) = split_log(rest);
            let words: Vec<&str> = head.split_whitespace().collect();
            let ([program, kind, level, "reject"], Some(log)) = (words.as_slice(), log) else {
                bail!("expected raw-load <program> <type> <log_level> reject log=TEXT");
            };
            Ok(Step::RawLoad {
                program: ident(program, "program")?,
                prog_type: named(&PROG_TYPES, kind, "program type")?,
                log_level: uint32(level)?,
                text: log_text(log)?,
            })
        }
        _ => bail!("unknown step {keyword:?}"),
    }
}

/// What is known of an object while a case's steps are checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Prepared,
    Loaded,
}

/// Checks that each step can apply where it stands: objects opened
/// before use, loaded before their programs run, ...
fn validate(steps: &[Line]) -> Result<()> {
    let mut objects: Vec<(String, State)> = Vec::new();
    let mut current: Option<String> = None;
    let state = |objects: &[(String, State)], alias: &str| {
        objects.iter().find(|(a, _)| a == alias).map(|(_, s)| *s)
    };
    for (i, l) in steps.iter().enumerate() {
        let at = || format!("step {} ({})", i + 1, l.text);
        let cur = || {
            current
                .clone()
                .with_context(|| format!("{}: no object is open", at()))
        };
        let needs = |alias: &str, states: &[State], what: &str| -> Result<()> {
            match state(&objects, alias) {
                Some(s) if states.contains(&s) => Ok(()),
                Some(_) => bail!("{}: {alias} is not {what}", at()),
                None => bail!("{}: {alias} is not open", at()),
            }
        };
        let var_ok = |v: &Var| -> Result<()> {
            let alias = match &v.object {
                Some(a) => a.clone(),
                None => cur()?,
            };
            match &v.place {
                Place::Global(..) => needs(
                    &alias,
                    &[State::Open, State::Prepared, State::Loaded],
                    "open",
                ),
                _ => needs(&alias, &[State::Loaded], "loaded"),
            }
        };
        let value_ok = |v: &Value| match v {
            Value::Var(v) => var_ok(v),
            _ => Ok(()),
        };
        let set_state = |objects: &mut Vec<(String, State)>, alias: &str, s: State| {
            if let Some(o) = objects.iter_mut().find(|(a, _)| a == alias) {
                o.1 = s;
            }
        };
        match &l.step {
            Step::Open { alias, .. } => {
                ensure!(
                    state(&objects, alias).is_none(),
                    "{}: {alias} is already open",
                    at()
                );
                objects.push((alias.clone(), State::Open));
                current = Some(alias.clone());
            }
            Step::Use(a) => {
                needs(a, &[State::Open, State::Prepared, State::Loaded], "open")?;
                current = Some(a.clone());
            }
            Step::Close(a) => {
                let a = match a {
                    Some(a) => a.clone(),
                    None => cur()?,
                };
                needs(&a, &[State::Open, State::Prepared, State::Loaded], "open")?;
                objects.retain(|(o, _)| *o != a);
                if current.as_deref() == Some(&a) {
                    current = None;
                }
            }
            Step::Set(v, _, val) => {
                var_ok(v)?;
                value_ok(val)?;
                let alias = v.object.clone().map_or_else(cur, Ok)?;
                if let Place::Global(Section::Rodata, _) = v.place {
                    ensure!(
                        state(&objects, &alias) != Some(State::Loaded),
                        "{}: rodata is read-only once loaded",
                        at()
                    );
                }
            }
            Step::Load(_, expect) => {
                let a = cur()?;
                needs(
                    &a,
                    &[State::Open, State::Prepared],
                    "loadable (it is loaded)",
                )?;
                if matches!(expect, LoadExpect::Ok(_)) {
                    set_state(&mut objects, &a, State::Loaded);
                } else {
                    // A failed load closes the object.
                    objects.retain(|(o, _)| *o != a);
                    current = None;
                }
            }
            Step::Attach(_)
            | Step::Detach
            | Step::Run(..)
            | Step::Update(..)
            | Step::Delete(..) => needs(&cur()?, &[State::Loaded], "loaded")?,
            Step::Check(c) | Step::Wait(c) => {
                var_ok(&c.var)?;
                value_ok(&c.value)?;
            }
            Step::Until(c, ..) => {
                needs(&cur()?, &[State::Loaded], "loaded")?;
                var_ok(&c.var)?;
                value_ok(&c.value)?;
            }
            Step::Prepare => {
                let a = cur()?;
                needs(&a, &[State::Open], "open and unprepared")?;
                set_state(&mut objects, &a, State::Prepared);
            }
            Step::ReplaceMap { .. } | Step::RawLoad { .. } => {
                needs(&cur()?, &[State::Prepared], "prepared")?
            }
            Step::Trigger(_) | Step::SyncRcu | Step::DropCap(_) | Step::PidNs => {}
        }
    }
    Ok(())
}

/// A one-line case: `<object> <program> <input> <expectation>`, made
/// into the lines of the steps it stands for.
fn one_line(line: &str) -> Result<Case> {
    let mut f = line.splitn(4, char::is_whitespace);
    let (Some(object), Some(program), Some(inp), Some(expect)) =
        (f.next(), f.next(), f.next(), f.next())
    else {
        bail!("expected <object> <program> <input> <expectation>, or a test block");
    };
    let (object, program) = (ident(object, "object")?, ident(program, "program")?);
    input(inp)?;
    let expect = expect.trim();
    let mut lines = vec![format!("open {object}")];
    if expect.starts_with("retval=") {
        let mut words = expect.split_whitespace();
        let retval = words.next().unwrap_or_default();
        lines.push("load".into());
        lines.push(format!("run {program} {inp} {retval}"));
        lines.extend(words.map(|w| format!("check {w}")));
    } else if let Some(rest) = expect.strip_prefix("errno=") {
        let (errno, log) = rest
            .split_once(char::is_whitespace)
            .context("expected errno=N log=TEXT")?;
        log_text(log.trim())?;
        lines.push(format!("load {program} {}", log.trim()));
        lines.push(format!("run {program} {inp} errno={errno}"));
    } else if let Some(rest) = expect.strip_prefix("reject ") {
        log_text(rest.trim())?;
        lines.push(format!("load {program} reject {}", rest.trim()));
    } else {
        bail!("unknown expectation (retval=, errno= or reject)");
    }
    let steps = lines
        .into_iter()
        .map(|text| {
            Ok(Line {
                step: parse_step(&text)?,
                text,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    validate(&steps)?;
    Ok(Case {
        object,
        name: program,
        steps,
    })
}

/// `{name}` substituted by `values`; every `{` must open a known name.
fn substitute(s: &str, values: &[(String, String)]) -> Result<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find('}')
            .with_context(|| format!("unclosed {{ in {s:?}"))?;
        let name = &rest[i + 1..i + end];
        let v = values
            .iter()
            .find(|(n, _)| n == name)
            .with_context(|| format!("{{{name}}} is not an each name"))?;
        out.push_str(&v.1);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A `test ... end` block being read.
struct Block {
    line: usize,
    name: String,
    names: Vec<String>,
    rows: Vec<Vec<String>>,
    steps: Vec<(usize, String)>,
}

impl Block {
    /// The block's cases: one, or one per `each` row.
    fn cases(&self) -> Result<Vec<Case>> {
        let at = |n: usize| format!("line {n}");
        let rows: Vec<Vec<(String, String)>> = if self.names.is_empty() {
            vec![Vec::new()]
        } else {
            ensure!(
                self.names
                    .iter()
                    .any(|n| self.name.contains(&format!("{{{n}}}"))),
                "{}: test {}: the name must use an each name, to tell the cases apart",
                at(self.line),
                self.name
            );
            self.rows
                .iter()
                .map(|r| self.names.iter().cloned().zip(r.iter().cloned()).collect())
                .collect()
        };
        let mut cases = Vec::new();
        for values in rows {
            let full = substitute(&self.name, &values).with_context(|| at(self.line))?;
            let (object, name) = full
                .split_once('/')
                .with_context(|| format!("{}: expected test <object>/<name>", at(self.line)))?;
            ensure!(
                is_ident(object) && !name.is_empty() && !name.contains(char::is_whitespace),
                "{}: expected test <object>/<name>",
                at(self.line)
            );
            let mut steps = Vec::new();
            for (n, text) in &self.steps {
                let text = substitute(text, &values).with_context(|| at(*n))?;
                let step = parse_step(&text).with_context(|| format!("{}: {text}", at(*n)))?;
                steps.push(Line { step, text });
            }
            ensure!(
                !steps.is_empty(),
                "{}: test {full} has no steps",
                at(self.line)
            );
            validate(&steps).with_context(|| format!("{}: test {full}", at(self.line)))?;
            cases.push(Case {
                object: object.to_string(),
                name: name.to_string(),
                steps,
            });
        }
        Ok(cases)
    }
}

/// Parses a `.cases` file.
pub fn parse_cases(text: &str) -> Result<Vec<Case>> {
    let mut cases: Vec<Case> = Vec::new();
    let mut block: Option<Block> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let what = || format!("line {n}: {line}");
        let (keyword, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(k, r)| (k, r.trim()));
        match (&mut block, keyword) {
            (None, "test") => {
                ensure!(
                    !rest.is_empty(),
                    "{}: expected test <object>/<name>",
                    what()
                );
                block = Some(Block {
                    line: n,
                    name: rest.to_string(),
                    names: Vec::new(),
                    rows: Vec::new(),
                    steps: Vec::new(),
                });
            }
            (None, "end" | "each") => bail!("{}: outside a test block", what()),
            (None, _) => cases.push(one_line(line).with_context(what)?),
            (Some(_), "test") => bail!("{}: test inside a test block (missing end?)", what()),
            (Some(b), "each") => {
                let mut words = rest.split_whitespace();
                let names: Vec<String> = words
                    .next()
                    .with_context(|| {
                        format!("{}: expected each <name>[,<name>...] <value>...", what())
                    })?
                    .split(',')
                    .map(|s| ident(s, "each name"))
                    .collect::<Result<_>>()
                    .with_context(what)?;
                ensure!(
                    b.names.is_empty() || b.names == names,
                    "{}: each lines of a block must name the same names",
                    what()
                );
                b.names = names;
                let mut any = false;
                for w in words {
                    let row: Vec<String> = w.split(',').map(str::to_string).collect();
                    ensure!(
                        row.len() == b.names.len() && row.iter().all(|v| !v.is_empty()),
                        "{}: {w:?} does not give the {} value(s) of {}",
                        what(),
                        b.names.len(),
                        b.names.join(",")
                    );
                    b.rows.push(row);
                    any = true;
                }
                ensure!(any, "{}: each without values", what());
            }
            (Some(_), "end") => {
                ensure!(rest.is_empty(), "{}: end takes nothing", what());
                let b = block.take().expect("in a block");
                cases.extend(b.cases()?);
            }
            (Some(b), _) => {
                // scripts/conformance-build.sh reads the objects to build
                // from the open lines as written.
                ensure!(
                    keyword != "open" || !line.contains('{'),
                    "{}: the object of open cannot come from each",
                    what()
                );
                b.steps.push((n, line.to_string()));
            }
        }
    }
    if let Some(b) = block {
        bail!("line {}: test {} has no end", b.line, b.name);
    }
    let mut seen = BTreeSet::new();
    for c in &cases {
        ensure!(
            seen.insert((c.object.clone(), c.name.clone())),
            "two cases are named {}/{}",
            c.object,
            c.name
        );
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(c: &Case) -> Vec<Step> {
        c.steps.iter().map(|l| l.step.clone()).collect()
    }

    fn open(o: &str) -> Step {
        Step::Open {
            object: o.into(),
            alias: o.into(),
        }
    }

    fn global(s: Section, n: &str) -> Var {
        Var {
            object: None,
            place: Place::Global(s, n.into()),
        }
    }

    #[test]
    fn one_line_cases_are_steps() {
        let c = parse_cases(
            "# comment\n\nobj p1 tc retval=-1234\nobj p2 none errno=-22 log=processed 4 insns\n\
             obj p3 tc reject log=R0 cannot write into rdonly_mem\n\
             obj p4 tc retval=0 data:total_sum=192 data:active_res!=-1 bss:x=rodata:y\n",
        )
        .unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!((c[0].object.as_str(), c[0].name.as_str()), ("obj", "p1"));
        assert_eq!(
            steps(&c[0]),
            [
                open("obj"),
                Step::Load(vec![], LoadExpect::Ok(None)),
                Step::Run("p1".into(), Input::Tc, RunExpect::Retval(-1234)),
            ]
        );
        assert_eq!(
            steps(&c[1]),
            [
                open("obj"),
                Step::Load(
                    vec!["p2".into()],
                    LoadExpect::Ok(Some("processed 4 insns".into()))
                ),
                Step::Run("p2".into(), Input::None, RunExpect::Errno(-22)),
            ]
        );
        assert_eq!(
            steps(&c[2]),
            [
                open("obj"),
                Step::Load(
                    vec!["p3".into()],
                    LoadExpect::Reject("R0 cannot write into rdonly_mem".into())
                ),
            ]
        );
        assert_eq!(
            steps(&c[3])[3..],
            [
                Step::Check(Check {
                    var: global(Section::Data, "total_sum"),
                    equal: true,
                    value: Value::Int(192),
                }),
                Step::Check(Check {
                    var: global(Section::Data, "active_res"),
                    equal: false,
                    value: Value::Int(-1),
                }),
                Step::Check(Check {
                    var: global(Section::Bss, "x"),
                    equal: true,
                    value: Value::Var(global(Section::Rodata, "y")),
                }),
            ]
        );
    }

    #[test]
    fn rejects_malformed_one_line_cases() {
        for bad in [
            "obj prog tc",
            "obj prog udp retval=0",
            "obj prog syscall-null retval=0",
            "obj prog tc reject R0",
            "obj prog tc retval=x",
            "obj prog tc retval=0 total_sum=1",
            "obj prog tc retval=0 heap:x=1",
            "obj prog tc errno=-22",
            "obj prog tc accept log=x",
            "obj.c prog tc retval=0",
        ] {
            assert!(parse_cases(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_blocks() {
        let c = parse_cases(
            "test o/sub-test\n\topen o as A\n\tset bss:pid=$pid\n\tload\n\tattach\n\
             \ttrigger usleep\n\tdetach\n\tcheck bss:err=0\n\topen o as W\n\tload p q\n\
             \tset bss:target=A.map_id:m\n\tattach p\n\tuse A\n\tclose\n\tuse W\n\tsync-rcu\n\
             \twait bss:done!=0\n\tuntil bss:n=2 run count none retval=0\n\
             \trun x tc\n\trun y syscall errno=-22\n\tcheck kprobe_missed:p=1\n\
             \tupdate m 0\n\tdelete m 0\n\tset data:ref-=1\n\tdrop-cap CAP_SYS_BOOT\n\
             \tclose W\n\topen o\n\tload error=-13\n\tpid-ns\n\topen o\n\tprepare\n\
             \treplace-map array array map_no_btf 4 8 100\n\
             \traw-load p tracepoint 2 reject log=has to have BTF\n\
             end\n",
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].object.as_str(), c[0].name.as_str()),
            ("o", "sub-test")
        );
        let s = steps(&c[0]);
        assert_eq!(
            s[0],
            Step::Open {
                object: "o".into(),
                alias: "A".into()
            }
        );
        assert_eq!(
            s[1],
            Step::Set(global(Section::Bss, "pid"), SetOp::Assign, Value::Pid)
        );
        assert_eq!(
            s[8],
            Step::Load(vec!["p".into(), "q".into()], LoadExpect::Ok(None))
        );
        assert_eq!(
            s[9],
            Step::Set(
                global(Section::Bss, "target"),
                SetOp::Assign,
                Value::Var(Var {
                    object: Some("A".into()),
                    place: Place::MapId("m".into())
                })
            )
        );
        assert_eq!(
            s[16],
            Step::Until(
                Check {
                    var: global(Section::Bss, "n"),
                    equal: true,
                    value: Value::Int(2)
                },
                "count".into(),
                Input::None,
                RunExpect::Retval(0)
            )
        );
        assert_eq!(s[17], Step::Run("x".into(), Input::Tc, RunExpect::Succeeds));
        assert_eq!(
            s[22],
            Step::Set(global(Section::Data, "ref"), SetOp::Sub, Value::Int(1))
        );
        assert_eq!(s[23], Step::DropCap(22));
        assert_eq!(s[26], Step::Load(vec![], LoadExpect::Error(-13)));
        assert_eq!(
            s[30],
            Step::ReplaceMap {
                map: "array".into(),
                kind: 2,
                name: "map_no_btf".into(),
                key_size: 4,
                value_size: 8,
                max_entries: 100
            }
        );
        assert_eq!(
            s[31],
            Step::RawLoad {
                program: "p".into(),
                prog_type: 5,
                log_level: 2,
                text: "has to have BTF".into()
            }
        );
    }

    #[test]
    fn each_makes_one_case_per_row() {
        let c = parse_cases(
            "test o/{sub}\n each sub,prog a,pa b,pb\n each sub,prog c,pc\n open o\n load\n \
             run {prog} none\nend\n",
        )
        .unwrap();
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            c[1].steps[2].step,
            Step::Run("pb".into(), Input::None, RunExpect::Succeeds)
        );
        assert_eq!(c[1].steps[2].text, "run pb none");
    }

    #[test]
    fn rejects_malformed_blocks() {
        for bad in [
            // unknown keyword, structure
            "test o/a\n open o\n frobnicate\nend",
            "test o/a\n open o\n load",
            "end",
            "each x a",
            "test o/a\n test o/b\nend",
            "test o/a\nend",
            "test o\n open o\nend",
            "test o/a\n open o\nend x",
            // each
            "test o/a\n each p x y\n open o\nend",
            "test o/{p}\n each p\n open o\nend",
            "test o/{p}\n each p,q x\n open o\nend",
            "test o/{p}\n each p x\n each q y\n open o\nend",
            "test o/{p}\n each p x\n run {q} none\nend",
            "test o/{p}\n each p x x\n open o\nend",
            "test o/{p}\n each p x\n open {p}\nend",
            // arguments
            "test o/a\n open o as\nend",
            "test o/a\n open o\n load p error=x\nend",
            "test o/a\n open o\n load p reject\nend",
            "test o/a\n open o\n load\n run p\nend",
            "test o/a\n open o\n load\n run p tc retval=1 errno=2\nend",
            "test o/a\n open o\n check bss:x\nend",
            "test o/a\n open o\n check bss:x = 1\nend",
            "test o/a\n open o\n set map_id:m=1\nend",
            "test o/a\n open o\n trigger reboot\nend",
            "test o/a\n drop-cap CAP_CHOWN\nend",
            "test o/a\n sync-rcu now\nend",
            "test o/a\n open o\n prepare\n replace-map m queue n 4 8 1\nend",
            "test o/a\n open o\n prepare\n raw-load p tracepoint 2 log=x\nend",
            // steps that cannot apply where they stand
            "test o/a\n load\nend",
            "test o/a\n open o\n run p tc\nend",
            "test o/a\n open o\n load\n load\nend",
            "test o/a\n open o\n open o\nend",
            "test o/a\n open o\n close\n check bss:x=1\nend",
            "test o/a\n open o\n load\n set rodata:x=1\nend",
            "test o/a\n open o\n check kprobe_missed:p=1\nend",
            "test o/a\n open o\n check B.bss:x=1\nend",
            "test o/a\n open o\n load error=-13\n run p tc\nend",
            "test o/a\n open o\n replace-map m array n 4 8 1\nend",
            "test o/a\n use o\nend",
            // duplicate names
            "o p tc retval=0\no p tc retval=1",
        ] {
            assert!(parse_cases(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn numbers_and_values() {
        assert_eq!(number("-0x10").unwrap(), -16);
        assert_eq!(number("0xffffffffffffffff").unwrap(), i128::from(u64::MAX));
        assert!(number("1e3").is_err());
        assert_eq!(value("$ncpus").unwrap(), Value::Ncpus);
        assert!(value("$uid").is_err());
    }
}
