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

async fn existing(conn: &(impl crate::repo::Runner + ?Sized), user: &UserId) -> Result<Existing> {
    let rows = crate::repo::query_all(
        conn,
        "SELECT c.id, c.name, lower(i.email) FROM contact c \
         LEFT JOIN contact_info i ON i.contact_id = c.id \
         WHERE c.user_id = ?1 ORDER BY c.created_at, c.id",
        [user.as_str()],
        |row| {
            Ok((
                ContactId::from(row.get::<String>(0)?),
                row.get::<String>(1)?,
                row.get::<Option<String>>(2)?,
            ))
        },
    )
    .await?;
    let mut out = Existing {
        by_email: HashMap::new(),
        by_name: HashMap::new(),
    };
    for (id, name, email) in rows {
        if let Some(email) = email {
            out.by_email
                .entry(email)
                .or_insert_with(|| (id.clone(), name.clone()));
        }
        out.by_name
            .entry(name_key(&name))
            .or_insert_with(|| (id, name));
    }
    // The further e-mails count too, after every first one.
    let more = crate::repo::query_all(
        conn,
        "SELECT c.id, c.name, lower(d.value) FROM contact_detail d \
         JOIN contact c ON c.id = d.contact_id \
         WHERE c.user_id = ?1 AND d.kind = 'email' ORDER BY c.created_at, c.id, d.position",
        [user.as_str()],
        |row| {
            Ok((
                ContactId::from(row.get::<String>(0)?),
                row.get::<String>(1)?,
                row.get::<String>(2)?,
            ))
        },
    )
    .await?;
    for (id, name, email) in more {
        out.by_email.entry(email).or_insert((id, name));
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
    let existing = existing(&conn, user).await?;
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
    let existing = existing(&tx, user).await?;
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
