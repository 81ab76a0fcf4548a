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
use crate::repo::contact_info::{self, ContactInfo};
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
    pub tags: Vec<String>,
    /// Stored values that could not be read (`contact.birthday`, …): left out of the
    /// export, and named in it.
    pub unreadable: Vec<String>,
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
            tags,
            unreadable,
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
    if format == ContactFormat::Csv {
        sink.write(csv_header()).await?;
    }
    let mut after = 0i64;
    let mut written = 0u64;
    loop {
        let mut chunk_values = values.clone();
        chunk_values.push(libsql::Value::Integer(after));
        let mut rows = tx.query(&sql, params_from_iter(chunk_values)).await?;
        let mut contacts = Vec::new();
        while let Some(row) = rows.next().await? {
            let mut r = Reader::new(&row);
            contacts.push(ExportedContact::read(&mut r)?);
            after = r.integer()?;
        }
        drop(rows);
        if contacts.is_empty() {
            break;
        }
        for c in &contacts {
            let bytes = match format {
                ContactFormat::Vcard => vcard(c).into_bytes(),
                ContactFormat::Csv => csv_row(c)?,
            };
            sink.write(bytes).await?;
            written += 1;
        }
        if contacts.len() < CHUNK as usize {
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
    if let Some(email) = e.info(|i| &i.email) {
        line(&mut out, &format!("EMAIL:{}", escape(email)));
    }
    if let Some(phone) = e.info(|i| &i.phone_number) {
        line(&mut out, &format!("TEL:{}", escape(phone)));
    }
    for link in e.links() {
        line(&mut out, &format!("URL:{}", escape(link)));
    }
    if let Some(notes) = e.background(|b| &b.misc_notes) {
        line(&mut out, &format!("NOTE:{}", escape(notes)));
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

/// Google Contacts' current CSV layout (so that Google imports it, and so do we), with our
/// fields that have no Google column at the end.
pub const CSV_COLUMNS: [&str; 17] = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Organization Name",
    "Birthday",
    "Notes",
    "Labels",
    "E-mail 1 - Label",
    "E-mail 1 - Value",
    "Phone 1 - Label",
    "Phone 1 - Value",
    "Address 1 - Formatted",
    "Website 1 - Value",
    "Relationship 1 - Value",
    "Industry",
    "Family",
    "Likes and Dislikes",
];

fn csv_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail.
    let _ = w.write_record(
        CSV_COLUMNS
            .iter()
            .chain(["Main App", "VIP", "Status"].iter()),
    );
    w.into_inner().unwrap_or_default()
}

fn csv_row(e: &ExportedContact) -> Result<Vec<u8>> {
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
    let mut notes = o(e.background(|b| &b.misc_notes));
    if !e.unreadable.is_empty() {
        if !notes.is_empty() {
            notes.push_str("\n\n");
        }
        notes.push_str(&format!(
            "Unreadable stored values left out: {}",
            e.unreadable.join(", ")
        ));
    }
    let email = e.info(|i| &i.email);
    let phone = e.info(|i| &i.phone_number);
    // The whole name goes into "First Name": splitting it would not round-trip.
    let fields = [
        c.name.clone(),
        String::new(),
        String::new(),
        o(e.background(|b| &b.company)),
        birthday.unwrap_or_default(),
        notes,
        e.tags.join(" ::: "),
        if email.is_some() {
            "* Other".into()
        } else {
            String::new()
        },
        o(email),
        if phone.is_some() {
            "Mobile".into()
        } else {
            String::new()
        },
        o(phone),
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
    ];
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
