//! Log-in and registration attempts (`auth_attempt`), for their rate limits: a sliding window
//! per key, counted in the database so that it holds across every instance of the app.

use std::time::Duration;

use chrono::{DateTime, Utc};
use libsql::params;

use super::{query_one, sha256_hex};
use crate::db::Executor;
use crate::error::Result;

#[derive(Clone, Copy)]
pub struct AuthAttemptRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> AuthAttemptRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        AuthAttemptRepo { ex: ex.into() }
    }

    /// Records an attempt at `now` under every key, unless one of them already has `limit`
    /// attempts in the `window` before `now`: then nothing is recorded and the answer is how
    /// long until that key's oldest attempt leaves the window. One unit of work under the
    /// write lock, so instances counting at once cannot both slip under the limit.
    pub async fn hit(
        &self,
        keys: &[String],
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Duration>> {
        let now_ms = now.timestamp_millis();
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let since = now_ms.saturating_sub(window_ms);
        let hashed: Vec<String> = keys.iter().map(|k| sha256_hex(k)).collect();
        let tx = self.ex.begin_write().await?;
        let mut wait_ms = 0i64;
        for key in &hashed {
            let (count, oldest) = query_one(
                &tx,
                "SELECT count(*), min(at) FROM auth_attempt WHERE key = ?1 AND at > ?2",
                params![key.as_str(), since],
                |row| Ok((row.get::<i64>(0)?, row.get::<Option<i64>>(1)?)),
            )
            .await?
            .unwrap_or((0, None));
            if count >= i64::from(limit.max(1)) {
                let oldest = oldest.unwrap_or(now_ms);
                wait_ms = wait_ms.max(oldest.saturating_add(window_ms) - now_ms);
            }
        }
        if wait_ms > 0 {
            tx.commit().await?;
            let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
            return Ok(Err(wait));
        }
        for key in &hashed {
            tx.execute(
                "INSERT INTO auth_attempt (key, at) VALUES (?1, ?2)",
                params![key.as_str(), now_ms],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Deletes the attempts made before `before` (the sweep); returns how many.
    pub async fn sweep(&self, before: DateTime<Utc>) -> Result<u64> {
        let conn = self.ex.conn().await?;
        Ok(conn
            .execute(
                "DELETE FROM auth_attempt WHERE at < ?1",
                [before.timestamp_millis()],
            )
            .await?)
    }
}
