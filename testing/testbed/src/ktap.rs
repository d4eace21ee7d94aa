// SPDX-License-Identifier: GPL-2.0

//! A reader for KTAP, the kernel's test output format
//! (Documentation/dev-tools/ktap.rst), as the guest prints it.
//!
//! Only what the guest prints is accepted: one version line, one plan and
//! one flat list of results. A `# SKIP` directive is a failure: in kfunc-rs
//! a test that cannot run has failed.

use std::fmt;

/// The outcome of one test line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `ok N name`
    Pass,
    /// `not ok N name [# reason]`
    Fail(String),
    /// `ok N name # SKIP reason` (counted as a failure).
    Skip(String),
}

/// One test result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The test's number in the plan.
    pub number: usize,
    /// The test's name.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// `# ` diagnostic lines printed before the result line.
    pub diagnostics: Vec<String>,
}

impl TestResult {
    /// Whether the test passed (a skip did not).
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }
}

/// A parsed KTAP report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// The planned number of tests, if a plan was seen.
    pub plan: Option<usize>,
    /// The results in the order they were printed.
    pub results: Vec<TestResult>,
    /// Problems with the report itself (missing results, bad numbering).
    pub problems: Vec<String>,
}

impl Report {
    /// Number of passed tests.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    /// Number of failed tests, counting skips and tests planned but never
    /// reported as failures.
    pub fn failed(&self) -> usize {
        let reported = self.results.len();
        let missing = self.plan.map_or(0, |p| p.saturating_sub(reported));
        reported - self.passed() + missing + usize::from(self.plan.is_none())
    }

    /// Whether everything planned ran and passed.
    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.problems.is_empty()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => write!(f, "PASS"),
            Outcome::Fail(why) if why.is_empty() => write!(f, "FAIL"),
            Outcome::Fail(why) => write!(f, "FAIL ({why})"),
            Outcome::Skip(why) => write!(f, "FAIL (skipped: {why})"),
        }
    }
}

/// Parses the KTAP text the guest printed. Lines that are not KTAP (a
/// console may interleave other output) are ignored until the version line.
pub fn parse(text: &str) -> Report {
    let mut report = Report::default();
    let mut started = false;
    let mut diagnostics = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if !started {
            started = line.starts_with("KTAP version ");
            continue;
        }
        if let Some(plan) = line.strip_prefix("1..") {
            match plan.trim().parse() {
                Ok(n) if report.plan.is_none() => report.plan = Some(n),
                Ok(_) => report.problems.push("more than one plan line".into()),
                Err(_) => report.problems.push(format!("bad plan line: {line}")),
            }
        } else if let Some(d) = line.strip_prefix('#') {
            diagnostics.push(d.trim_start().to_string());
        } else if let Some(result) = parse_result(line) {
            let (number, name, outcome) = result;
            if number != report.results.len() + 1 {
                report.problems.push(format!(
                    "test {name} has number {number}, expected {}",
                    report.results.len() + 1
                ));
            }
            report.results.push(TestResult {
                number,
                name,
                outcome,
                diagnostics: std::mem::take(&mut diagnostics),
            });
        }
    }
    if !started {
        report
            .problems
            .push("no KTAP output (no 'KTAP version' line)".into());
    }
    if let Some(plan) = report.plan {
        if report.results.len() < plan {
            report.problems.push(format!(
                "only {} of {plan} planned tests reported (the guest stopped early)",
                report.results.len()
            ));
        } else if report.results.len() > plan {
            report.problems.push(format!(
                "{} results for a plan of {plan}",
                report.results.len()
            ));
        }
    } else if started {
        report.problems.push("no plan line".into());
    }
    report
}

fn parse_result(line: &str) -> Option<(usize, String, Outcome)> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("ok ") {
        (true, r)
    } else if let Some(r) = line.strip_prefix("not ok ") {
        (false, r)
    } else {
        return None;
    };
    let (number, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let number = number.parse().ok()?;
    let (name, directive) = match rest.split_once(" # ") {
        Some((n, d)) => (n, Some(d.trim())),
        None => (rest.strip_suffix(" #").unwrap_or(rest), None),
    };
    let outcome = match (ok, directive) {
        (true, Some(d)) if d.to_ascii_uppercase().starts_with("SKIP") => {
            Outcome::Skip(d[4..].trim().to_string())
        }
        (true, _) => Outcome::Pass,
        (false, d) => Outcome::Fail(d.unwrap_or("").to_string()),
    };
    Some((number, name.trim().to_string(), outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_passes_and_failures() {
        let r =
            parse("noise\nKTAP version 1\n1..3\nok 1 a\n# why\nnot ok 2 b # bad value\nok 3 c\n");
        assert_eq!(r.plan, Some(3));
        assert_eq!((r.passed(), r.failed()), (2, 1));
        assert_eq!(r.results[1].outcome, Outcome::Fail("bad value".into()));
        assert_eq!(r.results[1].diagnostics, vec!["why".to_string()]);
        assert!(!r.ok());
    }

    #[test]
    fn skip_is_a_failure() {
        let r = parse("KTAP version 1\n1..1\nok 1 a # SKIP no bpftool\n");
        assert_eq!((r.passed(), r.failed()), (0, 1));
        assert_eq!(r.results[0].outcome, Outcome::Skip("no bpftool".into()));
    }

    #[test]
    fn missing_results_fail() {
        let r = parse("KTAP version 1\n1..4\nok 1 a\nok 2 b\n");
        assert_eq!((r.passed(), r.failed()), (2, 2));
        assert!(r.problems[0].contains("only 2 of 4"));
    }

    #[test]
    fn no_output_fails() {
        let r = parse("[    0.1] Linux version 7.3.4\n");
        assert_eq!(r.failed(), 1);
        assert!(!r.ok());
    }

    #[test]
    fn all_passing_is_ok() {
        let r = parse("KTAP version 1\r\n1..2\r\nok 1 a\r\nok 2 b\r\n");
        assert!(r.ok());
        assert_eq!(r.results[1].name, "b");
    }

    #[test]
    fn bad_numbering_is_a_problem() {
        let r = parse("KTAP version 1\n1..2\nok 1 a\nok 3 b\n");
        assert!(!r.ok());
    }
}
