//! Upstream conformance: the kernel's own BPF selftest programs,
//! unchanged, against the C bpf_testmod and against its Rust port.
//!
//! The cases come from the data files of tests/conformance/ (copied into
//! the initramfs):
//! - `.cases` files: one line per case, `<object> <program> <run>
//!   <expectation>`, as upstream's prog_tests/*.c drive those programs;
//! - `.list` files: one object per line, a program file upstream runs with
//!   `RUN_TESTS()`, whose annotations (`__success`, `__msg`, ...) state the
//!   expectations; [`crate::test_loader`] reads them from the object and
//!   makes each of upstream's subtests a case.
//!
//! Every case runs against each module in turn (they export the same
//! kfunc names, so only one can be loaded at a time), and a case passes
//! when both modules meet upstream's expectation with the same observable
//! result.

use crate::bpf::{self, Input};
use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use crate::test_loader::{self, Driver, Env, Outcome, Subtest};
use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The modules compared: column title and module name.
pub const MODULES: [(&str, &str); 2] = [("C", "bpf_testmod"), ("Rust", "bpf_testmod_rs")];

/// How a case's program is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// tc program on pkt_v4.
    Tc,
    /// Syscall program with a `struct syscall_test_args` of size 10.
    Syscall,
    /// Syscall program without a context.
    SyscallNull,
}

/// What upstream expects of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The whole object loads and the run returns this.
    Retval(i32),
    /// The program loads alone, its log holds the text, the run fails
    /// with this errno (negative).
    Errno(i32, String),
    /// The verifier rejects the program, its log holding the text.
    Reject(String),
}

/// One case of a `.cases` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// BPF object, `<object>.bpf.o`.
    pub object: String,
    /// Program in it.
    pub program: String,
    /// How to run it.
    pub run: Run,
    /// What upstream expects.
    pub expect: Expect,
}

/// Parses a `.cases` file.
pub fn parse_cases(text: &str) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let what = || format!("line {}: {line}", n + 1);
        let mut f = line.splitn(4, char::is_whitespace);
        let (object, program, run, expect) = (f.next(), f.next(), f.next(), f.next());
        let (Some(object), Some(program), Some(run), Some(expect)) = (object, program, run, expect)
        else {
            bail!(
                "{}: expected <object> <program> <run> <expectation>",
                what()
            );
        };
        let run = match run {
            "tc" => Run::Tc,
            "syscall" => Run::Syscall,
            "syscall-null" => Run::SyscallNull,
            r => bail!("{}: unknown run {r}", what()),
        };
        let log = |s: &str| {
            s.trim()
                .strip_prefix("log=")
                .map(str::to_string)
                .with_context(what)
        };
        let expect = if let Some(v) = expect.strip_prefix("retval=") {
            Expect::Retval(v.trim().parse().with_context(what)?)
        } else if let Some(rest) = expect.strip_prefix("errno=") {
            let (errno, rest) = rest.split_once(' ').with_context(what)?;
            Expect::Errno(errno.parse().with_context(what)?, log(rest)?)
        } else if let Some(rest) = expect.strip_prefix("reject") {
            Expect::Reject(log(rest)?)
        } else {
            bail!("{}: unknown expectation", what());
        };
        cases.push(Case {
            object: object.into(),
            program: program.into(),
            run,
            expect,
        });
    }
    Ok(cases)
}

/// Parses a `.list` file: per line, an object (`<name>` for
/// progs/<name>.c) and how upstream's prog_tests run it, `RUN_TESTS`
/// (the default) or verifier.c's `RUN`; `#` starts a comment.
pub fn parse_list(text: &str) -> Result<Vec<(String, Driver)>> {
    let mut objects = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        let driver = match words.get(1).copied() {
            _ if words.is_empty() => continue,
            None | Some("RUN_TESTS") => Driver::RunTests,
            Some("RUN") => Driver::Run,
            Some(d) => bail!(
                "line {}: {line}: unknown driver {d} (RUN_TESTS or RUN)",
                n + 1
            ),
        };
        let name = words[0];
        ensure!(
            words.len() <= 2 && !name.ends_with(".c") && !name.ends_with(".o"),
            "line {}: {line}: expected <name> [RUN_TESTS|RUN], for progs/<name>.c",
            n + 1
        );
        objects.push((name.to_string(), driver));
    }
    Ok(objects)
}

/// A row of the table: a `.cases` line or a test_loader subtest.
pub enum Row {
    /// A hand-written case.
    Case(Case),
    /// A subtest of an annotated program file.
    Loader(Subtest),
}

impl Row {
    fn object(&self) -> &str {
        match self {
            Row::Case(c) => &c.object,
            Row::Loader(t) => &t.specs.object,
        }
    }

    /// The program (and mode) the row tests.
    fn name(&self) -> String {
        match self {
            Row::Case(c) => c.program.clone(),
            Row::Loader(t) => t.name(),
        }
    }

    /// The KTAP test's name: the object and the name, with upstream's
    /// description and, for a test upstream skips here, why.
    fn test_name(&self) -> String {
        let mut name = format!("conformance: {}/{}", self.object(), self.name());
        if let Row::Loader(t) = self {
            if let Some(d) = t.description() {
                name.push_str(&format!(" ({})", d.replace('#', "")));
            }
            if let Some(why) = t.skip_reason() {
                name.push_str(&format!(
                    " [skipped, as upstream does here: {}]",
                    why.replace('#', "")
                ));
            }
        }
        name
    }

    fn expectation(&self) -> String {
        match self {
            Row::Case(c) => format!("{:?}", c.expect),
            Row::Loader(t) => t.expectation(),
        }
    }

    /// What the row gives against the loaded module.
    fn run(&self) -> Result<Outcome> {
        match self {
            Row::Case(c) => run_case(c).map(|(result, ok)| Outcome {
                result,
                ok,
                detail: String::new(),
            }),
            Row::Loader(t) => Ok(t.run()),
        }
    }
}

/// upstream's pkt_v4 (network_helpers.c): Ethernet (IPv4), IPv4 (ihl 5,
/// TCP, tot_len 123), TCP (doff 5, urg_ptr 123); 54 bytes.
fn pkt_v4() -> Vec<u8> {
    let mut p = vec![0u8; 54];
    p[12..14].copy_from_slice(&0x0800u16.to_be_bytes()); // h_proto
    p[14] = 5; // ihl
    p[16..18].copy_from_slice(&123u16.to_be_bytes()); // tot_len
    p[23] = 6; // IPPROTO_TCP
    p[46] = 5 << 4; // doff
    p[52..54].copy_from_slice(&123u16.to_ne_bytes()); // urg_ptr, host order
    p
}

/// Runs one case against the loaded module; returns the observed result,
/// in words, and whether it meets the expectation.
fn run_case(case: &Case) -> Result<(String, bool)> {
    let obj = paths::bpf_obj(&format!("{}.bpf.o", case.object));
    let packet = pkt_v4();
    // struct syscall_test_args { __u8 data[16]; size_t size; } with size 10.
    let mut args = [0u8; 24];
    args[16..].copy_from_slice(&10u64.to_ne_bytes());
    let input = match case.run {
        Run::Tc => Input::Packet(&packet),
        Run::Syscall => Input::Context(&mut args),
        Run::SyscallNull => Input::Nothing,
    };
    Ok(match &case.expect {
        Expect::Retval(want) => {
            let o = match bpf::load(&obj, &[]) {
                Ok(o) => o,
                Err(e) => return Ok((format!("object failed to load: {}", e.error), false)),
            };
            match bpf::run(&o, &case.program, input)? {
                Ok(r) => (format!("retval {r}"), r == *want),
                Err(e) => (format!("run failed: errno {e}"), false),
            }
        }
        Expect::Errno(want, text) => match bpf::load_logged(&obj, &[&case.program], 1) {
            Err(e) => (format!("rejected: {}", e.error), false),
            Ok(o) => {
                let logged = bpf::last_log().contains(text.as_str());
                match bpf::run(&o, &case.program, input)? {
                    Ok(r) => (format!("loads, run returns {r}"), false),
                    Err(e) => (
                        format!(
                            "loads{}, run fails: errno {e}",
                            if logged {
                                format!(", log has \"{text}\"")
                            } else {
                                ", log lacks the text".into()
                            }
                        ),
                        logged && e == *want,
                    ),
                }
            }
        },
        Expect::Reject(text) => match bpf::load(&obj, &[&case.program]) {
            Ok(_) => ("loads (not rejected)".into(), false),
            Err(e) if e.log.contains(text.as_str()) => (format!("rejected: \"{text}\""), true),
            Err(e) => {
                let last = e
                    .log
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty() && !l.starts_with("libbpf"))
                    .unwrap_or("");
                (
                    format!("rejected without the text ({})", last.trim()),
                    false,
                )
            }
        },
    })
}

/// The results of every row against one module, by row index.
type Column = Vec<Result<Outcome, String>>;

fn run_column(module: &str, rows: &[Row]) -> Result<Column> {
    kmod::insmod(&paths::module(module))?;
    let col = rows
        .iter()
        .map(|r| r.run().map_err(|e| format!("{e:#}")))
        .collect();
    // Objects are dropped by now; the module may still be held briefly.
    kmod::rmmod_patiently(module, std::time::Duration::from_secs(10))?;
    Ok(col)
}

/// Reads a data file with `parse`, noting a failure in `problems`.
fn read_data<T>(
    f: &std::path::Path,
    parse: fn(&str) -> Result<Vec<T>>,
    problems: &mut Vec<String>,
) -> Vec<T> {
    match std::fs::read_to_string(f)
        .map_err(anyhow::Error::from)
        .and_then(|t| parse(&t))
    {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("{}: {e:#}", f.display()));
            Vec::new()
        }
    }
}

/// The rows: the `.cases` lines, then the subtests of the `.list`ed
/// objects.
fn rows(problems: &mut Vec<String>) -> Vec<Row> {
    let case_files = paths::data_files(".cases");
    let list_files = paths::data_files(".list");
    if case_files.is_empty() && list_files.is_empty() {
        problems.push("no .cases or .list files in the initramfs".into());
    }
    let mut rows: Vec<Row> = Vec::new();
    for f in &case_files {
        rows.extend(
            read_data(f, parse_cases, problems)
                .into_iter()
                .map(Row::Case),
        );
    }
    let objects: Vec<(String, Driver)> = list_files
        .iter()
        .flat_map(|f| read_data(f, parse_list, problems))
        .collect();
    if objects.is_empty() {
        return rows;
    }
    let env = Rc::new(Env::probe());
    for (object, driver) in objects {
        let path = paths::bpf_obj(&format!("{object}.bpf.o"));
        match test_loader::read_object(&object, &path, driver, &env) {
            Ok(specs) => rows.extend(
                test_loader::subtests(&Rc::new(specs), &env)
                    .into_iter()
                    .map(Row::Loader),
            ),
            Err(e) => problems.push(format!("{object}: {e:#}")),
        }
    }
    rows
}

/// The conformance tests: one per row, each comparing both columns.
pub fn tests() -> Vec<Test<'static>> {
    let mut problems = Vec::new();
    let rows = rows(&mut problems);
    let columns: Rc<BTreeMap<&str, Result<Column, String>>> = Rc::new(
        MODULES
            .iter()
            .map(|(title, module)| {
                (
                    *title,
                    run_column(module, &rows).map_err(|e| format!("{module}: {e:#}")),
                )
            })
            .collect(),
    );
    print_table(&rows, &columns);

    let mut tests = Vec::new();
    for p in problems {
        tests.push(Test::new("conformance: case files", move || bail!("{p}")));
    }
    for (title, module) in MODULES {
        let columns = columns.clone();
        tests.push(Test::new(
            format!("conformance: {module} loads, runs the cases, unloads"),
            move || {
                columns[title]
                    .as_ref()
                    .map(drop)
                    .map_err(|e| anyhow::anyhow!("{e}"))
            },
        ));
    }
    for (i, row) in rows.into_iter().enumerate() {
        let columns = columns.clone();
        tests.push(Test::new(row.test_name(), move || {
            let mut seen = Vec::new();
            for (title, _) in MODULES {
                let col = columns[title]
                    .as_ref()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                match &col[i] {
                    Ok(o) if o.ok => seen.push(o.result.clone()),
                    Ok(o) => bail!(
                        "{title}: {}; upstream expects {}\n{}",
                        o.result,
                        row.expectation(),
                        o.detail.trim_end()
                    ),
                    Err(e) => bail!("{title}: could not run: {e}"),
                }
            }
            ensure!(
                seen.windows(2).all(|w| w[0] == w[1]),
                "the columns differ: {seen:?}"
            );
            Ok(())
        }));
    }
    tests
}

/// Prints the side-by-side table as KTAP diagnostics ("# |" lines, which
/// the host's testbed always shows).
fn print_table(rows: &[Row], columns: &BTreeMap<&str, Result<Column, String>>) {
    let cell = |title: &str, i: usize| match &columns[title] {
        Err(_) => "not run".to_string(),
        Ok(col) => match &col[i] {
            Ok(o) => format!("{}{}", if o.ok { "" } else { "FAIL: " }, o.result),
            Err(e) => format!("error: {e}"),
        },
    };
    println!(
        "# | {:<45} | {:<62} | {:<62} |",
        "case", "C bpf_testmod", "Rust bpf_testmod_rs"
    );
    let mut object = "";
    for (i, r) in rows.iter().enumerate() {
        if r.object() != object {
            object = r.object();
            println!(
                "# | {:<45} | {:<62} | {:<62} |",
                format!("[{object}]"),
                "",
                ""
            );
        }
        println!(
            "# | {:<45} | {:<62} | {:<62} |",
            r.name(),
            cell("C", i),
            cell("Rust", i)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_expectations() {
        let c = parse_cases(
            "# comment\n\nobj p1 tc retval=-1234\nobj p2 syscall-null errno=-22 log=processed 4 insns\n\
             obj p3 tc reject log=R0 cannot write into rdonly_mem\n",
        )
        .unwrap();
        assert_eq!(c[0].expect, Expect::Retval(-1234));
        assert_eq!(c[1].run, Run::SyscallNull);
        assert_eq!(c[1].expect, Expect::Errno(-22, "processed 4 insns".into()));
        assert_eq!(
            c[2].expect,
            Expect::Reject("R0 cannot write into rdonly_mem".into())
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(parse_cases("obj prog tc").is_err());
        assert!(parse_cases("obj prog udp retval=0").is_err());
        assert!(parse_cases("obj prog tc reject R0").is_err());
        assert!(parse_cases("obj prog tc retval=x").is_err());
    }

    #[test]
    fn the_shipped_cases_parse() {
        let text = include_str!("../../tests/conformance/kfunc_call.cases");
        let cases = parse_cases(text).unwrap();
        assert_eq!(cases.len(), 23, "prog_tests/kfunc_call.c has 23 cases");
    }

    #[test]
    fn parses_lists() {
        let l = parse_list(
            "# comment\n\nverifier_zext\n  map_kptr_fail  # why\nverifier_and RUN\nx RUN_TESTS\n",
        )
        .unwrap();
        let want = [
            ("verifier_zext", Driver::RunTests),
            ("map_kptr_fail", Driver::RunTests),
            ("verifier_and", Driver::Run),
            ("x", Driver::RunTests),
        ];
        assert_eq!(l, want.map(|(n, d)| (n.to_string(), d)));
        assert!(parse_list("verifier_zext.c").is_err());
        assert!(parse_list("a b").is_err());
        assert!(parse_list("a RUN c").is_err());
    }

    #[test]
    fn the_shipped_list_parses() {
        let text = include_str!("../../tests/conformance/test_loader.list");
        parse_list(text).unwrap();
    }

    #[test]
    fn pkt_v4_matches_upstream_layout() {
        let p = pkt_v4();
        assert_eq!(p.len(), 54);
        assert_eq!(&p[12..15], &[0x08, 0x00, 0x45 & 0x0f]);
        assert_eq!(p[23], 6);
    }
}
