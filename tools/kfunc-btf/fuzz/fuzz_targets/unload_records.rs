// SPDX-License-Identifier: GPL-2.0

//! `kfunc-btf unload-records` on any bytes: the flag cleared in place, or
//! an error, never a panic nor a write outside the file.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut copy = data.to_vec();
    if let Ok(changed) = kfunc_btf::module::unload_records_in(&mut copy) {
        assert_eq!(copy.len(), data.len());
        assert_eq!(changed, copy != data);
    }
});
