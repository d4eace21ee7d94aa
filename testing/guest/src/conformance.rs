// SPDX-License-Identifier: GPL-2.0

//! Upstream conformance: the kernel's own BPF selftest programs,
//! unchanged, against the C bpf_testmod and against its Rust port.
//!
//! The cases come from the data files of testing/conformance/<series>/ of
//! the target kernel (copied into the initramfs):
//! - `.cases` files: the cases of program files that upstream drives from
//!   a hand-written prog_tests/*.c, as steps (open, set globals, load,
//!   attach, trigger, run, check globals, ...; [`cases`] parses them,
//!   [`scenario`] runs them);
//! - `.list` files: one object per line, a program file upstream runs with
//!   `RUN_TESTS()`, whose annotations (`__success`, `__msg`, ...) state the
//!   expectations; [`crate::test_loader`] reads them from the object and
//!   makes each of upstream's subtests a case.
//!
//! Every case runs against each module in turn (they export the same
//! kfunc names, so only one can be loaded at a time), and a case passes
//! when both modules meet upstream's expectation with the same observable
//! result. What of upstream's files is not run, and why, is in
//! testing/conformance/<series>/EXCLUDED (a host test checks that nothing
//! in 7.3's runs).

mod cases;
pub mod scenario;

pub use cases::{parse_cases, Case};

use crate::kmod;
use crate::ktap::Test;
use crate::paths;
use crate::test_loader::{self, Driver, Env, Outcome, Subtest};
use anyhow::{bail, ensure, Result};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The modules compared: column title and module name.
pub const MODULES: [(&str, &str); 2] = [("C", "bpf_testmod"), ("Rust", "bpf_testmod_rs")];

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
            Row::Case(c) => c.name.clone(),
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
            Row::Case(c) => c
                .steps
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            Row::Loader(t) => t.expectation(),
        }
    }

    /// What the row gives against the loaded module.
    fn run(&self) -> Result<Outcome> {
        match self {
            Row::Case(c) => Ok(scenario::run(c)),
            Row::Loader(t) => Ok(t.run()),
        }
    }
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
    let started = std::time::Instant::now();
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
    println!(
        "conformance: {} cases against {} modules in {:.1} s",
        rows.len(),
        MODULES.len(),
        started.elapsed().as_secs_f64()
    );

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

    /// The shipped `.cases` files, by name, and how many cases each has
    /// (upstream's subtests and checks they stand for).
    const CASE_FILES: [(&str, &str, usize); 10] = [
        (
            "kfunc_call.cases",
            include_str!("../../conformance/7.3/kfunc_call.cases"),
            25,
        ),
        (
            "cb_refs.cases",
            include_str!("../../conformance/7.3/cb_refs.cases"),
            4,
        ),
        (
            "jit_probe_mem.cases",
            include_str!("../../conformance/7.3/jit_probe_mem.cases"),
            1,
        ),
        (
            "missed.cases",
            include_str!("../../conformance/7.3/missed.cases"),
            0,
        ),
        (
            "ksyms.cases",
            include_str!("../../conformance/7.3/ksyms.cases"),
            2,
        ),
        (
            "iters.cases",
            include_str!("../../conformance/7.3/iters.cases"),
            1,
        ),
        (
            "wq.cases",
            include_str!("../../conformance/7.3/wq.cases"),
            2,
        ),
        (
            "task_kfunc.cases",
            include_str!("../../conformance/7.3/task_kfunc.cases"),
            22,
        ),
        (
            "map_kptr.cases",
            include_str!("../../conformance/7.3/map_kptr.cases"),
            5,
        ),
        (
            "map_kptr_race.cases",
            include_str!("../../conformance/7.3/map_kptr_race.cases"),
            3,
        ),
    ];

    const LIST: &str = include_str!("../../conformance/7.3/test_loader.list");
    const EXCLUDED: &str = include_str!("../../conformance/7.3/EXCLUDED");

    fn shipped_cases() -> Vec<Case> {
        let mut all: Vec<Case> = Vec::new();
        for (file, text, count) in CASE_FILES {
            let cases = parse_cases(text).unwrap_or_else(|e| panic!("{file}: {e:#}"));
            assert_eq!(cases.len(), count, "{file}");
            for c in &cases {
                assert!(
                    !all.iter().any(|a| a.object == c.object && a.name == c.name),
                    "{file}: {}/{} is in two files",
                    c.object,
                    c.name
                );
            }
            all.extend(cases);
        }
        all
    }

    #[test]
    fn the_shipped_cases_parse() {
        assert_eq!(shipped_cases().len(), 65);
    }

    #[test]
    fn every_case_file_is_shipped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/7.3");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".cases"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = CASE_FILES.iter().map(|f| f.0.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "CASE_FILES must name every .cases file");
    }

    /// The entries of EXCLUDED: `<file>[/<subtest>]` and the reason.
    fn excluded() -> Vec<(String, String)> {
        EXCLUDED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (what, why) = l.split_once(": ").unwrap_or_else(|| panic!("{l}"));
                (what.to_string(), why.trim().to_string())
            })
            .collect()
    }

    #[test]
    fn nothing_excluded_is_run() {
        let cases = shipped_cases();
        let listed: Vec<String> = parse_list(LIST).unwrap().into_iter().map(|l| l.0).collect();
        let entries = excluded();
        assert!(entries.len() > 20);
        for (what, why) in entries {
            assert!(!why.is_empty(), "{what}: no reason");
            let (file, sub) = what
                .split_once('/')
                .map_or((what.as_str(), None), |(f, s)| (f, Some(s)));
            assert!(
                cases::is_ident(file) && sub.is_none_or(|s| !s.is_empty()),
                "{what} is not <file>[/<subtest>]"
            );
            match sub {
                None => {
                    assert!(
                        !listed.iter().any(|l| l == file),
                        "{file} is excluded and listed"
                    );
                    assert!(
                        !cases.iter().any(|c| c.object == file
                            || c.steps.iter().any(|l| l.text == format!("open {file}"))),
                        "{file} is excluded and has cases"
                    );
                }
                Some(s) => assert!(
                    !cases.iter().any(|c| c.object == file && c.name == s),
                    "{what} is excluded and a case"
                ),
            }
        }
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
        let text = include_str!("../../conformance/7.3/test_loader.list");
        parse_list(text).unwrap();
    }
}
