// SPDX-License-Identifier: GPL-2.0

//! The signature record format of the kernel crate `kfunc`, compiled for
//! the host: rust/record.rs is the one definition, which the kernel crate
//! writes records with and `kfunc-btf` reads them with. Its examples run
//! here, as host doctests (`cargo test -p kfunc-record`).

#[path = "../../../rust/record.rs"]
pub mod record;
