//! A contact's photo (`contact_photo`): at most one per contact, an image of a kind every
//! browser shows (JPEG, PNG, WebP, GIF), recognised by its first bytes rather than by what the
//! upload claims, and at most [`MAX_PHOTO_BYTES`].

use chrono::{DateTime, Utc};
use libsql::{params, Value};

use super::contact::{self, ContactId};
use super::query_one;
use super::user::UserId;
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::row::{now, timestamp};

/// The largest photo stored.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub content_type: String,
    pub data: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

/// The image type of `data` from its first bytes, or why it is not a photo we keep.
pub fn image_type(data: &[u8]) -> std::result::Result<&'static str, String> {
    if data.is_empty() {
        return Err("is empty: choose an image file".into());
    }
    if data.len() > MAX_PHOTO_BYTES {
        return Err(format!(
            "is {:.1} MB; a photo may be at most {} MB",
            data.len() as f64 / (1024.0 * 1024.0),
            MAX_PHOTO_BYTES / (1024 * 1024)
        ));
    }
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if data.len() >= 12 && &data[0..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Ok("image/webp")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Ok("image/gif")
    } else {
        Err("is not a JPEG, PNG, WebP or GIF image".into())
    }
}

#[derive(Clone, Copy)]
pub struct ContactPhotoRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ContactPhotoRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ContactPhotoRepo { ex: ex.into() }
    }

    /// When the photo of the user's contact last changed (`None` without one, with bytes that
    /// are not bytes, as [`Self::get`] answers, or for another user's contact): what the page
    /// needs to show it, as a read of a batch.
    pub fn changed_at(&self, user: &UserId, contact_id: &ContactId) -> Query<'e, Option<i64>> {
        Query::one(
            self.ex,
            "SELECT p.updated_at FROM contact_photo p JOIN contact c ON c.id = p.contact_id \
             WHERE p.contact_id = ?1 AND c.user_id = ?2 AND typeof(p.data) = 'blob'",
            params![contact_id, user],
            |row| Ok(row.get::<i64>(0)?),
        )
    }

    /// The photo of the user's contact; `NotFound` without one, for another user's, or when
    /// its stored bytes are not bytes.
    pub async fn get(&self, user: &UserId, contact_id: &ContactId) -> Result<Photo> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT p.content_type, p.data, p.updated_at FROM contact_photo p \
             JOIN contact c ON c.id = p.contact_id WHERE p.contact_id = ?1 AND c.user_id = ?2",
            params![contact_id, user],
            |row| {
                // Bytes written by another tool as text or a number are no photo (libSQL's
                // `get::<Vec<u8>>` would panic on them).
                let Value::Blob(data) = row.get_value(1)? else {
                    return Ok(None);
                };
                Ok(Some(Photo {
                    content_type: row.get::<String>(0)?,
                    data,
                    updated_at: timestamp(row.get::<i64>(2)?, "updated_at")?,
                }))
            },
        )
        .await?
        .flatten()
        .ok_or(Error::NotFound)
    }

    /// Stores `data` as the photo of the user's contact (replacing one it had); a file that
    /// is not a photo we keep is a validation error of `photo`.
    pub async fn set(&self, user: &UserId, contact_id: &ContactId, data: &[u8]) -> Result<()> {
        let content_type = image_type(data).map_err(|m| Error::validation("photo", m))?;
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let at = now().timestamp();
        tx.execute(
            "INSERT INTO contact_photo (contact_id, content_type, data, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (contact_id) DO UPDATE SET \
             content_type = excluded.content_type, data = excluded.data, \
             updated_at = max(excluded.updated_at, contact_photo.updated_at + 1)",
            params![contact_id, content_type, Value::Blob(data.to_vec()), at],
        )
        .await?;
        tx.commit().await
    }

    /// Removes the photo of the user's contact; `NotFound` when it has none.
    pub async fn delete(&self, user: &UserId, contact_id: &ContactId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let gone = conn
            .execute(
                "DELETE FROM contact_photo WHERE contact_id = ?1 \
                 AND contact_id IN (SELECT id FROM contact WHERE user_id = ?2)",
                params![contact_id, user],
            )
            .await?;
        if gone == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}
