//! CSV import in the two layouts people have: Google Contacts' export (both the current
//! "First Name, …, E-mail 1 - Value" header and the older "Given Name, …, Organization 1 -
//! Name" one) and LinkedIn's `Connections.csv` (a few lines of notes, then "First Name, Last
//! Name, URL, Email Address, Company, Position, Connected On"). The layout is recognised from
//! the header; the `csv` crate reads the records (quotes, embedded line breaks).
//!
//! The export ([`super::export`]) writes Google's current layout, so a CSV export imports back.
//!
//! Cells a spreadsheet would run as a formula are written with a leading `'` ([`neutralise`],
//! as OWASP recommends against CSV injection), and the import takes that `'` off again
//! ([`restore`]), so our own export imports back to the same values.

use chrono::NaiveDate;

use super::YEARLESS_BIRTHDAY_YEAR;
use super::{ImportFormat, ParsedImport, RecordBuilder, RecordError};

/// The characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
/// return, that hide such a start from a naive check): OWASP's list.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `value`, after any leading `'`s, starts like a formula. The quotes count so that a
/// value of the user's own that starts with `'=` gets a quote too, and [`restore`] can tell it
/// from one the export added.
fn starts_a_formula(value: &str) -> bool {
    value.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// `value` as a CSV cell that no spreadsheet runs: one that starts like a formula (or like a
/// neutralised one) gets a leading `'`, which spreadsheets show as text. The export also
/// quotes every cell.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    if starts_a_formula(value) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// The value [`neutralise`] was given: the `'` comes off only where it was added, before a
/// formula's start (or a neutralised one); any other leading `'` is the value's own.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_a_formula(rest) => rest,
        _ => cell,
    }
}

/// How many lines of notes may come before LinkedIn's header.
const MAX_PREAMBLE_LINES: usize = 20;

const LINKEDIN_HEADER: &str = "first name,last name,url,email address";

/// The CSV layout of a decoded file, from its header; `None` when it is neither.
pub fn detect(text: &str) -> Option<ImportFormat> {
    if linkedin_header_line(text).is_some() {
        return Some(ImportFormat::LinkedInCsv);
    }
    let first = text.lines().next()?.to_ascii_lowercase();
    let google = (first.contains("first name") || first.contains("given name"))
        && (first.contains("e-mail 1 - value")
            || first.contains("phone 1 - value")
            || first.contains("last name")
            || first.contains("family name"));
    google.then_some(ImportFormat::GoogleCsv)
}

/// The 0-based index of LinkedIn's header line, after its notes.
fn linkedin_header_line(text: &str) -> Option<usize> {
    text.lines().take(MAX_PREAMBLE_LINES).position(|l| {
        l.trim_start_matches('\u{feff}')
            .to_ascii_lowercase()
            .starts_with(LINKEDIN_HEADER)
    })
}

/// Reads the records of a file in `format` (one of the CSV layouts).
pub fn parse(text: &str, format: ImportFormat) -> ParsedImport {
    let skip = match format {
        ImportFormat::LinkedInCsv => linkedin_header_line(text).unwrap_or(0),
        _ => 0,
    };
    let body = text.split_inclusive('\n').skip(skip).collect::<String>();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let mut contacts = Vec::new();
    let mut errors = Vec::new();
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => {
            errors.push(RecordError {
                line: skip + 1,
                reason: format!("the header cannot be read: {e}"),
            });
            return ParsedImport {
                format,
                contacts,
                errors,
            };
        }
    };
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize) + skip;
                errors.push(RecordError {
                    line,
                    reason: format!("the line cannot be read as CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize) + skip;
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let record: csv::StringRecord = record.iter().map(restore).collect();
        let fields = Fields {
            headers: &headers,
            record: &record,
        };
        let builder = match format {
            ImportFormat::LinkedInCsv => linkedin(&fields),
            _ => google(&fields),
        };
        match builder.finish(line) {
            Ok(c) => contacts.push(c),
            Err(e) => errors.push(e),
        }
    }
    ParsedImport {
        format,
        contacts,
        errors,
    }
}

/// One record's fields by (lowercased) column name.
struct Fields<'a> {
    headers: &'a [String],
    record: &'a csv::StringRecord,
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }
}

fn full_name(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn linkedin(f: &Fields) -> RecordBuilder {
    let field = |name: &str| f.get(name);
    let mut r = RecordBuilder::default();
    r.set_name(&full_name(&[field("first name"), field("last name")]));
    r.link(field("url"));
    r.email(field("email address"));
    r.set_company(field("company"));
    r.set_title(field("position"));
    let connected = field("connected on");
    if !connected.is_empty() {
        r.note(&format!("Connected on LinkedIn: {connected}"));
    }
    r
}

fn google(f: &Fields) -> RecordBuilder {
    let field = |name: &str| f.get(name);
    let (headers, record) = (f.headers, f.record);
    let mut r = RecordBuilder::default();
    let first = |names: &[&str]| -> String {
        names
            .iter()
            .map(|n| field(n))
            .find(|v| !v.is_empty())
            .unwrap_or("")
            .to_string()
    };
    let given = first(&["first name", "given name"]);
    let middle = first(&["middle name", "additional name"]);
    let family = first(&["last name", "family name"]);
    let prefix = first(&["name prefix"]);
    let suffix = first(&["name suffix"]);
    let name = first(&["name"]);
    if name.is_empty() {
        r.set_name(&full_name(&[&prefix, &given, &middle, &family, &suffix]));
    } else {
        r.set_name(&name);
    }
    r.set_company(&first(&["organization name", "organization 1 - name"]));
    r.set_title(&first(&["organization title", "organization 1 - title"]));
    r.birthday = birthday(field("birthday"));
    r.contact_note(field("notes"));
    // Our own export's column of the background's notes.
    r.note(field("background notes"));
    for label in first(&["labels", "group membership"]).split(":::") {
        let tag = label.trim().trim_start_matches("* ").trim();
        if !tag.is_empty() && !tag.eq_ignore_ascii_case("myContacts") {
            r.tags.push(tag.to_string());
        }
    }
    // Numbered columns: "E-mail 1 - Value", "Phone 2 - Value", "Address 1 - Formatted" …; a
    // value may hold several entries joined by " ::: ".
    for (i, h) in headers.iter().enumerate() {
        let value = record.get(i).unwrap_or("");
        if value.is_empty() {
            continue;
        }
        let entries = value.split(":::").map(str::trim);
        // "E-mail 2 - Label" names the entries of "E-mail 2 - Value" (Google writes "* Other"
        // or "Mobile"; the `* ` marks the primary one).
        let label = || {
            let column = h.replace(" - value", " - label");
            let label = f.get(&column).trim().trim_start_matches("* ").trim();
            (!label.is_empty()).then(|| label.to_string())
        };
        if h.starts_with("e-mail ") && h.ends_with(" - value") {
            entries.for_each(|e| r.labeled_email(e, label()));
        } else if h.starts_with("phone ") && h.ends_with(" - value") {
            entries.for_each(|p| r.labeled_phone(p, label()));
        } else if h.starts_with("website ") && h.ends_with(" - value") {
            entries.for_each(|l| r.link(l));
        } else if h.starts_with("address ") && h.ends_with(" - formatted") {
            r.set_location(&value.replace(['\r', '\n'], ", ").replace(", , ", ", "));
        }
    }
    if r.location.is_none() {
        let parts = [
            first(&["address 1 - city"]),
            first(&["address 1 - country"]),
        ];
        let parts: Vec<&str> = parts
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        r.set_location(&parts.join(", "));
    }
    let text = |name: &str| Some(field(name).to_string()).filter(|s| !s.is_empty());
    r.relationship = text("relationship 1 - value");
    // The columns our own export adds after Google's.
    r.industry = text("industry");
    r.family = text("family");
    r.likes_dislikes = text("likes and dislikes");
    r.main_app = text("main app");
    r.vip = field("vip") == "1";
    r.archived = field("status").eq_ignore_ascii_case("archived");
    r
}

/// Google writes `1990-04-15`, or `--04-15` without a year.
fn birthday(value: &str) -> Option<NaiveDate> {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix("--") {
        let mut it = rest.split('-');
        let month = it.next()?.parse().ok()?;
        let day = it.next()?.parse().ok()?;
        return NaiveDate::from_ymd_opt(YEARLESS_BIRTHDAY_YEAR, month, day);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_recognised_from_the_header() {
        let linkedin = "Notes:\n\"When exporting your connection data, you may notice...\"\n\n\
                        First Name,Last Name,URL,Email Address,Company,Position,Connected On\n";
        assert_eq!(detect(linkedin), Some(ImportFormat::LinkedInCsv));
        assert_eq!(
            detect("First Name,Middle Name,Last Name,E-mail 1 - Label,E-mail 1 - Value\n"),
            Some(ImportFormat::GoogleCsv)
        );
        assert_eq!(
            detect("Name,Given Name,Additional Name,Family Name\n"),
            Some(ImportFormat::GoogleCsv)
        );
        assert_eq!(detect("id,amount,date\n1,2,3\n"), None);
    }

    #[test]
    fn cells_that_start_like_a_formula_get_a_quote_that_the_import_takes_off() {
        for value in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1 555 0100",
            "-2+3",
            "@SUM(A1)",
            "\t=1+1",
            "\r=1+1",
        ] {
            let cell = neutralise(value);
            assert_eq!(cell, format!("'{value}"));
            assert_eq!(restore(&cell), value);
        }
        // A value of the user's own that looks neutralised keeps its quote through the trip.
        assert_eq!(neutralise("'=1+1"), "''=1+1");
        assert_eq!(restore("''=1+1"), "'=1+1");
        for value in ["Ada Lovelace", "'quoted' on purpose", "'", "", "a=b", " =1"] {
            assert_eq!(neutralise(value), value);
            assert_eq!(restore(value), value, "a value's own quote stays");
        }
    }
}
