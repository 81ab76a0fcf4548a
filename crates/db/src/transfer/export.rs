//! Exports: the user's contacts (all, or the list a [`ContactQuery`] selects) as vCard 4.0 or
//! CSV, written row by row into a [`Sink`] so that memory stays bounded by one contact, not
//! by the account. The JSON backup of the whole account is in [`super::backup`].

use std::future::Future;

use chrono::{Datelike, NaiveDate};
use libsql::params_from_iter;

use super::birthday_without_year;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::repo::background::{self, Background};
use crate::repo::contact::{self, Contact, ContactQuery, ContactStatus};
use crate::repo::contact_detail::Labeled;
use crate::repo::contact_info::{self, ContactInfo};
use crate::repo::contact_photo::Photo;
use crate::repo::qualified;
use crate::repo::user::UserId;
use crate::row::Reader;

/// Where an export writes its bytes, chunk by chunk.
pub trait Sink {
    fn write(&mut self, chunk: Vec<u8>) -> impl Future<Output = Result<()>> + Send;
}

/// Collects everything (tests, small exports).
impl Sink for Vec<u8> {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.extend_from_slice(&chunk);
        Ok(())
    }
}

/// Streams to a receiver (the web response, the CLI's stdout); waits while it is full, and
/// stops the export when it has gone away (the client disconnected).
impl Sink for tokio::sync::mpsc::Sender<Vec<u8>> {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.send(chunk)
            .await
            .map_err(|_| Error::Config("the export's reader went away".into()))
    }
}

/// The formats contacts export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactFormat {
    Vcard,
    Csv,
}

/// A contact with the details the vCard and CSV exports carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedContact {
    pub contact: Contact,
    pub background: Option<Background>,
    pub info: Option<ContactInfo>,
    /// Every e-mail and phone with its label, the first (from `info`) first.
    pub emails: Vec<Labeled>,
    pub phones: Vec<Labeled>,
    pub tags: Vec<String>,
    /// Stored values that could not be read (`contact.birthday`, …): left out of the
    /// export, and named in it.
    pub unreadable: Vec<String>,
    /// The contact's photo (vCard only: read one contact at a time, just before it is
    /// written, so that memory holds one photo at most).
    pub photo: Option<Photo>,
}

impl ExportedContact {
    /// A contact row joined with its background, contact info and tag names, each read by
    /// its table's one decoder.
    fn read(r: &mut Reader) -> Result<Self> {
        let contact = Contact::read(r)?;
        let background = if r.next_is_null()? {
            r.skip(column_count(background::COLUMNS));
            None
        } else {
            Some(Background::read(r)?)
        };
        let info = if r.next_is_null()? {
            r.skip(column_count(contact_info::COLUMNS));
            None
        } else {
            Some(ContactInfo::read(r)?)
        };
        // Tag names never contain the unit separator (char 31): forms refuse controls.
        let tags = r
            .opt_text()?
            .map(|t| t.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default();
        // The further e-mails and phones as a JSON array of `[kind, value, label]`.
        let more: Vec<(String, String, Option<String>)> = match r.opt_text()? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::Config(format!("cannot read contact details: {e}")))?,
            None => Vec::new(),
        };
        let mut emails = Vec::new();
        let mut phones = Vec::new();
        if let Some(i) = &info {
            if let Some(e) = &i.email {
                emails.push(Labeled {
                    value: e.clone(),
                    label: i.email_label.clone(),
                });
            }
            if let Some(p) = &i.phone_number {
                phones.push(Labeled {
                    value: p.clone(),
                    label: i.phone_label.clone(),
                });
            }
        }
        for (kind, value, label) in more {
            let item = Labeled { value, label };
            match kind.as_str() {
                "email" => emails.push(item),
                _ => phones.push(item),
            }
        }
        let unreadable = [
            ("contact", Some(&contact.unreadable)),
            ("background", background.as_ref().map(|b| &b.unreadable)),
            ("contact_info", info.as_ref().map(|i| &i.unreadable)),
        ]
        .into_iter()
        .flat_map(|(table, columns)| {
            columns
                .map(|c| c.columns())
                .unwrap_or_default()
                .iter()
                .map(move |column| format!("{table}.{column}"))
        })
        .collect();
        Ok(ExportedContact {
            contact,
            background,
            info,
            emails,
            phones,
            tags,
            unreadable,
            photo: None,
        })
    }

    fn background(&self, field: impl Fn(&Background) -> &Option<String>) -> Option<&str> {
        self.background.as_ref().and_then(|b| field(b).as_deref())
    }

    fn info(&self, field: impl Fn(&ContactInfo) -> &Option<String>) -> Option<&str> {
        self.info.as_ref().and_then(|i| field(i).as_deref())
    }

    fn links(&self) -> &[String] {
        self.info.as_ref().map_or(&[], |i| &i.social_links)
    }
}

/// How many columns a LEFT JOINed table has (skipped when the join found nothing).
fn column_count(columns: &str) -> i32 {
    columns.split(',').count() as i32
}

/// How many contacts are read per query: memory stays bounded by this, not the account.
const CHUNK: i64 = 500;

/// Writes the contacts `query` selects (every page of it; `None`: all contacts), in its
/// order, in `format`. Returns how many were written.
pub async fn export_contacts(
    db: &Db,
    user: &UserId,
    query: Option<&ContactQuery>,
    format: ContactFormat,
    sink: &mut impl Sink,
) -> Result<u64> {
    let default_query = ContactQuery::default();
    let query = query.unwrap_or(&default_query);
    let (conditions, values) = contact::list_conditions(user, query);
    let condition = conditions.join(" AND ");
    let order = contact::list_order(query);
    // Numbering the selection once gives a stable key to read it in chunks by, whatever the
    // list's order; the read transaction keeps every chunk in the same snapshot.
    let sql = format!(
        "WITH selected AS ( \
           SELECT id, row_number() OVER (ORDER BY {order}) AS n FROM contact WHERE {condition} \
         ) \
         SELECT {}, {}, {}, \
                (SELECT group_concat(name, char(31)) FROM ( \
                   SELECT t.name FROM contact_tag ct JOIN tag t ON t.id = ct.tag_id \
                    WHERE ct.contact_id = c.id AND t.user_id = c.user_id \
                    ORDER BY t.name COLLATE NOCASE)), \
                (SELECT nullif(json_group_array(json_array(kind, value, label)), '[]') FROM ( \
                   SELECT d.kind, d.value, d.label FROM contact_detail d \
                    WHERE d.contact_id = c.id ORDER BY d.kind, d.position, d.id)), \
                EXISTS (SELECT 1 FROM contact_photo p WHERE p.contact_id = c.id), \
                s.n \
           FROM selected s JOIN contact c ON c.id = s.id \
           LEFT JOIN background b ON b.contact_id = c.id \
           LEFT JOIN contact_info i ON i.contact_id = c.id \
          WHERE s.n > ? ORDER BY s.n LIMIT {CHUNK}",
        qualified("c", contact::COLUMNS),
        qualified("b", background::COLUMNS),
        qualified("i", contact_info::COLUMNS),
    );
    let tx = db.begin_read().await?;
    let widths = csv_widths(&tx, user).await?;
    if format == ContactFormat::Csv {
        sink.write(csv_header(widths)).await?;
    }
    let mut after = 0i64;
    let mut written = 0u64;
    loop {
        let mut chunk_values = values.clone();
        chunk_values.push(libsql::Value::Integer(after));
        // Each chunk read whole (on a server, one batch) before the photos are read.
        let rows = crate::repo::query_all(&tx, &sql, params_from_iter(chunk_values), |row| {
            let mut r = Reader::new(row);
            let contact = ExportedContact::read(&mut r)?;
            let has_photo = r.integer()? != 0;
            Ok((contact, has_photo, r.integer()?))
        })
        .await?;
        let mut contacts = Vec::with_capacity(rows.len());
        for (contact, has_photo, n) in rows {
            contacts.push((contact, has_photo));
            after = n;
        }
        if contacts.is_empty() {
            break;
        }
        let count = contacts.len();
        for (mut c, has_photo) in contacts {
            let bytes = match format {
                ContactFormat::Vcard => {
                    if has_photo {
                        match tx.contact_photos().get(user, &c.contact.id).await {
                            Ok(photo) => c.photo = Some(photo),
                            // There, but its bytes are not bytes (another tool wrote them):
                            // the card goes without it, and says so.
                            Err(Error::NotFound) => {
                                c.unreadable.push("contact_photo.data".to_string())
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    vcard(&c).into_bytes()
                }
                ContactFormat::Csv => csv_row(&c, widths)?,
            };
            sink.write(bytes).await?;
            written += 1;
        }
        if count < CHUNK as usize {
            break;
        }
    }
    tx.commit().await?;
    Ok(written)
}

/// vCard text escaping (RFC 6350 §3.4).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets without splitting a character.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// `--MMDD` for a birthday stored without its year, `YYYYMMDD` otherwise.
fn bday(date: NaiveDate) -> String {
    if birthday_without_year(date) {
        format!("--{:02}{:02}", date.month(), date.day())
    } else {
        date.format("%Y%m%d").to_string()
    }
}

/// The parameters of an `EMAIL` or `TEL` with a label: `TYPE=work` / `TYPE=home` (and
/// `TYPE=cell` for a mobile phone), which every app understands; any other label, or one
/// spelled otherwise, also as `X-DEVHUB-LABEL`, which our import reads back as it was.
fn label_params(item: &Labeled, phone: bool) -> String {
    let Some(label) = item.label.as_deref() else {
        return String::new();
    };
    let lower = label.to_lowercase();
    let kind = match lower.as_str() {
        "work" | "home" => Some(lower.clone()),
        "mobile" | "cell" if phone => Some("cell".to_string()),
        _ => None,
    };
    let mut out = String::new();
    if let Some(kind) = &kind {
        out.push_str(&format!(";TYPE={kind}"));
    }
    let same = kind.is_some() && (label == lower && (lower != "cell" || !phone));
    if !same {
        // A parameter value is quoted; it cannot hold a double quote (RFC 6350 §3.3).
        let value: String = label
            .chars()
            .map(|c| if c == '"' { '\'' } else { c })
            .collect();
        out.push_str(&format!(";X-DEVHUB-LABEL=\"{value}\""));
    }
    out
}

/// One contact as a vCard 4.0. What vCard has no property for goes into `X-DEVHUB-…`
/// properties, which our import reads back and other apps ignore.
pub fn vcard(e: &ExportedContact) -> String {
    let c = &e.contact;
    let mut out = String::with_capacity(512);
    line(&mut out, "BEGIN:VCARD");
    line(&mut out, "VERSION:4.0");
    line(&mut out, &format!("UID:urn:uuid:{}", c.id));
    line(&mut out, &format!("FN:{}", escape(&c.name)));
    // N is required by vCard 3.0 readers; a display name does not say which part is the
    // family name, so the last word is taken as it.
    let (given, family) = match c.name.trim().rsplit_once(' ') {
        Some((given, family)) => (given, family),
        None => ("", c.name.trim()),
    };
    line(
        &mut out,
        &format!("N:{};{};;;", escape(family), escape(given)),
    );
    if let Some(b) = c.birthday {
        line(&mut out, &format!("BDAY:{}", bday(b)));
    }
    if let Some(company) = e.background(|b| &b.company) {
        line(&mut out, &format!("ORG:{}", escape(company)));
    }
    if let Some(location) = &c.location {
        line(&mut out, &format!("ADR:;;;{};;;", escape(location)));
    }
    for email in &e.emails {
        line(
            &mut out,
            &format!(
                "EMAIL{}:{}",
                label_params(email, false),
                escape(&email.value)
            ),
        );
    }
    for phone in &e.phones {
        line(
            &mut out,
            &format!("TEL{}:{}", label_params(phone, true), escape(&phone.value)),
        );
    }
    for link in e.links() {
        line(&mut out, &format!("URL:{}", escape(link)));
    }
    if let Some(notes) = &c.notes {
        line(&mut out, &format!("NOTE:{}", escape(notes)));
    }
    if let Some(photo) = &e.photo {
        use base64::Engine;
        let data = base64::engine::general_purpose::STANDARD.encode(&photo.data);
        line(
            &mut out,
            &format!("PHOTO:data:{};base64,{data}", photo.content_type),
        );
    }
    if let Some(notes) = e.background(|b| &b.misc_notes) {
        line(
            &mut out,
            &format!("X-DEVHUB-BACKGROUND-NOTES:{}", escape(notes)),
        );
    }
    if !e.tags.is_empty() {
        let tags: Vec<String> = e.tags.iter().map(|t| escape(t)).collect();
        line(&mut out, &format!("CATEGORIES:{}", tags.join(",")));
    }
    for (key, value) in [
        ("X-DEVHUB-RELATIONSHIP", c.relationship.as_deref()),
        ("X-DEVHUB-INDUSTRY", c.industry.as_deref()),
        ("X-DEVHUB-FAMILY", e.background(|b| &b.family)),
        (
            "X-DEVHUB-LIKES-DISLIKES",
            e.background(|b| &b.likes_dislikes),
        ),
        ("X-DEVHUB-MAIN-APP", e.info(|i| &i.main_app)),
    ] {
        if let Some(v) = value {
            line(&mut out, &format!("{key}:{}", escape(v)));
        }
    }
    if c.vip {
        line(&mut out, "X-DEVHUB-VIP:1");
    }
    if c.status == ContactStatus::Archived {
        line(&mut out, "X-DEVHUB-STATUS:archived");
    }
    if !e.unreadable.is_empty() {
        line(
            &mut out,
            &format!("X-DEVHUB-UNREADABLE:{}", escape(&e.unreadable.join(","))),
        );
    }
    line(&mut out, "END:VCARD");
    out
}

/// How many "E-mail N" and "Phone N" columns a CSV export has: as many as the user's contact
/// with the most e-mails (phones) needs, at least one.
#[derive(Debug, Clone, Copy)]
struct CsvWidths {
    emails: usize,
    phones: usize,
}

async fn csv_widths(tx: &crate::db::Tx, user: &UserId) -> Result<CsvWidths> {
    let row = crate::repo::query_all(
        tx,
        "SELECT \
           coalesce(max(CASE WHEN kind = 'email' THEN n END), 0), \
           coalesce(max(CASE WHEN kind = 'phone' THEN n END), 0) \
         FROM (SELECT d.kind, count(*) AS n FROM contact_detail d \
               JOIN contact c ON c.id = d.contact_id \
               WHERE c.user_id = ?1 GROUP BY d.contact_id, d.kind)",
        [user.as_str()],
        |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
    )
    .await?;
    let (emails, phones) = row.first().copied().unwrap_or((0, 0));
    Ok(CsvWidths {
        emails: 1 + emails.max(0) as usize,
        phones: 1 + phones.max(0) as usize,
    })
}

/// Google Contacts' current CSV layout (so that Google imports it, and so do we): a label and
/// a value column per e-mail and phone ("E-mail 2 - Label", "E-mail 2 - Value" …), then our
/// fields that have no Google column. "Notes" holds the contact's notes, "Background Notes"
/// the background's.
fn csv_columns(widths: CsvWidths) -> Vec<String> {
    let mut columns: Vec<String> = [
        "First Name",
        "Middle Name",
        "Last Name",
        "Organization Name",
        "Birthday",
        "Notes",
        "Labels",
    ]
    .map(String::from)
    .to_vec();
    for n in 1..=widths.emails {
        columns.push(format!("E-mail {n} - Label"));
        columns.push(format!("E-mail {n} - Value"));
    }
    for n in 1..=widths.phones {
        columns.push(format!("Phone {n} - Label"));
        columns.push(format!("Phone {n} - Value"));
    }
    columns.extend(
        [
            "Address 1 - Formatted",
            "Website 1 - Value",
            "Relationship 1 - Value",
            "Industry",
            "Family",
            "Likes and Dislikes",
            "Main App",
            "VIP",
            "Status",
            "Background Notes",
        ]
        .map(String::from),
    );
    columns
}

fn csv_header(widths: CsvWidths) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail.
    let _ = w.write_record(csv_columns(widths));
    w.into_inner().unwrap_or_default()
}

fn csv_row(e: &ExportedContact, widths: CsvWidths) -> Result<Vec<u8>> {
    let c = &e.contact;
    let birthday = c.birthday.map(|b| {
        if birthday_without_year(b) {
            format!("--{:02}-{:02}", b.month(), b.day())
        } else {
            b.format("%Y-%m-%d").to_string()
        }
    });
    let o = |v: Option<&str>| v.unwrap_or_default().to_string();
    // What could not be read is left out, and the notes say so.
    let mut notes = o(c.notes.as_deref());
    if !e.unreadable.is_empty() {
        if !notes.is_empty() {
            notes.push_str("\n\n");
        }
        notes.push_str(&format!(
            "Unreadable stored values left out: {}",
            e.unreadable.join(", ")
        ));
    }
    // The whole name goes into "First Name": splitting it would not round-trip.
    let mut fields = vec![
        c.name.clone(),
        String::new(),
        String::new(),
        o(e.background(|b| &b.company)),
        birthday.unwrap_or_default(),
        notes,
        e.tags.join(" ::: "),
    ];
    for (list, width) in [(&e.emails, widths.emails), (&e.phones, widths.phones)] {
        for n in 0..width {
            let item = list.get(n);
            fields.push(o(item.and_then(|i| i.label.as_deref())));
            fields.push(o(item.map(|i| i.value.as_str())));
        }
    }
    fields.extend([
        o(c.location.as_deref()),
        e.links().join(" ::: "),
        o(c.relationship.as_deref()),
        o(c.industry.as_deref()),
        o(e.background(|b| &b.family)),
        o(e.background(|b| &b.likes_dislikes)),
        o(e.info(|i| &i.main_app)),
        if c.vip { "1".into() } else { String::new() },
        if c.status == ContactStatus::Archived {
            "archived".into()
        } else {
            String::new()
        },
        o(e.background(|b| &b.misc_notes)),
    ]);
    // Every cell quoted, and those that start like a formula neutralised (OWASP's advice
    // against CSV injection): a spreadsheet opening the export shows text, runs nothing.
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    w.write_record(
        fields
            .iter()
            .map(|f| super::csv::neutralise(f).into_owned()),
    )
    .map_err(|e| Error::Config(format!("cannot write CSV: {e}")))?;
    w.into_inner()
        .map_err(|e| Error::Config(format!("cannot write CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        line(&mut out, &format!("NOTE:{}", "é".repeat(60)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("NOTE:{}\r\n", "é".repeat(60)));
    }
}
