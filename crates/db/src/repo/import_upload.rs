//! Files uploaded for import, kept between the preview and the confirmation (`import_upload`).

use libsql::params;

use super::query_one;
use super::user::UserId;
use crate::db::Executor;
use crate::error::Result;
use crate::row::{id_type, now};

id_type!(
    /// The id of an `import_upload` row.
    ImportUploadId
);

/// How long an upload waits for its confirmation.
pub const UPLOAD_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// How many unconfirmed uploads a user keeps (each up to the import limit): older ones go.
pub const MAX_PENDING_UPLOADS: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportUpload {
    pub id: ImportUploadId,
    pub file_name: String,
    pub content: Vec<u8>,
}

#[derive(Clone, Copy)]
pub struct ImportUploadRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ImportUploadRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ImportUploadRepo { ex: ex.into() }
    }

    /// Keeps `content` for the user, and forgets their uploads that expired or are more than
    /// [`MAX_PENDING_UPLOADS`] behind.
    pub async fn create(
        &self,
        user: &UserId,
        file_name: &str,
        content: &[u8],
    ) -> Result<ImportUploadId> {
        let id = ImportUploadId::generate();
        let at = now().timestamp();
        let tx = self.ex.begin_write().await?;
        tx.execute(
            "DELETE FROM import_upload WHERE user_id = ?1 AND (created_at < ?2 OR id NOT IN ( \
               SELECT id FROM import_upload WHERE user_id = ?1 \
                ORDER BY created_at DESC, id DESC LIMIT +?3))",
            params![user, at - UPLOAD_LIFETIME_SECS, MAX_PENDING_UPLOADS - 1],
        )
        .await?;
        tx.execute(
            "INSERT INTO import_upload (id, user_id, file_name, content, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![&id, user, file_name, content.to_vec(), at],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The user's upload `id`, unless it has expired (or is another user's).
    pub async fn get(&self, user: &UserId, id: &ImportUploadId) -> Result<Option<ImportUpload>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT id, file_name, content FROM import_upload \
             WHERE id = ?1 AND user_id = ?2 AND created_at >= ?3",
            params![id, user, now().timestamp() - UPLOAD_LIFETIME_SECS],
            |row| {
                Ok(ImportUpload {
                    id: ImportUploadId::from(row.get::<String>(0)?),
                    file_name: row.get(1)?,
                    content: row.get(2)?,
                })
            },
        )
        .await
    }

    pub async fn delete(&self, user: &UserId, id: &ImportUploadId) -> Result<()> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "DELETE FROM import_upload WHERE id = ?1 AND user_id = ?2",
            params![id, user],
        )
        .await?;
        Ok(())
    }
}
