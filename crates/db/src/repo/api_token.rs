//! Personal access tokens for the JSON API: the `api_token` table. Only the sha256 of a
//! token is stored; the token itself is shown once, when it is made.

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::user::UserId;
use super::{is_sha256_hex, query_all, query_one, sha256_hex};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::row::{id_type, now, opt_timestamp, timestamp};
use crate::secret::Secret;
use crate::validate;

/// The longest token name, in characters.
pub const MAX_TOKEN_NAME: usize = 100;

id_type!(
    /// The id of an `api_token` row.
    ApiTokenId
);

#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    /// Lowercase hex sha256 of the token ([`super::sha256_hex`]).
    #[serde(skip_serializing)]
    pub token_hash: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApiToken {
    /// A token without `expires_at` never expires.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("token_hash", &"[redacted]")
            .field("last_used_at", &self.last_used_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "id, user_id, name, token_hash, last_used_at, expires_at, created_at, updated_at";

impl ApiToken {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(ApiToken {
            id: ApiTokenId::from(row.get::<String>(0)?),
            user_id: UserId::from(row.get::<String>(1)?),
            name: row.get(2)?,
            token_hash: row.get(3)?,
            last_used_at: opt_timestamp(row.get(4)?, "api_token.last_used_at")?,
            expires_at: opt_timestamp(row.get(5)?, "api_token.expires_at")?,
            created_at: timestamp(row.get(6)?, "api_token.created_at")?,
            updated_at: timestamp(row.get(7)?, "api_token.updated_at")?,
        })
    }
}

/// Tokens start with this, so that secret scanners and people can tell them apart from
/// other secrets.
pub const TOKEN_PREFIX: &str = "dh_";

/// A token just issued: its record and its secret, shown once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: Secret,
}

#[derive(Clone, Copy)]
pub struct ApiTokenRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ApiTokenRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ApiTokenRepo { ex: ex.into() }
    }

    /// Issues a new personal access token for `user`, the one way the settings page and the
    /// CLI make one: a random `dh_…` secret, stored by its sha256 only and returned this once.
    /// `expires_in_days`, when given, is at least one day.
    pub async fn issue(
        &self,
        user: &UserId,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<IssuedToken> {
        let expires_at = match expires_in_days {
            Some(0) => return Err(Error::validation("expires_in", "must be at least one day")),
            Some(days) => Some(now() + chrono::Duration::days(i64::from(days))),
            None => None,
        };
        let secret = format!("{TOKEN_PREFIX}{}", crate::secret::random_token());
        let token = self
            .create(user, name, &sha256_hex(&secret), expires_at)
            .await?;
        Ok(IssuedToken {
            token,
            secret: Secret::new(secret),
        })
    }

    /// Stores a token of `user` by its hash. The name is required (≤ 100 characters); an
    /// expiry, when given, lies in the future.
    pub async fn create(
        &self,
        user: &UserId,
        name: &str,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<ApiToken> {
        let at = now();
        let mut errors = ValidationErrors::new();
        let name = errors.take("name", validate::required_text(name, MAX_TOKEN_NAME));
        if !is_sha256_hex(token_hash) {
            errors.add("token_hash", "must be a lowercase hex sha256");
        }
        if expires_at.is_some_and(|e| e <= at) {
            errors.add("expires_at", "must be in the future");
        }
        errors.into_result()?;
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "INSERT INTO api_token (id, user_id, name, token_hash, expires_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING {COLUMNS}"
            ),
            params![
                ApiTokenId::generate(),
                user,
                name,
                token_hash,
                expires_at.map(|e| e.timestamp()),
                at.timestamp()
            ],
            ApiToken::from_row,
        )
        .await
        .map_err(|e| {
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e.map_unique("api_token.token_hash", "token_hash", "is already in use")
            }
        })?
        .ok_or(Error::NotFound)
    }

    /// The token with this hash, whoever owns it (this is the authentication), expired or not:
    /// the caller checks [`ApiToken::is_expired`]. The tokens of a disabled account are not
    /// found.
    pub async fn find_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "SELECT {COLUMNS} FROM api_token WHERE token_hash = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM user WHERE id = api_token.user_id AND disabled_at IS NOT NULL)"
            ),
            [token_hash],
            ApiToken::from_row,
        )
        .await
    }

    /// Records a use of the token.
    pub async fn touch(&self, id: &ApiTokenId, at: DateTime<Utc>) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE api_token SET last_used_at = ?2, updated_at = ?2 WHERE id = ?1",
                params![id, at.timestamp()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// The user's tokens, newest first.
    pub async fn list(&self, user: &UserId) -> Result<Vec<ApiToken>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {COLUMNS} FROM api_token WHERE user_id = ?1 ORDER BY created_at DESC, id DESC"
            ),
            [user],
            ApiToken::from_row,
        )
        .await
    }

    /// Revokes the token.
    pub async fn delete(&self, user: &UserId, id: &ApiTokenId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "DELETE FROM api_token WHERE id = ?1 AND user_id = ?2",
                params![id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}
