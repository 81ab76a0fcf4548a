//! Reminders: each user's choices (`reminder_settings`), the schedule and record of every
//! reminder (`reminder_delivery`) and every attempt to send one (`reminder_attempt`).
//!
//! How a reminder is sent exactly once, by any number of instances on one database:
//! 1. **Planning** ([`ReminderRepo::plan_digests`], [`ReminderRepo::plan_follow_ups`]) makes
//!    one `reminder_delivery` row per reminder and channel when it falls due. The row's `slot`
//!    ("digest:2026-12-07") is unique per user and channel, so two instances planning at once,
//!    or one planning again after a restart, make it once.
//! 2. **Claiming** ([`ReminderRepo::claim`]) takes a due row with a lease, in one statement:
//!    two senders never hold one row. A sender that crashes mid-send leaves its lease to lapse;
//!    the row is then claimed again.
//! 3. **Recording** ([`ReminderRepo::record`]) stores the attempt and the row's new state in one
//!    unit of work: sent, retried later with a back-off, or failed for good.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use libsql::{params, Row};

use super::user::UserId;
use super::user_settings::TimeZone;
use super::{query_all, query_one, sha256_hex};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::Query;
use crate::row::{new_id, opt_timestamp, timestamp};
use crate::secret::random_token;
use crate::validate;

/// How long an address-confirmation link works.
pub const CONFIRM_HOURS: i64 = 24;
/// How long a claimed delivery is its sender's: longer than any send may take.
pub const LEASE_SECONDS: i64 = 120;
/// A reminder still failing this long after it fell due is given up.
pub const GIVE_UP_HOURS: i64 = 24;
/// The first retry's wait; each further one doubles, up to [`RETRY_CAP_SECONDS`].
pub const RETRY_FIRST_SECONDS: i64 = 60;
pub const RETRY_CAP_SECONDS: i64 = 3600;
/// The longest server answer kept with an attempt, in characters.
pub const RESPONSE_MAX: usize = 500;
/// Deliveries and their attempts are kept this many days.
pub const KEPT_DAYS: i64 = 90;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal / $label:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            /// As the pages show it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($s => Some($name::$variant),)* _ => None }
            }

            fn from_column(raw: &str, column: &'static str) -> Result<Self> {
                Self::parse(raw).ok_or_else(|| Error::Decode {
                    column,
                    reason: format!("unknown value `{raw}`"),
                })
            }
        }
    };
}

string_enum!(
    /// How often the digest goes out.
    Frequency { Off = "off" / "Off", Daily = "daily" / "Daily", Weekly = "weekly" / "Weekly" }
);
string_enum!(
    /// Where a reminder goes.
    Channel { Email = "email" / "E-mail", Webhook = "webhook" / "Webhook", Ntfy = "ntfy" / "ntfy" }
);
string_enum!(
    /// What a delivery carries.
    DeliveryKind {
        Digest = "digest" / "Digest",
        FollowUp = "follow_up" / "Follow-up due",
        Test = "test" / "Test",
        Confirm = "confirm" / "Address confirmation",
    }
);
string_enum!(
    /// Where a delivery stands.
    DeliveryStatus {
        Pending = "pending" / "Pending",
        Sent = "sent" / "Sent",
        Failed = "failed" / "Failed",
        Skipped = "skipped" / "Nothing to send",
    }
);
string_enum!(
    /// How one attempt went: a temporary failure is tried again, a permanent one is not.
    AttemptOutcome {
        Sent = "sent" / "Sent",
        Temporary = "temporary" / "Temporary failure",
        Permanent = "permanent" / "Failed",
    }
);

/// What the digest lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Includes {
    pub due: bool,
    pub overdue: bool,
    pub birthdays: bool,
    pub reconnect: bool,
}

impl Default for Includes {
    fn default() -> Self {
        Includes {
            due: true,
            overdue: true,
            birthdays: true,
            reconnect: true,
        }
    }
}

/// A user's reminder settings; the defaults (nothing is sent) when they saved none.
#[derive(Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    pub user_id: UserId,
    pub frequency: Frequency,
    /// The local hour (0–23) of the digest and of follow-up pushes.
    pub hour: u32,
    /// The weekly digest's day.
    pub weekday: Weekday,
    pub includes: Includes,
    /// Push each follow-up to the webhook and ntfy on its due day.
    pub follow_up_push: bool,
    pub email: Option<String>,
    pub email_confirmed: bool,
    /// Off after the unsubscribe link was used.
    pub email_on: bool,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub ntfy_url: Option<String>,
    /// The token of the unsubscribe link of this user's e-mails (never shown on a page).
    pub unsubscribe_token: Option<String>,
    pub next_digest_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ReminderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReminderSettings")
            .field("user_id", &self.user_id)
            .field("frequency", &self.frequency)
            .field("hour", &self.hour)
            .field("weekday", &self.weekday)
            .field("email_confirmed", &self.email_confirmed)
            .field("email_on", &self.email_on)
            .field("next_digest_at", &self.next_digest_at)
            .finish_non_exhaustive()
    }
}

impl ReminderSettings {
    pub fn defaults(user: &UserId) -> Self {
        ReminderSettings {
            user_id: user.clone(),
            frequency: Frequency::Off,
            hour: 8,
            weekday: Weekday::Mon,
            includes: Includes::default(),
            follow_up_push: false,
            email: None,
            email_confirmed: false,
            email_on: true,
            webhook_url: None,
            webhook_secret: None,
            ntfy_url: None,
            unsubscribe_token: None,
            next_digest_at: None,
        }
    }

    /// Whether e-mail reminders go out: a confirmed address, not unsubscribed.
    pub fn email_active(&self) -> bool {
        self.email.is_some() && self.email_confirmed && self.email_on
    }

    /// The channels reminders go to now.
    pub fn channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.email_active() {
            out.push(Channel::Email);
        }
        if self.webhook_url.is_some() && self.webhook_secret.is_some() {
            out.push(Channel::Webhook);
        }
        if self.ntfy_url.is_some() {
            out.push(Channel::Ntfy);
        }
        out
    }

    /// The channels of follow-up pushes (push channels only: one e-mail per follow-up would
    /// be noise; the digest lists them).
    pub fn push_channels(&self) -> Vec<Channel> {
        if !self.follow_up_push {
            return Vec::new();
        }
        self.channels()
            .into_iter()
            .filter(|c| *c != Channel::Email)
            .collect()
    }

    /// The digest's next moment strictly after `after`, in `zone`; `None` when it is off.
    pub fn next_digest_after(&self, zone: TimeZone, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = zone.date_at(after);
        (0..=8)
            .map(|i| today + Duration::days(i))
            .filter(|d| self.digest_day(*d))
            .map(|d| self.slot_at(zone, d))
            .find(|t| *t > after)
    }

    /// The digest's latest moment at or before `now` and its local date; `None` when off.
    pub fn latest_digest(
        &self,
        zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, NaiveDate)> {
        let today = zone.date_at(now);
        (0..=8)
            .map(|i| today - Duration::days(i))
            .filter(|d| self.digest_day(*d))
            .map(|d| (self.slot_at(zone, d), d))
            .find(|(t, _)| *t <= now)
    }

    fn digest_day(&self, date: NaiveDate) -> bool {
        match self.frequency {
            Frequency::Off => false,
            Frequency::Daily => true,
            Frequency::Weekly => date.weekday() == self.weekday,
        }
    }

    /// The reminder hour on `date`, in `zone`.
    pub fn slot_at(&self, zone: TimeZone, date: NaiveDate) -> DateTime<Utc> {
        let local = date
            .and_hms_opt(self.hour.min(23), 0, 0)
            .unwrap_or_else(|| date.and_time(chrono::NaiveTime::MIN));
        zone.moment(local)
    }

    fn from_row(row: &Row) -> Result<Self> {
        let hour = row.get::<i64>(2)?;
        let weekday = row.get::<i64>(3)?;
        Ok(ReminderSettings {
            user_id: UserId::from(row.get::<String>(0)?),
            frequency: Frequency::from_column(&row.get::<String>(1)?, "reminder_settings.digest")?,
            hour: u32::try_from(hour.clamp(0, 23)).unwrap_or(8),
            weekday: Weekday::try_from(u8::try_from(weekday.clamp(1, 7) - 1).unwrap_or(0))
                .unwrap_or(Weekday::Mon),
            includes: Includes {
                due: row.get::<i64>(4)? != 0,
                overdue: row.get::<i64>(5)? != 0,
                birthdays: row.get::<i64>(6)? != 0,
                reconnect: row.get::<i64>(7)? != 0,
            },
            follow_up_push: row.get::<i64>(8)? != 0,
            email: row.get(9)?,
            email_confirmed: row.get::<Option<i64>>(10)?.is_some(),
            email_on: row.get::<i64>(11)? != 0,
            webhook_url: row.get(12)?,
            webhook_secret: row.get(13)?,
            ntfy_url: row.get(14)?,
            unsubscribe_token: row.get(15)?,
            next_digest_at: opt_timestamp(row.get(16)?, "reminder_settings.next_digest_at")?,
        })
    }
}

const SETTINGS_COLUMNS: &str = "user_id, digest, digest_hour, digest_weekday, include_due, \
     include_overdue, include_birthdays, include_reconnect, follow_up_push, email, \
     email_confirmed_at, email_on, webhook_url, webhook_secret, ntfy_url, unsubscribe_token, \
     next_digest_at";

/// What the Settings → Reminders form saves: everything but the e-mail address, which needs
/// its confirmation ([`ReminderRepo::set_email`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderInput {
    pub frequency: Frequency,
    pub hour: u32,
    pub weekday: Weekday,
    pub includes: Includes,
    pub follow_up_push: bool,
    pub email_on: bool,
    pub webhook_url: Option<String>,
    pub ntfy_url: Option<String>,
}

impl ReminderInput {
    /// The input as it would be saved, or every field's problem.
    pub fn validated(&self) -> Result<ReminderInput> {
        let mut errors = ValidationErrors::new();
        if self.hour > 23 {
            errors.add("hour", "must be an hour from 0 to 23");
        }
        let mut url = |field: &'static str, raw: &Option<String>| -> Option<String> {
            let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            match validate::url(raw) {
                Ok(u) => Some(u),
                Err(e) => {
                    errors.add(field, e);
                    None
                }
            }
        };
        let webhook_url = url("webhook_url", &self.webhook_url);
        let ntfy_url = url("ntfy_url", &self.ntfy_url);
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        Ok(ReminderInput {
            webhook_url,
            ntfy_url,
            ..self.clone()
        })
    }
}

/// A reminder to send, as a sender claimed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub user_id: UserId,
    pub kind: DeliveryKind,
    pub channel: Channel,
    pub slot: String,
    pub follow_up_id: Option<String>,
    pub due_at: DateTime<Utc>,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// When it was planned: retries stop a day later.
    pub created_at: DateTime<Utc>,
}

impl Delivery {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(Delivery {
            id: row.get(0)?,
            user_id: UserId::from(row.get::<String>(1)?),
            kind: DeliveryKind::from_column(&row.get::<String>(2)?, "reminder_delivery.kind")?,
            channel: Channel::from_column(&row.get::<String>(3)?, "reminder_delivery.channel")?,
            slot: row.get(4)?,
            follow_up_id: row.get(5)?,
            due_at: timestamp(row.get(6)?, "reminder_delivery.due_at")?,
            attempts: u32::try_from(row.get::<i64>(7)?).unwrap_or(0),
            created_at: timestamp(row.get(8)?, "reminder_delivery.created_at")?,
        })
    }

    /// The local date the reminder is for (the slot's), when it names one.
    pub fn slot_date(&self) -> Option<NaiveDate> {
        self.slot.rsplit(':').next()?.parse().ok()
    }
}

const DELIVERY_COLUMNS: &str =
    "id, user_id, kind, channel, slot, follow_up_id, due_at, attempts, created_at";

/// A delivery as the user's record shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRow {
    pub id: String,
    pub kind: DeliveryKind,
    pub channel: Channel,
    pub status: DeliveryStatus,
    pub due_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure's answer; the server's answer when sent.
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl DeliveryRow {
    fn from_row(row: &Row) -> Result<Self> {
        Ok(DeliveryRow {
            id: row.get(0)?,
            kind: DeliveryKind::from_column(&row.get::<String>(1)?, "reminder_delivery.kind")?,
            channel: Channel::from_column(&row.get::<String>(2)?, "reminder_delivery.channel")?,
            status: DeliveryStatus::from_column(
                &row.get::<String>(3)?,
                "reminder_delivery.status",
            )?,
            due_at: timestamp(row.get(4)?, "reminder_delivery.due_at")?,
            attempts: u32::try_from(row.get::<i64>(5)?).unwrap_or(0),
            next_attempt_at: timestamp(row.get(6)?, "reminder_delivery.next_attempt_at")?,
            last_error: row.get(7)?,
            sent_at: opt_timestamp(row.get(8)?, "reminder_delivery.sent_at")?,
            updated_at: timestamp(row.get(9)?, "reminder_delivery.updated_at")?,
        })
    }

    /// Whether a failure is being retried.
    pub fn retrying(&self) -> bool {
        self.status == DeliveryStatus::Pending && self.last_error.is_some()
    }
}

const ROW_COLUMNS: &str = "id, kind, channel, status, due_at, attempts, next_attempt_at, \
     last_error, sent_at, updated_at";

/// The wait before retry `attempt` + 1: a minute, doubling, at most an hour.
pub fn retry_after(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(12);
    Duration::seconds((RETRY_FIRST_SECONDS << doublings).min(RETRY_CAP_SECONDS))
}

fn trimmed(response: &str) -> String {
    let one_line = response.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(RESPONSE_MAX) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[derive(Clone, Copy)]
pub struct ReminderRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ReminderRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ReminderRepo { ex: ex.into() }
    }

    /// The user's reminder settings; the defaults when they saved none.
    pub async fn get(&self, user: &UserId) -> Result<ReminderSettings> {
        let conn = self.ex.conn().await?;
        Ok(query_one(
            &conn,
            &format!("SELECT {SETTINGS_COLUMNS} FROM reminder_settings WHERE user_id = ?1"),
            [user.as_str()],
            ReminderSettings::from_row,
        )
        .await?
        .unwrap_or_else(|| ReminderSettings::defaults(user)))
    }

    /// Saves the schedule and the push channels (validated first: nothing is stored when a
    /// field is wrong). A webhook gets its signing secret when its URL is first set; the next
    /// digest's moment follows from the user's time zone.
    pub async fn save(
        &self,
        user: &UserId,
        input: &ReminderInput,
        zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Result<ReminderSettings> {
        let input = input.validated()?;
        let tx = self.ex.begin_write().await?;
        ensure_row(&tx, user, now).await?;
        let current = query_one(
            &tx,
            &format!("SELECT {SETTINGS_COLUMNS} FROM reminder_settings WHERE user_id = ?1"),
            [user.as_str()],
            ReminderSettings::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        let next = ReminderSettings {
            frequency: input.frequency,
            hour: input.hour,
            weekday: input.weekday,
            ..current.clone()
        }
        .next_digest_after(zone, now);
        let secret = match (&input.webhook_url, &current.webhook_secret) {
            (Some(_), Some(secret)) => Some(secret.clone()),
            (Some(_), None) => Some(random_token()),
            (None, _) => None,
        };
        let saved = query_one(
            &tx,
            &format!(
                "UPDATE reminder_settings SET digest = ?2, digest_hour = ?3, digest_weekday = ?4, \
                 include_due = ?5, include_overdue = ?6, include_birthdays = ?7, \
                 include_reconnect = ?8, follow_up_push = ?9, email_on = ?10, webhook_url = ?11, \
                 webhook_secret = ?12, ntfy_url = ?13, next_digest_at = ?14, updated_at = ?15 \
                 WHERE user_id = ?1 RETURNING {SETTINGS_COLUMNS}"
            ),
            params![
                user.as_str(),
                input.frequency.as_str(),
                i64::from(input.hour),
                i64::from(input.weekday.number_from_monday()),
                i64::from(input.includes.due),
                i64::from(input.includes.overdue),
                i64::from(input.includes.birthdays),
                i64::from(input.includes.reconnect),
                i64::from(input.follow_up_push),
                i64::from(input.email_on),
                input.webhook_url.clone(),
                secret,
                input.ntfy_url.clone(),
                next.map(|t| t.timestamp()),
                now.timestamp()
            ],
            ReminderSettings::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Sets the address reminders go to, unconfirmed until the link with the returned token
    /// is opened (within [`CONFIRM_HOURS`]); `None` clears the address. The same address again
    /// keeps its confirmation and makes a new link only if it is still unconfirmed.
    pub async fn set_email(
        &self,
        user: &UserId,
        email: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let email = match email.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(validate::email(raw).map_err(|e| Error::validation("email", e))?),
            None => None,
        };
        let tx = self.ex.begin_write().await?;
        ensure_row(&tx, user, now).await?;
        let current = query_one(
            &tx,
            &format!("SELECT {SETTINGS_COLUMNS} FROM reminder_settings WHERE user_id = ?1"),
            [user.as_str()],
            ReminderSettings::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        let token = match &email {
            None => {
                tx.execute(
                    "UPDATE reminder_settings SET email = NULL, email_confirmed_at = NULL, \
                     email_token_hash = NULL, email_token_expires_at = NULL, \
                     unsubscribe_token = NULL, updated_at = ?2 WHERE user_id = ?1",
                    params![user.as_str(), now.timestamp()],
                )
                .await?;
                None
            }
            Some(same)
                if current.email_confirmed
                    && current
                        .email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(same)) =>
            {
                None
            }
            Some(address) => {
                let token = random_token();
                tx.execute(
                    "UPDATE reminder_settings SET email = ?2, email_confirmed_at = NULL, \
                     email_token_hash = ?3, email_token_expires_at = ?4, email_on = 1, \
                     unsubscribe_token = ?5, updated_at = ?6 WHERE user_id = ?1",
                    params![
                        user.as_str(),
                        address.as_str(),
                        sha256_hex(&token),
                        (now + Duration::hours(CONFIRM_HOURS)).timestamp(),
                        random_token(),
                        now.timestamp()
                    ],
                )
                .await?;
                Some(token)
            }
        };
        tx.commit().await?;
        Ok(token)
    }

    /// The address the confirmation link `token` would confirm, or `None` for a link that is
    /// unknown, used or expired: what the link's page asks about, changing nothing (mail
    /// scanners open links). Needs no log-in.
    pub async fn pending_email(&self, token: &str, now: DateTime<Utc>) -> Result<Option<String>> {
        if !crate::secret::plausible_token(token) {
            return Ok(None);
        }
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "SELECT email FROM reminder_settings \
             WHERE email_token_hash = ?1 AND email_token_expires_at > ?2 AND email IS NOT NULL",
            params![sha256_hex(token), now.timestamp()],
            |row| Ok(row.get::<String>(0)?),
        )
        .await
    }

    /// Confirms the address whose link carries `token`: the user and the address, or `None`
    /// for a link that is unknown, used or expired. Needs no log-in.
    pub async fn confirm_email(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(UserId, String)>> {
        if !crate::secret::plausible_token(token) {
            return Ok(None);
        }
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "UPDATE reminder_settings SET email_confirmed_at = ?2, email_token_hash = NULL, \
             email_token_expires_at = NULL, email_on = 1, updated_at = ?2 \
             WHERE email_token_hash = ?1 AND email_token_expires_at > ?2 AND email IS NOT NULL \
             RETURNING user_id, email",
            params![sha256_hex(token), now.timestamp()],
            |row| Ok((UserId::from(row.get::<String>(0)?), row.get::<String>(1)?)),
        )
        .await
    }

    /// The unsubscribe link of a reminder e-mail: turns the user's e-mail reminders off.
    /// Whose they were, or `None` for an unknown token. Needs no log-in.
    pub async fn unsubscribe(&self, token: &str, now: DateTime<Utc>) -> Result<Option<UserId>> {
        if !crate::secret::plausible_token(token) {
            return Ok(None);
        }
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            "UPDATE reminder_settings SET email_on = 0, updated_at = ?2 \
             WHERE unsubscribe_token = ?1 RETURNING user_id",
            params![token, now.timestamp()],
            |row| Ok(UserId::from(row.get::<String>(0)?)),
        )
        .await
    }

    /// The settings of the unsubscribe link `token`, to show which address it stops.
    pub async fn by_unsubscribe_token(&self, token: &str) -> Result<Option<ReminderSettings>> {
        if !crate::secret::plausible_token(token) {
            return Ok(None);
        }
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "SELECT {SETTINGS_COLUMNS} FROM reminder_settings WHERE unsubscribe_token = ?1"
            ),
            [token],
            ReminderSettings::from_row,
        )
        .await
    }

    /// A new signing secret for the webhook (the old one stops verifying).
    pub async fn regenerate_webhook_secret(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let secret = random_token();
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE reminder_settings SET webhook_secret = ?2, updated_at = ?3 \
                 WHERE user_id = ?1 AND webhook_url IS NOT NULL",
                params![user.as_str(), secret.as_str(), now.timestamp()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::validation(
                "webhook_url",
                "set a webhook address first",
            ));
        }
        Ok(secret)
    }

    /// Moves the next digest to the reminder hour in `zone` (the user changed time zone).
    pub async fn reschedule(
        &self,
        user: &UserId,
        zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let settings = self.get(user).await?;
        let conn = self.ex.conn().await?;
        conn.execute(
            "UPDATE reminder_settings SET next_digest_at = ?2 WHERE user_id = ?1",
            params![
                user.as_str(),
                settings.next_digest_after(zone, now).map(|t| t.timestamp())
            ],
        )
        .await?;
        Ok(())
    }

    /// Makes the deliveries of every digest due at `now` (at most `limit` users' at a time)
    /// and moves each of those users' next digest on. Returns how many deliveries it made;
    /// a digest two instances plan at once is made once.
    pub async fn plan_digests(&self, now: DateTime<Utc>, limit: u32) -> Result<u64> {
        let tx = self.ex.begin_write().await?;
        let due = query_all(
            &tx,
            &format!(
                "SELECT {}, coalesce(us.time_zone, 'UTC') FROM reminder_settings r \
                 LEFT JOIN user_settings us ON us.user_id = r.user_id \
                 WHERE r.next_digest_at <= ?1 ORDER BY r.next_digest_at LIMIT +?2",
                super::qualified("r", SETTINGS_COLUMNS)
            ),
            params![now.timestamp(), i64::from(limit)],
            |row| {
                let zone = TimeZone::parse(&row.get::<String>(17)?).unwrap_or_default();
                Ok((ReminderSettings::from_row(row)?, zone))
            },
        )
        .await?;
        let mut made = 0;
        for (settings, zone) in due {
            if let Some((at, date)) = settings.latest_digest(zone, now) {
                let slot = format!("digest:{date}");
                for channel in settings.channels() {
                    made += insert_delivery(
                        &tx,
                        &settings.user_id,
                        DeliveryKind::Digest,
                        channel,
                        &slot,
                        None,
                        at,
                        now,
                    )
                    .await?;
                }
            }
            tx.execute(
                "UPDATE reminder_settings SET next_digest_at = ?2 WHERE user_id = ?1",
                params![
                    settings.user_id.as_str(),
                    settings.next_digest_after(zone, now).map(|t| t.timestamp())
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(made)
    }

    /// Makes a delivery on each push channel for every open follow-up due today (in its
    /// owner's zone) once that day's reminder hour has come. Returns how many it made.
    pub async fn plan_follow_ups(&self, now: DateTime<Utc>) -> Result<u64> {
        let tx = self.ex.begin_write().await?;
        let pushing = query_all(
            &tx,
            &format!(
                "SELECT {}, coalesce(us.time_zone, 'UTC') FROM reminder_settings r \
                 LEFT JOIN user_settings us ON us.user_id = r.user_id \
                 WHERE r.follow_up_push = 1 AND (r.webhook_url IS NOT NULL OR r.ntfy_url IS NOT NULL)",
                super::qualified("r", SETTINGS_COLUMNS)
            ),
            (),
            |row| {
                let zone = TimeZone::parse(&row.get::<String>(17)?).unwrap_or_default();
                Ok((ReminderSettings::from_row(row)?, zone))
            },
        )
        .await?;
        let mut made = 0;
        for (settings, zone) in pushing {
            let today = zone.date_at(now);
            let at = settings.slot_at(zone, today);
            let channels = settings.push_channels();
            if at > now || channels.is_empty() {
                continue;
            }
            let midnight = today.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
            let due = query_all(
                &tx,
                "SELECT id FROM follow_up WHERE user_id = ?1 AND completed = 0 AND due_date = ?2",
                params![settings.user_id.as_str(), midnight],
                |row| Ok(row.get::<String>(0)?),
            )
            .await?;
            for follow_up in due {
                let slot = format!("follow-up:{follow_up}:{today}");
                for channel in &channels {
                    made += insert_delivery(
                        &tx,
                        &settings.user_id,
                        DeliveryKind::FollowUp,
                        *channel,
                        &slot,
                        Some(&follow_up),
                        at,
                        now,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(made)
    }

    /// What a run at `now` would send, without changing anything: planning happens in a
    /// unit of work that is rolled back. One line per delivery: "digest for ada by email
    /// (due 2026-12-07 08:00 UTC)".
    pub async fn due_preview(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let Executor::Pool(db) = self.ex else {
            return Err(Error::Config(
                "a preview of the reminders needs a unit of work of its own".into(),
            ));
        };
        let tx = db.begin_write().await?;
        tx.reminders().plan_digests(now, u32::MAX).await?;
        tx.reminders().plan_follow_ups(now).await?;
        let lines = query_all(
            &tx,
            "SELECT d.kind, u.username, d.channel, d.due_at, d.attempts FROM reminder_delivery d \
             JOIN user u ON u.id = d.user_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 \
             AND (d.lease_until IS NULL OR d.lease_until <= ?1) \
             ORDER BY d.next_attempt_at, d.id",
            [now.timestamp()],
            |row| {
                let kind =
                    DeliveryKind::from_column(&row.get::<String>(0)?, "reminder_delivery.kind")?;
                let due = timestamp(row.get(3)?, "reminder_delivery.due_at")?;
                let attempts = row.get::<i64>(4)?;
                let retry = if attempts > 0 {
                    format!(", retry after {attempts} attempts")
                } else {
                    String::new()
                };
                Ok(format!(
                    "{} for {} by {} (due {}{retry})",
                    kind.label().to_lowercase(),
                    row.get::<String>(1)?,
                    row.get::<String>(2)?,
                    due.format("%Y-%m-%d %H:%M UTC")
                ))
            },
        )
        .await?;
        tx.rollback().await?;
        Ok(lines)
    }

    /// A delivery sent at once, outside the schedule (a test, an address confirmation),
    /// already claimed by `holder`.
    pub async fn start_now(
        &self,
        user: &UserId,
        kind: DeliveryKind,
        channel: Channel,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<Delivery> {
        let id = new_id();
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "INSERT INTO reminder_delivery (id, user_id, kind, channel, slot, due_at, status, \
                 attempts, next_attempt_at, lease_holder, lease_until, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 1, ?6, ?7, ?8, ?6, ?6) \
                 RETURNING {DELIVERY_COLUMNS}"
            ),
            params![
                id.as_str(),
                user.as_str(),
                kind.as_str(),
                channel.as_str(),
                format!("{}:{id}", kind.as_str()),
                now.timestamp(),
                holder,
                now.timestamp() + LEASE_SECONDS
            ],
            Delivery::from_row,
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Claims the next due delivery for `holder` until its lease lapses: nobody else gets
    /// it meanwhile. One statement, so two senders asking at once never get the same row.
    pub async fn claim(&self, holder: &str, now: DateTime<Utc>) -> Result<Option<Delivery>> {
        let conn = self.ex.conn().await?;
        query_one(
            &conn,
            &format!(
                "UPDATE reminder_delivery SET lease_holder = ?1, lease_until = ?3, \
                 attempts = attempts + 1, updated_at = ?2 \
                 WHERE id = (SELECT id FROM reminder_delivery \
                   WHERE status = 'pending' AND next_attempt_at <= ?2 \
                   AND (lease_until IS NULL OR lease_until <= ?2) \
                   ORDER BY next_attempt_at, id LIMIT 1) \
                 AND status = 'pending' AND (lease_until IS NULL OR lease_until <= ?2) \
                 RETURNING {DELIVERY_COLUMNS}"
            ),
            params![holder, now.timestamp(), now.timestamp() + LEASE_SECONDS],
            Delivery::from_row,
        )
        .await
    }

    /// Records one attempt at `delivery` and what follows: sent; a temporary failure tried
    /// again after [`retry_after`] until [`GIVE_UP_HOURS`] after it was planned (when
    /// `retry` allows it); failed for good otherwise. Only the lease's holder records; `None`
    /// when the lease was lost (another sender has it now).
    pub async fn record(
        &self,
        delivery: &Delivery,
        holder: &str,
        outcome: AttemptOutcome,
        response: &str,
        retry: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<DeliveryStatus>> {
        let response = trimmed(response);
        let give_up = delivery.created_at + Duration::hours(GIVE_UP_HOURS);
        let next = now + retry_after(delivery.attempts);
        let status = match outcome {
            AttemptOutcome::Sent => DeliveryStatus::Sent,
            AttemptOutcome::Temporary if retry && next < give_up => DeliveryStatus::Pending,
            _ => DeliveryStatus::Failed,
        };
        let tx = self.ex.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE reminder_delivery SET status = ?3, next_attempt_at = ?4, \
                 last_error = ?5, sent_at = ?6, lease_holder = NULL, lease_until = NULL, \
                 updated_at = ?7 WHERE id = ?1 AND lease_holder = ?2",
                params![
                    delivery.id.as_str(),
                    holder,
                    status.as_str(),
                    next.timestamp(),
                    (outcome != AttemptOutcome::Sent).then(|| response.clone()),
                    (outcome == AttemptOutcome::Sent).then(|| now.timestamp()),
                    now.timestamp()
                ],
            )
            .await?;
        if changed == 0 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO reminder_attempt (id, delivery_id, user_id, at, outcome, response, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4, ?4)",
            params![
                new_id(),
                delivery.id.as_str(),
                delivery.user_id.as_str(),
                now.timestamp(),
                outcome.as_str(),
                response
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(status))
    }

    /// Ends `delivery` without an attempt: when its turn came there was nothing to say
    /// (`why`: the follow-up was done, the digest is empty, the channel was switched off).
    pub async fn skip(
        &self,
        delivery: &Delivery,
        holder: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "UPDATE reminder_delivery SET status = 'skipped', last_error = ?3,                  lease_holder = NULL, lease_until = NULL, updated_at = ?4                  WHERE id = ?1 AND lease_holder = ?2",
                params![delivery.id.as_str(), holder, trimmed(why), now.timestamp()],
            )
            .await?;
        Ok(changed > 0)
    }

    /// The user's latest deliveries, newest first.
    pub async fn deliveries(&self, user: &UserId, limit: u32) -> Result<Vec<DeliveryRow>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            &format!(
                "SELECT {ROW_COLUMNS} FROM reminder_delivery WHERE user_id = ?1 \
                 ORDER BY created_at DESC, id DESC LIMIT +?2"
            ),
            params![user.as_str(), i64::from(limit)],
            DeliveryRow::from_row,
        )
        .await
    }

    /// The attempts of one of the user's deliveries, oldest first: (when, outcome, answer).
    pub async fn attempts(
        &self,
        user: &UserId,
        delivery: &str,
    ) -> Result<Vec<(DateTime<Utc>, AttemptOutcome, Option<String>)>> {
        let conn = self.ex.conn().await?;
        query_all(
            &conn,
            "SELECT at, outcome, response FROM reminder_attempt \
             WHERE user_id = ?1 AND delivery_id = ?2 ORDER BY at, id",
            params![user.as_str(), delivery],
            |row| {
                Ok((
                    timestamp(row.get(0)?, "reminder_attempt.at")?,
                    AttemptOutcome::from_column(
                        &row.get::<String>(1)?,
                        "reminder_attempt.outcome",
                    )?,
                    row.get(2)?,
                ))
            },
        )
        .await
    }

    /// The user's newest scheduled reminder (a digest or a follow-up) when it failed for good
    /// or is being retried after a failure; `None` when it went out or is still to go.
    /// A query, so that the dashboard reads it in its one batch.
    pub fn last_failure(&self, user: &UserId) -> Query<'e, Option<DeliveryRow>> {
        Query::one(
            self.ex,
            format!(
                "SELECT {ROW_COLUMNS} FROM reminder_delivery WHERE user_id = ?1 \
                 AND kind IN ('digest', 'follow_up') \
                 AND (status IN ('sent', 'failed') OR (status = 'pending' AND last_error IS NOT NULL)) \
                 ORDER BY updated_at DESC, id DESC LIMIT 1"
            ),
            params![user.as_str()],
            DeliveryRow::from_row,
        )
        .map(|newest| {
            newest.filter(|d| d.status == DeliveryStatus::Failed || d.retrying())
        })
    }

    /// Deliveries waiting to be sent, over every user (for `/metrics`).
    pub async fn pending_count(&self) -> Result<u64> {
        let conn = self.ex.conn().await?;
        super::query_count(
            &conn,
            "SELECT count(*) FROM reminder_delivery WHERE status = 'pending'",
            (),
        )
        .await
    }

    /// Deletes deliveries (and their attempts) made before `before`; returns how many.
    pub async fn sweep(&self, before: DateTime<Utc>) -> Result<u64> {
        let conn = self.ex.conn().await?;
        conn.execute(
            "DELETE FROM reminder_delivery WHERE created_at < ?1 AND status <> 'pending'",
            [before.timestamp()],
        )
        .await
    }
}

/// The user's settings row with the defaults, unless it exists.
async fn ensure_row(
    tx: &(impl super::Runner + ?Sized),
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.connection()
        .execute(
            "INSERT INTO reminder_settings (user_id, created_at, updated_at) VALUES (?1, ?2, ?2) \
             ON CONFLICT (user_id) DO NOTHING",
            params![user.as_str(), now.timestamp()],
        )
        .await?;
    Ok(())
}

/// One delivery, unless its slot was planned already: 1 when made, 0 when not.
#[allow(clippy::too_many_arguments)]
async fn insert_delivery(
    tx: &(impl super::Runner + ?Sized),
    user: &UserId,
    kind: DeliveryKind,
    channel: Channel,
    slot: &str,
    follow_up: Option<&str>,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(tx
        .connection()
        .execute(
            "INSERT INTO reminder_delivery (id, user_id, kind, channel, slot, follow_up_id, \
             due_at, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8, ?8) \
             ON CONFLICT (user_id, channel, slot) DO NOTHING",
            params![
                new_id(),
                user.as_str(),
                kind.as_str(),
                channel.as_str(),
                slot,
                follow_up,
                due_at.timestamp(),
                now.timestamp()
            ],
        )
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(hour: u32, weekday: Weekday) -> ReminderSettings {
        ReminderSettings {
            frequency: Frequency::Weekly,
            hour,
            weekday,
            ..ReminderSettings::defaults(&UserId::from("u".to_string()))
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_digest_goes_at_the_local_hour_of_the_users_zone() {
        let auckland = TimeZone::parse("Pacific/Auckland").unwrap();
        let daily = ReminderSettings {
            frequency: Frequency::Daily,
            ..weekly(8, Weekday::Mon)
        };
        // 2026-12-06 20:00 UTC is Monday 7 Dec 09:00 in Auckland (NZDT, +13): the next 08:00
        // there is Tuesday's, 19:00 UTC on the 7th.
        let next = daily
            .next_digest_after(auckland, at("2026-12-06T20:00:00Z"))
            .unwrap();
        assert_eq!(next, at("2026-12-07T19:00:00Z"));
        let (latest, date) = daily
            .latest_digest(auckland, at("2026-12-06T20:00:00Z"))
            .unwrap();
        assert_eq!(latest, at("2026-12-06T19:00:00Z"));
        assert_eq!(date.to_string(), "2026-12-07");
    }

    #[test]
    fn a_weekly_digest_waits_for_its_day_and_off_never_comes() {
        let utc = TimeZone::default();
        let friday = weekly(9, Weekday::Fri);
        // Sunday 6 Dec 2026 → Friday 11 Dec 09:00.
        assert_eq!(
            friday.next_digest_after(utc, at("2026-12-06T10:00:00Z")),
            Some(at("2026-12-11T09:00:00Z"))
        );
        let off = ReminderSettings {
            frequency: Frequency::Off,
            ..friday
        };
        assert_eq!(off.next_digest_after(utc, at("2026-12-06T10:00:00Z")), None);
        assert_eq!(off.latest_digest(utc, at("2026-12-06T10:00:00Z")), None);
    }

    #[test]
    fn an_hour_the_clocks_skip_is_the_first_moment_after_the_gap() {
        // Europe/Berlin skips 02:00–03:00 on 29 March 2026.
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        let daily = ReminderSettings {
            frequency: Frequency::Daily,
            ..weekly(2, Weekday::Mon)
        };
        let next = daily
            .next_digest_after(berlin, at("2026-03-28T12:00:00Z"))
            .unwrap();
        assert_eq!(next, at("2026-03-29T01:00:00Z")); // 03:00 CEST
    }

    #[test]
    fn retries_wait_a_minute_doubling_to_an_hour() {
        assert_eq!(retry_after(1), Duration::seconds(60));
        assert_eq!(retry_after(2), Duration::seconds(120));
        assert_eq!(retry_after(7), Duration::seconds(3600));
        assert_eq!(retry_after(40), Duration::seconds(3600));
    }
}
