//! The security log: the `security_event` table. A user's rows are what happened to their
//! account (log-ins, failed log-in bursts, password and second-factor changes, tokens, calendar
//! feeds, sessions ended); rows without a user are the instance's own events (registrations,
//! accounts disabled or deleted, invitations…), which the admin page lists. Kept 90 days.

use chrono::{DateTime, Duration, Utc};
use libsql::{params, Row};

use super::user::UserId;
use super::{execute, query_one};
use crate::db::Executor;
use crate::error::Result;
use crate::query::Query;
use crate::row::{id_type, now, timestamp, Reader};

/// How long events are kept: the log shows this much, the sweep deletes what is older.
pub const KEPT_DAYS: i64 = 90;
/// Failed log-ins of one account within this long of a burst's first are counted on its row.
pub const BURST_WINDOW: Duration = Duration::minutes(15);
/// The longest address and browser text stored (a header can be much longer).
pub const MAX_IP: usize = 64;
pub const MAX_USER_AGENT: usize = 400;
/// The longest detail stored.
pub const MAX_DETAIL: usize = 500;

id_type!(
    /// The id of a `security_event` row.
    SecurityEventId
);

/// What happened. The names are stored as they are (`as_str`); the web app words them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityEventKind {
    // A user's own log.
    Login,
    LoginFailed,
    PasswordChanged,
    PasswordReset,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorCleared,
    RecoveryCodeUsed,
    TokenCreated,
    TokenRevoked,
    CalendarFeedCreated,
    CalendarFeedRevoked,
    SessionEnded,
    SignedOutEverywhere,
    // The instance's (and, for `Registered`, the new user's first entry).
    Registered,
    AccountDisabled,
    AccountEnabled,
    AccountDeleted,
    RoleChanged,
    InvitationCreated,
    InvitationRevoked,
    InvitationUsed,
    RegistrationModeChanged,
    ResetLinkCreated,
}

impl SecurityEventKind {
    pub const ALL: [SecurityEventKind; 24] = [
        Self::Login,
        Self::LoginFailed,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::TwoFactorEnabled,
        Self::TwoFactorDisabled,
        Self::TwoFactorCleared,
        Self::RecoveryCodeUsed,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::CalendarFeedCreated,
        Self::CalendarFeedRevoked,
        Self::SessionEnded,
        Self::SignedOutEverywhere,
        Self::Registered,
        Self::AccountDisabled,
        Self::AccountEnabled,
        Self::AccountDeleted,
        Self::RoleChanged,
        Self::InvitationCreated,
        Self::InvitationRevoked,
        Self::InvitationUsed,
        Self::RegistrationModeChanged,
        Self::ResetLinkCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::TwoFactorCleared => "two_factor_cleared",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::TokenCreated => "token_created",
            Self::TokenRevoked => "token_revoked",
            Self::CalendarFeedCreated => "calendar_feed_created",
            Self::CalendarFeedRevoked => "calendar_feed_revoked",
            Self::SessionEnded => "session_ended",
            Self::SignedOutEverywhere => "signed_out_everywhere",
            Self::Registered => "registered",
            Self::AccountDisabled => "account_disabled",
            Self::AccountEnabled => "account_enabled",
            Self::AccountDeleted => "account_deleted",
            Self::RoleChanged => "role_changed",
            Self::InvitationCreated => "invitation_created",
            Self::InvitationRevoked => "invitation_revoked",
            Self::InvitationUsed => "invitation_used",
            Self::RegistrationModeChanged => "registration_mode_changed",
            Self::ResetLinkCreated => "reset_link_created",
        }
    }

    /// The kind a stored name stands for; `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The event in words, as the logs show it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Login => "Logged in",
            Self::LoginFailed => "Failed log-in",
            Self::PasswordChanged => "Password changed",
            Self::PasswordReset => "Password reset with a link",
            Self::TwoFactorEnabled => "Two-factor log-in turned on",
            Self::TwoFactorDisabled => "Two-factor log-in turned off",
            Self::TwoFactorCleared => "Two-factor log-in cleared by an admin",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::TokenCreated => "API token created",
            Self::TokenRevoked => "API token revoked",
            Self::CalendarFeedCreated => "Calendar feed address created",
            Self::CalendarFeedRevoked => "Calendar feed revoked",
            Self::SessionEnded => "Session ended",
            Self::SignedOutEverywhere => "Signed out everywhere",
            Self::Registered => "Account created",
            Self::AccountDisabled => "Account disabled",
            Self::AccountEnabled => "Account enabled",
            Self::AccountDeleted => "Account deleted",
            Self::RoleChanged => "Role changed",
            Self::InvitationCreated => "Invitation created",
            Self::InvitationRevoked => "Invitation revoked",
            Self::InvitationUsed => "Invitation used",
            Self::RegistrationModeChanged => "Registration mode changed",
            Self::ResetLinkCreated => "Password-reset link made",
        }
    }

    /// Whether the event is a warning sign worth a second look (the log marks it).
    pub fn is_alert(self) -> bool {
        matches!(
            self,
            Self::LoginFailed
                | Self::TwoFactorDisabled
                | Self::TwoFactorCleared
                | Self::RecoveryCodeUsed
                | Self::PasswordReset
        )
    }
}

impl std::fmt::Display for SecurityEventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event to record. `user_id` `None` is an instance-level event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecurityEvent {
    pub user_id: Option<UserId>,
    pub kind: SecurityEventKind,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

impl NewSecurityEvent {
    /// An event of `user`'s account.
    pub fn of_user(user: &UserId, kind: SecurityEventKind) -> Self {
        NewSecurityEvent {
            user_id: Some(user.clone()),
            kind,
            ip: None,
            user_agent: None,
            detail: None,
        }
    }

    /// An event of the instance (the admin page's list).
    pub fn of_instance(kind: SecurityEventKind, detail: impl Into<String>) -> Self {
        NewSecurityEvent {
            user_id: None,
            kind,
            ip: None,
            user_agent: None,
            detail: Some(detail.into()),
        }
    }

    /// From this address and browser.
    pub fn from_client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub id: SecurityEventId,
    pub user_id: Option<UserId>,
    /// `None` for a kind this version does not know (a newer one wrote it): see `raw_kind`.
    pub kind: Option<SecurityEventKind>,
    pub raw_kind: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    /// How many failed log-ins a burst row stands for; 1 otherwise.
    pub count: u32,
    pub created_at: DateTime<Utc>,
    /// The last failure of a burst; the creation otherwise.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, user_id, kind, ip, user_agent, detail, count, created_at, updated_at";

impl SecurityEvent {
    fn from_row(row: &Row) -> Result<Self> {
        let mut r = Reader::new(row);
        let id = SecurityEventId::from(r.text()?);
        let user_id = r.opt_text()?.map(UserId::from);
        let raw_kind = r.text()?;
        let ip = r.opt_text()?;
        let user_agent = r.opt_text()?;
        let detail = r.opt_text()?;
        let count = u32::try_from(row.get::<i64>(6)?).unwrap_or(1).max(1);
        Ok(SecurityEvent {
            id,
            user_id,
            kind: SecurityEventKind::parse(&raw_kind),
            raw_kind,
            ip,
            user_agent,
            detail,
            count,
            created_at: timestamp(row.get(7)?, "security_event.created_at")?,
            updated_at: timestamp(row.get(8)?, "security_event.updated_at")?,
        })
    }
}

/// `text` cut to at most `max` characters (a header or a name of any length stays bounded).
pub(crate) fn capped(text: Option<&str>, max: usize) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_string(),
        None => text.to_string(),
    })
}

#[derive(Clone, Copy)]
pub struct SecurityEventRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> SecurityEventRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        SecurityEventRepo { ex: ex.into() }
    }

    /// Records `event` at `now`, in the caller's unit of work (`tx.security_events()`) or one of
    /// its own. A failed log-in within [`BURST_WINDOW`] of the start of the account's last
    /// burst adds to that row's `count` (and takes the latest address and browser) instead of
    /// making a row of its own. `NotFound` when its user does not exist.
    pub async fn record(&self, event: &NewSecurityEvent) -> Result<()> {
        self.record_at(event, now()).await
    }

    /// [`Self::record`] at a given time (tests, imports of old logs).
    pub async fn record_at(&self, event: &NewSecurityEvent, at: DateTime<Utc>) -> Result<()> {
        let ip = capped(event.ip.as_deref(), MAX_IP);
        let user_agent = capped(event.user_agent.as_deref(), MAX_USER_AGENT);
        let detail = capped(event.detail.as_deref(), MAX_DETAIL);
        let tx = self.ex.begin_write().await?;
        let mut added = false;
        if let (SecurityEventKind::LoginFailed, Some(user)) = (event.kind, &event.user_id) {
            let changed = execute(
                &*tx,
                "UPDATE security_event SET count = count + 1, ip = ?3, user_agent = ?4, \
                 updated_at = ?5 \
                 WHERE id = (SELECT id FROM security_event \
                   WHERE user_id = ?1 AND kind = ?2 AND created_at > ?6 \
                   ORDER BY created_at DESC LIMIT 1)",
                params![
                    user,
                    event.kind.as_str(),
                    ip.clone(),
                    user_agent.clone(),
                    at.timestamp(),
                    (at - BURST_WINDOW).timestamp()
                ],
            )
            .await?;
            added = changed > 0;
        }
        if !added {
            execute(
                &*tx,
                "INSERT INTO security_event \
                 (id, user_id, kind, ip, user_agent, detail, count, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)",
                params![
                    SecurityEventId::generate(),
                    event.user_id.as_ref(),
                    event.kind.as_str(),
                    ip,
                    user_agent,
                    detail,
                    at.timestamp()
                ],
            )
            .await
            .map_err(|e| {
                if e.is_foreign_key_violation() {
                    crate::Error::NotFound
                } else {
                    e
                }
            })?;
        }
        tx.commit().await
    }

    /// The user's events of the last [`KEPT_DAYS`], the latest first, at most `limit`.
    pub fn list_for_user(&self, user: &UserId, limit: u32) -> Query<'e, Vec<SecurityEvent>> {
        let since = (now() - Duration::days(KEPT_DAYS)).timestamp();
        Query::all(
            self.ex,
            format!(
                "SELECT {COLUMNS} FROM security_event WHERE user_id = ?1 AND created_at >= ?2 \
                 ORDER BY created_at DESC, id DESC LIMIT +?3"
            ),
            params![user, since, i64::from(limit)],
            SecurityEvent::from_row,
        )
    }

    /// The instance's own events (no user) of the last [`KEPT_DAYS`], the latest first, at
    /// most `limit`: the admin page's list.
    pub fn list_instance(&self, limit: u32) -> Query<'e, Vec<SecurityEvent>> {
        let since = (now() - Duration::days(KEPT_DAYS)).timestamp();
        Query::all(
            self.ex,
            format!(
                "SELECT {COLUMNS} FROM security_event WHERE user_id IS NULL AND created_at >= ?1 \
                 ORDER BY created_at DESC, id DESC LIMIT +?2"
            ),
            params![since, i64::from(limit)],
            SecurityEvent::from_row,
        )
    }

    /// Deletes every event made before `older_than`; returns how many.
    pub async fn sweep(&self, older_than: DateTime<Utc>) -> Result<u64> {
        let conn = self.ex.conn().await?;
        execute(
            &conn,
            "DELETE FROM security_event WHERE created_at < ?1",
            [older_than.timestamp()],
        )
        .await
    }

    /// How many events the user has (tests, the admin's counts).
    pub async fn count_for_user(&self, user: &UserId) -> Result<u64> {
        let conn = self.ex.conn().await?;
        let n = query_one(
            &conn,
            "SELECT count(*) FROM security_event WHERE user_id = ?1",
            [user],
            |row| Ok(row.get::<i64>(0)?),
        )
        .await?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_and_has_words() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label().is_empty());
        }
        assert_eq!(SecurityEventKind::parse("made_up"), None);
    }

    #[test]
    fn long_texts_are_capped_on_a_character_boundary() {
        assert_eq!(capped(Some("  "), 5), None);
        assert_eq!(capped(None, 5), None);
        assert_eq!(capped(Some("héllo wörld"), 7).as_deref(), Some("héllo w"));
        assert_eq!(capped(Some("abc"), 7).as_deref(), Some("abc"));
    }
}
