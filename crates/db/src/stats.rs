//! Figures about the whole instance for `GET /metrics`: counts only, nothing about anyone.

use crate::db::Db;
use crate::error::Result;
use crate::repo::query_one;

/// How many accounts the instance has, and how many sessions have not expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceCounts {
    pub accounts: i64,
    pub active_sessions: i64,
}

/// One query, one round trip on a server: the user table's count and the unexpired sessions
/// (read from `session_expires_at_idx`).
pub async fn instance_counts(db: &Db) -> Result<InstanceCounts> {
    let conn = db.conn().await?;
    let (accounts, active_sessions) = query_one(
        &conn,
        "SELECT (SELECT count(*) FROM user), \
         (SELECT count(*) FROM session WHERE expires_at > unixepoch())",
        (),
        |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
    )
    .await?
    .ok_or_else(|| crate::Error::Config("count(*) answered no row".into()))?;
    Ok(InstanceCounts {
        accounts,
        active_sessions,
    })
}
