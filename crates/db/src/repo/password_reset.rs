//! One-time password-reset links that an admin makes for a user who forgot their password:
//! the `password_reset` table. `id` is the sha256 of the link's token (shown once); a link
//! works for an hour, once, and using it ends every session of the user.

use chrono::{DateTime, Duration, Utc};
use libsql::{params, Row};

use super::user::{self, User, UserId};
use super::{query_one, sha256_hex};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::row::{now, opt_timestamp, timestamp};
use crate::secret::Secret;

/// How long a reset link works.
pub const VALID_FOR: Duration = Duration::hours(1);

#[derive(Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// Lowercase hex sha256 of the link's token.
    pub id: String,
    pub user_id: UserId,
    pub created_by: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordReset")
            .field("id", &"[redacted]")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// Why a reset link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetProblem {
    Unknown,
    Expired,
    Used,
    /// The account was disabled since the link was made.
    Disabled,
}

impl ResetProblem {
    pub fn message(self) -> &'static str {
        match self {
            ResetProblem::Unknown => {
                "This password-reset link is not valid. Check that you copied all of it, or ask the administrator for a new one."
            }
            ResetProblem::Expired => {
                "This password-reset link has expired (links work for an hour). Ask the administrator for a new one."
            }
            ResetProblem::Used => {
                "This password-reset link has already been used. Ask the administrator for a new one if you need to."
            }
            ResetProblem::Disabled => {
                "This account is disabled. Ask the administrator to enable it."
            }
        }
    }
}

const COLUMNS: &str = "id, user_id, created_by, expires_at, used_at, created_at, updated_at";
const COLUMN_COUNT: i32 = 7;

impl PasswordReset {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(PasswordReset {
            id: row.get(0)?,
            user_id: UserId::from(row.get::<String>(1)?),
            created_by: row.get::<Option<String>>(2)?.map(UserId::from),
            expires_at: timestamp(row.get(3)?, "password_reset.expires_at")?,
            used_at: opt_timestamp(row.get(4)?, "password_reset.used_at")?,
            created_at: timestamp(row.get(5)?, "password_reset.created_at")?,
            updated_at: timestamp(row.get(6)?, "password_reset.updated_at")?,
        })
    }

    /// `Ok` when the link can set a new password at `now`.
    pub fn usable(&self, user: &User, now: DateTime<Utc>) -> std::result::Result<(), ResetProblem> {
        if self.used_at.is_some() {
            Err(ResetProblem::Used)
        } else if self.expires_at <= now {
            Err(ResetProblem::Expired)
        } else if user.is_disabled() {
            Err(ResetProblem::Disabled)
        } else {
            Ok(())
        }
    }
}

/// A reset link just made: its record and its token, shown once.
#[derive(Debug, Clone)]
pub struct IssuedReset {
    pub reset: PasswordReset,
    pub token: Secret,
}

#[derive(Clone, Copy)]
pub struct PasswordResetRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> PasswordResetRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        PasswordResetRepo { ex: ex.into() }
    }

    /// Makes a reset link for `user` that works for an hour; the user's earlier unused links
    /// stop working (one link at a time).
    pub async fn issue(&self, user: &UserId, created_by: Option<&UserId>) -> Result<IssuedReset> {
        let token = crate::secret::random_token();
        let at = now();
        let reset = self
            .create_at(user, created_by, &sha256_hex(&token), at + VALID_FOR, at)
            .await?;
        Ok(IssuedReset {
            reset,
            token: Secret::new(token),
        })
    }

    /// Stores a reset link by its token's hash, expiring at `expires_at` (any time: tests
    /// write expired ones), in place of the user's unused ones. `NotFound` for no such user.
    pub async fn create(
        &self,
        user: &UserId,
        created_by: Option<&UserId>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<PasswordReset> {
        self.create_at(user, created_by, token_hash, expires_at, now())
            .await
    }

    async fn create_at(
        &self,
        user: &UserId,
        created_by: Option<&UserId>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<PasswordReset> {
        if !super::is_sha256_hex(token_hash) {
            return Err(Error::validation(
                "token_hash",
                "must be a lowercase hex sha256",
            ));
        }
        let tx = self.ex.begin_write().await?;
        tx.execute(
            "DELETE FROM password_reset WHERE user_id = ?1 AND used_at IS NULL",
            [user],
        )
        .await?;
        let reset = query_one(
            &*tx,
            &format!(
                "INSERT INTO password_reset (id, user_id, created_by, expires_at, created_at, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING {COLUMNS}"
            ),
            params![
                token_hash,
                user,
                created_by,
                expires_at.timestamp(),
                at.timestamp()
            ],
            PasswordReset::from_row,
        )
        .await
        .map_err(|e| {
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e
            }
        })?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(reset)
    }

    /// The reset link `token` opens and its user, whatever its state.
    pub async fn find(&self, token: &str) -> Result<Option<(PasswordReset, User)>> {
        if !crate::secret::plausible_token(token) {
            return Ok(None);
        }
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "SELECT {}, {} FROM password_reset r JOIN user u ON u.id = r.user_id \
                 WHERE r.id = ?1",
                super::qualified("r", COLUMNS),
                super::qualified("u", user::COLUMNS)
            ),
            [sha256_hex(token)],
            |row| {
                let reset = PasswordReset::from_row(row)?;
                let user = user_from(row)?;
                Ok((reset, user))
            },
        )
        .await
    }

    /// Uses the link `token`: sets the user's password hash, marks the link used and ends
    /// every session of the user, in one transaction. `Ok(Err(_))` says why the link cannot
    /// be used.
    pub async fn redeem(
        &self,
        token: &str,
        password_hash: &str,
    ) -> Result<std::result::Result<User, ResetProblem>> {
        if password_hash.is_empty() {
            return Err(Error::validation("password", "is required"));
        }
        if !crate::secret::plausible_token(token) {
            return Ok(Err(ResetProblem::Unknown));
        }
        let tx = self.ex.begin_write().await?;
        let found = query_one(
            &*tx,
            &format!(
                "SELECT {}, {} FROM password_reset r JOIN user u ON u.id = r.user_id \
                 WHERE r.id = ?1",
                super::qualified("r", COLUMNS),
                super::qualified("u", user::COLUMNS)
            ),
            [sha256_hex(token)],
            |row| Ok((PasswordReset::from_row(row)?, user_from(row)?)),
        )
        .await?;
        let Some((reset, user)) = found else {
            return Ok(Err(ResetProblem::Unknown));
        };
        let at = now();
        if let Err(problem) = reset.usable(&user, at) {
            return Ok(Err(problem));
        }
        tx.execute(
            "UPDATE password_reset SET used_at = ?2, updated_at = ?2 WHERE id = ?1",
            params![reset.id.as_str(), at.timestamp()],
        )
        .await?;
        tx.execute(
            "UPDATE user SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
            params![&user.id, password_hash, at.timestamp()],
        )
        .await?;
        tx.execute("DELETE FROM session WHERE user_id = ?1", [&user.id])
            .await?;
        tx.commit().await?;
        Ok(Ok(user))
    }
}

/// The user's columns after the reset's in a join.
fn user_from(row: &Row) -> Result<User> {
    // The user's columns start after the reset's: read them through a row view of their own.
    User::from_row_at(row, COLUMN_COUNT)
}
