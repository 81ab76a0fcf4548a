//! VIP background: the `background` table, at most one row per contact (family, company,
//! likes and dislikes, notes).

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::contact::{self, ContactId};
use super::user::UserId;
use super::{qualified, query_all, query_one};
use crate::db::Db;
use crate::error::{Error, Result, ValidationErrors};
use crate::row::{id_type, now, timestamp};
use crate::validate::{self, MAX_LONG_TEXT};

id_type!(
    /// The id of a `background` row.
    BackgroundId
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Background {
    pub id: BackgroundId,
    pub contact_id: ContactId,
    pub family: Option<String>,
    pub company: Option<String>,
    pub likes_dislikes: Option<String>,
    pub misc_notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, contact_id, family, company, likes_dislikes, misc_notes, created_at, updated_at";

impl Background {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(Background {
            id: BackgroundId::from(row.get::<String>(0)?),
            contact_id: ContactId::from(row.get::<String>(1)?),
            family: row.get(2)?,
            company: row.get(3)?,
            likes_dislikes: row.get(4)?,
            misc_notes: row.get(5)?,
            created_at: timestamp(row.get(6)?, "background.created_at")?,
            updated_at: timestamp(row.get(7)?, "background.updated_at")?,
        })
    }
}

/// The background of a contact as stored by an upsert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewBackground {
    pub family: Option<String>,
    pub company: Option<String>,
    pub likes_dislikes: Option<String>,
    pub misc_notes: Option<String>,
}

impl NewBackground {
    /// The rules every background write obeys.
    pub fn validate(&self) -> Result<()> {
        self.normalized().map(|_| ())
    }

    /// The values as stored: trimmed, blank means absent.
    fn normalized(&self) -> Result<NewBackground> {
        let mut errors = ValidationErrors::new();
        let mut text = |field, value: &Option<String>| {
            errors
                .take(
                    field,
                    validate::optional_text(value.as_deref(), MAX_LONG_TEXT),
                )
                .flatten()
        };
        let normalized = NewBackground {
            family: text("family", &self.family),
            company: text("company", &self.company),
            likes_dislikes: text("likes_dislikes", &self.likes_dislikes),
            misc_notes: text("misc_notes", &self.misc_notes),
        };
        errors.into_result()?;
        Ok(normalized)
    }
}

/// A background as typed into a form or sent as JSON.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackgroundInput {
    pub family: Option<String>,
    pub company: Option<String>,
    pub likes_dislikes: Option<String>,
    pub misc_notes: Option<String>,
}

impl BackgroundInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewBackground> {
        NewBackground {
            family: self.family.clone(),
            company: self.company.clone(),
            likes_dislikes: self.likes_dislikes.clone(),
            misc_notes: self.misc_notes.clone(),
        }
        .normalized()
    }
}

#[derive(Debug, Clone)]
pub struct BackgroundRepo {
    db: Db,
}

impl BackgroundRepo {
    pub fn new(db: &Db) -> Self {
        BackgroundRepo { db: db.clone() }
    }

    /// The background of the user's contact `contact_id`, `None` when it has none yet;
    /// `NotFound` when the contact is not the user's.
    pub async fn get(&self, user: &UserId, contact_id: &ContactId) -> Result<Option<Background>> {
        let conn = self.db.conn().await?;
        // One row when the contact is the user's; its background columns are NULL without one.
        query_one(
            &conn,
            &format!(
                "SELECT {} FROM contact c LEFT JOIN background b ON b.contact_id = c.id \
                 WHERE c.id = ?1 AND c.user_id = ?2",
                qualified("b", COLUMNS)
            ),
            params![contact_id, user],
            |row| match row.get::<Option<String>>(0)? {
                Some(_) => Background::from_row(row).map(Some),
                None => Ok(None),
            },
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Creates or replaces the background of the user's contact `contact_id`.
    pub async fn upsert(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewBackground,
    ) -> Result<Background> {
        let new = new.normalized()?;
        let conn = self.db.conn().await?;
        let tx = conn.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let background = query_one(
            &tx,
            &format!(
                "INSERT INTO background \
                 (id, contact_id, family, company, likes_dislikes, misc_notes, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
                 ON CONFLICT (contact_id) DO UPDATE SET family = excluded.family, \
                 company = excluded.company, likes_dislikes = excluded.likes_dislikes, \
                 misc_notes = excluded.misc_notes, updated_at = excluded.updated_at \
                 RETURNING {COLUMNS}"
            ),
            params![
                BackgroundId::generate(),
                contact_id,
                new.family,
                new.company,
                new.likes_dislikes,
                new.misc_notes,
                now().timestamp()
            ],
            Background::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(background)
    }

    /// Up to `limit` of the user's background rows in id order (creation order: ids
    /// are UUID v7), starting after the id `after`; the flag says whether more follow.
    pub async fn list_after(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Background>, bool)> {
        let limit = limit.clamp(1, contact::MAX_PER_PAGE);
        let conn = self.db.conn().await?;
        let mut rows = query_all(
            &conn,
            &format!(
                "SELECT {} FROM contact c JOIN background b ON b.contact_id = c.id \
                 WHERE c.user_id = ?1 AND (?2 IS NULL OR b.id > ?2) ORDER BY b.id LIMIT ?3",
                qualified("b", COLUMNS)
            ),
            params![user, after.map(str::to_string), i64::from(limit) + 1],
            Background::from_row,
        )
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// Deletes the background of the user's contact; `NotFound` when there is none.
    pub async fn delete(&self, user: &UserId, contact_id: &ContactId) -> Result<()> {
        let conn = self.db.conn().await?;
        let changed = conn
            .execute(
                "DELETE FROM background WHERE contact_id = ?1 \
                 AND contact_id IN (SELECT id FROM contact WHERE user_id = ?2)",
                params![contact_id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}
