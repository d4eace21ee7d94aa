// SPDX-License-Identifier: GPL-2.0

//! The signature-record parser: any bytes as a `.kfunc_rs.btf` section
//! give records or an error, never a panic.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Each kfunc named after its place, as a module's symbols would name it.
    let names = |list: &str, at: u32| Ok(format!("{list}_{at}"));
    if let Ok(records) = kfunc_btf::record::parse(data, &names) {
        // What `kfunc-btf dump` prints of them.
        for k in &records.kfuncs {
            let _ = k.to_string();
        }
    }
});
