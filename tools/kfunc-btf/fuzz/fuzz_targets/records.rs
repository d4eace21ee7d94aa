// SPDX-License-Identifier: GPL-2.0

//! The signature-record parser: any bytes as a `.kfunc_rs.btf` section
//! give records or an error, never a panic.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(records) = kfunc_btf::record::parse(data) {
        // What `kfunc-btf dump` prints of them.
        for k in &records.kfuncs {
            let _ = k.to_string();
        }
    }
});
