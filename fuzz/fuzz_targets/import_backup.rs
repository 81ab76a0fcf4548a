//! The JSON backup reader on arbitrary text: never a panic.
#![no_main]

use devhub_db::transfer::backup;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = backup::parse(text);
    }
});
