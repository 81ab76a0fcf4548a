//! What an import of vCard or CSV records will do (the preview) and doing it (one
//! transaction, all or nothing).
//!
//! A record looks like a duplicate when one of its e-mails is the e-mail of one of the user's
//! contacts, or else when its name is one of theirs (case and spacing aside); also when it
//! matches an earlier record of the same file. The user chooses what happens to duplicates:
//! skipped, or merged — a merge fills in what the existing contact lacks and never
//! overwrites. Importing the same file twice therefore creates nothing the second time.

use std::collections::HashMap;

use libsql::{params, Connection};

use super::{ImportFormat, ImportedContact, ParsedImport, RecordError};
use crate::db::Db;
use crate::error::Result;
use crate::repo::contact::ContactId;
use crate::repo::user::UserId;
use crate::row::{date_to_secs, new_id, now};

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
        self.new_contacts.iter().filter(|c| c.contact.vip).count()
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

async fn existing(conn: &Connection, user: &UserId) -> Result<Existing> {
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
        let key = name_key(&record.contact.name);
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
    let conn = db.conn().await?;
    let tx = conn.begin_write().await?;
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
    let at = now().timestamp();
    let mut tags = Tags::load(&tx, user).await?;
    for record in &preview.new_contacts {
        let id = new_id();
        let c = &record.contact;
        tx.execute(
            "INSERT INTO contact (id, user_id, name, relationship, birthday, industry, location, \
             vip, status, last_update, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10)",
            params![
                id.as_str(),
                user.as_str(),
                c.name.trim(),
                c.relationship.clone(),
                c.birthday.map(date_to_secs),
                c.industry.clone(),
                c.location.clone(),
                i64::from(c.vip),
                c.status.as_str(),
                at
            ],
        )
        .await?;
        write_details(&tx, &id, record, at).await?;
        tags.attach(&tx, user, &id, &record.tags, at).await?;
        summary.created += 1;
    }
    for (id, record) in &to_merge {
        let c = &record.contact;
        tx.execute(
            "UPDATE contact SET relationship = coalesce(relationship, ?3), \
             birthday = coalesce(birthday, ?4), industry = coalesce(industry, ?5), \
             location = coalesce(location, ?6), vip = max(vip, ?7), \
             last_update = ?8, updated_at = ?8 WHERE id = ?1 AND user_id = ?2",
            params![
                id.as_str(),
                user.as_str(),
                c.relationship.clone(),
                c.birthday.map(date_to_secs),
                c.industry.clone(),
                c.location.clone(),
                i64::from(c.vip),
                at
            ],
        )
        .await?;
        write_details(&tx, id.as_str(), record, at).await?;
        tags.attach(&tx, user, id.as_str(), &record.tags, at)
            .await?;
        summary.merged += 1;
    }
    tx.commit().await?;
    Ok(summary)
}

/// Fills the blanks of `into` from `from` (two records of one file for the same person).
fn fill_in(into: &mut ImportedContact, from: &ImportedContact) {
    fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
        if a.is_none() {
            a.clone_from(b);
        }
    }
    let (a, b) = (&mut into.contact, &from.contact);
    fill(&mut a.relationship, &b.relationship);
    fill(&mut a.birthday, &b.birthday);
    fill(&mut a.industry, &b.industry);
    fill(&mut a.location, &b.location);
    a.vip |= b.vip;
    let (a, b) = (&mut into.background, &from.background);
    fill(&mut a.family, &b.family);
    fill(&mut a.company, &b.company);
    fill(&mut a.likes_dislikes, &b.likes_dislikes);
    fill(&mut a.misc_notes, &b.misc_notes);
    let (a, b) = (&mut into.info, &from.info);
    fill(&mut a.main_app, &b.main_app);
    fill(&mut a.email, &b.email);
    fill(&mut a.phone_number, &b.phone_number);
    if a.social_links.is_empty() {
        a.social_links.clone_from(&b.social_links);
    }
    for t in &from.tags {
        if !into.tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            into.tags.push(t.clone());
        }
    }
}

/// Writes the background and contact info of a record, filling in the blanks of rows that
/// exist (a merge) and never overwriting them.
async fn write_details(
    conn: &Connection,
    contact_id: &str,
    record: &ImportedContact,
    at: i64,
) -> Result<()> {
    let b = &record.background;
    if *b != Default::default() {
        conn.execute(
            "INSERT INTO background (id, contact_id, family, company, likes_dislikes, \
             misc_notes, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
             ON CONFLICT (contact_id) DO UPDATE SET \
             family = coalesce(background.family, excluded.family), \
             company = coalesce(background.company, excluded.company), \
             likes_dislikes = coalesce(background.likes_dislikes, excluded.likes_dislikes), \
             misc_notes = coalesce(background.misc_notes, excluded.misc_notes), \
             updated_at = excluded.updated_at",
            params![
                new_id(),
                contact_id,
                b.family.clone(),
                b.company.clone(),
                b.likes_dislikes.clone(),
                b.misc_notes.clone(),
                at
            ],
        )
        .await?;
    }
    let i = &record.info;
    if *i != Default::default() {
        let links = if i.social_links.is_empty() {
            None
        } else {
            serde_json::to_string(&i.social_links).ok()
        };
        conn.execute(
            "INSERT INTO contact_info (id, contact_id, main_app, email, phone_number, \
             social_links, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
             ON CONFLICT (contact_id) DO UPDATE SET \
             main_app = coalesce(contact_info.main_app, excluded.main_app), \
             email = coalesce(contact_info.email, excluded.email), \
             phone_number = coalesce(contact_info.phone_number, excluded.phone_number), \
             social_links = coalesce(contact_info.social_links, excluded.social_links), \
             updated_at = excluded.updated_at",
            params![
                new_id(),
                contact_id,
                i.main_app.clone(),
                i.email.clone(),
                i.phone_number.clone(),
                links,
                at
            ],
        )
        .await?;
    }
    Ok(())
}

/// The user's tags by lowercased name, created on first use.
struct Tags(HashMap<String, String>);

impl Tags {
    async fn load(conn: &Connection, user: &UserId) -> Result<Tags> {
        let rows = crate::repo::query_all(
            conn,
            "SELECT id, name FROM tag WHERE user_id = ?1",
            [user.as_str()],
            |row| Ok((row.get::<String>(0)?, row.get::<String>(1)?)),
        )
        .await?;
        Ok(Tags(
            rows.into_iter()
                .map(|(id, name)| (name.to_lowercase(), id))
                .collect(),
        ))
    }

    async fn attach(
        &mut self,
        conn: &Connection,
        user: &UserId,
        contact_id: &str,
        names: &[String],
        at: i64,
    ) -> Result<()> {
        for name in names {
            let key = name.to_lowercase();
            let tag_id = match self.0.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let id = new_id();
                    conn.execute(
                        "INSERT INTO tag (id, user_id, name, created_at, updated_at) \
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![id.as_str(), user.as_str(), name.as_str(), at],
                    )
                    .await?;
                    self.0.insert(key, id.clone());
                    id
                }
            };
            conn.execute(
                "INSERT OR IGNORE INTO contact_tag (contact_id, tag_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?3)",
                params![contact_id, tag_id.as_str(), at],
            )
            .await?;
        }
        Ok(())
    }
}
