//! Per-user preferences: the `user_settings` table (time zone, default reconnect cadences,
//! the private calendar feed's token hash). A user without a row has the defaults, so every
//! account works before its owner ever opens the settings.

use crate::repo::Runner;
use chrono::{DateTime, NaiveDate, Utc};
use libsql::{params, Row};

use super::session::Owner;
use super::user::UserId;
use super::{is_sha256_hex, query_one};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::Query;
use crate::row::{now, opt_timestamp, timestamp, Stamps};

/// Reconnect with a contact every this many days, unless the user or the contact says
/// otherwise…
pub const DEFAULT_CADENCE_DAYS: u32 = 90;
/// …and a VIP every this many.
pub const DEFAULT_VIP_CADENCE_DAYS: u32 = 30;
/// The longest cadence: ten years.
pub const MAX_CADENCE_DAYS: u32 = 3650;

/// An IANA time zone ("Europe/Berlin"), or UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::UTC)
    }
}

impl TimeZone {
    /// A zone by its IANA name, exactly as the database lists it (case-insensitive).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        s.parse::<chrono_tz::Tz>()
            .ok()
            .or_else(|| {
                chrono_tz::TZ_VARIANTS
                    .iter()
                    .copied()
                    .find(|tz| tz.name().eq_ignore_ascii_case(s))
            })
            .map(TimeZone)
            .ok_or_else(|| "must be a time zone name like Europe/Berlin or UTC".to_string())
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The calendar date at `at` in this zone.
    pub fn date_at(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// The moment the wall clock here shows `local`: the earlier of two when the clocks go
    /// back, and the first moment after the gap when they go forward (02:30 on a spring-forward
    /// night is 03:00 or later).
    pub fn moment(&self, local: chrono::NaiveDateTime) -> DateTime<Utc> {
        use chrono::TimeZone as _;
        let mut at = local;
        for _ in 0..4 {
            if let Some(t) = self.0.from_local_datetime(&at).earliest() {
                return t.with_timezone(&Utc);
            }
            at += chrono::Duration::minutes(30);
        }
        local.and_utc()
    }

    /// The wall-clock time at `at` in this zone.
    pub fn local_time(&self, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        at.with_timezone(&self.0).naive_local()
    }

    /// Every zone name the database knows, for pickers.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

/// A reconnect cadence: every `n` days, 1 to [`MAX_CADENCE_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CadenceDays(u32);

impl CadenceDays {
    pub fn new(days: u32) -> Result<Self, String> {
        if (1..=MAX_CADENCE_DAYS).contains(&days) {
            Ok(CadenceDays(days))
        } else {
            Err(format!(
                "must be a whole number of days from 1 to {MAX_CADENCE_DAYS}"
            ))
        }
    }

    /// A number of days as typed.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "" => Err("is required".into()),
            s => s
                .parse::<u32>()
                .map_err(|_| ())
                .and_then(|d| Self::new(d).map_err(|_| ()))
                .map_err(|()| {
                    format!("must be a whole number of days from 1 to {MAX_CADENCE_DAYS}")
                }),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub(crate) fn from_column(value: i64, column: &'static str) -> Result<Self> {
        u32::try_from(value)
            .map_err(|_| ())
            .and_then(|d| CadenceDays::new(d).map_err(|_| ()))
            .map_err(|()| Error::Decode {
                column,
                reason: format!("{value} is not a cadence in days"),
            })
    }
}

/// What the user chooses on the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub time_zone: TimeZone,
    pub cadence_days: CadenceDays,
    pub vip_cadence_days: CadenceDays,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            time_zone: TimeZone::default(),
            cadence_days: CadenceDays(DEFAULT_CADENCE_DAYS),
            vip_cadence_days: CadenceDays(DEFAULT_VIP_CADENCE_DAYS),
        }
    }
}

/// The preferences as typed into the settings form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PreferencesInput {
    pub time_zone: String,
    pub cadence_days: String,
    pub vip_cadence_days: String,
}

impl PreferencesInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<Preferences> {
        let mut errors = ValidationErrors::new();
        let time_zone = errors.take("time_zone", TimeZone::parse(&self.time_zone));
        let cadence = errors.take("cadence_days", CadenceDays::parse(&self.cadence_days));
        let vip = errors.take(
            "vip_cadence_days",
            CadenceDays::parse(&self.vip_cadence_days),
        );
        match (time_zone, cadence, vip) {
            (Some(time_zone), Some(cadence_days), Some(vip_cadence_days)) => Ok(Preferences {
                time_zone,
                cadence_days,
                vip_cadence_days,
            }),
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// A user's settings as stored, or the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSettings {
    pub user_id: UserId,
    pub preferences: Preferences,
    /// When the current calendar feed token was made; `None`: no feed.
    pub calendar_feed_since: Option<DateTime<Utc>>,
    /// When the settings were first saved and last changed; `None`: never saved (the
    /// defaults apply).
    pub saved: Option<Stamps>,
}

impl UserSettings {
    pub fn defaults(user: &UserId) -> Self {
        UserSettings {
            user_id: user.clone(),
            preferences: Preferences::default(),
            calendar_feed_since: None,
            saved: None,
        }
    }

    /// Today's date where the user lives.
    pub fn today(&self) -> NaiveDate {
        self.preferences.time_zone.date_at(Utc::now())
    }

    pub fn time_zone(&self) -> TimeZone {
        self.preferences.time_zone
    }

    fn from_row(row: &Row) -> Result<Self> {
        Self::from_row_at(row, 0)
    }

    /// Reads the settings columns ([`COLUMNS`]) starting at column `s`.
    pub(crate) fn from_row_at(row: &Row, s: i32) -> Result<Self> {
        let zone: String = row.get(s + 1)?;
        // A zone name this build does not know (written by another client, or removed from
        // the database in a later release) must not lock the user out: UTC it is.
        let time_zone = TimeZone::parse(&zone).unwrap_or_else(|_| {
            tracing::warn!(zone = %zone, "unknown time zone in user_settings; using UTC");
            TimeZone::default()
        });
        Ok(UserSettings {
            user_id: UserId::from(row.get::<String>(s)?),
            preferences: Preferences {
                time_zone,
                cadence_days: CadenceDays::from_column(
                    row.get(s + 2)?,
                    "user_settings.cadence_days",
                )?,
                vip_cadence_days: CadenceDays::from_column(
                    row.get(s + 3)?,
                    "user_settings.vip_cadence_days",
                )?,
            },
            calendar_feed_since: opt_timestamp(
                row.get(s + 4)?,
                "user_settings.calendar_token_created_at",
            )?,
            saved: Some(Stamps {
                created_at: timestamp(row.get(s + 5)?, "user_settings.created_at")?,
                updated_at: timestamp(row.get(s + 6)?, "user_settings.updated_at")?,
            }),
        })
    }
}

/// The user's settings row with the defaults, unless it exists: the one INSERT of the table.
async fn ensure_row(conn: &(impl Runner + ?Sized), user: &UserId, stamps: Stamps) -> Result<()> {
    super::settle(conn).await?;
    conn.connection()
        .execute(
            "INSERT INTO user_settings (user_id, created_at, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO NOTHING",
            params![
                user,
                stamps.created_at.timestamp(),
                stamps.updated_at.timestamp()
            ],
        )
        .await
        .map_err(|e| not_found_on_foreign_key(e.into()))?;
    Ok(())
}

pub(crate) const COLUMNS: &str = "user_id, time_zone, cadence_days, vip_cadence_days, \
     calendar_token_created_at, created_at, updated_at";

#[derive(Clone, Copy)]
pub struct UserSettingsRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> UserSettingsRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        UserSettingsRepo { ex: ex.into() }
    }

    /// The user's settings; the defaults when none were saved.
    pub fn get(&self, user: &UserId) -> Query<'e, UserSettings> {
        let owner = user.clone();
        Query::one(self.ex, select_of_user(), [user], UserSettings::from_row)
            .map(move |saved| saved.unwrap_or_else(|| UserSettings::defaults(&owner)))
    }

    /// The saved settings of `owner` (`None`: the defaults, or no such session).
    pub fn saved(&self, owner: Owner<'_>) -> Query<'e, Option<UserSettings>> {
        let (condition, value) = owner.condition("user_id", 1);
        Query::one(
            self.ex,
            format!("SELECT {COLUMNS} FROM user_settings WHERE {condition}"),
            [value],
            UserSettings::from_row,
        )
    }

    /// Saves the time zone and the default cadences.
    pub async fn save_preferences(
        &self,
        user: &UserId,
        preferences: &Preferences,
    ) -> Result<UserSettings> {
        self.save_preferences_at(user, preferences, Stamps::now())
            .await
    }

    /// [`Self::save_preferences`] with the given times (a restore keeps the original ones).
    pub async fn save_preferences_at(
        &self,
        user: &UserId,
        preferences: &Preferences,
        stamps: Stamps,
    ) -> Result<UserSettings> {
        let tx = self.ex.begin_write().await?;
        ensure_row(&tx, user, stamps).await?;
        let settings = query_one(
            &tx,
            &format!(
                "UPDATE user_settings SET time_zone = ?2, cadence_days = ?3, \
                 vip_cadence_days = ?4, updated_at = ?5 WHERE user_id = ?1 RETURNING {COLUMNS}"
            ),
            params![
                user,
                preferences.time_zone.name(),
                i64::from(preferences.cadence_days.get()),
                i64::from(preferences.vip_cadence_days.get()),
                stamps.updated_at.timestamp()
            ],
            UserSettings::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(settings)
    }

    /// Replaces the calendar feed's token (the old URL stops working) with the one whose
    /// sha256 is `token_hash`.
    pub async fn set_calendar_token(&self, user: &UserId, token_hash: &str) -> Result<()> {
        if !is_sha256_hex(token_hash) {
            return Err(Error::validation(
                "calendar_token_hash",
                "must be a lowercase hex sha256",
            ));
        }
        let tx = self.ex.begin_write().await?;
        let at = now();
        ensure_row(&tx, user, Stamps::at(at)).await?;
        tx.execute(
            "UPDATE user_settings SET calendar_token_hash = ?2, calendar_token_created_at = ?3, \
             updated_at = ?3 WHERE user_id = ?1",
            params![user, token_hash, at.timestamp()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Switches the calendar feed off: its URL answers 404 from now on.
    pub async fn revoke_calendar_token(&self, user: &UserId) -> Result<()> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "UPDATE user_settings SET calendar_token_hash = NULL, \
             calendar_token_created_at = NULL, updated_at = ?2 WHERE user_id = ?1",
            params![user, now().timestamp()],
        )
        .await?;
        Ok(())
    }

    /// Whose calendar feed the token with this hash opens, if anyone's.
    pub async fn user_for_calendar_token(&self, token_hash: &str) -> Result<Option<UserId>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT user_id FROM user_settings WHERE calendar_token_hash = ?1",
            [token_hash],
            |row| Ok(UserId::from(row.get::<String>(0)?)),
        )
        .await
    }
}

fn select_of_user() -> String {
    format!("SELECT {COLUMNS} FROM user_settings WHERE user_id = ?1")
}

fn not_found_on_foreign_key(e: Error) -> Error {
    if e.is_foreign_key_violation() {
        Error::NotFound
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("europe/berlin").map(|z| z.name()),
            Ok("Europe/Berlin")
        );
        assert_eq!(TimeZone::parse(" UTC ").map(|z| z.name()), Ok("UTC"));
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn a_date_depends_on_the_zone() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(); // 2023-11-14 22:13 UTC
        let d = |z: &str| TimeZone::parse(z).map(|z| z.date_at(at).to_string());
        assert_eq!(d("UTC"), Ok("2023-11-14".into()));
        assert_eq!(d("Asia/Tokyo"), Ok("2023-11-15".into()));
        assert_eq!(d("America/Los_Angeles"), Ok("2023-11-14".into()));
    }

    #[test]
    fn cadences_are_whole_days_within_ten_years() {
        assert_eq!(CadenceDays::parse(" 14 ").map(CadenceDays::get), Ok(14));
        for bad in ["0", "-3", "3651", "1.5", "two", "", "99999999999"] {
            assert!(CadenceDays::parse(bad).is_err(), "{bad}");
        }
    }
}
