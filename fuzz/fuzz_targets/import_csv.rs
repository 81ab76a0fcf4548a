//! The Google and LinkedIn CSV importers on arbitrary text: never a panic.
#![no_main]

use devhub_db::transfer::{csv, ImportFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [ImportFormat::GoogleCsv, ImportFormat::LinkedInCsv] {
            let parsed = csv::parse(text, format);
            for c in &parsed.contacts {
                assert!(c.contact.validate().is_ok());
                assert!(c.background.validate().is_ok());
                assert!(c.info.validate().is_ok());
            }
        }
    }
});
