//! Getting data in and out: vCard and CSV import and export, and the JSON backup of a whole
//! account.
//!
//! An import is two steps. [`parse_upload`] reads a file into [`ImportedContact`]s (and the
//! records it could not read, each with its line and reason) without touching the database;
//! [`plan::preview`] compares them with the user's contacts (which look like duplicates) and
//! [`plan::apply`] writes them, all in one transaction. Both steps take the same bytes, so the
//! preview shows exactly what the import will do.

pub mod backup;
pub mod csv;
pub mod export;
pub mod plan;
pub mod vcard;

use chrono::NaiveDate;

use crate::repo::background::{BackgroundInput, NewBackground};
use crate::repo::contact::{ContactInput, NewContact};
use crate::repo::contact_detail::{ContactDetailsInput, Labeled, NewContactDetails, MAX_PER_KIND};
use crate::validate::MAX_LONG_TEXT;

/// The largest file an import accepts: 5,000 cards with small photos fit comfortably.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

/// The year stored for a birthday without one (`--0415` in vCard 4.0, Apple's
/// `X-APPLE-OMIT-YEAR`): the contact table keeps a full date, and 1904 is the first leap year
/// the birthday rules accept, so 29 February survives. Exports write such a birthday back
/// without a year.
pub const YEARLESS_BIRTHDAY_YEAR: i32 = 1904;

/// Whether a stored birthday was given without its year ([`YEARLESS_BIRTHDAY_YEAR`]): such a
/// birthday is shown as a day of the year, with no age, and exported without a year.
pub fn birthday_without_year(date: NaiveDate) -> bool {
    chrono::Datelike::year(&date) == YEARLESS_BIRTHDAY_YEAR
}

/// The formats an upload can be in, recognised from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Vcard,
    GoogleCsv,
    LinkedInCsv,
    /// Our own JSON backup ([`backup`]): restored into an empty account only.
    Backup,
}

impl ImportFormat {
    pub fn label(self) -> &'static str {
        match self {
            ImportFormat::Vcard => "vCard",
            ImportFormat::GoogleCsv => "Google Contacts CSV",
            ImportFormat::LinkedInCsv => "LinkedIn connections CSV",
            ImportFormat::Backup => "Developer Hub backup (JSON)",
        }
    }
}

/// One contact read from a file, in the terms of our tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedContact {
    /// The line of the file where the record starts (1-based).
    pub line: usize,
    pub contact: NewContact,
    /// Company, notes and the details that have no column of their own.
    pub background: NewBackground,
    /// Every e-mail and phone with its label (the first of each in `contact_info`), the
    /// profile links.
    pub details: NewContactDetails,
    /// Tag names (vCard `CATEGORIES`).
    pub tags: Vec<String>,
    /// Every e-mail of the record, lowercased: what duplicates are recognised by.
    pub emails: Vec<String>,
    /// The person's photo (vCard `PHOTO`, inline), when it is one we keep.
    pub photo: Option<Vec<u8>>,
}

/// A record that could not be read: where it starts and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub line: usize,
    pub reason: String,
}

/// What a file holds: the readable records and the unreadable ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedImport {
    pub format: ImportFormat,
    pub contacts: Vec<ImportedContact>,
    pub errors: Vec<RecordError>,
}

/// Why a whole file is refused (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than the limit of {} MB", MAX_IMPORT_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("the file is not UTF-8 text (line {line}); save it as UTF-8 and try again")]
    NotUtf8 { line: usize },
    #[error("the file is UTF-16 text; save it as UTF-8 and try again")]
    Utf16,
    #[error("the file is not text (binary data on line {line})")]
    Binary { line: usize },
    #[error("the file ends inside the card that starts on line {line}: it is truncated")]
    Truncated { line: usize },
    #[error("the file is neither a vCard file, a Google Contacts or LinkedIn CSV nor a Developer Hub backup")]
    UnknownFormat,
    #[error("the backup cannot be read: {0}")]
    Backup(String),
}

/// Checks the bytes of an upload (size, encoding, binary data) and reads them as text.
pub fn decode_text(bytes: &[u8]) -> Result<&str, FileError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(FileError::TooLarge);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        line: line_of(bytes, e.valid_up_to()),
    })?;
    // Control characters other than tab and line ends are binary junk, not text.
    if let Some(at) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .map(|(i, _)| i)
    {
        return Err(FileError::Binary {
            line: line_of(bytes, at),
        });
    }
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    Ok(text)
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The format of a decoded upload, from its first line.
pub fn detect_format(text: &str) -> Result<ImportFormat, FileError> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.to_ascii_uppercase().starts_with("BEGIN:VCARD") {
        return Ok(ImportFormat::Vcard);
    }
    if first.starts_with('{') {
        return Ok(ImportFormat::Backup);
    }
    csv::detect(text).ok_or(FileError::UnknownFormat)
}

/// Reads a vCard or CSV upload into contacts, without touching the database. A backup is
/// read by [`backup::parse`] instead.
pub fn parse_upload(bytes: &[u8]) -> Result<ParsedImport, FileError> {
    let text = decode_text(bytes)?;
    match detect_format(text)? {
        ImportFormat::Vcard => vcard::parse(text),
        ImportFormat::GoogleCsv => Ok(csv::parse(text, ImportFormat::GoogleCsv)),
        ImportFormat::LinkedInCsv => Ok(csv::parse(text, ImportFormat::LinkedInCsv)),
        ImportFormat::Backup => Err(FileError::UnknownFormat),
    }
}

/// What an import found in a file and, unless it was a dry run, did.
#[derive(Debug)]
pub enum Imported {
    /// Our own backup, restored into an empty account (`None`: a dry run, checked only).
    Backup {
        backup: backup::Backup,
        restored: Option<backup::Restored>,
    },
    /// Contacts from vCard or CSV: what they are (new, duplicates, unreadable) and what was
    /// written (`None`: a dry run).
    Contacts {
        preview: plan::Preview,
        summary: Option<plan::ImportSummary>,
    },
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read at all.
    #[error(transparent)]
    File(#[from] FileError),
    /// A validation error (a backup record that breaks a rule, an account that is not empty
    /// for a restore), or the database's.
    #[error(transparent)]
    Database(#[from] crate::Error),
}

/// The one import, for the web pages and the CLI alike: reads `bytes` (vCard, Google or
/// LinkedIn CSV, or our backup), and unless `dry_run`, writes them into the account of
/// `user` in one unit of work, duplicates handled by `policy`. A dry run runs every check the
/// import would and writes nothing.
pub async fn import(
    db: &crate::Db,
    user: &crate::UserId,
    bytes: &[u8],
    policy: plan::DuplicatePolicy,
    dry_run: bool,
) -> Result<Imported, ImportError> {
    let text = decode_text(bytes)?;
    if detect_format(text)? == ImportFormat::Backup {
        let backup = backup::parse(text)?;
        let restored = if dry_run {
            backup::check(db, user, &backup).await?;
            None
        } else {
            Some(backup::restore(db, user, &backup).await?)
        };
        return Ok(Imported::Backup { backup, restored });
    }
    let parsed = parse_upload(bytes)?;
    let preview = plan::preview(db, user, parsed.clone()).await?;
    let summary = if dry_run {
        None
    } else {
        Some(plan::apply(db, user, parsed, policy).await?)
    };
    Ok(Imported::Contacts { preview, summary })
}

/// Collects the fields of one record, then checks them against the same rules as the forms.
#[derive(Debug, Default)]
pub(crate) struct RecordBuilder {
    pub name: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub industry: Option<String>,
    pub relationship: Option<String>,
    pub location: Option<String>,
    pub emails: Vec<Labeled>,
    pub phones: Vec<Labeled>,
    pub links: Vec<String>,
    /// Notes about the person (vCard `NOTE`, Google's "Notes"): the contact's notes.
    pub contact_notes: Vec<String>,
    /// What has no field of its own (a title, other e-mails …): the background's notes.
    pub notes: Vec<String>,
    pub family: Option<String>,
    pub likes_dislikes: Option<String>,
    pub main_app: Option<String>,
    pub tags: Vec<String>,
    pub vip: bool,
    pub archived: bool,
    pub photo: Option<Vec<u8>>,
}

fn clean(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn set_once(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = clean(value);
    }
}

impl RecordBuilder {
    pub fn email(&mut self, raw: &str) {
        self.labeled_email(raw, None);
    }

    /// An e-mail address with its label (work, home …), when the file gives one.
    pub fn labeled_email(&mut self, raw: &str, label: Option<String>) {
        let e = raw.trim().trim_start_matches("mailto:").trim();
        if !e.is_empty() && !self.emails.iter().any(|x| x.value.eq_ignore_ascii_case(e)) {
            self.emails.push(labeled(e, label));
        }
    }

    /// A phone number with its label (mobile, work …), when the file gives one.
    pub fn labeled_phone(&mut self, raw: &str, label: Option<String>) {
        let p = raw.trim().trim_start_matches("tel:").trim();
        if !p.is_empty() && !self.phones.iter().any(|x| x.value == p) {
            self.phones.push(labeled(p, label));
        }
    }

    /// A profile or web link; `github.com/ada` is taken as `https://github.com/ada`, as the
    /// link form and the API take it ([`crate::validate::web_address`]).
    pub fn link(&mut self, raw: &str) {
        let l = raw.trim();
        if l.is_empty() {
            return;
        }
        let l = match crate::validate::web_address(l) {
            Ok(address) => address,
            // An http(s) address that breaks a rule goes to the notes as a link (`finish`).
            Err(_) if l.starts_with("http://") || l.starts_with("https://") => l.to_string(),
            Err(_) => {
                self.notes.push(format!("Profile: {l}"));
                return;
            }
        };
        if !self.links.contains(&l) {
            self.links.push(l);
        }
    }

    /// A note for the background's notes (details without a field of their own).
    pub fn note(&mut self, raw: &str) {
        if let Some(n) = clean(raw) {
            self.notes.push(n);
        }
    }

    /// A note about the person: the contact's notes.
    pub fn contact_note(&mut self, raw: &str) {
        if let Some(n) = clean(raw) {
            self.contact_notes.push(n);
        }
    }

    pub fn set_name(&mut self, v: &str) {
        set_once(&mut self.name, v);
    }
    pub fn set_company(&mut self, v: &str) {
        set_once(&mut self.company, v);
    }
    pub fn set_title(&mut self, v: &str) {
        set_once(&mut self.title, v);
    }
    pub fn set_location(&mut self, v: &str) {
        set_once(&mut self.location, v);
    }

    /// The record in our terms, or why it cannot be imported.
    pub fn finish(mut self, line: usize) -> Result<ImportedContact, RecordError> {
        let fail = |reason: String| RecordError { line, reason };
        let name = self
            .name
            .take()
            .or_else(|| self.company.clone())
            .or_else(|| self.emails.first().map(|e| e.value.clone()))
            .ok_or_else(|| fail("the record has no name".into()))?;

        // Details without a column of their own go into the notes, so nothing is dropped.
        let mut extra = Vec::new();
        if let Some(title) = &self.title {
            extra.push(format!("Title: {title}"));
        }
        // The e-mails and phones our rules accept become contact details (up to the limit);
        // the others are kept in the notes.
        let (emails, others) = usable(&self.emails, |v| crate::validate::email(v).is_ok());
        if !others.is_empty() {
            extra.push(format!("Other e-mails: {}", others.join(", ")));
        }
        let (phones, others) = usable(&self.phones, |v| crate::validate::phone(v).is_ok());
        if !others.is_empty() {
            extra.push(format!("Other phones: {}", others.join(", ")));
        }
        let mut links = Vec::new();
        for l in self.links {
            if links.len() < crate::validate::MAX_SOCIAL_LINKS && crate::validate::url(&l).is_ok() {
                links.push(l);
            } else {
                extra.push(format!("Link: {l}"));
            }
        }
        let mut notes = self.notes;
        notes.extend(extra);
        let misc_notes = at_most_long_text(notes.join("\n\n"));
        let contact_notes = at_most_long_text(self.contact_notes.join("\n\n"));

        let birthday = self
            .birthday
            .filter(|b| crate::validate::birthday(*b).is_ok());
        // The same parsing as every form and API call: nothing reaches the database unchecked.
        let why = |e: crate::Error| {
            fail(match e {
                crate::Error::Validation(v) => v.to_string(),
                other => other.to_string(),
            })
        };
        let contact = ContactInput {
            name,
            relationship: self.relationship,
            birthday: birthday.map(|b| b.to_string()),
            industry: self.industry,
            location: self.location,
            vip: self.vip,
            status: Some(if self.archived { "archived" } else { "active" }.to_string()),
            notes: clean(&contact_notes),
        }
        .parse()
        .map_err(why)?;
        let background = BackgroundInput {
            family: self.family,
            company: self.company,
            likes_dislikes: self.likes_dislikes,
            misc_notes: clean(&misc_notes),
        }
        .parse()
        .map_err(why)?;
        let details = ContactDetailsInput {
            emails,
            phones,
            main_app: self.main_app,
            social_links: links,
        }
        .parse()
        .map_err(why)?;
        let imported = ImportedContact {
            line,
            contact,
            background,
            details,
            tags: self.tags,
            emails: self.emails.iter().map(|e| e.value.to_lowercase()).collect(),
            photo: self.photo,
        };
        for tag in &imported.tags {
            if tag.chars().count() > crate::validate::MAX_SHORT_TEXT {
                return Err(fail("a category is longer than 200 characters".into()));
            }
        }
        Ok(imported)
    }
}

fn labeled(value: &str, label: Option<String>) -> Labeled {
    Labeled {
        value: value.to_string(),
        // A label our rules refuse (too long) is dropped rather than the value.
        label: crate::repo::contact_info::label(label.as_deref())
            .ok()
            .flatten(),
    }
}

/// The values `accept` takes, up to [`MAX_PER_KIND`], and the others.
fn usable(all: &[Labeled], accept: impl Fn(&str) -> bool) -> (Vec<Labeled>, Vec<&str>) {
    let mut kept = Vec::new();
    let mut others = Vec::new();
    for item in all {
        if kept.len() < MAX_PER_KIND && accept(&item.value) {
            kept.push(item.clone());
        } else {
            others.push(item.value.as_str());
        }
    }
    (kept, others)
}

/// `text`, cut to the longest text a notes field holds.
fn at_most_long_text(text: String) -> String {
    if text.chars().count() > MAX_LONG_TEXT {
        text.chars().take(MAX_LONG_TEXT).collect()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_that_are_not_utf8_text_are_refused_with_their_line() {
        assert_eq!(decode_text(b""), Err(FileError::Empty));
        assert_eq!(
            decode_text(b"BEGIN:VCARD\nFN:Jos\xe9\n"),
            Err(FileError::NotUtf8 { line: 2 })
        );
        assert_eq!(decode_text(b"\xff\xfeB\x00E\x00"), Err(FileError::Utf16));
        assert_eq!(
            decode_text(b"BEGIN:VCARD\n\x00\x01\x02"),
            Err(FileError::Binary { line: 2 })
        );
        assert_eq!(
            decode_text("\u{feff}BEGIN:VCARD".as_bytes()),
            Ok("BEGIN:VCARD")
        );
        let big = vec![b'a'; MAX_IMPORT_BYTES + 1];
        assert_eq!(decode_text(&big), Err(FileError::TooLarge));
    }
}
