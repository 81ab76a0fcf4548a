//! VIP background: the `background` table, at most one row per contact (family, company,
//! likes and dislikes, notes).

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::contact::{self, ContactId};
use super::user::UserId;
use super::{qualified, query_all, query_one, Upsert};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::row::{id_type, Reader, Stamps, Unreadable};
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
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

const TABLE: &str = "background";
/// The columns an upsert sets.
const COLUMNS_SET: [&str; 4] = ["family", "company", "likes_dislikes", "misc_notes"];

pub(crate) const COLUMNS: &str =
    "id, contact_id, family, company, likes_dislikes, misc_notes, created_at, updated_at";

impl Background {
    fn from_row(row: &Row) -> Result<Self> {
        Self::read(&mut Reader::new(row))
    }

    /// The one decoder of a `background` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("background")?;
        let background = Background {
            id: BackgroundId::from(c.key()),
            contact_id: ContactId::from(c.text("contact_id")?),
            family: c.opt_text("family")?,
            company: c.opt_text("company")?,
            likes_dislikes: c.opt_text("likes_dislikes")?,
            misc_notes: c.opt_text("misc_notes")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(Background {
            unreadable: c.finish(),
            ..background
        })
    }
}

/// The background of a contact as stored by an upsert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewBackground {
    family: Option<String>,
    company: Option<String>,
    likes_dislikes: Option<String>,
    misc_notes: Option<String>,
}

impl NewBackground {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Fills what this one lacks from `other` (two records of one file for the same person).
    pub fn fill_blanks_from(&mut self, other: &NewBackground) {
        use super::contact_info::fill;
        fill(&mut self.family, &other.family);
        fill(&mut self.company, &other.company);
        fill(&mut self.likes_dislikes, &other.likes_dislikes);
        fill(&mut self.misc_notes, &other.misc_notes);
    }

    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }
    pub fn company(&self) -> Option<&str> {
        self.company.as_deref()
    }
    pub fn likes_dislikes(&self) -> Option<&str> {
        self.likes_dislikes.as_deref()
    }
    pub fn misc_notes(&self) -> Option<&str> {
        self.misc_notes.as_deref()
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

#[derive(Clone, Copy)]
pub struct BackgroundRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> BackgroundRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        BackgroundRepo { ex: ex.into() }
    }

    /// The background of the user's contact `contact_id`, `None` when it has none yet;
    /// `NotFound` when the contact is not the user's.
    pub async fn get(&self, user: &UserId, contact_id: &ContactId) -> Result<Option<Background>> {
        let conn = self.ex.conn().await?;
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
        self.upsert_at(user, contact_id, new, Stamps::now()).await
    }

    /// [`Self::upsert`] with the given times (a restore keeps the original ones).
    pub async fn upsert_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewBackground,
        stamps: Stamps,
    ) -> Result<Background> {
        self.write(user, contact_id, new, stamps, Upsert::Replace)
            .await
    }

    /// Fills the blanks of the contact's row with `new` (creating it when there is none),
    /// never overwriting a value: what an import's merge does.
    pub async fn merge(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewBackground,
    ) -> Result<Background> {
        self.write(user, contact_id, new, Stamps::now(), Upsert::FillBlanks)
            .await
    }

    async fn write(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewBackground,
        stamps: Stamps,
        mode: Upsert,
    ) -> Result<Background> {
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let background = query_one(
            &tx,
            &format!(
                "INSERT INTO background \
                 (id, contact_id, family, company, likes_dislikes, misc_notes, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (contact_id) DO UPDATE SET {} \
                 RETURNING {COLUMNS}",
                mode.set_clause(TABLE, COLUMNS_SET)
            ),
            params![
                BackgroundId::generate(),
                contact_id,
                new.family.clone(),
                new.company.clone(),
                new.likes_dislikes.clone(),
                new.misc_notes.clone(),
                stamps.created_at.timestamp(),
                stamps.updated_at.timestamp()
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
        let conn = self.ex.conn().await?;
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
        let conn = self.ex.conn().await?;
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
