// SPDX-License-Identifier: GPL-2.0

//! The module reader: any bytes as a `.ko` give its records, kfunc sets
//! and variables, or an error, never a panic.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(module) = kfunc_btf::module::Module::parse(data) {
        // What `kfunc-btf sets` prints of them.
        for set in &module.sets {
            let _ = set.to_string();
        }
    }
});
