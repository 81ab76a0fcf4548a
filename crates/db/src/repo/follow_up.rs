//! Follow-ups: the `follow_up` table, reminders to get back in touch with a contact by a date.
//! A follow-up has no `user_id`: it belongs to the owner of its contact.

use chrono::{DateTime, NaiveDate, Utc};
use libsql::{params, Row};

use super::contact::{self, ContactId};
use super::user::UserId;
use super::{qualified, query_all, query_one};
use crate::db::Db;
use crate::error::{Error, Result, ValidationErrors};
use crate::row::{bool, date, date_to_secs, id_type, now, opt_timestamp, timestamp};
use crate::validate;

/// The longest note of a follow-up, in characters.
pub const MAX_FOLLOW_UP_NOTE: usize = 1_000;

id_type!(
    /// The id of a `follow_up` row.
    FollowUpId
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub contact_id: ContactId,
    pub due_date: NaiveDate,
    pub note: Option<String>,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FollowUp {
    /// Open and due before `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.completed && self.due_date < today
    }
}

const COLUMNS: &str =
    "id, contact_id, due_date, note, completed, completed_at, created_at, updated_at";
const COLUMN_COUNT: i32 = 8;

impl FollowUp {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(FollowUp {
            id: FollowUpId::from(row.get::<String>(0)?),
            contact_id: ContactId::from(row.get::<String>(1)?),
            due_date: date(row.get(2)?, "follow_up.due_date")?,
            note: row.get(3)?,
            completed: bool(row.get(4)?, "follow_up.completed")?,
            completed_at: opt_timestamp(row.get(5)?, "follow_up.completed_at")?,
            created_at: timestamp(row.get(6)?, "follow_up.created_at")?,
            updated_at: timestamp(row.get(7)?, "follow_up.updated_at")?,
        })
    }
}

/// A follow-up in the list of all the user's open ones, with the name of its contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FollowUpWithContact {
    #[serde(flatten)]
    pub follow_up: FollowUp,
    pub contact_name: String,
}

impl FollowUpWithContact {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(FollowUpWithContact {
            follow_up: FollowUp::from_row(row)?,
            contact_name: row.get(COLUMN_COUNT)?,
        })
    }
}

/// A follow-up to insert, or the new values of an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFollowUp {
    pub due_date: NaiveDate,
    pub note: Option<String>,
}

impl NewFollowUp {
    /// The rules every follow-up write obeys.
    pub fn validate(&self) -> Result<()> {
        self.normalized().map(|_| ())
    }

    /// The values as stored: the note trimmed, a blank note absent.
    fn normalized(&self) -> Result<NewFollowUp> {
        let mut errors = ValidationErrors::new();
        errors.take("due_date", validate::sane_date(self.due_date));
        let note = errors
            .take(
                "note",
                validate::optional_text(self.note.as_deref(), MAX_FOLLOW_UP_NOTE),
            )
            .flatten();
        errors.into_result()?;
        Ok(NewFollowUp {
            due_date: self.due_date,
            note,
        })
    }
}

/// A follow-up as typed into a form or sent as JSON.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpInput {
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub note: Option<String>,
}

impl FollowUpInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewFollowUp> {
        let mut errors = ValidationErrors::new();
        let due_date = match self.due_date.trim() {
            "" => {
                errors.add("due_date", "is required");
                None
            }
            raw => errors.take(
                "due_date",
                validate::date(raw).and_then(validate::sane_date),
            ),
        };
        let note = errors
            .take(
                "note",
                validate::optional_text(self.note.as_deref(), MAX_FOLLOW_UP_NOTE),
            )
            .flatten();
        match due_date {
            Some(due_date) if errors.is_empty() => Ok(NewFollowUp { due_date, note }),
            // A missing date has recorded its error.
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// Matches follow-ups whose contact belongs to the user `?2` (the follow-up's id is `?1`).
const OWNED: &str = "id = ?1 AND contact_id IN (SELECT id FROM contact WHERE user_id = ?2)";

#[derive(Debug, Clone)]
pub struct FollowUpRepo {
    db: Db,
}

impl FollowUpRepo {
    pub fn new(db: &Db) -> Self {
        FollowUpRepo { db: db.clone() }
    }

    /// Adds a follow-up to the user's contact `contact_id`.
    pub async fn create(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewFollowUp,
    ) -> Result<FollowUp> {
        let new = new.normalized()?;
        let conn = self.db.conn().await?;
        let tx = conn.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let follow_up = query_one(
            &tx,
            &format!(
                "INSERT INTO follow_up (id, contact_id, due_date, note, completed, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5) RETURNING {COLUMNS}"
            ),
            params![
                FollowUpId::generate(),
                contact_id,
                date_to_secs(new.due_date),
                new.note,
                now().timestamp()
            ],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(follow_up)
    }

    pub async fn get(&self, user: &UserId, id: &FollowUpId) -> Result<FollowUp> {
        let conn = self.db.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {COLUMNS} FROM follow_up WHERE {OWNED}"),
            params![id, user],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Replaces the due date and the note.
    pub async fn update(
        &self,
        user: &UserId,
        id: &FollowUpId,
        new: &NewFollowUp,
    ) -> Result<FollowUp> {
        let new = new.normalized()?;
        let conn = self.db.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE follow_up SET due_date = ?3, note = ?4, updated_at = ?5 \
                 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![
                id,
                user,
                date_to_secs(new.due_date),
                new.note,
                now().timestamp()
            ],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Marks the follow-up done. Completing it again keeps the first `completed_at`.
    pub async fn complete(&self, user: &UserId, id: &FollowUpId) -> Result<FollowUp> {
        let conn = self.db.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE follow_up SET completed = 1, \
                 completed_at = CASE WHEN completed = 1 THEN completed_at ELSE ?3 END, \
                 updated_at = ?3 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![id, user, now().timestamp()],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Marks the follow-up open again.
    pub async fn reopen(&self, user: &UserId, id: &FollowUpId) -> Result<FollowUp> {
        let conn = self.db.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE follow_up SET completed = 0, completed_at = NULL, updated_at = ?3 \
                 WHERE {OWNED} RETURNING {COLUMNS}"
            ),
            params![id, user, now().timestamp()],
            FollowUp::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    pub async fn delete(&self, user: &UserId, id: &FollowUpId) -> Result<()> {
        let conn = self.db.conn().await?;
        let changed = conn
            .execute(
                &format!("DELETE FROM follow_up WHERE {OWNED}"),
                params![id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The follow-ups of the user's contact: open ones first, each group by due date.
    pub async fn list_for_contact(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        include_completed: bool,
    ) -> Result<Vec<FollowUp>> {
        let conn = self.db.conn().await?;
        let tx = conn.begin_read().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let follow_ups = query_all(
            &tx,
            &format!(
                "SELECT {COLUMNS} FROM follow_up WHERE contact_id = ?1 AND (completed = 0 OR ?2) \
                 ORDER BY completed, due_date, created_at, id"
            ),
            params![contact_id, i64::from(include_completed)],
            FollowUp::from_row,
        )
        .await?;
        tx.commit().await?;
        Ok(follow_ups)
    }

    /// Every open follow-up of the user, the earliest due first, with its contact's name.
    pub async fn list_open_for_user(&self, user: &UserId) -> Result<Vec<FollowUpWithContact>> {
        let conn = self.db.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {}, c.name FROM follow_up f JOIN contact c ON c.id = f.contact_id \
                 WHERE c.user_id = ?1 AND f.completed = 0 \
                 ORDER BY f.due_date, c.name COLLATE NOCASE, f.id",
                qualified("f", COLUMNS)
            ),
            [user],
            FollowUpWithContact::from_row,
        )
        .await
    }
}
