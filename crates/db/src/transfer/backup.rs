//! The JSON backup: everything of one user (settings except secrets, tags, contacts with
//! their background, contact info, cadence, tags, interactions and follow-ups) as one
//! document, and its restore into an empty account.
//!
//! Ids are not kept on restore: a row id is a primary key of the whole database, and the
//! account the backup came from may live in the same database. Every row gets a new id and
//! the references (contact → tag, children → contact) are remapped; everything else —
//! texts, dates, flags and the `created_at` / `updated_at` / `last_update` timestamps — is
//! restored as it was. A backup therefore compares equal to the backup of its restore once
//! the ids are set aside ([`Backup::without_ids`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::export::Sink;
use crate::db::{Db, Tx};
use crate::error::{Error, Result};
use crate::repo::background::BackgroundInput;
use crate::repo::contact::{Contact, ContactId, ContactInput, ContactStamps, ContactStatus};
use crate::repo::contact_detail::{DetailKind, NewDetail};
use crate::repo::contact_info::ContactInfoInput;
use crate::repo::follow_up::{Completion, FollowUpInput};
use crate::repo::interaction::{InteractionInput, InteractionType};
use crate::repo::tag::TagInput;
use crate::repo::user::UserId;
use crate::repo::user_settings::{CadenceDays, Preferences, TimeZone};
use crate::row::Stamps;

pub const FORMAT: &str = "devhub-backup";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// `None`: the user never saved settings (the defaults apply).
    pub settings: Option<BackupSettings>,
    pub tags: Vec<BackupTag>,
    pub contacts: Vec<BackupContact>,
}

/// `user_settings` without the calendar feed's token hash (a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    pub time_zone: String,
    pub cadence_days: u32,
    pub vip_cadence_days: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupTag {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupContact {
    pub id: String,
    pub name: String,
    pub relationship: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub industry: Option<String>,
    pub location: Option<String>,
    pub vip: bool,
    pub last_update: DateTime<Utc>,
    pub last_contacted: Option<DateTime<Utc>>,
    pub status: ContactStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Absent in backups made before contacts had notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub cadence: Option<BackupCadence>,
    pub background: Option<BackupBackground>,
    pub contact_info: Option<BackupContactInfo>,
    /// The further e-mails and phones (`contact_detail`), each kind in its order; absent in
    /// backups made before them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<BackupContactDetail>,
    /// The contact's photo; absent without one (and in backups made before photos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<BackupPhoto>,
    pub tags: Vec<BackupContactTag>,
    pub interactions: Vec<BackupInteraction>,
    pub follow_ups: Vec<BackupFollowUp>,
}

/// A contact's photo: its type and its bytes in standard base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupPhoto {
    pub content_type: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupCadence {
    pub days: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupBackground {
    pub id: String,
    pub family: Option<String>,
    pub company: Option<String>,
    pub likes_dislikes: Option<String>,
    pub misc_notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupContactInfo {
    pub id: String,
    pub main_app: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    /// The stored JSON text of `social_links`, as it is (other clients may write it).
    pub social_links: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Absent in backups made before labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_label: Option<String>,
}

/// A `contact_detail` row: an e-mail address or phone number after the contact's first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupContactDetail {
    pub id: String,
    pub kind: DetailKind,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A `contact_tag` row: the tag by its id in [`Backup::tags`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupContactTag {
    pub tag_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupInteraction {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: InteractionType,
    pub date: DateTime<Utc>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupFollowUp {
    pub id: String,
    pub due_date: NaiveDate,
    pub note: Option<String>,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Backup {
    /// The backup with every id blanked and the tag references replaced by the tags' names:
    /// what two backups of the same data have in common. Also drops `exported_at`.
    pub fn without_ids(mut self) -> Backup {
        let tag_names: std::collections::HashMap<String, String> = self
            .tags
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
        self.exported_at = DateTime::<Utc>::default();
        for t in &mut self.tags {
            t.id.clear();
        }
        self.tags.sort_by(|a, b| a.name.cmp(&b.name));
        for c in &mut self.contacts {
            c.id.clear();
            if let Some(b) = &mut c.background {
                b.id.clear();
            }
            if let Some(i) = &mut c.contact_info {
                i.id.clear();
            }
            for d in &mut c.details {
                d.id.clear();
            }
            for t in &mut c.tags {
                t.tag_id = tag_names.get(&t.tag_id).cloned().unwrap_or_default();
            }
            c.tags.sort_by(|a, b| a.tag_id.cmp(&b.tag_id));
            for i in &mut c.interactions {
                i.id.clear();
            }
            for f in &mut c.follow_ups {
                f.id.clear();
            }
        }
        self.contacts.sort_by(|a, b| {
            (a.created_at, &a.name, a.birthday).cmp(&(b.created_at, &b.name, b.birthday))
        });
        self
    }
}

/// Reads a backup document.
pub fn parse(text: &str) -> Result<Backup, super::FileError> {
    let backup: Backup =
        serde_json::from_str(text).map_err(|e| super::FileError::Backup(e.to_string()))?;
    if backup.format != FORMAT || backup.version != VERSION {
        return Err(super::FileError::Backup(format!(
            "this is not a {FORMAT} version {VERSION} document"
        )));
    }
    Ok(backup)
}

/// Writes the user's backup into `sink`, one contact (with its children) at a time, all read
/// in one snapshot through the repositories. Returns how many contacts it holds.
pub async fn export(db: &Db, user: &UserId, sink: &mut impl Sink) -> Result<u64> {
    let tx = db.begin_read().await?;
    let settings = tx.user_settings().get(user).await?;
    let settings = settings.saved.map(|saved| BackupSettings {
        time_zone: settings.preferences.time_zone.name().to_string(),
        cadence_days: settings.preferences.cadence_days.get(),
        vip_cadence_days: settings.preferences.vip_cadence_days.get(),
        created_at: saved.created_at,
        updated_at: saved.updated_at,
    });
    let mut tags: Vec<BackupTag> = tx
        .tags()
        .list(user)
        .await?
        .into_iter()
        .map(|t| BackupTag {
            id: t.id.into_string(),
            name: t.name,
            color: t.color,
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
        .collect();
    tags.sort_by(|a, b| a.id.cmp(&b.id));
    let head = serde_json::json!({
        "format": FORMAT,
        "version": VERSION,
        "exported_at": crate::row::now(),
        "settings": settings,
        "tags": tags,
    });
    let mut head = serde_json::to_vec(&head).map_err(json_error)?;
    // Open the object again to append the contacts array to it.
    head.pop();
    head.extend_from_slice(b",\"contacts\":[");
    sink.write(head).await?;

    let mut after: Option<ContactId> = None;
    let mut count = 0u64;
    loop {
        let contacts = tx.contacts().list_by_id(user, after.as_ref(), 200).await?;
        let Some(last) = contacts.last() else { break };
        after = Some(last.id.clone());
        for contact in contacts {
            let c = backup_contact(&tx, user, contact).await?;
            let mut bytes = Vec::with_capacity(512);
            if count > 0 {
                bytes.push(b',');
            }
            serde_json::to_writer(&mut bytes, &c).map_err(json_error)?;
            sink.write(bytes).await?;
            count += 1;
        }
    }
    sink.write(b"]}\n".to_vec()).await?;
    tx.commit().await?;
    Ok(count)
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Config(format!("cannot write JSON: {e}"))
}

/// A contact with its children, as the backup writes it.
async fn backup_contact(tx: &Tx, user: &UserId, c: Contact) -> Result<BackupContact> {
    let id = &c.id;
    let cadence = tx
        .cadences()
        .get_row(user, id)
        .await?
        .map(|k| BackupCadence {
            days: k.days.get(),
            created_at: k.stamps.created_at,
            updated_at: k.stamps.updated_at,
        });
    let background = tx
        .backgrounds()
        .get(user, id)
        .await?
        .map(|b| BackupBackground {
            id: b.id.into_string(),
            family: b.family,
            company: b.company,
            likes_dislikes: b.likes_dislikes,
            misc_notes: b.misc_notes,
            created_at: b.created_at,
            updated_at: b.updated_at,
        });
    let contact_info = match tx.contact_infos().get(user, id).await? {
        Some(i) => Some(BackupContactInfo {
            id: i.id.into_string(),
            main_app: i.main_app,
            email: i.email,
            phone_number: i.phone_number,
            social_links: if i.social_links.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&i.social_links).map_err(json_error)?)
            },
            created_at: i.created_at,
            updated_at: i.updated_at,
            email_label: i.email_label,
            phone_label: i.phone_label,
        }),
        None => None,
    };
    let photo = match tx.contact_photos().get(user, id).await {
        Ok(p) => Some(BackupPhoto {
            content_type: p.content_type,
            data: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &p.data),
        }),
        Err(Error::NotFound) => None,
        Err(e) => return Err(e),
    };
    let details = tx
        .contact_details()
        .more(user, id)
        .await?
        .into_iter()
        .map(|d| BackupContactDetail {
            id: d.id.into_string(),
            kind: d.kind,
            value: d.value,
            label: d.label,
            created_at: d.created_at,
            updated_at: d.updated_at,
        })
        .collect();
    let tags = tx
        .tags()
        .links_of_contact(user, id)
        .await?
        .into_iter()
        .map(|t| BackupContactTag {
            tag_id: t.tag_id.into_string(),
            created_at: t.stamps.created_at,
            updated_at: t.stamps.updated_at,
        })
        .collect();
    let interactions = tx
        .interactions()
        .all_for_contact(user, id)
        .await?
        .into_iter()
        .map(|i| BackupInteraction {
            id: i.id.into_string(),
            kind: i.type_,
            date: i.date,
            notes: i.notes,
            created_at: i.created_at,
            updated_at: i.updated_at,
        })
        .collect();
    let mut follow_ups: Vec<BackupFollowUp> = tx
        .follow_ups()
        .list_for_contact(user, id, true)
        .await?
        .into_iter()
        .map(|f| BackupFollowUp {
            id: f.id.into_string(),
            due_date: f.due_date,
            note: f.note,
            completed: f.completed,
            completed_at: f.completed_at,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
        .collect();
    follow_ups.sort_by(|a, b| (a.due_date, &a.id).cmp(&(b.due_date, &b.id)));
    Ok(BackupContact {
        id: c.id.into_string(),
        name: c.name,
        relationship: c.relationship,
        birthday: c.birthday,
        industry: c.industry,
        location: c.location,
        vip: c.vip,
        last_update: c.last_update,
        last_contacted: c.last_contacted,
        status: c.status,
        notes: c.notes,
        created_at: c.created_at,
        updated_at: c.updated_at,
        cadence,
        background,
        contact_info,
        details,
        photo,
        tags,
        interactions,
        follow_ups,
    })
}

/// What a restore wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    pub contacts: u64,
    pub interactions: u64,
    pub follow_ups: u64,
    pub tags: u64,
}

/// Restores `backup` into the account of `user`, which must have no contacts and no tags,
/// in one transaction: all or nothing. Every record goes through the same parsing as a form
/// or an API call (only the original times are kept, through the repositories' `*_at`
/// functions); the first value that breaks a rule refuses the whole file, naming the record,
/// the field and the reason, and nothing is written.
pub async fn restore(db: &Db, user: &UserId, backup: &Backup) -> Result<Restored> {
    db.write(async |tx| restore_rows(tx, user, backup).await.map_err(file_fault))
        .await
}

/// Checks that `backup` would restore into the account of `user` (the same checks, in a unit
/// of work that is rolled back): what a preview or a dry run reports.
pub async fn check(db: &Db, user: &UserId, backup: &Backup) -> Result<Restored> {
    let tx = db.begin_write().await?;
    let restored = restore_rows(&tx, user, backup).await.map_err(file_fault);
    tx.rollback().await?;
    restored
}

/// A rule only the schema knows (two tags whose names differ only in case) broken by a
/// hand-edited backup is the file's fault, reported as such.
fn file_fault(e: Error) -> Error {
    match e
        .database_message()
        .filter(|m| m.contains("constraint failed"))
    {
        Some(m) => Error::validation(
            "file",
            format!("the backup breaks a rule of the database ({m})"),
        ),
        None => e,
    }
}

/// Turns the field errors of one record into an error of the file that names the record.
fn in_record(record: impl Fn() -> String) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::Validation(errors) => Error::validation("file", format!("{}: {errors}", record())),
        other => other,
    }
}

async fn restore_rows(tx: &Tx, user: &UserId, backup: &Backup) -> Result<Restored> {
    let existing = crate::repo::query_count(
        tx,
        "SELECT (SELECT count(*) FROM contact WHERE user_id = ?1) + \
                (SELECT count(*) FROM tag WHERE user_id = ?1)",
        [user.as_str()],
    )
    .await?;
    if existing > 0 {
        return Err(Error::validation(
            "file",
            "a backup can only be restored into an empty account (this one has contacts or tags)",
        ));
    }
    let mut restored = Restored::default();
    if let Some(s) = &backup.settings {
        let why = |field: &'static str| {
            move |m: String| Error::validation("file", format!("settings: {field}: {m}"))
        };
        let preferences = Preferences {
            time_zone: TimeZone::parse(&s.time_zone).map_err(why("time_zone"))?,
            cadence_days: CadenceDays::new(s.cadence_days).map_err(why("cadence_days"))?,
            vip_cadence_days: CadenceDays::new(s.vip_cadence_days)
                .map_err(why("vip_cadence_days"))?,
        };
        tx.user_settings()
            .save_preferences_at(user, &preferences, stamps(s.created_at, s.updated_at))
            .await?;
    }
    let mut tag_ids = std::collections::HashMap::new();
    for (n, t) in backup.tags.iter().enumerate() {
        let new = TagInput {
            name: t.name.clone(),
            color: t.color.clone(),
        }
        .parse()
        .map_err(in_record(|| format!("tags[{n}] ({:?})", t.name)))?;
        let tag = tx
            .tags()
            .create_at(user, &new, stamps(t.created_at, t.updated_at))
            .await?;
        tag_ids.insert(t.id.as_str(), tag.id);
        restored.tags += 1;
    }
    for (n, c) in backup.contacts.iter().enumerate() {
        let record = |what: &str| format!("contacts[{n}] ({:?}){what}", short(&c.name));
        let new = ContactInput {
            name: c.name.clone(),
            relationship: c.relationship.clone(),
            birthday: c.birthday.map(|b| b.format("%Y-%m-%d").to_string()),
            industry: c.industry.clone(),
            location: c.location.clone(),
            vip: c.vip,
            status: Some(c.status.as_str().to_string()),
            notes: c.notes.clone(),
        }
        .parse()
        .map_err(in_record(|| record("")))?;
        // Deferred writes: on a server, hundreds go in one request.
        let id = tx
            .contacts()
            .insert_deferred(
                user,
                &new,
                ContactStamps {
                    row: stamps(c.created_at, c.updated_at),
                    last_update: c.last_update,
                    last_contacted: c.last_contacted,
                },
            )
            .await?;
        let id = &id;
        restored.contacts += 1;
        if let Some(k) = &c.cadence {
            let days = CadenceDays::new(k.days).map_err(|m| {
                Error::validation("file", format!("{}: days: {m}", record(".cadence")))
            })?;
            tx.cadences()
                .set_deferred(user, id, days, stamps(k.created_at, k.updated_at))
                .await?;
        }
        if let Some(b) = &c.background {
            let new = BackgroundInput {
                family: b.family.clone(),
                company: b.company.clone(),
                likes_dislikes: b.likes_dislikes.clone(),
                misc_notes: b.misc_notes.clone(),
            }
            .parse()
            .map_err(in_record(|| record(".background")))?;
            tx.backgrounds()
                .upsert_deferred(user, id, &new, stamps(b.created_at, b.updated_at))
                .await?;
        }
        if let Some(i) = &c.contact_info {
            let social_links = match i.social_links.as_deref().map(str::trim) {
                None | Some("") => Vec::new(),
                Some(json) => serde_json::from_str::<Vec<String>>(json).map_err(|_| {
                    Error::validation(
                        "file",
                        format!(
                            "{}: social_links: must be a JSON array of web addresses",
                            record(".contact_info")
                        ),
                    )
                })?,
            };
            let new = ContactInfoInput {
                main_app: i.main_app.clone(),
                email: i.email.clone(),
                phone_number: i.phone_number.clone(),
                social_links,
                email_label: i.email_label.clone(),
                phone_label: i.phone_label.clone(),
            }
            .parse()
            .map_err(in_record(|| record(".contact_info")))?;
            tx.contact_infos()
                .upsert_deferred(user, id, &new, stamps(i.created_at, i.updated_at))
                .await?;
        }
        let mut positions = std::collections::HashMap::new();
        for (k, d) in c.details.iter().enumerate() {
            let new = NewDetail::parse(d.kind, &d.value, d.label.as_deref()).map_err(|m| {
                Error::validation(
                    "file",
                    format!("{}: {m}", record(&format!(".details[{k}]"))),
                )
            })?;
            let position = positions.entry(d.kind.as_str()).or_insert(0usize);
            tx.contact_details()
                .insert_deferred(
                    user,
                    id,
                    &new,
                    *position,
                    stamps(d.created_at, d.updated_at),
                )
                .await?;
            *position += 1;
        }
        if let Some(p) = &c.photo {
            let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &p.data)
                .map_err(|e| {
                    Error::validation("file", format!("{}: {e}", record(".photo.data")))
                })?;
            tx.contact_photos()
                .set(user, id, &bytes)
                .await
                .map_err(|e| match e {
                    Error::Validation(v) => Error::validation(
                        "file",
                        format!(
                            "{}: the photo {}",
                            record(".photo"),
                            v.get("photo").unwrap_or("could not be read")
                        ),
                    ),
                    other => other,
                })?;
        }
        for t in &c.tags {
            let tag = tag_ids.get(t.tag_id.as_str()).ok_or_else(|| {
                Error::validation("file", format!("{}: names an unknown tag", record(".tags")))
            })?;
            tx.tags()
                .attach_deferred(user, id, tag, stamps(t.created_at, t.updated_at))
                .await?;
        }
        for (k, i) in c.interactions.iter().enumerate() {
            let new = InteractionInput {
                type_: i.kind.as_str().to_string(),
                date: i.date.date_naive().format("%Y-%m-%d").to_string(),
                notes: i.notes.clone(),
            }
            .parse()
            .map_err(in_record(|| record(&format!(".interactions[{k}]"))))?
            // Another client may have stored a time of day: the restore keeps it.
            .keeping_time_of(i.date);
            tx.interactions()
                .insert_deferred(user, id, &new, stamps(i.created_at, i.updated_at))
                .await?;
            restored.interactions += 1;
        }
        for (k, f) in c.follow_ups.iter().enumerate() {
            let new = FollowUpInput {
                due_date: f.due_date.format("%Y-%m-%d").to_string(),
                note: f.note.clone(),
            }
            .parse()
            .map_err(in_record(|| record(&format!(".follow_ups[{k}]"))))?;
            tx.follow_ups()
                .create_deferred(
                    user,
                    id,
                    &new,
                    stamps(f.created_at, f.updated_at),
                    Completion {
                        completed: f.completed,
                        completed_at: f.completed_at,
                    },
                )
                .await?;
            restored.follow_ups += 1;
        }
    }
    // The deferred writes go now, so that a rule of the schema they break is reported as the
    // file's fault (and a dry run sees it too).
    tx.flush().await?;
    Ok(restored)
}

fn stamps(created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Stamps {
    Stamps {
        created_at,
        updated_at,
    }
}

/// A name as a record's label: a megabyte-long name is cut.
fn short(name: &str) -> String {
    const MAX: usize = 40;
    if name.chars().count() > MAX {
        format!("{}…", name.chars().take(MAX).collect::<String>())
    } else {
        name.to_string()
    }
}
