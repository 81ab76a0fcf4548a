//! The vCard importer on arbitrary text: it may refuse the file or records, never panic.
#![no_main]

use devhub_db::transfer::vcard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parsed) = vcard::parse(text) {
            // Every record the importer accepts passes the rules the database writes obey.
            for c in &parsed.contacts {
                // Every accepted record went through the forms' parsing (the New* types
                // are built only by it); its name is never blank.
                assert!(!c.contact.name().as_str().trim().is_empty());
            }
        }
    }
});
