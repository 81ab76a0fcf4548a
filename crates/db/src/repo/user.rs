//! Accounts: the `user` table.

use chrono::{DateTime, Utc};
use libsql::{params, params_from_iter, Row, Value};

use super::instance_setting::{self, RegistrationMode};
use super::invitation::{self, InvitationProblem};
use super::{query_all, query_count, query_one};
use crate::db::{Executor, Scope};
use crate::error::{Error, Result};
use crate::row::{id_type, now, opt_timestamp, timestamp, Stamps};
use crate::validate::Username;

id_type!(
    /// The id of a `user` row.
    UserId
);

/// What an account may do. The first account of an instance is its admin; an instance always
/// keeps at least one enabled admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the instance: the admin page, registration, invitations, other accounts.
    Admin,
    /// Everyone else.
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw.trim() {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub role: Role,
    /// When an admin disabled the account; `None`: enabled.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("role", &self.role)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// A user to insert; the password is already hashed. Built only by [`NewUser::new`].
#[derive(Clone)]
pub struct NewUser {
    username: Username,
    password_hash: String,
}

impl NewUser {
    /// An account of `username` with the argon2id PHC string `password_hash`.
    pub fn new(username: Username, password_hash: String) -> Result<Self> {
        if password_hash.trim().is_empty() {
            return Err(Error::validation("password", "is required"));
        }
        Ok(NewUser {
            username,
            password_hash,
        })
    }

    pub fn username(&self) -> &Username {
        &self.username
    }
}

pub(crate) const COLUMNS: &str =
    "id, username, password_hash, created_at, updated_at, role, disabled_at";
/// How many columns [`COLUMNS`] names: where the next table's columns start in a join.
pub(crate) const COLUMN_COUNT: i32 = 7;

/// The role of an account inserted now: admin when it is the instance's first account. Part of
/// the insert itself, so two first registrations at once cannot both become admin (SQLite runs
/// one write at a time, and the statement sees the other's row once it committed).
const ROLE_OF_NEW: &str = "CASE WHEN EXISTS (SELECT 1 FROM user) THEN 'member' ELSE 'admin' END";

/// The refusal of a change that would leave the instance without an enabled admin.
fn last_admin(action: &str) -> Error {
    Error::Conflict {
        field: "role",
        message: format!("cannot {action} the last admin: promote another account to admin first"),
    }
}

/// Why a registration was refused (the registration mode, or the invitation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Registration is closed.
    Closed,
    /// Registration is by invitation and none was given.
    InvitationRequired,
    /// The invitation given cannot be used.
    Invitation(InvitationProblem),
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Closed => "Registration is closed on this instance. Ask its administrator for an account.",
            Refusal::InvitationRequired => "Registration on this instance is by invitation: open the invitation link you were sent.",
            Refusal::Invitation(problem) => problem.message(),
        }
    }
}

/// What the admin page shows of an account: never its data, only how much there is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub user: User,
    pub contacts: u64,
    pub interactions: u64,
    pub follow_ups: u64,
    /// The latest sign of use the database keeps: an API token's last use, a contact changed,
    /// an interaction logged.
    pub last_activity: Option<DateTime<Utc>>,
    /// An estimate of the account's share of the database, in bytes: the lengths of the text
    /// of its contacts (name, relationship, industry, location, notes), interactions' notes,
    /// VIP backgrounds, contact info and further details, follow-up notes, tag names, photos,
    /// pending import uploads and recently deleted snapshots. Indexes and row overhead are
    /// not counted. Measured apart from the summary ([`UserRepo::measure_storage`]), at
    /// `storage_measured_at`: 0 and `None` for an account that never was (one made after its
    /// list was read).
    pub storage_bytes: u64,
    pub storage_measured_at: Option<DateTime<Utc>>,
    /// Whether two-factor log-in is on (an admin can clear it for a user who lost it).
    pub two_factor: bool,
}

/// The summaries' query: one row per account, each figure a correlated subquery on an index
/// led by the owner, the storage estimate as last measured (`NULL` when it never was).
const SUMMARY: &str = "SELECT {COLUMNS},
    coalesce((SELECT total FROM contact_count WHERE user_id = u.id), 0),
    (SELECT count(*) FROM interaction WHERE user_id = u.id),
    (SELECT count(*) FROM follow_up WHERE user_id = u.id),
    max(coalesce((SELECT max(last_used_at) FROM session_meta WHERE user_id = u.id), 0),
        coalesce((SELECT max(last_used_at) FROM api_token WHERE user_id = u.id), 0),
        coalesce((SELECT max(last_update) FROM contact WHERE user_id = u.id), 0),
        coalesce((SELECT max(created_at) FROM interaction WHERE user_id = u.id), 0)),
    a.storage_bytes,
    EXISTS (SELECT 1 FROM two_factor WHERE user_id = u.id AND enabled_at IS NOT NULL),
    a.measured_at
    FROM user u LEFT JOIN account_usage a ON a.user_id = u.id";

/// The storage estimate of the account `?1` (see [`AccountSummary::storage_bytes`]): every
/// text of it, read. Seconds at a million interactions, so never on a page's way.
const STORAGE: &str = "SELECT
    coalesce((SELECT sum(length(name) + coalesce(length(relationship), 0)
        + coalesce(length(industry), 0) + coalesce(length(location), 0)
        + coalesce(length(notes), 0)) FROM contact WHERE user_id = u.id), 0)
    + coalesce((SELECT sum(coalesce(length(notes), 0)) FROM interaction WHERE user_id = u.id), 0)
    + coalesce((SELECT sum(coalesce(length(b.family), 0) + coalesce(length(b.company), 0)
        + coalesce(length(b.likes_dislikes), 0) + coalesce(length(b.misc_notes), 0))
        FROM background b JOIN contact c ON c.id = b.contact_id WHERE c.user_id = u.id), 0)
    + coalesce((SELECT sum(coalesce(length(i.email), 0) + coalesce(length(i.phone_number), 0)
        + coalesce(length(i.main_app), 0) + coalesce(length(i.social_links), 0))
        FROM contact_info i JOIN contact c ON c.id = i.contact_id WHERE c.user_id = u.id), 0)
    + coalesce((SELECT sum(length(d.value) + coalesce(length(d.label), 0))
        FROM contact_detail d JOIN contact c ON c.id = d.contact_id WHERE c.user_id = u.id), 0)
    + coalesce((SELECT sum(coalesce(length(note), 0)) FROM follow_up WHERE user_id = u.id), 0)
    + coalesce((SELECT sum(length(name)) FROM tag WHERE user_id = u.id), 0)
    + coalesce((SELECT sum(length(p.data)) FROM contact_photo p
        JOIN contact c ON c.id = p.contact_id WHERE c.user_id = u.id), 0)
    + coalesce((SELECT sum(length(content)) FROM import_upload WHERE user_id = u.id), 0)
    + coalesce((SELECT sum(length(snapshot)) FROM deleted_contact WHERE user_id = u.id), 0)
    FROM user u WHERE u.id = ?1";

impl AccountSummary {
    fn from_row(row: &Row) -> Result<Self> {
        let n = COLUMN_COUNT;
        let count = |i: i32| -> Result<u64> { Ok(u64::try_from(row.get::<i64>(i)?).unwrap_or(0)) };
        let last: i64 = row.get(n + 3)?;
        let measured: Option<i64> = row.get(n + 6)?;
        Ok(AccountSummary {
            user: User::from_row(row)?,
            contacts: count(n)?,
            interactions: count(n + 1)?,
            follow_ups: count(n + 2)?,
            last_activity: opt_timestamp((last > 0).then_some(last), "last activity")?,
            storage_bytes: u64::try_from(row.get::<Option<i64>>(n + 4)?.unwrap_or(0)).unwrap_or(0),
            two_factor: row.get::<i64>(n + 5)? != 0,
            storage_measured_at: opt_timestamp(measured, "account_usage.measured_at")?,
        })
    }
}

impl User {
    pub(crate) fn from_row(row: &Row) -> Result<Self> {
        Self::from_row_at(row, 0)
    }

    /// Reads the user's columns starting at column `s` (they follow another table's in a join).
    pub(crate) fn from_row_at(row: &Row, s: i32) -> Result<Self> {
        Ok(User {
            id: UserId::from(row.get::<String>(s)?),
            username: row.get(s + 1)?,
            password_hash: row.get(s + 2)?,
            created_at: timestamp(row.get(s + 3)?, "user.created_at")?,
            updated_at: timestamp(row.get(s + 4)?, "user.updated_at")?,
            role: {
                let raw: String = row.get(s + 5)?;
                Role::parse(&raw).ok_or_else(|| Error::Decode {
                    column: "user.role",
                    reason: format!("{raw:?} is not admin or member"),
                })?
            },
            disabled_at: opt_timestamp(row.get(s + 6)?, "user.disabled_at")?,
        })
    }
}

#[derive(Clone, Copy)]
pub struct UserRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> UserRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        UserRepo { ex: ex.into() }
    }

    /// Creates an account; a taken username is a `Conflict` on `username`.
    pub async fn create(&self, new: &NewUser) -> Result<User> {
        self.create_at(new, Stamps::now()).await
    }

    /// [`Self::create`] with the given times (demo accounts look older than they are).
    pub async fn create_at(&self, new: &NewUser, stamps: Stamps) -> Result<User> {
        let conn = self.ex.conn().await?;
        let id = UserId::generate();
        // The violation surfaces at the first `next()` on a local file, so the mapping covers
        // the whole statement (`query_one`), not only `query()`.
        query_one(
            &conn,
            &format!(
                "INSERT INTO user (id, username, password_hash, created_at, updated_at, role) \
                 VALUES (?1, ?2, ?3, ?4, ?5, {ROLE_OF_NEW}) RETURNING {COLUMNS}"
            ),
            params![
                id,
                new.username.as_str(),
                new.password_hash.as_str(),
                stamps.created_at.timestamp(),
                stamps.updated_at.timestamp()
            ],
            User::from_row,
        )
        .await
        .map_err(|e| e.map_unique("user.username", "username", "is already taken"))?
        .ok_or(Error::NotFound)
    }

    pub async fn get(&self, id: &UserId) -> Result<User> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {COLUMNS} FROM user WHERE id = ?1"),
            [id],
            User::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Looks an account up by username (as typed: trimmed and lowercased first).
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>> {
        let username = username.trim().to_ascii_lowercase();
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("SELECT {COLUMNS} FROM user WHERE username = ?1"),
            [username],
            User::from_row,
        )
        .await
    }

    pub async fn update_password_hash(&self, id: &UserId, password_hash: &str) -> Result<()> {
        if password_hash.is_empty() {
            return Err(Error::validation("password", "is required"));
        }
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE user SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, password_hash, now().timestamp()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Deletes the account and, through the schema's cascades, every row that belongs to it,
    /// in one transaction.
    pub async fn delete(&self, id: &UserId) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        let changed = tx.execute("DELETE FROM user WHERE id = ?1", [id]).await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// All accounts by username (for the CLI; there are few).
    pub async fn list(&self) -> Result<Vec<User>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!("SELECT {COLUMNS} FROM user ORDER BY username"),
            (),
            User::from_row,
        )
        .await
    }

    /// Registers an account through the register page: the registration mode (the instance
    /// setting, or `starting` while none is saved) and the invitation `invite` (a token) are
    /// checked, the account inserted (admin when it is the first) and the invitation marked
    /// used, all in one write transaction. `Ok(Err(_))` says why registration was refused.
    pub async fn register(
        &self,
        new: &NewUser,
        starting: RegistrationMode,
        invite: Option<&str>,
    ) -> Result<std::result::Result<User, Refusal>> {
        let tx = self.ex.begin_write().await?;
        let mode = instance_setting::registration_in(&tx, starting).await?;
        let at = now();
        let invitation = match mode {
            RegistrationMode::Closed => return Ok(Err(Refusal::Closed)),
            RegistrationMode::Open => None,
            RegistrationMode::Invite => {
                let Some(token) = invite else {
                    return Ok(Err(Refusal::InvitationRequired));
                };
                match invitation::usable_in(&tx, token, at).await? {
                    Ok(found) => Some(found),
                    Err(problem) => return Ok(Err(Refusal::Invitation(problem))),
                }
            }
        };
        let user = insert(&tx, new, Stamps::at(at)).await?;
        if let Some(invitation) = invitation {
            invitation::mark_used_in(&tx, &invitation, &user.id, at).await?;
        }
        tx.commit().await?;
        Ok(Ok(user))
    }

    /// Every account with what the admin page shows of it, oldest first. The accounts whose
    /// storage was never measured are measured first.
    pub async fn summaries(&self) -> Result<Vec<AccountSummary>> {
        self.measure_storage_of(Unmeasured::Only, Utc::now())
            .await?;
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!("{} ORDER BY u.created_at, u.rowid", summary_sql()),
            (),
            AccountSummary::from_row,
        )
        .await
    }

    /// One account's summary (the delete confirmation's counts), its storage measured first
    /// if it never was.
    pub async fn summary(&self, id: &UserId) -> Result<AccountSummary> {
        self.measure_storage_of(Unmeasured::One(id), Utc::now())
            .await?;
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!("{} WHERE u.id = ?1", summary_sql()),
            [id],
            AccountSummary::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Measures every account's storage estimate again (the hourly sweep); the number of
    /// accounts measured.
    pub async fn measure_storage(&self, at: DateTime<Utc>) -> Result<usize> {
        self.measure_storage_of(Unmeasured::All, at).await
    }

    /// Measures the storage of the accounts `which` names, each read apart from the others
    /// and written in a short write of its own: the read of a large account takes seconds,
    /// and no write waits for it. An account deleted meanwhile is skipped.
    async fn measure_storage_of(&self, which: Unmeasured<'_>, at: DateTime<Utc>) -> Result<usize> {
        let conn = self.ex.conn().await?;
        let (sql, values): (&str, Vec<Value>) = match which {
            Unmeasured::All => ("SELECT id FROM user ORDER BY rowid", vec![]),
            Unmeasured::Only => (
                "SELECT u.id FROM user u WHERE NOT EXISTS \
                 (SELECT 1 FROM account_usage a WHERE a.user_id = u.id) ORDER BY u.rowid",
                vec![],
            ),
            Unmeasured::One(id) => (
                "SELECT u.id FROM user u WHERE u.id = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM account_usage a WHERE a.user_id = u.id)",
                vec![id.into()],
            ),
        };
        let ids = query_all(&conn, sql, params_from_iter(values), |row| {
            Ok(UserId::from(row.get::<String>(0)?))
        })
        .await?;
        drop(conn);
        for id in &ids {
            let conn = self.ex.conn().await?;
            let bytes = query_one(&conn, STORAGE, [id], |row| Ok(row.get::<i64>(0)?))
                .await?
                .unwrap_or(0);
            conn.execute(
                "INSERT INTO account_usage (user_id, storage_bytes, measured_at) \
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM user WHERE id = ?1) \
                 ON CONFLICT (user_id) DO UPDATE SET storage_bytes = excluded.storage_bytes, \
                   measured_at = excluded.measured_at",
                params![id, bytes, at.timestamp()],
            )
            .await?;
        }
        Ok(ids.len())
    }

    /// Makes the account an admin or a member. Demoting the last enabled admin is refused
    /// (a `Conflict`), checked in the same transaction as the change.
    pub async fn set_role(&self, id: &UserId, role: Role) -> Result<User> {
        let tx = self.ex.begin_write().await?;
        let user = get_in(&tx, id).await?;
        if role == Role::Member && is_last_admin(&tx, &user).await? {
            return Err(last_admin("demote"));
        }
        let user = query_one(
            &*tx,
            &format!(
                "UPDATE user SET role = ?2, updated_at = ?3 WHERE id = ?1 RETURNING {COLUMNS}"
            ),
            params![id, role.as_str(), now().timestamp()],
            User::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(user)
    }

    /// Disables the account (it cannot log in; its sessions are deleted at once, its API tokens
    /// refused) or enables it again. Disabling the last enabled admin is refused. Returns the
    /// account and how many sessions ended.
    pub async fn set_disabled(&self, id: &UserId, disabled: bool) -> Result<(User, u64)> {
        let tx = self.ex.begin_write().await?;
        let user = get_in(&tx, id).await?;
        if disabled && is_last_admin(&tx, &user).await? {
            return Err(last_admin("disable"));
        }
        let at = now().timestamp();
        let user = query_one(
            &*tx,
            &format!(
                "UPDATE user SET disabled_at = CASE WHEN ?2 THEN coalesce(disabled_at, ?3) END, \
                 updated_at = ?3 WHERE id = ?1 RETURNING {COLUMNS}"
            ),
            params![id, disabled, at],
            User::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        let ended = if disabled {
            tx.execute("DELETE FROM session WHERE user_id = ?1", [id])
                .await?
        } else {
            0
        };
        tx.commit().await?;
        Ok((user, ended))
    }

    /// Deletes an account and everything it holds (the admin page, the CLI, the account's own
    /// Settings). The last enabled admin is kept while other accounts exist; as the only
    /// account it may go (the next registration makes the next admin).
    pub async fn delete_account(&self, id: &UserId) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        let user = get_in(&tx, id).await?;
        if is_last_admin(&tx, &user).await?
            && query_count(&*tx, "SELECT count(*) FROM user WHERE id != ?1", [id]).await? > 0
        {
            return Err(last_admin("delete"));
        }
        tx.execute("DELETE FROM user WHERE id = ?1", [id]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes sure the instance has an enabled admin: on an instance whose accounts predate
    /// roles (or lost their admin to the database's own tools), the oldest enabled account is
    /// promoted. Returns it, or `None` when there was an admin (or no account) already.
    pub async fn ensure_admin(&self) -> Result<Option<User>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE user SET role = 'admin', updated_at = ?1 WHERE id = (\
                 SELECT id FROM user WHERE disabled_at IS NULL ORDER BY created_at, rowid LIMIT 1) \
                 AND NOT EXISTS (SELECT 1 FROM user WHERE role = 'admin' AND disabled_at IS NULL) \
                 RETURNING {COLUMNS}"
            ),
            [now().timestamp()],
            User::from_row,
        )
        .await
    }
}

/// Which accounts [`UserRepo::measure_storage_of`] measures.
#[derive(Clone, Copy)]
enum Unmeasured<'a> {
    All,
    /// Those never measured.
    Only,
    /// This one, if it never was.
    One(&'a UserId),
}

fn summary_sql() -> String {
    SUMMARY.replace("{COLUMNS}", &super::qualified("u", COLUMNS))
}

/// Inserts an account inside a write transaction (its role: [`ROLE_OF_NEW`]).
async fn insert(tx: &Scope<'_>, new: &NewUser, stamps: Stamps) -> Result<User> {
    query_one(
        &**tx,
        &format!(
            "INSERT INTO user (id, username, password_hash, created_at, updated_at, role) \
             VALUES (?1, ?2, ?3, ?4, ?5, {ROLE_OF_NEW}) RETURNING {COLUMNS}"
        ),
        params![
            UserId::generate(),
            new.username.as_str(),
            new.password_hash.as_str(),
            stamps.created_at.timestamp(),
            stamps.updated_at.timestamp()
        ],
        User::from_row,
    )
    .await
    .map_err(|e| e.map_unique("user.username", "username", "is already taken"))?
    .ok_or(Error::NotFound)
}

async fn get_in(tx: &Scope<'_>, id: &UserId) -> Result<User> {
    query_one(
        &**tx,
        &format!("SELECT {COLUMNS} FROM user WHERE id = ?1"),
        [id],
        User::from_row,
    )
    .await?
    .ok_or(Error::NotFound)
}

/// Whether `user` is an enabled admin and no other enabled admin exists.
async fn is_last_admin(tx: &Scope<'_>, user: &User) -> Result<bool> {
    if !user.is_admin() || user.is_disabled() {
        return Ok(false);
    }
    let others = query_count(
        &**tx,
        "SELECT count(*) FROM user WHERE role = 'admin' AND disabled_at IS NULL AND id != ?1",
        [&user.id],
    )
    .await?;
    Ok(others == 0)
}
