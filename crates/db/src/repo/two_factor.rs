//! Two-factor log-in: the `two_factor` (the TOTP secret), `recovery_code`,
//! `two_factor_challenge` (a log-in between its password and its code) and
//! `remembered_device` ("remember this device for 30 days") tables. The codes themselves are
//! computed and checked by the web layer (`devhub_web::two_factor::totp`); this stores what
//! they need, and refuses a replayed time step in the same statement that accepts a code.

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::user::UserId;
use super::{is_sha256_hex, query_count, query_one, sha256_hex};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::row::{id_type, new_id, now, opt_timestamp, timestamp};
use crate::secret::Secret;

/// How many recovery codes a user holds after set-up or regeneration.
pub const RECOVERY_CODES: usize = 10;

id_type!(
    /// The id of a `two_factor_challenge` row: the lowercase hex sha256 of the token in the
    /// browser's cookie.
    ChallengeId
);

impl ChallengeId {
    /// The id of the challenge that the cookie token `token` names.
    pub fn from_token(token: &str) -> Self {
        ChallengeId(sha256_hex(token))
    }
}

/// A user's second factor: set up (`enabled_at` is `None` until a code confirmed it) or on.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoFactor {
    pub user_id: UserId,
    /// The shared key, base32 (RFC 4648, no padding), as authenticator apps take it.
    pub secret: Secret,
    pub enabled_at: Option<DateTime<Utc>>,
    /// The time step of the last code accepted.
    pub last_used_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TwoFactor {
    pub fn is_enabled(&self) -> bool {
        self.enabled_at.is_some()
    }

    fn from_row(row: &Row) -> Result<Self> {
        Ok(TwoFactor {
            user_id: UserId::from(row.get::<String>(0)?),
            secret: Secret::new(row.get(1)?),
            enabled_at: opt_timestamp(row.get(2)?, "two_factor.enabled_at")?,
            last_used_step: row.get(3)?,
            created_at: timestamp(row.get(4)?, "two_factor.created_at")?,
            updated_at: timestamp(row.get(5)?, "two_factor.updated_at")?,
        })
    }
}

impl std::fmt::Debug for TwoFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactor")
            .field("user_id", &self.user_id)
            .field("secret", &self.secret)
            .field("enabled_at", &self.enabled_at)
            .field("last_used_step", &self.last_used_step)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "user_id, secret, enabled_at, last_used_step, created_at, updated_at";

/// A log-in waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: ChallengeId,
    pub user_id: UserId,
    /// Where the log-in goes once done (a local path, checked when it was made).
    pub next: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Wrong codes so far.
    pub attempts: u32,
}

impl Challenge {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    fn from_row(row: &Row) -> Result<Self> {
        Ok(Challenge {
            id: ChallengeId::from(row.get::<String>(0)?),
            user_id: UserId::from(row.get::<String>(1)?),
            next: row.get(2)?,
            expires_at: timestamp(row.get(3)?, "two_factor_challenge.expires_at")?,
            attempts: u32::try_from(row.get::<i64>(4)?).unwrap_or(u32::MAX),
        })
    }
}

const CHALLENGE_COLUMNS: &str = "id, user_id, next, expires_at, attempts";

/// Ten new recovery codes, each 80 random bits written as four groups of four base32
/// characters (`abcd-efgh-ijkm-nopq`).
pub fn new_recovery_codes() -> Vec<Secret> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = crate::secret::random_token();
            let chars: Vec<char> = raw.chars().take(16).collect();
            let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
            Secret::new(groups.join("-"))
        })
        .collect()
}

/// The stored form of a recovery code: the sha256 of the code without its dashes and spaces,
/// in lower case (so `ABCD EFGH…` as typed matches `abcd-efgh-…` as shown).
///
/// A plain sha256, not a password hash such as argon2: the codes are 80 random bits each, not
/// words a person chose, so there is no dictionary to try and 2^80 guesses per code are out of
/// reach whatever the hash costs; a slow hash would only slow down every log-in that uses one.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(&normal)
}

#[derive(Clone, Copy)]
pub struct TwoFactorRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> TwoFactorRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        TwoFactorRepo { ex: ex.into() }
    }

    /// The user's second factor, set up or on; `None` when they have none.
    pub async fn find(&self, user: &UserId) -> Result<Option<TwoFactor>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {COLUMNS} FROM two_factor WHERE user_id = ?1"),
            [user],
            TwoFactor::from_row,
        )
        .await
    }

    /// Whether a log-in of `user` needs a second factor.
    pub async fn is_enabled(&self, user: &UserId) -> Result<bool> {
        Ok(self.find(user).await?.is_some_and(|t| t.is_enabled()))
    }

    /// Starts a set-up with `secret` (base32), replacing an earlier set-up that was never
    /// confirmed. `Conflict` when the second factor is already on (turn it off first);
    /// `NotFound` when the user does not exist.
    pub async fn begin_setup(&self, user: &UserId, secret: &str) -> Result<TwoFactor> {
        let at = now().timestamp();
        let conn = self.ex.conn().await?;
        let row = query_one(
            &conn,
            &format!(
                "INSERT INTO two_factor (user_id, secret, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?3) \
                 ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
                 last_used_step = NULL, created_at = excluded.created_at, \
                 updated_at = excluded.updated_at WHERE two_factor.enabled_at IS NULL \
                 RETURNING {COLUMNS}"
            ),
            params![user, secret, at],
            TwoFactor::from_row,
        )
        .await
        .map_err(|e| {
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e
            }
        })?;
        row.ok_or_else(|| Error::Conflict {
            field: "two_factor",
            message: "is already on".into(),
        })
    }

    /// Turns the second factor on once a code of time step `step` confirmed the set-up, and
    /// stores the recovery codes (by hash) — one unit of work. `NotFound` when there is no
    /// set-up waiting (none begun, or already on).
    pub async fn enable(&self, user: &UserId, step: i64, code_hashes: &[String]) -> Result<()> {
        check_hashes(code_hashes)?;
        let at = now().timestamp();
        let tx = self.ex.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE two_factor SET enabled_at = ?2, last_used_step = ?3, updated_at = ?2 \
                 WHERE user_id = ?1 AND enabled_at IS NULL",
                params![user, at, step],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        replace_codes(&tx, user, code_hashes, at).await?;
        tx.commit().await
    }

    /// Cancels a set-up that was never confirmed; a second factor that is on stays on.
    pub async fn cancel_setup(&self, user: &UserId) -> Result<()> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "DELETE FROM two_factor WHERE user_id = ?1 AND enabled_at IS NULL",
            [user],
        )
        .await?;
        Ok(())
    }

    /// Accepts a code of time step `step` for `user`: true when the second factor is on and
    /// no code of this step or a later one was accepted before (the replay check and the
    /// record of the use are one statement, so two log-ins racing with the same code cannot
    /// both pass).
    pub async fn use_step(&self, user: &UserId, step: i64) -> Result<bool> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE two_factor SET last_used_step = ?2, updated_at = ?3 \
                 WHERE user_id = ?1 AND enabled_at IS NOT NULL \
                 AND (last_used_step IS NULL OR last_used_step < ?2)",
                params![user, step, now().timestamp()],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Replaces every recovery code of `user` with the new ones (by hash): the old ones stop
    /// working. `NotFound` when the second factor is not on.
    pub async fn replace_recovery_codes(
        &self,
        user: &UserId,
        code_hashes: &[String],
    ) -> Result<()> {
        check_hashes(code_hashes)?;
        let tx = self.ex.begin_write().await?;
        let on = query_count(
            &tx,
            "SELECT count(*) FROM two_factor WHERE user_id = ?1 AND enabled_at IS NOT NULL",
            [user],
        )
        .await?;
        if on == 0 {
            return Err(Error::NotFound);
        }
        replace_codes(&tx, user, code_hashes, now().timestamp()).await?;
        tx.commit().await
    }

    /// Spends the recovery code whose hash is `code_hash`: `Some(codes left)` when it was one
    /// of the user's and unused, `None` otherwise (used before, someone else's, made up).
    pub async fn use_recovery_code(&self, user: &UserId, code_hash: &str) -> Result<Option<u64>> {
        let tx = self.ex.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE recovery_code SET used_at = ?3, updated_at = ?3 \
                 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL \
                 AND EXISTS (SELECT 1 FROM two_factor t \
                             WHERE t.user_id = ?1 AND t.enabled_at IS NOT NULL)",
                params![user, code_hash, now().timestamp()],
            )
            .await?;
        if changed == 0 {
            return Ok(None);
        }
        let left = unused_codes(&tx, user).await?;
        tx.commit().await?;
        Ok(Some(left))
    }

    /// How many unused recovery codes the user has.
    pub async fn recovery_codes_left(&self, user: &UserId) -> Result<u64> {
        let conn = self.ex.conn().await?;
        unused_codes(&conn, user).await
    }

    /// Removes the user's second factor, whatever its state: the secret, the recovery codes,
    /// the log-ins waiting for a code and the remembered browsers (the last by the schema's
    /// trigger, and here too) — one unit of work. What turning it off and an admin's "clear"
    /// both do. Returns whether there was a second factor that was on.
    pub async fn clear(&self, user: &UserId) -> Result<bool> {
        let tx = self.ex.begin_write().await?;
        let was_on = query_count(
            &tx,
            "SELECT count(*) FROM two_factor WHERE user_id = ?1 AND enabled_at IS NOT NULL",
            [user],
        )
        .await?
            > 0;
        for sql in [
            "DELETE FROM two_factor WHERE user_id = ?1",
            "DELETE FROM recovery_code WHERE user_id = ?1",
            "DELETE FROM two_factor_challenge WHERE user_id = ?1",
            "DELETE FROM remembered_device WHERE user_id = ?1",
        ] {
            tx.execute(sql, [user]).await?;
        }
        tx.commit().await?;
        Ok(was_on)
    }

    /// Stores a log-in waiting for its second factor, and deletes the user's challenges that
    /// have expired.
    pub async fn create_challenge(
        &self,
        user: &UserId,
        id: &ChallengeId,
        next: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        if !is_sha256_hex(id.as_str()) {
            return Err(Error::validation("id", "must be a lowercase hex sha256"));
        }
        let at = now().timestamp();
        let tx = self.ex.begin_write().await?;
        tx.execute(
            "DELETE FROM two_factor_challenge WHERE user_id = ?1 AND expires_at <= ?2",
            params![user, at],
        )
        .await?;
        tx.execute(
            "INSERT INTO two_factor_challenge (id, user_id, next, expires_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![id, user, next, expires_at.timestamp(), at],
        )
        .await
        .map_err(|e| {
            let e = Error::from(e);
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e
            }
        })?;
        tx.commit().await
    }

    /// The challenge `id`, expired or not (the caller checks [`Challenge::is_expired`]).
    pub async fn find_challenge(&self, id: &ChallengeId) -> Result<Option<Challenge>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {CHALLENGE_COLUMNS} FROM two_factor_challenge WHERE id = ?1"),
            [id],
            Challenge::from_row,
        )
        .await
    }

    /// Counts a wrong code against the challenge and returns its wrong codes so far (`None`
    /// when it is gone).
    pub async fn count_failed_attempt(&self, id: &ChallengeId) -> Result<Option<u32>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "UPDATE two_factor_challenge SET attempts = attempts + 1, updated_at = ?2 \
             WHERE id = ?1 RETURNING attempts",
            params![id, now().timestamp()],
            |row| Ok(u32::try_from(row.get::<i64>(0)?).unwrap_or(u32::MAX)),
        )
        .await
    }

    /// Ends a challenge (done, or given up); no error when it is already gone.
    pub async fn delete_challenge(&self, id: &ChallengeId) -> Result<()> {
        let conn = self.ex.conn().await?;
        conn.execute("DELETE FROM two_factor_challenge WHERE id = ?1", [id])
            .await?;
        Ok(())
    }

    /// Remembers the browser holding the cookie token whose sha256 is `id` as one where
    /// `user` need not give a code until `expires_at`; deletes the user's expired ones.
    pub async fn remember_device(
        &self,
        user: &UserId,
        id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        if !is_sha256_hex(id) {
            return Err(Error::validation("id", "must be a lowercase hex sha256"));
        }
        let at = now().timestamp();
        let tx = self.ex.begin_write().await?;
        tx.execute(
            "DELETE FROM remembered_device WHERE user_id = ?1 AND expires_at <= ?2",
            params![user, at],
        )
        .await?;
        tx.execute(
            "INSERT INTO remembered_device (id, user_id, expires_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4) \
             ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, \
             updated_at = excluded.updated_at WHERE remembered_device.user_id = excluded.user_id",
            params![id, user, expires_at.timestamp(), at],
        )
        .await
        .map_err(|e| {
            let e = Error::from(e);
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e
            }
        })?;
        tx.commit().await
    }

    /// Whether the browser whose cookie token hashes to `id` is remembered for `user` at `at`.
    pub async fn is_remembered(&self, user: &UserId, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let conn = self.ex.conn().await?;
        let n = query_count(
            &conn,
            "SELECT count(*) FROM remembered_device \
             WHERE id = ?1 AND user_id = ?2 AND expires_at > ?3",
            params![id, user, at.timestamp()],
        )
        .await?;
        Ok(n > 0)
    }
}

fn check_hashes(code_hashes: &[String]) -> Result<()> {
    if code_hashes.is_empty() || !code_hashes.iter().all(|h| is_sha256_hex(h)) {
        return Err(Error::validation(
            "recovery_codes",
            "must be lowercase hex sha256 hashes",
        ));
    }
    Ok(())
}

async fn replace_codes(
    tx: &crate::Tx,
    user: &UserId,
    code_hashes: &[String],
    at: i64,
) -> Result<()> {
    tx.execute("DELETE FROM recovery_code WHERE user_id = ?1", [user])
        .await?;
    for hash in code_hashes {
        tx.execute(
            "INSERT INTO recovery_code (id, user_id, code_hash, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![new_id(), user, hash.as_str(), at],
        )
        .await?;
    }
    Ok(())
}

async fn unused_codes(conn: &(impl super::Runner + ?Sized), user: &UserId) -> Result<u64> {
    query_count(
        conn,
        "SELECT count(*) FROM recovery_code WHERE user_id = ?1 AND used_at IS NULL",
        [user],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_groups_of_four() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for code in &codes {
            let parts: Vec<&str> = code.expose().split('-').collect();
            assert_eq!(parts.len(), 4, "{}", code.expose());
            assert!(parts.iter().all(|p| p.len() == 4));
        }
        let mut unique: Vec<&str> = codes.iter().map(Secret::expose).collect();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
    }

    #[test]
    fn a_recovery_code_typed_in_capitals_and_spaces_hashes_as_shown() {
        assert_eq!(
            recovery_code_hash("ABCD efgh-2345 6789"),
            recovery_code_hash("abcd-efgh-2345-6789")
        );
        assert_ne!(
            recovery_code_hash("abcd-efgh-2345-6789"),
            recovery_code_hash("abcd-efgh-2345-6788")
        );
    }
}
