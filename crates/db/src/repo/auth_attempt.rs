//! Log-in and registration attempts (`auth_attempt`), for their rate limits: a sliding window
//! or a back-off per key, counted in the database so that they hold across every instance of
//! the app; and the browsers each user logged in from (`known_device`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use libsql::params;

use super::user::UserId;
use super::{query_one, sha256_hex};
use crate::db::Executor;
use crate::error::Result;

/// How a key's attempts are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// At most `limit` attempts in any `window`: a wall until the oldest leaves the window.
    Window { limit: u32, window: Duration },
    /// `free` attempts in the `window`, then each further one only after a wait since the
    /// newest that doubles with every attempt (1 s, 2 s, 4 s, …) up to `cap`: an attacker is
    /// slowed to a crawl, and a real user waits seconds, not a lock-out.
    Backoff {
        free: u32,
        window: Duration,
        cap: Duration,
    },
}

impl Rule {
    fn window(&self) -> Duration {
        match self {
            Rule::Window { window, .. } | Rule::Backoff { window, .. } => *window,
        }
    }

    /// How long to wait before the next attempt, given the attempts in the window (their
    /// number, the oldest and the newest, in Unix milliseconds); zero when it may go now.
    fn wait_ms(&self, count: i64, oldest: i64, newest: i64, now: i64) -> i64 {
        let until = match *self {
            Rule::Window { limit, window } if count >= i64::from(limit.max(1)) => {
                oldest.saturating_add(millis(window))
            }
            Rule::Backoff { free, cap, .. } if count >= i64::from(free) => {
                let doublings = u32::try_from(count - i64::from(free)).unwrap_or(u32::MAX);
                let backoff = 1000i64
                    .checked_shl(doublings.min(40))
                    .unwrap_or(i64::MAX)
                    .min(millis(cap));
                newest.saturating_add(backoff)
            }
            _ => now,
        };
        (until - now).max(0)
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The attempts one admitted request recorded: forgotten again when it succeeds
/// ([`AuthAttemptRepo::forget`]), so that only failures count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded(Vec<i64>);

#[derive(Clone, Copy)]
pub struct AuthAttemptRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> AuthAttemptRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        AuthAttemptRepo { ex: ex.into() }
    }

    /// Records an attempt at `now` under every key, unless one of them is over its rule: then
    /// nothing is recorded and the answer is how long until it is not. One unit of work under
    /// the write lock, so instances counting at once cannot both slip under a limit.
    pub async fn hit(
        &self,
        keys: &[(String, Rule)],
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Recorded, Duration>> {
        let now_ms = now.timestamp_millis();
        let hashed: Vec<(String, Rule)> = keys
            .iter()
            .map(|(key, rule)| (sha256_hex(key), *rule))
            .collect();
        let tx = self.ex.begin_write().await?;
        let mut wait_ms = 0i64;
        for (key, rule) in &hashed {
            let since = now_ms.saturating_sub(millis(rule.window()));
            let (count, oldest, newest) = query_one(
                &tx,
                "SELECT count(*), min(at), max(at) FROM auth_attempt WHERE key = ?1 AND at > ?2",
                params![key.as_str(), since],
                |row| {
                    Ok((
                        row.get::<i64>(0)?,
                        row.get::<Option<i64>>(1)?.unwrap_or(now_ms),
                        row.get::<Option<i64>>(2)?.unwrap_or(now_ms),
                    ))
                },
            )
            .await?
            .unwrap_or((0, now_ms, now_ms));
            wait_ms = wait_ms.max(rule.wait_ms(count, oldest, newest, now_ms));
        }
        if wait_ms > 0 {
            tx.commit().await?;
            let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
            return Ok(Err(wait));
        }
        let mut recorded = Vec::with_capacity(hashed.len());
        for (key, _) in &hashed {
            let id = query_one(
                &tx,
                "INSERT INTO auth_attempt (key, at) VALUES (?1, ?2) RETURNING id",
                params![key.as_str(), now_ms],
                |row| Ok(row.get::<i64>(0)?),
            )
            .await?;
            recorded.extend(id);
        }
        tx.commit().await?;
        Ok(Ok(Recorded(recorded)))
    }

    /// Takes back the attempts of a request that succeeded.
    pub async fn forget(&self, recorded: &Recorded) -> Result<()> {
        let conn = self.ex.conn().await?;
        for id in &recorded.0 {
            conn.execute("DELETE FROM auth_attempt WHERE id = ?1", [*id])
                .await?;
        }
        Ok(())
    }

    /// Deletes the attempts made before `before` and the devices unused since a year before
    /// it (the sweep); returns how many attempts.
    pub async fn sweep(&self, before: DateTime<Utc>) -> Result<u64> {
        let conn = self.ex.conn().await?;
        let year_ms = 365 * 24 * 3600 * 1000;
        conn.execute(
            "DELETE FROM known_device WHERE last_seen_at < ?1",
            [before.timestamp_millis() - year_ms],
        )
        .await?;
        conn.execute(
            "DELETE FROM auth_attempt WHERE at < ?1",
            [before.timestamp_millis()],
        )
        .await
    }

    /// Remembers the browser holding the device cookie `token` as one `user` logged in from.
    pub async fn remember_device(
        &self,
        user: &UserId,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "INSERT INTO known_device (id, user_id, last_seen_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            params![
                device_id(user, token),
                user.as_str(),
                now.timestamp_millis()
            ],
        )
        .await?;
        Ok(())
    }

    /// Whether `user` logged in from the browser holding the device cookie `token` within the
    /// last year.
    pub async fn is_known_device(
        &self,
        user: &UserId,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let year_ms = 365 * 24 * 3600 * 1000;
        let conn = self.ex.conn().await?;
        let found = query_one(
            &conn,
            "SELECT 1 FROM known_device WHERE id = ?1 AND user_id = ?2 AND last_seen_at > ?3",
            params![
                device_id(user, token),
                user.as_str(),
                now.timestamp_millis() - year_ms
            ],
            |_| Ok(()),
        )
        .await?;
        Ok(found.is_some())
    }
}

/// A device's row for one user: a browser shared by two users has a row for each.
fn device_id(user: &UserId, token: &str) -> String {
    sha256_hex(&format!("{user}:{token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_a_wall_and_a_backoff_doubles_up_to_its_cap() {
        let window = Rule::Window {
            limit: 3,
            window: Duration::from_secs(60),
        };
        assert_eq!(window.wait_ms(2, 0, 50_000, 50_000), 0);
        assert_eq!(window.wait_ms(3, 10_000, 50_000, 50_000), 20_000);
        let backoff = Rule::Backoff {
            free: 3,
            window: Duration::from_secs(900),
            cap: Duration::from_secs(60),
        };
        assert_eq!(backoff.wait_ms(2, 0, 50_000, 50_000), 0);
        assert_eq!(backoff.wait_ms(3, 0, 50_000, 50_000), 1_000);
        assert_eq!(backoff.wait_ms(4, 0, 50_000, 50_500), 1_500);
        assert_eq!(backoff.wait_ms(6, 0, 50_000, 50_000), 8_000);
        assert_eq!(backoff.wait_ms(40, 0, 50_000, 50_000), 60_000);
        assert_eq!(backoff.wait_ms(4_000, 0, 50_000, 50_000), 60_000);
        assert_eq!(backoff.wait_ms(6, 0, 50_000, 60_000), 0);
    }
}
