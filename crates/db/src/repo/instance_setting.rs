//! Instance-wide settings that an admin changes on the admin page: the `instance_setting`
//! table, one row per key. Today the registration mode (`registration`).

use libsql::params;

use super::query_one;
use crate::db::{Executor, Tx};
use crate::error::{Error, Result};
use crate::row::now;

/// The key of the registration mode.
pub const REGISTRATION: &str = "registration";

/// Who may create an account on the register page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone who reaches the server.
    #[default]
    Open,
    /// Only with an invitation link an admin made.
    Invite,
    /// Nobody (accounts are made with `devhub user create`).
    Closed,
}

impl RegistrationMode {
    pub const ALL: [RegistrationMode; 3] = [
        RegistrationMode::Open,
        RegistrationMode::Invite,
        RegistrationMode::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Invite => "invite",
            RegistrationMode::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "open" => Some(RegistrationMode::Open),
            "invite" | "invitation" => Some(RegistrationMode::Invite),
            "closed" => Some(RegistrationMode::Closed),
            _ => None,
        }
    }

    /// What the admin page calls it.
    pub fn label(self) -> &'static str {
        match self {
            RegistrationMode::Open => "Open: anyone who reaches this server can register",
            RegistrationMode::Invite => "By invitation: only with a link made here",
            RegistrationMode::Closed => "Closed: nobody can register",
        }
    }
}

impl std::fmt::Display for RegistrationMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RegistrationMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        RegistrationMode::parse(s).ok_or_else(|| "expected open, invite or closed".to_string())
    }
}

#[derive(Clone, Copy)]
pub struct InstanceSettingRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> InstanceSettingRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        InstanceSettingRepo { ex: ex.into() }
    }

    /// The value of `key`, if one is saved.
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT value FROM instance_setting WHERE key = ?1",
            [key],
            |row| Ok(row.get::<String>(0)?),
        )
        .await
    }

    /// Saves `value` as `key`'s.
    pub async fn set(&self, key: &str, value: &str) -> Result<()> {
        let conn = self.ex.conn().await?;
        set_on(&conn, key, value).await
    }

    /// The registration mode: the saved one, or `starting` (the server's
    /// `DEVHUB_REGISTRATION`) while none is saved.
    pub async fn registration(&self, starting: RegistrationMode) -> Result<RegistrationMode> {
        Ok(match self.get(REGISTRATION).await? {
            Some(value) => decode(&value)?,
            None => starting,
        })
    }

    pub async fn set_registration(&self, mode: RegistrationMode) -> Result<()> {
        self.set(REGISTRATION, mode.as_str()).await
    }
}

fn decode(value: &str) -> Result<RegistrationMode> {
    RegistrationMode::parse(value).ok_or_else(|| Error::Decode {
        column: "instance_setting.value",
        reason: format!("{value:?} is not a registration mode"),
    })
}

async fn set_on(conn: &(impl super::Runner + ?Sized), key: &str, value: &str) -> Result<()> {
    query_one(
        conn,
        "INSERT INTO instance_setting (key, value, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at \
         RETURNING key",
        params![key, value, now().timestamp()],
        |_| Ok(()),
    )
    .await?;
    Ok(())
}

/// The registration mode, read inside a unit of work (registration decides in the same
/// transaction as it inserts).
pub(crate) async fn registration_in(
    tx: &Tx,
    starting: RegistrationMode,
) -> Result<RegistrationMode> {
    let saved = query_one(
        tx,
        "SELECT value FROM instance_setting WHERE key = ?1",
        [REGISTRATION],
        |row| Ok(row.get::<String>(0)?),
    )
    .await?;
    match saved {
        Some(value) => decode(&value),
        None => Ok(starting),
    }
}
