//! Where the initramfs (scripts/initramfs.sh) puts the guest's files.

use std::path::PathBuf;

const ROOT: &str = "/kfunc-rs";

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
