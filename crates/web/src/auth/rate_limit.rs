//! The rate limit of log-in and registration: a sliding window per client address and per
//! username, counted in the database (`auth_attempt`), so that it holds across every instance
//! of the app that shares the database.

use std::time::Duration;

use devhub_db::Db;

use crate::error::AppError;

/// The window the limit counts attempts in.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    limit: u32,
    window: Duration,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit: limit.max(1),
            window,
        }
    }

    /// Records an attempt under every key; `Ok(Err(retry_after))` when any key is over its
    /// limit (the attempt is then not recorded). Counted on the primary, where every
    /// instance's attempts are.
    pub async fn check(&self, db: &Db, keys: &[String]) -> Result<Result<(), Duration>, AppError> {
        let now = devhub_db::row::now();
        Ok(db
            .primary()
            .auth_attempts()
            .hit(keys, self.limit, self.window, now)
            .await?)
    }
}
