//! What the Sessions page shows of a session: the `session_meta` table, one row beside each
//! session this app made (the `session` table keeps the original design's columns). A session
//! made by another tool has no row: it works all the same, and is listed as an unknown device.

use chrono::{DateTime, Utc};
use libsql::params;

use super::security_event::{capped, MAX_IP, MAX_USER_AGENT};
use super::session::{Session, SessionId};
use super::user::UserId;
use super::{execute, query_all, sha256_hex};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::row::{opt_timestamp, timestamp, Reader};

/// Where a session was made from: the client's address and its browser's `User-Agent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A session that has not ended, as the Sessions page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// The session itself: never shown in a page (`public_id` names it there).
    pub session_id: SessionId,
    pub public_id: String,
    /// False for a session another tool made: nothing is known of its device.
    pub has_meta: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

/// The public id of a session without a meta row: derived from its id by a one-way hash, so
/// that it can be named in a form without revealing the id (which the cookie's hash is).
fn derived_public_id(session: &SessionId) -> String {
    let hash = sha256_hex(&format!("devhub-session-public:{session}"));
    format!("u-{}", &hash[..32])
}

/// A session with its meta row, if any (`… WHERE` follows).
const ACTIVE_COLUMNS: &str = "s.id, s.expires_at, m.public_id, m.ip, m.user_agent, \
    m.created_at, m.last_used_at FROM session s LEFT JOIN session_meta m ON m.session_id = s.id";

impl ActiveSession {
    fn from_row(row: &libsql::Row) -> Result<Self> {
        let mut r = Reader::new(row);
        let session_id = SessionId::from(r.text()?);
        let expires_at = timestamp(r.integer()?, "session.expires_at")?;
        let public_id = r.opt_text()?;
        Ok(ActiveSession {
            has_meta: public_id.is_some(),
            public_id: public_id.unwrap_or_else(|| derived_public_id(&session_id)),
            session_id,
            ip: r.opt_text()?,
            user_agent: r.opt_text()?,
            created_at: opt_timestamp(row.get(5)?, "session_meta.created_at")?,
            last_used_at: opt_timestamp(row.get(6)?, "session_meta.last_used_at")?,
            expires_at,
        })
    }
}

#[derive(Clone, Copy)]
pub struct SessionMetaRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> SessionMetaRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        SessionMetaRepo { ex: ex.into() }
    }

    /// Stores the meta row of `session` (just made): used now, from `client`. Returns its
    /// public id. Call it in the unit of work that creates the session.
    pub async fn create(&self, session: &Session, client: &ClientInfo) -> Result<String> {
        let public_id = crate::secret::random_token();
        let at = crate::row::now().timestamp();
        let conn = self.ex.conn().await?;
        execute(
            &conn,
            "INSERT INTO session_meta (session_id, user_id, public_id, ip, user_agent, \
             last_used_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)",
            params![
                &session.id,
                &session.user_id,
                public_id.as_str(),
                capped(client.ip.as_deref(), MAX_IP),
                capped(client.user_agent.as_deref(), MAX_USER_AGENT),
                at
            ],
        )
        .await
        .map_err(|e| {
            if e.is_foreign_key_violation() {
                Error::NotFound
            } else {
                e
            }
        })?;
        Ok(public_id)
    }

    /// When the session was last used, if it has a meta row: read in the same batch as the
    /// session itself (`auth::session::validate_token`).
    pub fn last_used(&self, session: &SessionId) -> Query<'e, Option<DateTime<Utc>>> {
        Query::one(
            self.ex,
            "SELECT last_used_at FROM session_meta WHERE session_id = ?1",
            [session],
            |row| timestamp(row.get(0)?, "session_meta.last_used_at"),
        )
    }

    /// Marks the session used at `at`, unless it was already used since `unless_since` (so
    /// that concurrent requests write it once). Nothing for a session without a meta row.
    pub async fn touch(
        &self,
        session: &SessionId,
        at: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.ex.conn().await?;
        execute(
            &conn,
            "UPDATE session_meta SET last_used_at = ?2, updated_at = ?2 \
             WHERE session_id = ?1 AND last_used_at < ?3",
            params![session, at.timestamp(), unless_since.timestamp()],
        )
        .await?;
        Ok(())
    }

    /// The user's sessions that are not over at `now`, the most recently used first (sessions
    /// without a meta row last).
    pub fn list_for_user(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Query<'e, Vec<ActiveSession>> {
        Query::all(
            self.ex,
            format!(
                "SELECT {ACTIVE_COLUMNS} WHERE s.user_id = ?1 AND s.expires_at > ?2 \
                 ORDER BY coalesce(m.last_used_at, 0) DESC, m.created_at DESC, s.id"
            ),
            params![user, now.timestamp()],
            ActiveSession::from_row,
        )
    }

    /// Ends the session of `user` named `public_id` (expired or not) and answers what it was;
    /// `NotFound` when `user` has no such session (another user's is not found either).
    pub async fn end(&self, user: &UserId, public_id: &str) -> Result<ActiveSession> {
        let tx = self.ex.begin_write().await?;
        let sessions = query_all(
            &*tx,
            &format!("SELECT {ACTIVE_COLUMNS} WHERE s.user_id = ?1"),
            [user],
            ActiveSession::from_row,
        )
        .await?;
        let ended = sessions
            .into_iter()
            .find(|s| s.public_id == public_id)
            .ok_or(Error::NotFound)?;
        execute(
            &*tx,
            "DELETE FROM session WHERE id = ?1 AND user_id = ?2",
            params![&ended.session_id, user],
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_public_id_does_not_contain_the_session_id() {
        let id = SessionId::from("abc123");
        let public = derived_public_id(&id);
        assert!(public.starts_with("u-"));
        assert!(!public.contains("abc123"));
        assert_eq!(public, derived_public_id(&id));
    }
}
