// SPDX-License-Identifier: GPL-2.0

//! Prints test results in KTAP (Documentation/dev-tools/ktap.rst), which
//! the host's testbed reads back.

use anyhow::Result;

/// One test: a name and the code that runs it.
pub struct Test<'a> {
    /// The name printed on the result line.
    pub name: String,
    /// Runs the test; an error is the failure's reason.
    pub run: Box<dyn FnOnce() -> Result<()> + 'a>,
}

impl<'a> Test<'a> {
    /// A test named `name` running `run`.
    pub fn new(name: impl Into<String>, run: impl FnOnce() -> Result<()> + 'a) -> Self {
        Self {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// Runs `tests` in order, printing the plan and one result line each.
/// Returns the number of failures.
pub fn run(tests: Vec<Test<'_>>) -> usize {
    println!("KTAP version 1");
    println!("1..{}", tests.len());
    let mut failed = 0;
    for (i, t) in tests.into_iter().enumerate() {
        let n = i + 1;
        match (t.run)() {
            Ok(()) => println!("ok {n} {}", t.name),
            Err(e) => {
                failed += 1;
                for line in format!("{e:#}").lines() {
                    println!("# {line}");
                }
                let reason = format!("{e}").lines().next().unwrap_or("").to_string();
                println!("not ok {n} {} # {reason}", t.name);
            }
        }
    }
    failed
}
