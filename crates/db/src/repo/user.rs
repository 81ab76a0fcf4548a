//! Accounts: the `user` table.

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::query_one;
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::row::{id_type, now, timestamp, Stamps};
use crate::validate::Username;

id_type!(
    /// The id of a `user` row.
    UserId
);

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// A user to insert; the password is already hashed. Built only by [`NewUser::new`].
#[derive(Clone)]
pub struct NewUser {
    username: Username,
    password_hash: String,
}

impl NewUser {
    /// An account of `username` with the argon2id PHC string `password_hash`.
    pub fn new(username: Username, password_hash: String) -> Result<Self> {
        if password_hash.trim().is_empty() {
            return Err(Error::validation("password", "is required"));
        }
        Ok(NewUser {
            username,
            password_hash,
        })
    }

    pub fn username(&self) -> &Username {
        &self.username
    }
}

pub(crate) const COLUMNS: &str = "id, username, password_hash, created_at, updated_at";
/// How many columns [`COLUMNS`] names: where the next table's columns start in a join.
pub(crate) const COLUMN_COUNT: i32 = 5;

impl User {
    pub(crate) fn from_row(row: &Row) -> Result<Self> {
        Ok(User {
            id: UserId::from(row.get::<String>(0)?),
            username: row.get(1)?,
            password_hash: row.get(2)?,
            created_at: timestamp(row.get(3)?, "user.created_at")?,
            updated_at: timestamp(row.get(4)?, "user.updated_at")?,
        })
    }
}

#[derive(Clone, Copy)]
pub struct UserRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> UserRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        UserRepo { ex: ex.into() }
    }

    /// Creates an account; a taken username is a `Conflict` on `username`.
    pub async fn create(&self, new: &NewUser) -> Result<User> {
        self.create_at(new, Stamps::now()).await
    }

    /// [`Self::create`] with the given times (demo accounts look older than they are).
    pub async fn create_at(&self, new: &NewUser, stamps: Stamps) -> Result<User> {
        let conn = self.ex.conn().await?;
        let id = UserId::generate();
        // The violation surfaces at the first `next()` on a local file, so the mapping covers
        // the whole statement (`query_one`), not only `query()`.
        query_one(
            &conn,
            &format!(
                "INSERT INTO user (id, username, password_hash, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {COLUMNS}"
            ),
            params![
                id,
                new.username.as_str(),
                new.password_hash.as_str(),
                stamps.created_at.timestamp(),
                stamps.updated_at.timestamp()
            ],
            User::from_row,
        )
        .await
        .map_err(|e| e.map_unique("user.username", "username", "is already taken"))?
        .ok_or(Error::NotFound)
    }

    pub async fn get(&self, id: &UserId) -> Result<User> {
        let conn = self.ex.conn().await?;
        let mut rows = conn
            .query(&format!("SELECT {COLUMNS} FROM user WHERE id = ?1"), [id])
            .await?;
        match rows.next().await? {
            Some(row) => User::from_row(&row),
            None => Err(Error::NotFound),
        }
    }

    /// Looks an account up by username (as typed: trimmed and lowercased first).
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>> {
        let username = username.trim().to_ascii_lowercase();
        let conn = self.ex.conn().await?;
        let mut rows = conn
            .query(
                &format!("SELECT {COLUMNS} FROM user WHERE username = ?1"),
                [username],
            )
            .await?;
        rows.next().await?.map(|r| User::from_row(&r)).transpose()
    }

    pub async fn update_password_hash(&self, id: &UserId, password_hash: &str) -> Result<()> {
        if password_hash.is_empty() {
            return Err(Error::validation("password", "is required"));
        }
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE user SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, password_hash, now().timestamp()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Deletes the account and, through the schema's cascades, every row that belongs to it,
    /// in one transaction.
    pub async fn delete(&self, id: &UserId) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        let changed = tx.execute("DELETE FROM user WHERE id = ?1", [id]).await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// All accounts by username (for the CLI; there are few).
    pub async fn list(&self) -> Result<Vec<User>> {
        let conn = self.ex.conn().await?;
        let mut rows = conn
            .query(&format!("SELECT {COLUMNS} FROM user ORDER BY username"), ())
            .await?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await? {
            out.push(User::from_row(&row)?);
        }
        Ok(out)
    }
}
