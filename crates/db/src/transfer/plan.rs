//! What an import of vCard or CSV records will do (the preview) and doing it (one
//! transaction, all or nothing).
//!
//! A record looks like a duplicate when one of its e-mails is the e-mail of one of the user's
//! contacts, or else when its name is one of theirs (case and spacing aside); also when it
//! matches an earlier record of the same file. The user chooses what happens to duplicates:
//! skipped, or merged — a merge fills in what the existing contact lacks and never
//! overwrites. Importing the same file twice therefore creates nothing the second time.

use std::collections::HashMap;

use super::{ImportFormat, ImportedContact, ParsedImport, RecordError};
use crate::db::{Db, Tx};
use crate::error::Result;
use crate::repo::contact::{ContactId, ContactStamps};
use crate::repo::tag::{TagId, TagInput};
use crate::repo::user::UserId;
use crate::row::Stamps;

/// What happens to records that look like contacts the user already has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DuplicatePolicy {
    #[default]
    Skip,
    Merge,
}

impl DuplicatePolicy {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "skip" => Some(DuplicatePolicy::Skip),
            "merge" => Some(DuplicatePolicy::Merge),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DuplicatePolicy::Skip => "skip",
            DuplicatePolicy::Merge => "merge",
        }
    }
}

/// Why a record looks like a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Email(String),
    Name,
}

/// What a duplicate record duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One of the user's contacts.
    Existing { id: ContactId, name: String },
    /// An earlier record of the file (its index in [`Preview::new_contacts`]).
    InFile { index: usize, line: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub record: ImportedContact,
    pub target: Target,
    pub matched: Match,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub format: ImportFormat,
    /// The records that become new contacts.
    pub new_contacts: Vec<ImportedContact>,
    pub duplicates: Vec<Duplicate>,
    pub errors: Vec<RecordError>,
}

impl Preview {
    /// How many of the new contacts the file marks as VIPs.
    pub fn new_vips(&self) -> usize {
        self.new_contacts.iter().filter(|c| c.contact.vip()).count()
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: u64,
    pub merged: u64,
    pub skipped: u64,
    pub unreadable: u64,
}

fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

struct Existing {
    by_email: HashMap<String, (ContactId, String)>,
    by_name: HashMap<String, (ContactId, String)>,
}

/// How many e-mails or names one lookup statement carries (it always carries this many: the
/// last batch repeats a value, so that one prepared statement serves every batch).
const LOOKUP_BATCH: usize = 200;

/// Names whose key ([`name_key`]) may differ from the name with its ASCII letters lowercased:
/// any character outside printable ASCII and the lowercase half of Latin-1 (another letter
/// that may have a lowercase form of its own, other whitespace), a double space, a space at
/// either end. Every other name's key is the name lowercased the way `COLLATE NOCASE`
/// compares, so an index lookup finds it; these few are read and compared one by one. The
/// same condition as the partial index `contact_user_irregular_name_idx` in schema.sql.
const IRREGULAR_NAME: &str = "(name GLOB '*[^ -~ß-ÿ]*' OR name GLOB '*  *' \
     OR name GLOB ' *' OR name GLOB '* ')";

/// The lookups of [`existing`]: `?1` is the user, `{values}` the batch of e-mails or names.
/// The e-mails' index is read first (`CROSS JOIN` keeps that order: without statistics the
/// planner would rather walk all of the user's contacts and look up each one's e-mail).
const BY_FIRST_EMAIL: &str = "SELECT c.id, c.name, c.created_at, lower(i.email) \
     FROM contact_info i CROSS JOIN contact c ON c.id = i.contact_id \
     WHERE lower(i.email) IN ({values}) AND c.user_id = ?1";
const BY_FURTHER_EMAIL: &str = "SELECT c.id, c.name, c.created_at, d.position, lower(d.value) \
     FROM contact_detail d CROSS JOIN contact c ON c.id = d.contact_id \
     WHERE d.kind = 'email' AND lower(d.value) IN ({values}) AND c.user_id = ?1";
const BY_NAME: &str = "SELECT id, name, created_at FROM contact \
     WHERE user_id = ?1 AND name COLLATE NOCASE IN ({values})";

fn irregular_names() -> String {
    format!("SELECT id, name, created_at FROM contact WHERE user_id = ?1 AND {IRREGULAR_NAME}")
}

/// The statements that look for a file's duplicates, each with how many values follow the
/// user (its batch size), for tests of their query plans.
pub fn duplicate_lookups() -> Vec<(String, usize)> {
    let batch = |sql: &str| (sql.replace("{values}", &placeholders()), LOOKUP_BATCH);
    vec![
        batch(BY_FIRST_EMAIL),
        batch(BY_FURTHER_EMAIL),
        batch(BY_NAME),
        (irregular_names(), 0),
    ]
}

/// `?2, ?3, …`: one placeholder per value of a batch.
fn placeholders() -> String {
    (2..LOOKUP_BATCH + 2)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a contact comes in the order `ORDER BY created_at, id` gives (SQLite's order of
/// values: NULL, numbers, text, blobs), for the first of several matches to win.
#[derive(Debug, Clone, PartialEq)]
enum SortValue {
    Null,
    Number(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl SortValue {
    fn of(value: libsql::Value) -> Self {
        match value {
            libsql::Value::Null => SortValue::Null,
            libsql::Value::Integer(n) => SortValue::Number(n as f64),
            libsql::Value::Real(x) => SortValue::Number(x),
            libsql::Value::Text(s) => SortValue::Text(s),
            libsql::Value::Blob(b) => SortValue::Blob(b),
        }
    }

    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use SortValue::*;
        let rank = |v: &SortValue| match v {
            Null => 0,
            Number(_) => 1,
            Text(_) => 2,
            Blob(_) => 3,
        };
        match (self, other) {
            (Number(a), Number(b)) => a.total_cmp(b),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Blob(a), Blob(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

/// A contact a lookup found, with what orders it among the others.
struct Found {
    id: ContactId,
    name: String,
    created_at: SortValue,
    position: SortValue,
    key: String,
}

impl Found {
    fn order(a: &Found, b: &Found) -> std::cmp::Ordering {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.as_str().as_bytes().cmp(b.id.as_str().as_bytes()))
            .then_with(|| a.position.cmp(&b.position))
    }
}

/// Runs `sql` (whose `?1` is the user and `?2`… the values, `LOOKUP_BATCH` of them) once per
/// batch of `values`.
async fn lookup(
    conn: &(impl crate::repo::Runner + ?Sized),
    user: &UserId,
    sql: &str,
    values: &[&str],
    read: impl Fn(&libsql::Row) -> Result<Found>,
) -> Result<Vec<Found>> {
    let sql = sql.replace("{values}", &placeholders());
    let mut out = Vec::new();
    for chunk in values.chunks(LOOKUP_BATCH) {
        let mut params = vec![libsql::Value::from(user.as_str().to_string())];
        params.extend(
            (0..LOOKUP_BATCH)
                .map(|i| libsql::Value::from(chunk[i.min(chunk.len() - 1)].to_string())),
        );
        out.extend(
            crate::repo::query_all(conn, &sql, libsql::params_from_iter(params), &read).await?,
        );
    }
    Ok(out)
}

/// The user's contacts that records of the file may duplicate: those with one of the records'
/// e-mails, those with one of their names (case and spacing aside). Each is looked up in an
/// index, a batch at a time, instead of reading all of the user's contacts: what each key
/// finds is what the first (oldest) of all the user's contacts with that key would be.
async fn existing(
    conn: &(impl crate::repo::Runner + ?Sized),
    user: &UserId,
    records: &[ImportedContact],
) -> Result<Existing> {
    let mut emails: Vec<&str> = records
        .iter()
        .flat_map(|r| r.emails.iter().map(String::as_str))
        .collect();
    emails.sort_unstable();
    emails.dedup();
    let keys: std::collections::HashSet<String> = records
        .iter()
        .map(|r| name_key(r.contact.name().as_str()))
        .collect();
    let mut names: Vec<&str> = keys.iter().map(String::as_str).collect();
    names.sort_unstable();

    let mut out = Existing {
        by_email: HashMap::new(),
        by_name: HashMap::new(),
    };
    let keep = |found: &mut Vec<Found>, into: &mut HashMap<String, (ContactId, String)>| {
        found.sort_by(Found::order);
        for f in found.drain(..) {
            into.entry(f.key).or_insert((f.id, f.name));
        }
    };
    if !emails.is_empty() {
        // The first e-mail of each contact (contact_info), then the further ones: a further
        // e-mail counts only where no contact has it as its first.
        let mut first = lookup(conn, user, BY_FIRST_EMAIL, &emails, |row| {
            Ok(Found {
                id: ContactId::from(row.get::<String>(0)?),
                name: row.get::<String>(1)?,
                created_at: SortValue::of(row.get_value(2)?),
                position: SortValue::Null,
                key: row.get::<String>(3)?,
            })
        })
        .await?;
        keep(&mut first, &mut out.by_email);
        let mut further = lookup(conn, user, BY_FURTHER_EMAIL, &emails, |row| {
            Ok(Found {
                id: ContactId::from(row.get::<String>(0)?),
                name: row.get::<String>(1)?,
                created_at: SortValue::of(row.get_value(2)?),
                position: SortValue::of(row.get_value(3)?),
                key: row.get::<String>(4)?,
            })
        })
        .await?;
        keep(&mut further, &mut out.by_email);
    }
    if !names.is_empty() {
        let read = |row: &libsql::Row| {
            let name = row.get::<String>(1)?;
            Ok(Found {
                id: ContactId::from(row.get::<String>(0)?),
                key: name_key(&name),
                name,
                created_at: SortValue::of(row.get_value(2)?),
                position: SortValue::Null,
            })
        };
        let mut found = lookup(conn, user, BY_NAME, &names, read).await?;
        found
            .extend(crate::repo::query_all(conn, &irregular_names(), [user.as_str()], read).await?);
        found.retain(|f| keys.contains(&f.key));
        keep(&mut found, &mut out.by_name);
    }
    Ok(out)
}

fn classify(parsed: ParsedImport, existing: &Existing) -> Preview {
    let mut preview = Preview {
        format: parsed.format,
        new_contacts: Vec::new(),
        duplicates: Vec::new(),
        errors: parsed.errors,
    };
    let mut file_emails: HashMap<String, usize> = HashMap::new();
    let mut file_names: HashMap<String, usize> = HashMap::new();
    for record in parsed.contacts {
        let key = name_key(record.contact.name().as_str());
        let found = record
            .emails
            .iter()
            .find_map(|e| {
                existing.by_email.get(e).map(|(id, name)| {
                    (
                        Target::Existing {
                            id: id.clone(),
                            name: name.clone(),
                        },
                        Match::Email(e.clone()),
                    )
                })
            })
            .or_else(|| {
                record.emails.iter().find_map(|e| {
                    file_emails.get(e).map(|&index| {
                        (
                            Target::InFile {
                                index,
                                line: preview.new_contacts[index].line,
                            },
                            Match::Email(e.clone()),
                        )
                    })
                })
            })
            .or_else(|| {
                existing.by_name.get(&key).map(|(id, name)| {
                    (
                        Target::Existing {
                            id: id.clone(),
                            name: name.clone(),
                        },
                        Match::Name,
                    )
                })
            })
            .or_else(|| {
                file_names.get(&key).map(|&index| {
                    (
                        Target::InFile {
                            index,
                            line: preview.new_contacts[index].line,
                        },
                        Match::Name,
                    )
                })
            });
        match found {
            Some((target, matched)) => preview.duplicates.push(Duplicate {
                record,
                target,
                matched,
            }),
            None => {
                let index = preview.new_contacts.len();
                for e in &record.emails {
                    file_emails.entry(e.clone()).or_insert(index);
                }
                file_names.entry(key).or_insert(index);
                preview.new_contacts.push(record);
            }
        }
    }
    preview
}

/// What importing `parsed` into the account of `user` would do. Reads only.
pub async fn preview(db: &Db, user: &UserId, parsed: ParsedImport) -> Result<Preview> {
    let conn = db.conn().await?;
    let existing = existing(&conn, user, &parsed.contacts).await?;
    Ok(classify(parsed, &existing))
}

/// Imports `parsed` into the account of `user` in one transaction. The duplicates are worked
/// out again inside it, so the import does what a preview made now would show.
pub async fn apply(
    db: &Db,
    user: &UserId,
    parsed: ParsedImport,
    policy: DuplicatePolicy,
) -> Result<ImportSummary> {
    let tx = db.begin_write().await?;
    let existing = existing(&tx, user, &parsed.contacts).await?;
    let mut preview = classify(parsed, &existing);
    let mut summary = ImportSummary {
        unreadable: preview.errors.len() as u64,
        ..ImportSummary::default()
    };
    // Duplicates of earlier records of the file are folded into those before anything is
    // written (merge) or dropped (skip).
    let mut to_merge = Vec::new();
    for d in std::mem::take(&mut preview.duplicates) {
        match (policy, d.target) {
            (DuplicatePolicy::Skip, _) => summary.skipped += 1,
            (DuplicatePolicy::Merge, Target::InFile { index, .. }) => {
                if let Some(into) = preview.new_contacts.get_mut(index) {
                    fill_in(into, &d.record);
                }
                summary.merged += 1;
            }
            (DuplicatePolicy::Merge, Target::Existing { id, .. }) => to_merge.push((id, d.record)),
        }
    }
    let mut tags = Tags::load(&tx, user).await?;
    for record in &preview.new_contacts {
        // Deferred writes: on a server, hundreds go in one request.
        let id = tx
            .contacts()
            .insert_deferred(user, &record.contact, ContactStamps::now())
            .await?;
        write_details(&tx, user, &id, record, true).await?;
        tags.attach(&tx, user, &id, &record.tags).await?;
        summary.created += 1;
    }
    for (id, record) in &to_merge {
        let id = ContactId::from(id.as_str());
        tx.contacts()
            .fill_blanks(user, &id, &record.contact)
            .await?;
        write_details(&tx, user, &id, record, false).await?;
        tags.attach(&tx, user, &id, &record.tags).await?;
        summary.merged += 1;
    }
    tx.commit().await?;
    Ok(summary)
}

/// Fills the blanks of `into` from `from` (two records of one file for the same person).
fn fill_in(into: &mut ImportedContact, from: &ImportedContact) {
    into.contact.fill_blanks_from(&from.contact);
    into.background.fill_blanks_from(&from.background);
    into.details.fill_blanks_from(&from.details);
    for t in &from.tags {
        if !into.tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            into.tags.push(t.clone());
        }
    }
}

/// Writes the background and contact info of a record, filling in the blanks of rows that
/// exist (a merge) and never overwriting them.
async fn write_details(
    tx: &Tx,
    user: &UserId,
    contact_id: &ContactId,
    record: &ImportedContact,
    new: bool,
) -> Result<()> {
    if !record.background.is_empty() {
        tx.backgrounds()
            .merge_deferred(user, contact_id, &record.background)
            .await?;
    }
    // A photo comes with a new contact; a merge keeps the photo the contact has (or has not).
    if let (true, Some(photo)) = (new, &record.photo) {
        tx.contact_photos().set(user, contact_id, photo).await?;
    }
    if record.details.is_empty() {
        return Ok(());
    }
    if new {
        tx.contact_details()
            .create_deferred(user, contact_id, &record.details, Stamps::now())
            .await?;
    } else {
        tx.contact_details()
            .merge(user, contact_id, &record.details)
            .await?;
    }
    Ok(())
}

/// The user's tags by lowercased name, created on first use.
struct Tags(HashMap<String, TagId>);

impl Tags {
    async fn load(tx: &Tx, user: &UserId) -> Result<Tags> {
        Ok(Tags(
            tx.tags()
                .list(user)
                .await?
                .into_iter()
                .map(|t| (t.name.to_lowercase(), t.id))
                .collect(),
        ))
    }

    async fn attach(
        &mut self,
        tx: &Tx,
        user: &UserId,
        contact_id: &ContactId,
        names: &[String],
    ) -> Result<()> {
        for name in names {
            let key = name.to_lowercase();
            let tag_id = match self.0.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let new = TagInput {
                        name: name.clone(),
                        color: None,
                    }
                    .parse()?;
                    let id = tx.tags().create(user, &new).await?.id;
                    self.0.insert(key, id.clone());
                    id
                }
            };
            tx.tags()
                .attach_deferred(user, contact_id, &tag_id, Stamps::now())
                .await?;
        }
        Ok(())
    }
}
