// SPDX-License-Identifier: GPL-2.0

//! Where the initramfs (scripts/initramfs.sh) puts the guest's files.

use std::path::PathBuf;

const ROOT: &str = "/kfunc-rs";

/// The directory of the initramfs's modules.
pub fn module_dir() -> PathBuf {
    PathBuf::from(format!("{ROOT}/modules"))
}

/// The directory of the initramfs's BPF objects.
pub fn bpf_dir() -> PathBuf {
    PathBuf::from(format!("{ROOT}/bpf"))
}

/// A module of the initramfs, by name.
pub fn module(name: &str) -> PathBuf {
    PathBuf::from(format!("{ROOT}/modules/{name}.ko"))
}

/// A BPF object of the initramfs, by file name.
pub fn bpf_obj(name: &str) -> PathBuf {
    PathBuf::from(format!("{ROOT}/bpf/{name}"))
}

/// The kernel tree's bpftool.
pub fn bpftool() -> PathBuf {
    PathBuf::from(format!("{ROOT}/bin/bpftool"))
}

/// The data files of the initramfs whose names end in `suffix`.
pub fn data_files(suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(format!("{ROOT}/data"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.to_string_lossy().ends_with(suffix));
    files.sort();
    files
}
