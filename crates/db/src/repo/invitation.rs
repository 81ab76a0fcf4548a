//! Invitations to register while registration is by invitation: the `invitation` table.
//! Single-use links with an expiry, made and revoked by an admin; only the sha256 of a link's
//! token is stored, the link itself is shown once.

use chrono::{DateTime, Duration, Utc};
use libsql::{params, Row};

use super::user::UserId;
use super::{query_all, query_one, sha256_hex};
use crate::db::{Executor, Tx};
use crate::error::{Error, Result};
use crate::row::{id_type, now, opt_timestamp, timestamp};
use crate::secret::Secret;

/// How long an invitation works when the admin does not choose.
pub const DEFAULT_DAYS: u32 = 7;
/// The longest an invitation may work.
pub const MAX_DAYS: u32 = 90;
/// The longest note, in characters.
pub const MAX_NOTE: usize = 200;

id_type!(
    /// The id of an `invitation` row.
    InvitationId
);

#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct Invitation {
    pub id: InvitationId,
    #[serde(skip_serializing)]
    pub token_hash: String,
    pub created_by: Option<UserId>,
    pub note: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub used_by: Option<UserId>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("id", &self.id)
            .field("token_hash", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    Pending,
    Used,
    Expired,
    Revoked,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Used => "used",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
        }
    }
}

/// Why an invitation link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationProblem {
    Unknown,
    Expired,
    Used,
    Revoked,
}

impl InvitationProblem {
    pub fn message(self) -> &'static str {
        match self {
            InvitationProblem::Unknown => {
                "This invitation link is not valid. Check that you copied all of it, or ask for a new one."
            }
            InvitationProblem::Expired => {
                "This invitation link has expired. Ask the administrator for a new one."
            }
            InvitationProblem::Used => {
                "This invitation link has already been used. Ask the administrator for a new one."
            }
            InvitationProblem::Revoked => {
                "This invitation link has been revoked. Ask the administrator for a new one."
            }
        }
    }
}

impl Invitation {
    pub fn status(&self, now: DateTime<Utc>) -> InvitationStatus {
        if self.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.used_at.is_some() {
            InvitationStatus::Used
        } else if self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }

    /// `Ok` when the link can register an account at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> std::result::Result<(), InvitationProblem> {
        match self.status(now) {
            InvitationStatus::Pending => Ok(()),
            InvitationStatus::Used => Err(InvitationProblem::Used),
            InvitationStatus::Expired => Err(InvitationProblem::Expired),
            InvitationStatus::Revoked => Err(InvitationProblem::Revoked),
        }
    }

    fn from_row(row: &Row) -> Result<Self> {
        Ok(Invitation {
            id: InvitationId::from(row.get::<String>(0)?),
            token_hash: row.get(1)?,
            created_by: row.get::<Option<String>>(2)?.map(UserId::from),
            note: row.get(3)?,
            expires_at: timestamp(row.get(4)?, "invitation.expires_at")?,
            used_at: opt_timestamp(row.get(5)?, "invitation.used_at")?,
            used_by: row.get::<Option<String>>(6)?.map(UserId::from),
            revoked_at: opt_timestamp(row.get(7)?, "invitation.revoked_at")?,
            created_at: timestamp(row.get(8)?, "invitation.created_at")?,
            updated_at: timestamp(row.get(9)?, "invitation.updated_at")?,
        })
    }
}

const COLUMNS: &str =
    "id, token_hash, created_by, note, expires_at, used_at, used_by, revoked_at, \
     created_at, updated_at";

/// An invitation as the admin page lists it: with the names of who made and who used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationListing {
    pub invitation: Invitation,
    pub created_by_name: Option<String>,
    pub used_by_name: Option<String>,
}

/// An invitation just made: its record and its token, shown once.
#[derive(Debug, Clone)]
pub struct IssuedInvitation {
    pub invitation: Invitation,
    pub token: Secret,
}

#[derive(Clone, Copy)]
pub struct InvitationRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> InvitationRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        InvitationRepo { ex: ex.into() }
    }

    /// Makes an invitation that works for `days` days (1 to [`MAX_DAYS`]) once: a random
    /// token, stored by its sha256 and returned this once.
    pub async fn issue(
        &self,
        created_by: Option<&UserId>,
        note: Option<&str>,
        days: u32,
    ) -> Result<IssuedInvitation> {
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(Error::validation(
                "expires_in",
                format!("must be between 1 and {MAX_DAYS} days"),
            ));
        }
        let token = crate::secret::random_token();
        let expires_at = now() + Duration::days(i64::from(days));
        let invitation = self
            .create(created_by, note, &sha256_hex(&token), expires_at)
            .await?;
        Ok(IssuedInvitation {
            invitation,
            token: Secret::new(token),
        })
    }

    /// Stores an invitation by its token's hash, expiring at `expires_at` (any time: tests
    /// write expired ones).
    pub async fn create(
        &self,
        created_by: Option<&UserId>,
        note: Option<&str>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Invitation> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(Error::validation(
                "note",
                format!("must be at most {MAX_NOTE} characters"),
            ));
        }
        if !super::is_sha256_hex(token_hash) {
            return Err(Error::validation(
                "token_hash",
                "must be a lowercase hex sha256",
            ));
        }
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "INSERT INTO invitation (id, token_hash, created_by, note, expires_at, created_at, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING {COLUMNS}"
            ),
            params![
                InvitationId::generate(),
                token_hash,
                created_by,
                note,
                expires_at.timestamp(),
                now().timestamp()
            ],
            Invitation::from_row,
        )
        .await
        .map_err(|e| e.map_unique("invitation.token_hash", "token_hash", "is already in use"))?
        .ok_or(Error::NotFound)
    }

    /// The invitation a link's token opens, whatever its state.
    pub async fn find_by_token(&self, token: &str) -> Result<Option<Invitation>> {
        let conn = self.ex.conn().await?;
        find(&conn, token).await
    }

    /// Every invitation, newest first, with who made and who used it.
    pub async fn list(&self) -> Result<Vec<InvitationListing>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {}, c.username, u.username FROM invitation i \
                 LEFT JOIN user c ON c.id = i.created_by LEFT JOIN user u ON u.id = i.used_by \
                 ORDER BY i.created_at DESC, i.id DESC",
                super::qualified("i", COLUMNS)
            ),
            (),
            |row| {
                Ok(InvitationListing {
                    invitation: Invitation::from_row(row)?,
                    created_by_name: row.get(10)?,
                    used_by_name: row.get(11)?,
                })
            },
        )
        .await
    }

    /// Revokes an invitation that has not been used: its link stops working. `NotFound` for
    /// no such invitation; a `Conflict` when it was used or revoked already.
    pub async fn revoke(&self, id: &InvitationId) -> Result<Invitation> {
        let tx = self.ex.begin_write().await?;
        let found = query_one(
            &*tx,
            &format!("SELECT {COLUMNS} FROM invitation WHERE id = ?1"),
            [id],
            Invitation::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        if found.used_at.is_some() || found.revoked_at.is_some() {
            return Err(Error::Conflict {
                field: "invitation",
                message: format!(
                    "this invitation was {} already",
                    found.status(now()).as_str()
                ),
            });
        }
        let revoked = query_one(
            &*tx,
            &format!(
                "UPDATE invitation SET revoked_at = ?2, updated_at = ?2 WHERE id = ?1 \
                 RETURNING {COLUMNS}"
            ),
            params![id, now().timestamp()],
            Invitation::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(revoked)
    }
}

async fn find(conn: &(impl super::Runner + ?Sized), token: &str) -> Result<Option<Invitation>> {
    if !crate::secret::plausible_token(token) {
        return Ok(None);
    }
    query_one(
        conn,
        &format!("SELECT {COLUMNS} FROM invitation WHERE token_hash = ?1"),
        [sha256_hex(token)],
        Invitation::from_row,
    )
    .await
}

/// The invitation `token` opens if it can register an account at `now`, inside the
/// registration's unit of work.
pub(crate) async fn usable_in(
    tx: &Tx,
    token: &str,
    at: DateTime<Utc>,
) -> Result<std::result::Result<Invitation, InvitationProblem>> {
    Ok(match find(tx, token).await? {
        None => Err(InvitationProblem::Unknown),
        Some(invitation) => invitation.usable(at).map(|()| invitation),
    })
}

/// Marks the invitation used by `user`, in the unit of work that made the account.
pub(crate) async fn mark_used_in(
    tx: &Tx,
    invitation: &Invitation,
    user: &UserId,
    at: DateTime<Utc>,
) -> Result<()> {
    let changed = super::execute(
        tx,
        "UPDATE invitation SET used_at = ?2, used_by = ?3, updated_at = ?2 \
         WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        params![&invitation.id, at.timestamp(), user],
    )
    .await?;
    if changed == 0 {
        // Used or revoked since it was read: not possible inside one write transaction, but
        // then the account must not be made either.
        return Err(Error::Conflict {
            field: "invitation",
            message: InvitationProblem::Used.message().into(),
        });
    }
    Ok(())
}
