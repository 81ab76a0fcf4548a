//! The whole upload path on arbitrary bytes (encoding checks, format detection, the
//! importers): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = devhub_db::transfer::parse_upload(data);
});
