// SPDX-License-Identifier: GPL-2.0

//! Scans the guest's kernel console for signs of a kernel bug. Any of them
//! fails a run, even when every test passed.

/// Console markers of kernel bugs, as printed by the kernel's own
/// reporting code (oops, BUG(), WARN(), UBSAN, KASAN, refcount_t, lockdep).
/// kmemleak's reports are not among them: it also reports the kernel's own
/// boot-time objects, so the stress tests read it and judge the module's.
const BUG_MARKERS: &[&str] = &[
    "Oops",
    "BUG:",
    "WARNING:",
    "UBSAN",
    "KASAN",
    "refcount_t:",
    "Kernel panic",
    // lockdep's reports that are not WARNINGs
    "possible recursive locking detected",
    "inconsistent lock state",
    "suspicious RCU usage",
];

/// Returns the console lines that show a kernel bug.
pub fn bug_lines(console: &str) -> Vec<&str> {
    console
        .lines()
        .filter(|l| BUG_MARKERS.iter().any(|m| l.contains(m)))
        .collect()
}

/// The last `n` lines of the console.
pub fn tail(console: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = console.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_warnings_and_oopses() {
        let c = "[ 1.0] ok\n[ 2.0] WARNING: CPU: 0 PID: 1 at kernel/bpf/btf.c:1\n\
                 [ 3.0] Oops: general protection fault\n[ 4.0] refcount_t: underflow\n";
        assert_eq!(bug_lines(c).len(), 3);
    }

    #[test]
    fn clean_console_has_no_bugs() {
        assert!(
            bug_lines("[ 0.0] Linux version 7.3.4\n[ 1.0] Run /init as init process\n").is_empty()
        );
    }

    #[test]
    fn tail_takes_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), vec!["b", "c"]);
        assert_eq!(tail("a\n", 5), vec!["a"]);
    }
}
