//! Log-in sessions: the `session` table (no timestamp columns, by design).

use chrono::{DateTime, NaiveDate, Utc};
use libsql::{params, params_from_iter, Row, Value};

use super::follow_up::FollowUpCountsNear;
use super::user::{self, User, UserId};
use super::user_settings::{self, UserSettings};
use super::{qualified, sha256_hex};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::row::{id_type, opt_timestamp, timestamp};

id_type!(
    /// The id of a `session` row: the lowercase hex sha256 of the cookie token, so a stolen
    /// database does not hand out working cookies.
    SessionId
);

impl SessionId {
    /// The id of the session that the cookie token `token` opens.
    pub fn from_token(token: &str) -> Self {
        SessionId(sha256_hex(token))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// A session is over at its `expires_at`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

const COLUMNS: &str = "id, user_id, expires_at";

impl Session {
    /// Reads the session columns starting at column `start` (they follow the user's in a join).
    fn from_row(row: &Row, start: i32) -> Result<Self> {
        Ok(Session {
            id: SessionId::from(row.get::<String>(start)?),
            user_id: UserId::from(row.get::<String>(start + 1)?),
            expires_at: timestamp(row.get(start + 2)?, "session.expires_at")?,
        })
    }
}

/// What [`SessionRepo::check`] reads.
#[derive(Debug, Clone)]
pub struct SessionCheck {
    pub session: Session,
    pub user: User,
    /// The user's saved settings; `None`: the defaults.
    pub settings: Option<UserSettings>,
    /// When the session was last used; `None` without a `session_meta` row (another tool made
    /// the session).
    pub last_used: Option<DateTime<Utc>>,
    /// The navigation's follow-up counts.
    pub follow_ups: FollowUpCountsNear,
}

/// Whose rows a read wants: a user's, or those of the user a session belongs to (so that they
/// can be read in the same request as the session itself, before its user is known).
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    User(&'a UserId),
    Session(&'a SessionId),
}

impl Owner<'_> {
    /// `column = ?{n}` for this owner, and the value of `?{n}`.
    pub(crate) fn condition(self, column: &str, n: u32) -> (String, libsql::Value) {
        match self {
            Owner::User(user) => (format!("{column} = ?{n}"), user.into()),
            Owner::Session(session) => (
                format!("{column} = (SELECT user_id FROM session WHERE id = ?{n})"),
                session.into(),
            ),
        }
    }
}

#[derive(Clone, Copy)]
pub struct SessionRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> SessionRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        SessionRepo { ex: ex.into() }
    }

    /// Stores a new session; `NotFound` when its user does not exist.
    pub async fn create(&self, session: &Session) -> Result<()> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "INSERT INTO session (id, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![
                &session.id,
                &session.user_id,
                session.expires_at.timestamp()
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
        Ok(())
    }

    /// The session `id` and its user, expired or not: the caller checks
    /// [`Session::is_expired`] (and deletes an expired session). A disabled user's session
    /// is not found (disabling deletes them too; this holds for a session made at that moment).
    pub fn find(&self, id: &SessionId) -> Query<'e, Option<(Session, User)>> {
        Query::one(
            self.ex,
            format!(
                "SELECT {}, {} FROM session s JOIN user u ON u.id = s.user_id \
                 WHERE s.id = ?1 AND u.disabled_at IS NULL",
                qualified("u", user::COLUMNS),
                qualified("s", COLUMNS)
            ),
            [id],
            |row| {
                Ok((
                    Session::from_row(row, user::COLUMN_COUNT)?,
                    User::from_row(row)?,
                ))
            },
        )
    }

    /// What a signed-in request checks, in one statement: the session `id` with its user (as
    /// [`Self::find`]), the user's saved settings, when the session was last used, and the
    /// navigation's follow-up counts for the days around `utc_today` (keyed by the session,
    /// which the caller checks before it uses them).
    pub fn check(&self, id: &SessionId, utc_today: NaiveDate) -> Query<'e, Option<SessionCheck>> {
        let settings_at = user::COLUMN_COUNT + 3;
        let counts_at = settings_at + 8;
        let (whose, _) = Owner::Session(id).condition("user_id", 1);
        let mut values = vec![Value::from(id)];
        values.extend(FollowUpCountsNear::values(utc_today));
        Query::one(
            self.ex,
            format!(
                "SELECT {}, {}, {}, m.last_used_at, {} FROM session s \
                 JOIN user u ON u.id = s.user_id \
                 LEFT JOIN user_settings st ON st.user_id = s.user_id \
                 LEFT JOIN session_meta m ON m.session_id = s.id \
                 WHERE s.id = ?1 AND u.disabled_at IS NULL",
                qualified("u", user::COLUMNS),
                qualified("s", COLUMNS),
                qualified("st", user_settings::COLUMNS),
                FollowUpCountsNear::columns(&whose, 2),
            ),
            params_from_iter(values),
            move |row| {
                let saved = row.get::<Option<String>>(settings_at)?.is_some();
                Ok(SessionCheck {
                    session: Session::from_row(row, user::COLUMN_COUNT)?,
                    user: User::from_row(row)?,
                    settings: saved
                        .then(|| UserSettings::from_row_at(row, settings_at))
                        .transpose()?,
                    last_used: opt_timestamp(
                        row.get(settings_at + 7)?,
                        "session_meta.last_used_at",
                    )?,
                    follow_ups: FollowUpCountsNear::from_row_at(row, counts_at, utc_today)?,
                })
            },
        )
    }

    /// Moves the end of the session (sliding expiry).
    pub async fn set_expires_at(&self, id: &SessionId, at: DateTime<Utc>) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE session SET expires_at = ?2 WHERE id = ?1",
                params![id, at.timestamp()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Ends one session (log-out); `NotFound` when it is already gone.
    pub async fn delete(&self, id: &SessionId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute("DELETE FROM session WHERE id = ?1", [id])
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Ends every session of `user` except `except` (the one changing the password); returns
    /// how many it ended.
    pub async fn delete_all_for_user(
        &self,
        user: &UserId,
        except: Option<&SessionId>,
    ) -> Result<u64> {
        let conn = self.ex.conn().await?;
        let deleted = match except {
            Some(keep) => {
                conn.execute(
                    "DELETE FROM session WHERE user_id = ?1 AND id != ?2",
                    params![user, keep],
                )
                .await?
            }
            None => {
                conn.execute("DELETE FROM session WHERE user_id = ?1", [user])
                    .await?
            }
        };
        Ok(deleted)
    }

    /// Deletes every session that is over at `now`; returns how many.
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "DELETE FROM session WHERE expires_at <= ?1",
            [now.timestamp()],
        )
        .await
    }
}
