//! The Google and LinkedIn CSV importers on arbitrary text: never a panic.
#![no_main]

use devhub_db::transfer::{csv, ImportFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [ImportFormat::GoogleCsv, ImportFormat::LinkedInCsv] {
            let parsed = csv::parse(text, format);
            for c in &parsed.contacts {
                // Every accepted record went through the forms' parsing (the New* types
                // are built only by it); its name is never blank.
                assert!(!c.contact.name().as_str().trim().is_empty());
            }
        }
    }
});
