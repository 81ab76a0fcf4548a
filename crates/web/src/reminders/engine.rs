//! The engine: plans the reminders due, claims each with a lease, writes it from the user's
//! data at that moment, sends it on its channel and records the outcome (see
//! [`devhub_db::repo::reminder`] for how a reminder goes out exactly once across instances,
//! restarts and crashes). `devhub serve` runs [`Engine::run_due`] every half minute; `devhub
//! reminders run-once` runs it once. Time is always given (`now`), never read here, so a test
//! can be "tomorrow at 8:00 in Pacific/Auckland".

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use devhub_db::{AttemptOutcome, Channel, Db, Delivery, DeliveryKind, ReminderSettings, UserId};

use super::content::{Item, Kind, Links, Reminder};
use super::mail::Mailer;
use super::outcome::Outcome;
use super::push::Pusher;
use crate::error::AppError;
use crate::format::relative_days;
use crate::state::AppState;

/// How many contacts each list of a reminder names.
const LISTED: u32 = 10;
/// How many contacts of the reconnect list a digest names.
const RECONNECT_LISTED: u32 = 5;
/// Birthdays this many days ahead are in the digest.
const BIRTHDAY_DAYS: i64 = 7;
/// How many users' digests one planning pass makes.
const PLAN_BATCH: u32 = 500;
/// How often `serve` looks for reminders due.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(30);

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Deliveries made by planning.
    pub planned: u64,
    pub sent: u64,
    /// Temporary failures to be tried again.
    pub retrying: u64,
    /// Failed for good.
    pub failed: u64,
    /// Nothing to say when their turn came.
    pub skipped: u64,
}

/// The reminders of one instance: its channels, the address its links point to, and its
/// name as a lease holder.
pub struct Engine {
    mailer: Option<Mailer>,
    pusher: Pusher,
    base: String,
    holder: String,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("mailer", &self.mailer)
            .field("base", &self.base)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// `base` is `PUBLIC_URL` (links in reminders point there); `mailer` is the operator's
    /// SMTP server, if any.
    pub fn new(
        mailer: Option<Mailer>,
        base: &str,
        metrics: Option<Arc<crate::metrics::Metrics>>,
    ) -> Engine {
        Engine {
            mailer,
            pusher: Pusher::new(),
            base: base.trim_end_matches('/').to_string(),
            holder: devhub_db::row::new_id(),
            metrics,
        }
    }

    pub fn email_configured(&self) -> bool {
        self.mailer.is_some()
    }

    /// Plans what is due at `now` and sends everything due, one delivery at a time, until
    /// nothing is left to claim.
    pub async fn run_due(&self, db: &Db, now: DateTime<Utc>) -> devhub_db::Result<RunReport> {
        let mut report = RunReport::default();
        loop {
            let made = db.reminders().plan_digests(now, PLAN_BATCH).await?;
            report.planned += made;
            if made < u64::from(PLAN_BATCH) {
                break;
            }
        }
        report.planned += db.reminders().plan_follow_ups(now).await?;
        // The run's clock: `now`, advanced by the time the run has taken, so that a lease taken
        // late in a long run still lasts its two minutes.
        let started = std::time::Instant::now();
        let clock = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        while let Some(delivery) = db.reminders().claim(&self.holder, clock()).await? {
            match self.deliver(db, &delivery, clock()).await? {
                Done::Skipped => report.skipped += 1,
                Done::Sent => report.sent += 1,
                Done::Lost => {}
                Done::Retrying => report.retrying += 1,
                Done::Failed => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// What `run_due` would send at `now`, without sending or changing anything: one line
    /// per reminder ("digest for ada by email").
    pub async fn preview(&self, db: &Db, now: DateTime<Utc>) -> devhub_db::Result<Vec<String>> {
        db.reminders().due_preview(now).await
    }

    /// Sends a test reminder to `user` on `channel` now, recorded like any other.
    pub async fn send_test(
        &self,
        db: &Db,
        user: &UserId,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> devhub_db::Result<Outcome> {
        let settings = db.reminders().get(user).await?;
        if !settings.channels().contains(&channel) {
            return Err(devhub_db::Error::validation(
                "channel",
                format!("{} is not set up", channel.label()),
            ));
        }
        let delivery = db
            .reminders()
            .start_now(user, DeliveryKind::Test, channel, &self.holder, now)
            .await?;
        let outcome = self.send(db, &delivery, &settings, now).await?;
        let outcome = outcome.unwrap_or_else(Outcome::permanent);
        self.record(db, &delivery, &outcome, false, now).await?;
        Ok(outcome)
    }

    /// Sends the confirmation link of `email` (the token's link), recorded as a delivery.
    pub async fn send_confirmation(
        &self,
        db: &Db,
        user: &UserId,
        email: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> devhub_db::Result<Outcome> {
        let delivery = db
            .reminders()
            .start_now(
                user,
                DeliveryKind::Confirm,
                Channel::Email,
                &self.holder,
                now,
            )
            .await?;
        let outcome = match &self.mailer {
            None => Outcome::permanent("e-mail is not configured on this server"),
            Some(mailer) => {
                let link = format!("{}/reminders/confirm/{token}", self.base);
                let username = db.users().get(user).await?.username;
                let text = format!(
                    "Hello {username},\n\nplease confirm that Developer Hub may send your reminders \
                     to {email}: open\n\n{link}\n\nand press \"Confirm this address\". The link \
                     works for {} hours. If you did not ask for this, ignore this message: \
                     nothing will be sent.\n",
                    devhub_db::repo::reminder::CONFIRM_HOURS
                );
                let html = format!(
                    "<p>Hello {},</p><p>please confirm that Developer Hub may send your \
                     reminders to {}:</p><p><a href=\"{link}\">Confirm this address</a></p>\
                     <p>The link works for {} hours. If you did not ask for this, ignore this \
                     message: nothing will be sent.</p>",
                    html_escape(username.as_str()),
                    html_escape(email),
                    devhub_db::repo::reminder::CONFIRM_HOURS
                );
                mailer
                    .send_plain(
                        email,
                        "Confirm the address for your Developer Hub reminders",
                        &text,
                        &html,
                        &self.message_id(&delivery),
                    )
                    .await
            }
        };
        self.record(db, &delivery, &outcome, false, now).await?;
        Ok(outcome)
    }

    async fn deliver(
        &self,
        db: &Db,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> devhub_db::Result<Done> {
        let settings = db.reminders().get(&delivery.user_id).await?;
        match self.send(db, delivery, &settings, now).await? {
            Err(why) => {
                db.reminders()
                    .skip(delivery, &self.holder, &why, now)
                    .await?;
                tracing::info!(delivery = %delivery.id, reason = %why, "reminder skipped");
                Ok(Done::Skipped)
            }
            Ok(outcome) => self.record(db, delivery, &outcome, true, now).await,
        }
    }

    /// Writes and sends `delivery`; `Err(why)` when there is nothing to send.
    async fn send(
        &self,
        db: &Db,
        delivery: &Delivery,
        settings: &ReminderSettings,
        now: DateTime<Utc>,
    ) -> devhub_db::Result<Result<Outcome, String>> {
        if delivery.kind != DeliveryKind::Test && !settings.channels().contains(&delivery.channel) {
            return Ok(Err(format!(
                "{} reminders were switched off",
                delivery.channel.label()
            )));
        }
        let Some(reminder) = self.compose(db, delivery, settings, now).await? else {
            return Ok(Err(match delivery.kind {
                DeliveryKind::FollowUp => "the follow-up was done or moved".to_string(),
                _ => "nothing was due".to_string(),
            }));
        };
        let outcome = match delivery.channel {
            Channel::Email => {
                let (Some(mailer), Some(to)) = (&self.mailer, &settings.email) else {
                    return Ok(Ok(Outcome::permanent(
                        "e-mail is not configured on this server",
                    )));
                };
                let links = self.links(settings.unsubscribe_token.as_deref());
                mailer
                    .send_reminder(to, &reminder, &links, &self.message_id(delivery))
                    .await
            }
            Channel::Webhook => {
                let (Some(url), Some(secret)) = (&settings.webhook_url, &settings.webhook_secret)
                else {
                    return Ok(Err("the webhook was removed".into()));
                };
                // The signature's time is the wall clock's, whatever `now` the run was given.
                self.pusher
                    .webhook(
                        url,
                        secret,
                        &reminder,
                        &self.links(None),
                        &delivery.id,
                        Utc::now(),
                    )
                    .await
            }
            Channel::Ntfy => {
                let Some(url) = &settings.ntfy_url else {
                    return Ok(Err("the ntfy address was removed".into()));
                };
                self.pusher.ntfy(url, &reminder, &self.links(None)).await
            }
        };
        Ok(Ok(outcome))
    }

    async fn record(
        &self,
        db: &Db,
        delivery: &Delivery,
        outcome: &Outcome,
        retry: bool,
        now: DateTime<Utc>,
    ) -> devhub_db::Result<Done> {
        let (kind, label) = match outcome {
            Outcome::Sent { .. } => (AttemptOutcome::Sent, "sent"),
            Outcome::Temporary { .. } => (AttemptOutcome::Temporary, "temporary"),
            Outcome::Permanent { .. } => (AttemptOutcome::Permanent, "permanent"),
        };
        if let Some(metrics) = &self.metrics {
            metrics.reminder_attempt(delivery.channel.as_str(), label);
        }
        let status = db
            .reminders()
            .record(delivery, &self.holder, kind, outcome.response(), retry, now)
            .await?;
        let done = match status {
            None => {
                tracing::warn!(
                    delivery = %delivery.id,
                    "a reminder's lease lapsed while it was being sent; another sender has it"
                );
                Done::Lost
            }
            Some(devhub_db::DeliveryStatus::Pending) => {
                tracing::warn!(
                    delivery = %delivery.id,
                    channel = delivery.channel.as_str(),
                    attempt = delivery.attempts,
                    answer = %outcome.response(),
                    "a reminder could not be delivered yet; it will be tried again"
                );
                Done::Retrying
            }
            Some(devhub_db::DeliveryStatus::Failed) => {
                tracing::error!(
                    delivery = %delivery.id,
                    channel = delivery.channel.as_str(),
                    attempts = delivery.attempts,
                    answer = %outcome.response(),
                    "a reminder could not be delivered; given up"
                );
                Done::Failed
            }
            Some(_) => {
                tracing::info!(
                    delivery = %delivery.id,
                    channel = delivery.channel.as_str(),
                    "reminder sent"
                );
                Done::Sent
            }
        };
        Ok(done)
    }

    fn links(&self, unsubscribe: Option<&str>) -> Links {
        Links {
            base: self.base.clone(),
            unsubscribe: unsubscribe.map(|t| format!("{}/reminders/unsubscribe/{t}", self.base)),
            settings: format!("{}/settings/reminders", self.base),
        }
    }

    /// `<delivery-id@host>`: the same on every attempt of one delivery, so that a mail server
    /// or client can tell a resent message from a new one.
    fn message_id(&self, delivery: &Delivery) -> String {
        let host = url::Url::parse(&self.base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "devhub.invalid".into());
        format!("<{}@{host}>", delivery.id)
    }

    /// The reminder `delivery` carries, from the user's data at `now`; `None` when there is
    /// nothing to say (an empty digest, a follow-up done meanwhile).
    async fn compose(
        &self,
        db: &Db,
        delivery: &Delivery,
        settings: &ReminderSettings,
        now: DateTime<Utc>,
    ) -> devhub_db::Result<Option<Reminder>> {
        let user = &delivery.user_id;
        let username = db.users().get(user).await?.username.as_str().to_string();
        let zone = db.user_settings().get(user).await?.time_zone();
        let today = delivery.slot_date().unwrap_or_else(|| zone.date_at(now));
        let kind = match (delivery.kind, settings.frequency) {
            (DeliveryKind::FollowUp, _) => Kind::FollowUpDue,
            (DeliveryKind::Test | DeliveryKind::Confirm, _) => Kind::Test,
            (_, devhub_db::Frequency::Weekly) => Kind::Weekly,
            _ => Kind::Daily,
        };
        let mut reminder = Reminder {
            kind,
            username,
            date_label: today.format("%A, %B %-d").to_string(),
            due_today: Vec::new(),
            overdue: Vec::new(),
            birthdays: Vec::new(),
            reconnect: Vec::new(),
            more: 0,
        };
        if delivery.kind == DeliveryKind::FollowUp {
            let Some(id) = &delivery.follow_up_id else {
                return Ok(None);
            };
            let Some(f) = db.follow_ups().open_with_contact(user, id).await? else {
                return Ok(None);
            };
            if f.follow_up.due_date != today {
                return Ok(None);
            }
            reminder.due_today.push(Item {
                contact_id: f.follow_up.contact_id.as_str().to_string(),
                name: f.contact_name,
                detail: with_note("due today", f.follow_up.note.as_deref()),
            });
            return Ok(Some(reminder));
        }
        let includes = if delivery.kind == DeliveryKind::Test {
            devhub_db::Includes::default()
        } else {
            settings.includes
        };
        let follow_ups = db.follow_ups();
        let contacts = db.contacts();
        // A weekly digest lists the follow-ups of the week it starts.
        let due_until = today + chrono::Days::new(if kind == Kind::Weekly { 7 } else { 1 });
        let (
            (due, due_total),
            (overdue, overdue_total),
            (birthdays, _),
            (reconnect, reconnect_total),
        ) = db
            .batch((
                follow_ups.list_open_between(user, Some(today), Some(due_until), LISTED, 0, 1000),
                follow_ups.list_open_between(user, None, Some(today), LISTED, 0, 1000),
                contacts.birthdays_between(
                    user,
                    today,
                    today + chrono::Days::new(BIRTHDAY_DAYS.unsigned_abs()),
                    LISTED,
                ),
                db.cadences().due(user, now, RECONNECT_LISTED),
            ))
            .await?;
        let mut more = 0u64;
        if includes.due {
            more += due_total.saturating_sub(due.len() as u64);
            reminder.due_today = due
                .into_iter()
                .map(|f| {
                    let when = match (f.follow_up.due_date - today).num_days() {
                        0 => "due today".to_string(),
                        1 => "due tomorrow".to_string(),
                        _ => format!("due {}", f.follow_up.due_date.format("%a, %b %-d")),
                    };
                    Item {
                        contact_id: f.follow_up.contact_id.as_str().to_string(),
                        name: f.contact_name,
                        detail: with_note(&when, f.follow_up.note.as_deref()),
                    }
                })
                .collect();
        }
        if includes.overdue {
            more += overdue_total.saturating_sub(overdue.len() as u64);
            reminder.overdue = overdue
                .into_iter()
                .map(|f| {
                    let days = (today - f.follow_up.due_date).num_days();
                    let late = match days {
                        1 => "1 day overdue".to_string(),
                        n => format!("{n} days overdue"),
                    };
                    Item {
                        contact_id: f.follow_up.contact_id.as_str().to_string(),
                        name: f.contact_name,
                        detail: with_note(&late, f.follow_up.note.as_deref()),
                    }
                })
                .collect();
        }
        if includes.birthdays {
            reminder.birthdays = crate::birthdays::upcoming(
                birthdays.into_iter().map(|b| ((b.id, b.name), b.birthday)),
                today,
                BIRTHDAY_DAYS,
            )
            .into_iter()
            .map(|((id, name), next)| {
                let when = format!(
                    "{} ({})",
                    next.date.format("%a, %b %-d"),
                    relative_days(-next.days)
                );
                Item {
                    contact_id: id.into_string(),
                    name,
                    detail: match next.turns {
                        Some(age) => format!("turns {age} on {when}"),
                        None => format!("birthday on {when}"),
                    },
                }
            })
            .collect();
        }
        if includes.reconnect {
            more += reconnect_total.saturating_sub(reconnect.len() as u64);
            reminder.reconnect = reconnect
                .into_iter()
                .map(|due| {
                    let since = match due.contact.last_contacted {
                        Some(last) => format!(
                            "{} days since you last talked (every {})",
                            (today - last.date_naive()).num_days(),
                            due.cadence_days
                        ),
                        None => format!("never contacted (every {} days)", due.cadence_days),
                    };
                    Item {
                        contact_id: due.contact.id.into_string(),
                        name: due.contact.name,
                        detail: since,
                    }
                })
                .collect();
        }
        reminder.more = usize::try_from(more).unwrap_or(usize::MAX);
        if reminder.is_empty() && delivery.kind != DeliveryKind::Test {
            return Ok(None);
        }
        Ok(Some(reminder))
    }
}

/// How a delivery ended this time.
enum Done {
    Sent,
    Retrying,
    Failed,
    Skipped,
    /// The lease lapsed mid-send: another sender has the row now.
    Lost,
}

fn with_note(what: &str, note: Option<&str>) -> String {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => format!("{what}: {}", super::content::one_line(note, 120)),
        None => what.to_string(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Runs the engine every `every` until the process ends (`devhub serve`). Each instance on a
/// database runs it; the leases make each reminder go once.
pub async fn run_forever(engine: Arc<Engine>, db: Db, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match engine.run_due(&db, Utc::now()).await {
            Ok(report) if report != RunReport::default() => {
                tracing::info!(?report, "reminders run");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the reminders run failed; trying again"),
        }
    }
}

/// Whether the operator configured SMTP.
pub fn email_configured(state: &AppState) -> bool {
    state.reminders.email_configured()
}

/// Sends a test reminder now on `channel`, waiting for the outcome.
pub async fn send_test(
    state: &AppState,
    user: &UserId,
    channel: Channel,
) -> Result<Outcome, AppError> {
    Ok(state
        .reminders
        .send_test(&state.db, user, channel, Utc::now())
        .await?)
}

/// Sends the address-confirmation mail with its link.
pub async fn send_confirmation(
    state: &AppState,
    user: &UserId,
    email: &str,
    token: &str,
) -> Result<Outcome, AppError> {
    Ok(state
        .reminders
        .send_confirmation(&state.db, user, email, token, Utc::now())
        .await?)
}
