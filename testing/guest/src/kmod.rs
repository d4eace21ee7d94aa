// SPDX-License-Identifier: GPL-2.0

//! Loading and unloading kernel modules in the guest (busybox insmod and
//! rmmod).

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn run(cmd: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .with_context(|| format!("running {cmd}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("{cmd} {}: {}", args.join(" "), text.trim());
    }
    Ok(text)
}

/// Loads the module at `path`.
pub fn insmod(path: &Path) -> Result<()> {
    run(
        "insmod",
        &[path.to_str().context("module path is not UTF-8")?],
    )
    .map(drop)
}

/// Unloads module `name` once.
pub fn rmmod(name: &str) -> Result<()> {
    run("rmmod", &[name]).map(drop)
}

/// Unloads module `name`, retrying for up to `patience` while it is still
/// in use (BPF programs are freed asynchronously after their last fd).
pub fn rmmod_patiently(name: &str, patience: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        match rmmod(name) {
            Ok(()) => return Ok(()),
            Err(e) if start.elapsed() > patience => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Whether module `name` is loaded.
pub fn is_loaded(name: &str) -> bool {
    Path::new("/sys/module").join(name).exists()
}

/// The reference count of module `name` (`/sys/module/<name>/refcnt`):
/// the programs and other modules that hold it; `None` when it is not
/// loaded.
pub fn refcnt(name: &str) -> Option<u64> {
    std::fs::read_to_string(Path::new("/sys/module").join(name).join("refcnt"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The kernel log (dmesg).
pub fn dmesg() -> Result<String> {
    run("dmesg", &[])
}
