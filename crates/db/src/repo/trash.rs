//! Undo for the web app: contacts deleted there are kept as snapshots (`deleted_contact`) for
//! [`SNAPSHOT_DAYS`], and every undoable action leaves an `undo_action` row holding what it
//! changed, so that the flash's "Undo" (or "Restore" in Settings → Recently deleted) sets back
//! exactly what was there.
//!
//! A snapshot is generic: every column of the contact's row and of every row of each table
//! whose foreign key references `contact` (found from the schema, so a table or a column added
//! later is kept with no change here), plus the tags the contact had (by name and colour, so a
//! tag deleted meanwhile comes back). Restoring inserts the contact, then its rows, in one unit
//! of work: the schema's triggers (search index, counts) see ordinary inserts.
//!
//! The API and the CLI keep deleting for good (`ContactRepo::delete`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use libsql::{params, params_from_iter, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::contact::{BulkAction, ContactId, ContactRepo};
use super::follow_up::FollowUpId;
use super::interaction::InteractionId;
use super::user::UserId;
use super::{execute, query_all, query_one, with_rows, Runner};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::row::{id_type, now, timestamp};

id_type!(
    /// The id of a `deleted_contact` row (a snapshot).
    DeletedContactId
);

id_type!(
    /// The id of an `undo_action` row: what the flash's "Undo" posts.
    UndoId
);

/// How long a deleted contact can be restored.
pub const SNAPSHOT_DAYS: i64 = 30;
/// How long the flash's "Undo" of an action works (a deleted contact stays in Recently deleted
/// for [`SNAPSHOT_DAYS`]).
pub const UNDO_LIFETIME_SECS: i64 = 24 * 60 * 60;
/// Contacts per statement of a bulk delete (well under SQLite's parameter limit).
const CHUNK: usize = 200;
/// The most snapshots Recently deleted lists.
pub const LISTED: u32 = 200;

/// A snapshot as Recently deleted lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedContact {
    pub id: DeletedContactId,
    pub contact_id: ContactId,
    pub name: String,
    /// How many interactions went with it.
    pub interactions: u64,
    pub deleted_at: DateTime<Utc>,
}

/// Contacts deleted by one action, and the undo that brings them all back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub contacts: Vec<DeletedContact>,
    pub undo: UndoId,
}

/// What restoring a snapshot did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// The contact is back, with everything it had.
    Restored { contact_id: ContactId, name: String },
    /// A contact with its id exists (restored already, or brought back by an import): nothing
    /// was written, and the snapshot stays until deleted or purged.
    AlreadyThere { contact_id: ContactId, name: String },
}

/// Which change of contacts an undo sets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactColumn {
    Status,
    Vip,
}

/// A contact's values before an archive or VIP change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PreviousContact {
    id: String,
    value: Json,
    last_update: i64,
}

/// A follow-up's values before it was marked done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PreviousFollowUp {
    id: String,
    completed: i64,
    completed_at: Option<i64>,
}

/// What an `undo_action` sets back (its `payload`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Payload {
    /// Contacts deleted: their snapshots.
    Delete { snapshots: Vec<String> },
    /// Contacts archived, unarchived, marked or unmarked VIP: the previous values of the rows
    /// that changed (a contact that already had the new value is left alone by the undo).
    Contacts {
        action: String,
        column: ContactColumn,
        rows: Vec<PreviousContact>,
    },
    /// Follow-ups marked done.
    FollowUps { rows: Vec<PreviousFollowUp> },
    /// An interaction deleted: its row, every column.
    Interaction { row: Map<String, Json> },
    /// A tag put on (`added`) or taken off contacts: the `contact_tag` rows that changed, with
    /// their times.
    Tags {
        tag_id: String,
        name: String,
        added: bool,
        rows: Vec<(String, i64, i64)>,
    },
}

impl Payload {
    fn kind(&self) -> &'static str {
        match self {
            Payload::Delete { .. } => "delete",
            Payload::Contacts { .. } => "contacts",
            Payload::FollowUps { .. } => "follow_ups",
            Payload::Interaction { .. } => "interaction",
            Payload::Tags { .. } => "tags",
        }
    }
}

/// What an undo did, for its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undone {
    /// Deleted contacts restored (those that were not back already), and those already there.
    Restored {
        restored: Vec<(ContactId, String)>,
        already: Vec<(ContactId, String)>,
    },
    /// An archive, unarchive or VIP change set back on `count` contacts; `action` is what the
    /// flash called it ("archive", "unmark VIP"…).
    Contacts {
        action: String,
        count: usize,
    },
    FollowUps {
        count: usize,
    },
    Interaction {
        contact_id: ContactId,
    },
    /// A tag taken off again (`added`) or put back on `count` contacts.
    Tags {
        name: String,
        added: bool,
        count: usize,
    },
}

/// The answer to an undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    Done {
        undone: Undone,
        back: String,
    },
    /// Used already.
    AlreadyUndone,
    /// Past its [`UNDO_LIFETIME_SECS`].
    Expired,
}

/// The stored document of an `undo_action`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// Where the flash's Undo returns to (a local path the web app chose).
    back: String,
    #[serde(flatten)]
    payload: Payload,
}

/// A table whose rows belong to a contact: rows whose `column` holds the contact's id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChildTable {
    table: String,
    column: String,
}

/// A contact's snapshot document (`deleted_contact.snapshot`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    contact: Map<String, Json>,
    /// Table name → its rows of the contact, every column.
    children: BTreeMap<String, Vec<Map<String, Json>>>,
    /// The tags the contact had (every column), to recreate one deleted meanwhile.
    tags: Vec<Map<String, Json>>,
}

/// `"name"`, quoted for SQL.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A stored value as JSON: numbers, text, null, and blobs as `{"blob": "<hex>"}`.
fn to_json(value: Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::from(i),
        Value::Real(r) => serde_json::Number::from_f64(r).map_or(Json::Null, Json::Number),
        Value::Text(t) => Json::String(t),
        Value::Blob(b) => {
            let mut m = Map::new();
            m.insert("blob".into(), Json::String(hex::encode(b)));
            Json::Object(m)
        }
    }
}

/// The inverse of [`to_json`].
fn from_json(json: &Json) -> Result<Value> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(i64::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Value::Text(s.clone()),
        Json::Object(m) => match m.get("blob").and_then(Json::as_str) {
            Some(h) => Value::Blob(hex::decode(h).map_err(|e| decode("snapshot", e))?),
            None => return Err(decode("snapshot", "an object that is not a blob")),
        },
        Json::Array(_) => return Err(decode("snapshot", "an array where a value belongs")),
    })
}

fn decode(column: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::Decode {
        column,
        reason: reason.to_string(),
    }
}

/// Every row `sql` answers, each as column name → value.
async fn rows_as_json(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Map<String, Json>>> {
    with_rows(conn, sql, params_from_iter(values), async |rows| {
        let names: Vec<String> = (0..rows.column_count())
            .map(|i| rows.column_name(i).unwrap_or_default().to_string())
            .collect();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await? {
            let mut map = Map::new();
            for (i, name) in names.iter().enumerate() {
                let i = i32::try_from(i).unwrap_or(i32::MAX);
                map.insert(name.clone(), to_json(row.get_value(i)?));
            }
            out.push(map);
        }
        Ok(out)
    })
    .await
}

/// The tables that reference `contact(id)`, from the schema's foreign keys.
async fn child_tables(conn: &(impl Runner + ?Sized)) -> Result<Vec<ChildTable>> {
    query_all(
        conn,
        "SELECT DISTINCT m.name, p.\"from\" FROM sqlite_schema AS m, \
         pragma_foreign_key_list(m.name) AS p \
         WHERE m.type = 'table' AND p.\"table\" = 'contact' \
         AND (p.\"to\" = 'id' OR p.\"to\" IS NULL) ORDER BY m.name, p.\"from\"",
        (),
        |row| {
            Ok(ChildTable {
                table: row.get(0)?,
                column: row.get(1)?,
            })
        },
    )
    .await
}

/// The columns `table` has now.
async fn columns_of(conn: &(impl Runner + ?Sized), table: &str) -> Result<Vec<String>> {
    query_all(
        conn,
        "SELECT name FROM pragma_table_info(?1)",
        [table],
        |row| Ok(row.get::<String>(0)?),
    )
    .await
}

/// Inserts `row` into `table`: the columns the table has now (one added since the snapshot
/// takes its default; one dropped is left out).
async fn insert_row(
    conn: &(impl Runner + ?Sized),
    table: &str,
    columns: &[String],
    row: &Map<String, Json>,
) -> Result<()> {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (name, value) in row {
        if columns.iter().any(|c| c == name) {
            names.push(ident(name));
            values.push(from_json(value)?);
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        ident(table),
        names.join(", "),
        vec!["?"; names.len()].join(", ")
    );
    execute(conn, &sql, params_from_iter(values)).await?;
    Ok(())
}

fn text(row: &Map<String, Json>, column: &str) -> String {
    row.get(column)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

impl DeletedContact {
    fn from_row(row: &libsql::Row) -> Result<Self> {
        Ok(DeletedContact {
            id: DeletedContactId::from(row.get::<String>(0)?),
            contact_id: ContactId::from(row.get::<String>(1)?),
            name: row.get(2)?,
            interactions: u64::try_from(row.get::<i64>(3)?).unwrap_or(0),
            deleted_at: timestamp(row.get(4)?, "deleted_at")?,
        })
    }
}

#[derive(Clone, Copy)]
pub struct TrashRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> TrashRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        TrashRepo { ex: ex.into() }
    }

    /// Deletes the user's contacts among `ids`, each kept as a snapshot, and records the undo
    /// that restores them all (returning to `back`), in one unit of work. Ids of other users'
    /// contacts, or of none, are ignored; `NotFound` when none was the user's.
    pub async fn delete_contacts(
        &self,
        user: &UserId,
        ids: &[ContactId],
        back: &str,
    ) -> Result<Deleted> {
        let tx = self.ex.begin_write().await?;
        let children = child_tables(&*tx).await?;
        let at = now().timestamp();
        let mut contacts = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let keys = || chunk.iter().map(Value::from).collect::<Vec<_>>();
            let mut owner_and_keys = vec![Value::from(user)];
            owner_and_keys.extend(keys());
            let rows = rows_as_json(
                &*tx,
                &format!("SELECT * FROM contact WHERE user_id = ? AND id IN ({marks})"),
                owner_and_keys.clone(),
            )
            .await?;
            if rows.is_empty() {
                continue;
            }
            let mut snapshots: Vec<Snapshot> = rows
                .into_iter()
                .map(|contact| Snapshot {
                    version: 1,
                    contact,
                    ..Snapshot::default()
                })
                .collect();
            let index: HashMap<String, usize> = snapshots
                .iter()
                .enumerate()
                .map(|(i, s)| (text(&s.contact, "id"), i))
                .collect();
            for child in &children {
                let rows = rows_as_json(
                    &*tx,
                    &format!(
                        "SELECT * FROM {} WHERE {} IN ({marks})",
                        ident(&child.table),
                        ident(&child.column)
                    ),
                    keys(),
                )
                .await?;
                for row in rows {
                    if let Some(&i) = index.get(&text(&row, &child.column)) {
                        snapshots[i]
                            .children
                            .entry(child.table.clone())
                            .or_default()
                            .push(row);
                    }
                }
            }
            // The tags, each with the contacts of the chunk that had it.
            let tags = rows_as_json(
                &*tx,
                &format!(
                    "SELECT ct.contact_id AS tagged_contact, t.* FROM contact_tag AS ct \
                     JOIN tag AS t ON t.id = ct.tag_id \
                     WHERE t.user_id = ? AND ct.contact_id IN ({marks})"
                ),
                owner_and_keys.clone(),
            )
            .await?;
            for mut tag in tags {
                let owner = tag
                    .remove("tagged_contact")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                if let Some(&i) = index.get(&owner) {
                    snapshots[i].tags.push(tag);
                }
            }
            for snapshot in snapshots {
                let id = DeletedContactId::generate();
                let contact_id = ContactId::from(text(&snapshot.contact, "id"));
                let name = text(&snapshot.contact, "name");
                let interactions = snapshot.children.get("interaction").map_or(0, Vec::len);
                let document = serde_json::to_string(&snapshot)
                    .map_err(|e| decode("snapshot", e.to_string()))?;
                execute(
                    &*tx,
                    "INSERT INTO deleted_contact (id, user_id, contact_id, name, interactions, \
                     snapshot, deleted_at, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7)",
                    params![
                        &id,
                        user,
                        &contact_id,
                        name.clone(),
                        i64::try_from(interactions).unwrap_or(i64::MAX),
                        document,
                        at
                    ],
                )
                .await?;
                contacts.push(DeletedContact {
                    id,
                    contact_id,
                    name,
                    interactions: interactions as u64,
                    deleted_at: timestamp(at, "deleted_at")?,
                });
            }
            // The contacts and, by the schema's cascades, everything that was theirs.
            execute(
                &*tx,
                &format!("DELETE FROM contact WHERE user_id = ? AND id IN ({marks})"),
                params_from_iter(owner_and_keys),
            )
            .await?;
        }
        if contacts.is_empty() {
            return Err(Error::NotFound);
        }
        let payload = Payload::Delete {
            snapshots: contacts.iter().map(|c| c.id.to_string()).collect(),
        };
        let undo = record(&*tx, user, back, payload).await?;
        tx.commit().await?;
        Ok(Deleted { contacts, undo })
    }

    /// Restores the user's snapshot `id` (within [`SNAPSHOT_DAYS`]): the contact and all its
    /// rows, then forgets the snapshot. `NotFound` for another user's, an unknown or a purged
    /// one.
    pub async fn restore(&self, user: &UserId, id: &DeletedContactId) -> Result<Restored> {
        let tx = self.ex.begin_write().await?;
        let restored = restore_snapshot(&*tx, user, id, now()).await?;
        let restored = restored.ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(restored)
    }

    /// The user's deleted contacts that can still be restored, the latest first.
    pub async fn list(&self, user: &UserId) -> Result<Vec<DeletedContact>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            "SELECT id, contact_id, name, interactions, deleted_at FROM deleted_contact \
             WHERE user_id = ?1 AND deleted_at >= ?2 ORDER BY deleted_at DESC, id DESC LIMIT +?3",
            params![user, oldest_kept(now()), i64::from(LISTED)],
            DeletedContact::from_row,
        )
        .await
    }

    /// The user's snapshot `id`, while it can be restored.
    pub async fn get(&self, user: &UserId, id: &DeletedContactId) -> Result<DeletedContact> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT id, contact_id, name, interactions, deleted_at FROM deleted_contact \
             WHERE id = ?1 AND user_id = ?2 AND deleted_at >= ?3",
            params![id, user, oldest_kept(now())],
            DeletedContact::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// `NotFound` unless `id` is one of the user's undo records (used or not).
    pub async fn ensure_undo(&self, user: &UserId, id: &UndoId) -> Result<()> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT 1 FROM undo_action WHERE id = ?1 AND user_id = ?2",
            params![id, user],
            |_| Ok(()),
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Deletes the user's snapshot `id` for good ("Delete forever").
    pub async fn forget(&self, user: &UserId, id: &DeletedContactId) -> Result<DeletedContact> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "DELETE FROM deleted_contact WHERE id = ?1 AND user_id = ?2 AND deleted_at >= ?3 \
             RETURNING id, contact_id, name, interactions, deleted_at",
            params![id, user, oldest_kept(now())],
            DeletedContact::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Deletes, for every user, the snapshots older than [`SNAPSHOT_DAYS`] and the undo
    /// records past their expiry, as of `now`; answers how many of each.
    pub async fn purge(&self, now: DateTime<Utc>) -> Result<(u64, u64)> {
        let tx = self.ex.begin_write().await?;
        let snapshots = execute(
            &*tx,
            "DELETE FROM deleted_contact WHERE deleted_at < ?1",
            [oldest_kept(now)],
        )
        .await?;
        let undos = execute(
            &*tx,
            "DELETE FROM undo_action WHERE expires_at < ?1",
            [now.timestamp()],
        )
        .await?;
        tx.commit().await?;
        Ok((snapshots, undos))
    }

    /// Applies `action` to the user's contacts among `ids` (as [`ContactRepo::bulk`]) and
    /// records the undo that sets back the previous values of the contacts that changed;
    /// answers how many contacts the action touched and the undo (none when nothing changed).
    /// A deletion goes through [`Self::delete_contacts`] instead.
    pub async fn change_contacts(
        &self,
        user: &UserId,
        ids: &[ContactId],
        action: BulkAction,
        back: &str,
    ) -> Result<(u64, Option<UndoId>)> {
        let (column, label, new): (ContactColumn, &str, Value) = match action {
            BulkAction::Archive => (ContactColumn::Status, "archive", "archived".into()),
            BulkAction::Unarchive => (ContactColumn::Status, "unarchive", "active".into()),
            BulkAction::MarkVip => (ContactColumn::Vip, "mark VIP", Value::Integer(1)),
            BulkAction::UnmarkVip => (ContactColumn::Vip, "unmark VIP", Value::Integer(0)),
            BulkAction::Delete => return Err(Error::validation("action", "use delete_contacts")),
        };
        let name = match column {
            ContactColumn::Status => "status",
            ContactColumn::Vip => "vip",
        };
        let tx = self.ex.begin_write().await?;
        let mut rows = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut values = vec![Value::from(user), new.clone()];
            values.extend(chunk.iter().map(Value::from));
            let previous = rows_as_json(
                &*tx,
                &format!(
                    "SELECT id, {name} AS value, last_update FROM contact \
                     WHERE user_id = ? AND {name} IS NOT ? AND id IN ({marks})"
                ),
                values,
            )
            .await?;
            rows.extend(previous.into_iter().map(|row| PreviousContact {
                id: text(&row, "id"),
                value: row.get("value").cloned().unwrap_or(Json::Null),
                last_update: row.get("last_update").and_then(Json::as_i64).unwrap_or(0),
            }));
        }
        let touched = ContactRepo::new(&*tx).bulk(user, ids, action).await?;
        let undo = if rows.is_empty() {
            None
        } else {
            let payload = Payload::Contacts {
                action: label.to_string(),
                column,
                rows,
            };
            Some(record(&*tx, user, back, payload).await?)
        };
        tx.commit().await?;
        Ok((touched, undo))
    }

    /// Marks the user's follow-up `id` done, with the undo that reopens it (none when it was
    /// done already).
    pub async fn complete_follow_up(
        &self,
        user: &UserId,
        id: &FollowUpId,
        back: &str,
    ) -> Result<Option<UndoId>> {
        let tx = self.ex.begin_write().await?;
        let previous = query_one(
            &*tx,
            "SELECT completed, completed_at FROM follow_up WHERE id = ?1 AND user_id = ?2",
            params![id, user],
            |row| Ok((row.get::<i64>(0)?, row.get::<Option<i64>>(1)?)),
        )
        .await?
        .ok_or(Error::NotFound)?;
        super::follow_up::FollowUpRepo::new(&*tx)
            .complete(user, id)
            .await?;
        let undo = if previous.0 == 0 {
            let payload = Payload::FollowUps {
                rows: vec![PreviousFollowUp {
                    id: id.to_string(),
                    completed: previous.0,
                    completed_at: previous.1,
                }],
            };
            Some(record(&*tx, user, back, payload).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok(undo)
    }

    /// Deletes the user's interaction `id` (as `InteractionRepo::delete`), with the undo that
    /// puts its row back.
    pub async fn delete_interaction(
        &self,
        user: &UserId,
        id: &InteractionId,
        back: &str,
    ) -> Result<UndoId> {
        let tx = self.ex.begin_write().await?;
        let row = rows_as_json(
            &*tx,
            "SELECT * FROM interaction WHERE id = ? AND user_id = ?",
            vec![id.into(), user.into()],
        )
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound)?;
        super::interaction::InteractionRepo::new(&*tx)
            .delete(user, id)
            .await?;
        let undo = record(&*tx, user, back, Payload::Interaction { row }).await?;
        tx.commit().await?;
        Ok(undo)
    }

    /// Puts the user's tag `name` on (`add`) or takes it off those of `ids` that are the
    /// user's contacts (as `TagRepo::bulk_add` / `bulk_remove`), with the undo that sets back
    /// exactly the links that changed (none when nothing changed).
    pub async fn tag_contacts(
        &self,
        user: &UserId,
        ids: &[ContactId],
        name: &str,
        add: bool,
        back: &str,
    ) -> Result<(super::tag::Tag, u64, Option<UndoId>)> {
        let tx = self.ex.begin_write().await?;
        let tags = super::tag::TagRepo::new(&*tx);
        // The links there before, among the selected contacts (none for a tag still to make).
        let before = |tag_id: Option<String>| {
            let tx = &tx;
            async move {
                let Some(tag_id) = tag_id else {
                    return Ok::<_, Error>(Vec::new());
                };
                let mut rows = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let mut values = vec![Value::from(tag_id.as_str()), Value::from(user)];
                    values.extend(chunk.iter().map(Value::from));
                    rows.extend(
                        super::query_all(
                            &**tx,
                            &format!(
                                "SELECT ct.contact_id, ct.created_at, ct.updated_at \
                                 FROM contact_tag ct JOIN contact c ON c.id = ct.contact_id \
                                 WHERE ct.tag_id = ? AND c.user_id = ? AND c.id IN ({marks})"
                            ),
                            libsql::params_from_iter(values),
                            |row| {
                                Ok((
                                    row.get::<String>(0)?,
                                    row.get::<i64>(1)?,
                                    row.get::<i64>(2)?,
                                ))
                            },
                        )
                        .await?,
                    );
                }
                Ok(rows)
            }
        };
        let existing = tags.find_by_name(user, name.trim()).await?;
        let had = before(existing.map(|t| t.id.to_string())).await?;
        let (tag, changed) = if add {
            tags.bulk_add(user, ids, name).await?
        } else {
            tags.bulk_remove(user, ids, name).await?
        };
        let rows = if add {
            let had: Vec<&str> = had.iter().map(|(c, _, _)| c.as_str()).collect();
            before(Some(tag.id.to_string()))
                .await?
                .into_iter()
                .filter(|(c, _, _)| !had.contains(&c.as_str()))
                .collect()
        } else {
            had
        };
        let undo = if changed == 0 || rows.is_empty() {
            None
        } else {
            let payload = Payload::Tags {
                tag_id: tag.id.to_string(),
                name: tag.name.clone(),
                added: add,
                rows,
            };
            Some(record(&*tx, user, back, payload).await?)
        };
        tx.commit().await?;
        Ok((tag, changed, undo))
    }

    /// Undoes the user's action `id`: `NotFound` for another user's or an unknown one (or one
    /// purged), [`UndoOutcome::Expired`] past its lifetime, [`UndoOutcome::AlreadyUndone`]
    /// the second time. All of it or nothing.
    pub async fn undo(&self, user: &UserId, id: &UndoId) -> Result<UndoOutcome> {
        let tx = self.ex.begin_write().await?;
        let at = now();
        let found = query_one(
            &*tx,
            "SELECT payload, undone_at, expires_at FROM undo_action \
             WHERE id = ?1 AND user_id = ?2",
            params![id, user],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<Option<i64>>(1)?,
                    row.get::<i64>(2)?,
                ))
            },
        )
        .await?
        .ok_or(Error::NotFound)?;
        let (document, undone_at, expires_at) = found;
        if undone_at.is_some() {
            return Ok(UndoOutcome::AlreadyUndone);
        }
        if expires_at < at.timestamp() {
            return Ok(UndoOutcome::Expired);
        }
        let stored: Stored =
            serde_json::from_str(&document).map_err(|e| decode("payload", e.to_string()))?;
        let undone = apply(&tx, user, stored.payload, at).await?;
        execute(
            &*tx,
            "UPDATE undo_action SET undone_at = ?3, updated_at = ?3 WHERE id = ?1 AND user_id = ?2",
            params![id, user, at.timestamp()],
        )
        .await?;
        tx.commit().await?;
        Ok(UndoOutcome::Done {
            undone,
            back: stored.back,
        })
    }
}

/// The oldest `deleted_at` still kept at `now`.
fn oldest_kept(now: DateTime<Utc>) -> i64 {
    now.timestamp() - SNAPSHOT_DAYS * 24 * 60 * 60
}

/// Stores an undo record for `user`, valid for [`UNDO_LIFETIME_SECS`].
async fn record(
    conn: &(impl Runner + ?Sized),
    user: &UserId,
    back: &str,
    payload: Payload,
) -> Result<UndoId> {
    let id = UndoId::generate();
    let at = now().timestamp();
    let kind = payload.kind();
    let document = serde_json::to_string(&Stored {
        back: back.to_string(),
        payload,
    })
    .map_err(|e| decode("payload", e.to_string()))?;
    execute(
        conn,
        "INSERT INTO undo_action (id, user_id, kind, payload, expires_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![&id, user, kind, document, at + UNDO_LIFETIME_SECS, at],
    )
    .await?;
    Ok(id)
}

/// Sets back what `payload` holds, inside the caller's unit of work.
async fn apply(
    tx: &crate::db::Scope<'_>,
    user: &UserId,
    payload: Payload,
    at: DateTime<Utc>,
) -> Result<Undone> {
    let stamp = at.timestamp();
    Ok(match payload {
        Payload::Delete { snapshots } => {
            let (mut restored, mut already) = (Vec::new(), Vec::new());
            for id in snapshots {
                match restore_snapshot(&**tx, user, &DeletedContactId::from(id), at).await? {
                    Some(Restored::Restored { contact_id, name }) => {
                        restored.push((contact_id, name));
                    }
                    Some(Restored::AlreadyThere { contact_id, name }) => {
                        already.push((contact_id, name));
                    }
                    // Restored from Recently deleted already, deleted forever, or purged.
                    None => {}
                }
            }
            Undone::Restored { restored, already }
        }
        Payload::Contacts {
            action,
            column,
            rows,
        } => {
            let name = match column {
                ContactColumn::Status => "status",
                ContactColumn::Vip => "vip",
            };
            let sql = format!(
                "UPDATE contact SET {name} = ?3, last_update = ?4, updated_at = ?5 \
                 WHERE id = ?1 AND user_id = ?2"
            );
            let mut count = 0;
            for row in &rows {
                count += execute(
                    &**tx,
                    &sql,
                    params![
                        row.id.clone(),
                        user,
                        from_json(&row.value)?,
                        row.last_update,
                        stamp
                    ],
                )
                .await?;
            }
            Undone::Contacts {
                action,
                count: usize::try_from(count).unwrap_or(usize::MAX),
            }
        }
        Payload::FollowUps { rows } => {
            let mut count = 0;
            for row in &rows {
                count += execute(
                    &**tx,
                    "UPDATE follow_up SET completed = ?3, completed_at = ?4, updated_at = ?5 \
                     WHERE id = ?1 AND user_id = ?2",
                    params![row.id.clone(), user, row.completed, row.completed_at, stamp],
                )
                .await?;
            }
            Undone::FollowUps {
                count: usize::try_from(count).unwrap_or(usize::MAX),
            }
        }
        Payload::Interaction { row } => {
            let contact_id = ContactId::from(text(&row, "contact_id"));
            // The contact must still be the user's (it may have been deleted since).
            super::contact::ensure_owned(&**tx, user, &contact_id).await?;
            if text(&row, "user_id") != user.as_str() {
                return Err(Error::NotFound);
            }
            let columns = columns_of(&**tx, "interaction").await?;
            insert_row(&**tx, "interaction", &columns, &row).await?;
            super::contact::refresh_last_contacted(&**tx, &contact_id).await?;
            Undone::Interaction { contact_id }
        }
        Payload::Tags {
            tag_id,
            name,
            added,
            rows,
        } => {
            let mut count = 0;
            for (contact_id, created_at, updated_at) in &rows {
                // Only the user's own tag and contacts (the tag may be gone since: then
                // nothing is put back).
                count += if added {
                    execute(
                        &**tx,
                        "DELETE FROM contact_tag WHERE contact_id = ?1 AND tag_id = ?2 \
                         AND tag_id IN (SELECT id FROM tag WHERE user_id = ?3)",
                        params![contact_id.clone(), tag_id.clone(), user],
                    )
                    .await?
                } else {
                    execute(
                        &**tx,
                        "INSERT INTO contact_tag (contact_id, tag_id, created_at, updated_at) \
                         SELECT c.id, t.id, ?4, ?5 FROM contact c, tag t \
                         WHERE c.id = ?1 AND t.id = ?2 AND c.user_id = ?3 AND t.user_id = ?3 \
                         ON CONFLICT (contact_id, tag_id) DO NOTHING",
                        params![
                            contact_id.clone(),
                            tag_id.clone(),
                            user,
                            *created_at,
                            *updated_at
                        ],
                    )
                    .await?
                };
            }
            Undone::Tags {
                name,
                added,
                count: usize::try_from(count).unwrap_or(usize::MAX),
            }
        }
    })
}

/// Restores the user's snapshot `id` inside the caller's unit of work; `None` when there is
/// none (another user's, unknown, or older than [`SNAPSHOT_DAYS`] at `at`).
async fn restore_snapshot(
    tx: &(impl Runner + ?Sized),
    user: &UserId,
    id: &DeletedContactId,
    at: DateTime<Utc>,
) -> Result<Option<Restored>> {
    let Some(document) = query_one(
        tx,
        "SELECT snapshot FROM deleted_contact WHERE id = ?1 AND user_id = ?2 AND deleted_at >= ?3",
        params![id, user, oldest_kept(at)],
        |row| Ok(row.get::<String>(0)?),
    )
    .await?
    else {
        return Ok(None);
    };
    let snapshot: Snapshot =
        serde_json::from_str(&document).map_err(|e| decode("snapshot", e.to_string()))?;
    let contact_id = ContactId::from(text(&snapshot.contact, "id"));
    let name = text(&snapshot.contact, "name");
    if text(&snapshot.contact, "user_id") != user.as_str() {
        return Ok(None);
    }
    let exists = query_one(
        tx,
        "SELECT 1 FROM contact WHERE id = ?1",
        [&contact_id],
        |_| Ok(()),
    )
    .await?;
    if exists.is_some() {
        return Ok(Some(Restored::AlreadyThere { contact_id, name }));
    }
    // Tags first: one deleted meanwhile comes back with its name and colour (or the user's tag
    // of that name, if one was made since, takes its place).
    let mut tag_ids: HashMap<String, String> = HashMap::new();
    let tag_columns = columns_of(tx, "tag").await?;
    for tag in &snapshot.tags {
        let old = text(tag, "id");
        let current = query_one(
            tx,
            "SELECT id FROM tag WHERE user_id = ?1 AND (id = ?2 OR name = ?3 COLLATE NOCASE) \
             ORDER BY id = ?2 DESC LIMIT 1",
            params![user, old.clone(), text(tag, "name")],
            |row| Ok(row.get::<String>(0)?),
        )
        .await?;
        let id = match current {
            Some(id) => id,
            None => {
                let mut tag = tag.clone();
                tag.insert("user_id".into(), Json::String(user.to_string()));
                insert_row(tx, "tag", &tag_columns, &tag).await?;
                old.clone()
            }
        };
        tag_ids.insert(old, id);
    }
    let contact_columns = columns_of(tx, "contact").await?;
    insert_row(tx, "contact", &contact_columns, &snapshot.contact).await?;
    for (table, rows) in &snapshot.children {
        let columns = columns_of(tx, table).await?;
        if columns.is_empty() {
            // The table is gone from the schema.
            continue;
        }
        for row in rows {
            let mut row = row.clone();
            if table == "contact_tag" {
                let old = text(&row, "tag_id");
                if let Some(new) = tag_ids.get(&old) {
                    row.insert("tag_id".into(), Json::String(new.clone()));
                }
            }
            insert_row(tx, table, &columns, &row).await?;
        }
    }
    execute(
        tx,
        "DELETE FROM deleted_contact WHERE id = ?1 AND user_id = ?2",
        params![id, user],
    )
    .await?;
    Ok(Some(Restored::Restored { contact_id, name }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_json_of_a_snapshot() {
        for value in [
            Value::Null,
            Value::Integer(-42),
            Value::Integer(i64::MAX),
            Value::Real(2.5),
            Value::Real(3.0),
            Value::Text("12".into()),
            Value::Text("Ada \"Lovelace\"".into()),
            Value::Blob(vec![0, 1, 254]),
        ] {
            let json = to_json(value.clone());
            let text = serde_json::to_string(&json).unwrap_or_default();
            let back: Json = serde_json::from_str(&text).unwrap_or_default();
            assert_eq!(from_json(&back).ok(), Some(value));
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("contact"), "\"contact\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }
}
