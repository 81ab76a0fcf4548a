//! Settings → Reminders (`/settings/reminders`): the digest (off, daily or weekly, at a local
//! hour, with the kinds it includes), follow-ups pushed when they fall due, the channels
//! (an e-mail address confirmed by a link, a signed webhook, an ntfy topic), "send a test now"
//! per channel, and the record of the last deliveries.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc, Weekday};
use devhub_db::{
    Channel, DeliveryRow, Error as DbError, Frequency, Includes, ReminderInput, ReminderSettings,
    TimeZone, ValidationErrors,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, FormOrEmpty};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

/// How many deliveries the record shows.
pub const DELIVERIES_SHOWN: u32 = 20;

/// The page's address; each block has its anchor (`#digest`, `#email`, `#webhook`, `#ntfy`,
/// `#deliveries`).
pub const PAGE: &str = "/settings/reminders";

/// The labels of the schedule form's fields, for the messages beside them.
const SCHEDULE_LABELS: [(&str, &str); 5] = [
    ("digest", "Digest"),
    ("hour", "Hour"),
    ("weekday", "Day"),
    ("webhook_url", "Webhook URL"),
    ("ntfy_url", "ntfy URL"),
];

/// The schedule and channels form as the browser sends it: a checkbox is present when ticked.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    pub digest: String,
    pub hour: String,
    pub weekday: String,
    pub include_due: Option<String>,
    pub include_overdue: Option<String>,
    pub include_birthdays: Option<String>,
    pub include_reconnect: Option<String>,
    pub follow_up_push: Option<String>,
    pub webhook_url: String,
    pub ntfy_url: String,
}

impl ScheduleForm {
    /// The form filled in with what is saved.
    fn of(saved: &ReminderSettings) -> Self {
        let tick = |on: bool| on.then(|| "on".to_string());
        ScheduleForm {
            digest: saved.frequency.as_str().to_string(),
            hour: saved.hour.to_string(),
            weekday: saved.weekday.number_from_monday().to_string(),
            include_due: tick(saved.includes.due),
            include_overdue: tick(saved.includes.overdue),
            include_birthdays: tick(saved.includes.birthdays),
            include_reconnect: tick(saved.includes.reconnect),
            follow_up_push: tick(saved.follow_up_push),
            webhook_url: saved.webhook_url.clone().unwrap_or_default(),
            ntfy_url: saved.ntfy_url.clone().unwrap_or_default(),
        }
    }

    /// The typed input, or the messages of the fields that are not one of their choices. The
    /// URLs are the repository's to check (`ReminderSettings::save`); the e-mail switch is
    /// not on this form and keeps `email_on`.
    pub fn parse(&self, email_on: bool) -> Result<ReminderInput, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let frequency = Frequency::parse(self.digest.trim());
        if frequency.is_none() {
            errors.add("digest", "must be off, daily or weekly");
        }
        let hour = self.hour.trim().parse::<u32>().ok().filter(|h| *h < 24);
        if hour.is_none() {
            errors.add("hour", "must be an hour from 00:00 to 23:00");
        }
        let weekday = self
            .weekday
            .trim()
            .parse::<u8>()
            .ok()
            .and_then(weekday_from_number);
        if weekday.is_none() {
            errors.add("weekday", "must be a day of the week");
        }
        let url = |raw: &str| {
            let raw = raw.trim();
            (!raw.is_empty()).then(|| raw.to_string())
        };
        let input = ReminderInput {
            frequency: frequency.unwrap_or(Frequency::Off),
            hour: hour.unwrap_or(0),
            weekday: weekday.unwrap_or(Weekday::Mon),
            includes: Includes {
                due: self.include_due.is_some(),
                overdue: self.include_overdue.is_some(),
                birthdays: self.include_birthdays.is_some(),
                reconnect: self.include_reconnect.is_some(),
            },
            follow_up_push: self.follow_up_push.is_some(),
            email_on,
            webhook_url: url(&self.webhook_url),
            ntfy_url: url(&self.ntfy_url),
        };
        // The URLs' messages too, so that every wrong field is marked at once.
        if let Err(DbError::Validation(more)) = input.validated() {
            for e in more.iter() {
                if !errors.iter().any(|known| known.field == e.field) {
                    errors.add(e.field, e.message.clone());
                }
            }
        }
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }
}

/// ISO 8601's day number (1 = Monday … 7 = Sunday).
fn weekday_from_number(n: u8) -> Option<Weekday> {
    match n {
        1..=7 => Weekday::try_from(n - 1).ok(),
        _ => None,
    }
}

/// The e-mail address form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EmailForm {
    pub email: String,
}

/// The e-mail switch: `on` is `1` to switch e-mail reminders (back) on, anything else off.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SwitchForm {
    pub on: String,
}

/// One row of the delivery record.
pub struct DeliveryView {
    /// "Dec 6, 08:00" in the user's time zone, and the exact time for `<time>`.
    pub when: String,
    pub iso: String,
    pub what: &'static str,
    pub channel: &'static str,
    pub status: &'static str,
    /// `pending`, `sent`, `failed` or `skipped`: the badge's class.
    pub status_class: &'static str,
    pub attempts: u32,
    /// The server's answer or the last error.
    pub answer: String,
    /// "next try Dec 6, 08:15" for a pending one that failed before.
    pub retry: Option<String>,
}

impl DeliveryView {
    fn new(row: &DeliveryRow, zone: TimeZone) -> Self {
        let at = row.sent_at.unwrap_or(row.updated_at);
        let retry = row
            .retrying()
            .then(|| format!("next try {}", local_time(row.next_attempt_at, zone)));
        DeliveryView {
            when: local_time(at, zone),
            iso: at.to_rfc3339(),
            what: row.kind.label(),
            channel: row.channel.label(),
            status: row.status.label(),
            status_class: row.status.as_str(),
            attempts: row.attempts,
            answer: row.last_error.clone().unwrap_or_default(),
            retry,
        }
    }
}

/// "Dec 6, 08:00" at `at` in `zone`.
pub fn local_time(at: DateTime<Utc>, zone: TimeZone) -> String {
    zone.local_time(at).format("%b %-d, %H:%M").to_string()
}

/// Where the e-mail address stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailState {
    NotSet,
    /// Set, its confirmation link not used yet: nothing else is sent to it.
    Waiting,
    Confirmed,
    /// Confirmed, then switched off (by the unsubscribe link or here).
    Off,
}

impl EmailState {
    fn of(saved: &ReminderSettings) -> Self {
        match (&saved.email, saved.email_confirmed, saved.email_on) {
            (None, _, _) => EmailState::NotSet,
            (Some(_), false, _) => EmailState::Waiting,
            (Some(_), true, true) => EmailState::Confirmed,
            (Some(_), true, false) => EmailState::Off,
        }
    }
}

/// A channel "send a test now" can go to: `email`, `webhook` or `ntfy`, with where to.
pub struct ChannelView {
    pub slug: &'static str,
    pub label: &'static str,
    pub target: String,
}

#[derive(Template)]
#[template(path = "reminders/settings.html")]
pub struct RemindersPage {
    pub layout: Layout,
    /// The user's time zone, which the hours are in.
    pub time_zone: &'static str,
    pub form: ScheduleForm,
    pub errors: FieldErrors,
    /// The other settings' messages, none of which this form has a field for.
    pub hours: Vec<(String, String)>,
    pub weekdays: [(&'static str, &'static str); 7],
    /// "Friday, December 11 at 09:00 (Europe/Berlin)" when a digest is scheduled.
    pub next_digest: Option<String>,
    /// Whether the operator configured SMTP: without it no e-mail control is shown.
    pub email_configured: bool,
    pub email: Option<String>,
    pub email_state: EmailState,
    /// The address form's value and message, when it came back.
    pub email_input: String,
    pub email_errors: FieldErrors,
    pub webhook_secret: Option<String>,
    /// The active channels, each with its "send a test now".
    pub channels: Vec<ChannelView>,
    pub deliveries: Vec<DeliveryView>,
}

impl RemindersPage {
    /// The page with what is saved.
    pub async fn load(state: &AppState, page: &Page) -> Result<Self, AppError> {
        let user = page.user_id();
        let zone = page.settings.time_zone();
        let reminders = state.db.reminders();
        let saved = reminders.get(user).await?;
        let deliveries = reminders
            .deliveries(user, DELIVERIES_SHOWN)
            .await?
            .iter()
            .map(|row| DeliveryView::new(row, zone))
            .collect();
        let email_configured = super::routes::email_configured(state);
        let channels = saved
            .channels()
            .into_iter()
            .filter(|c| *c != Channel::Email || email_configured)
            .map(|c| ChannelView {
                slug: c.as_str(),
                label: c.label(),
                target: match c {
                    Channel::Email => saved.email.clone(),
                    Channel::Webhook => saved.webhook_url.clone(),
                    Channel::Ntfy => saved.ntfy_url.clone(),
                }
                .unwrap_or_default(),
            })
            .collect();
        Ok(RemindersPage {
            layout: page.layout("Reminders", "settings"),
            time_zone: zone.name(),
            form: ScheduleForm::of(&saved),
            errors: FieldErrors::default(),
            hours: (0..24)
                .map(|h| (h.to_string(), format!("{h:02}:00")))
                .collect(),
            weekdays: [
                ("1", "Monday"),
                ("2", "Tuesday"),
                ("3", "Wednesday"),
                ("4", "Thursday"),
                ("5", "Friday"),
                ("6", "Saturday"),
                ("7", "Sunday"),
            ],
            next_digest: saved.next_digest_at.map(|at| {
                format!(
                    "{} ({})",
                    zone.local_time(at).format("%A, %B %-d at %H:%M"),
                    zone.name()
                )
            }),
            email_configured,
            email_state: EmailState::of(&saved),
            email_input: saved.email.clone().unwrap_or_default(),
            email: saved.email,
            email_errors: FieldErrors::default(),
            webhook_secret: saved.webhook_secret,
            channels,
            deliveries,
        })
    }

    fn checked(on: &Option<String>) -> bool {
        on.is_some()
    }

    fn is_waiting(&self) -> bool {
        self.email_state == EmailState::Waiting
    }

    fn is_confirmed(&self) -> bool {
        self.email_state == EmailState::Confirmed
    }

    fn is_off(&self) -> bool {
        self.email_state == EmailState::Off
    }
}

/// `GET /settings/reminders`.
pub async fn reminders_page(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, AppError> {
    Ok(ok(&RemindersPage::load(&state, &page).await?))
}

/// `POST /settings/reminders`: the digest, what it includes, follow-up pushes and the push
/// URLs. A form with a wrong value comes back with the messages beside the fields (422) and
/// nothing saved.
pub async fn save_schedule(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    FormOrEmpty(form): FormOrEmpty<ScheduleForm>,
) -> Result<Response, AppError> {
    let user = page.user_id();
    let current = state.db.reminders().get(user).await?;
    let saved = match form.parse(current.email_on) {
        Ok(input) => {
            state
                .db
                .reminders()
                .save(user, &input, page.settings.time_zone(), Utc::now())
                .await
        }
        Err(errors) => Err(DbError::Validation(errors)),
    };
    match saved {
        Ok(saved) => {
            let message = match (saved.frequency, saved.next_digest_at) {
                (Frequency::Off, _) | (_, None) => "Reminder settings saved.".to_string(),
                (_, Some(at)) => format!(
                    "Reminder settings saved. The next digest goes out {}.",
                    zone_time(at, page.settings.time_zone())
                ),
            };
            Ok(flash::redirect(jar, Flash::success(message), PAGE))
        }
        Err(DbError::Validation(errors)) => {
            let mut shown = RemindersPage::load(&state, &page).await?;
            shown.errors = FieldErrors::from_validation(&errors, &SCHEDULE_LABELS);
            shown.form = form;
            shown.layout.flash = Some(Flash::error(
                "Nothing was saved: correct the fields marked below.",
            ));
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &shown))
        }
        Err(e) => Err(e.into()),
    }
}

/// "Friday, December 11 at 09:00".
fn zone_time(at: DateTime<Utc>, zone: TimeZone) -> String {
    zone.local_time(at)
        .format("%A, %B %-d at %H:%M")
        .to_string()
}

/// What the page and the refused e-mail forms say without SMTP.
pub const NOT_CONFIGURED: &str =
    "E-mail is not configured on this server (ask the operator to set SMTP_URL).";

/// `POST /settings/reminders/email`: a new address (unconfirmed until its link is used: a
/// confirmation mail goes to it, and nothing else), or none.
pub async fn set_email(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    FormOrEmpty(form): FormOrEmpty<EmailForm>,
) -> Result<Response, AppError> {
    if !super::routes::email_configured(&state) {
        return refused_without_smtp(&state, &page).await;
    }
    let user = page.user_id();
    let address = form.email.trim();
    let address = (!address.is_empty()).then_some(address);
    let set = state
        .db
        .reminders()
        .set_email(user, address, Utc::now())
        .await;
    let to_block = format!("{PAGE}#email");
    match set {
        Ok(Some(token)) => {
            // The repository took it: the address as it was stored.
            let saved = state.db.reminders().get(user).await?;
            let email = saved.email.unwrap_or_default();
            let flash = send_confirmation(&state, &page, &email, &token).await?;
            Ok(flash::redirect(jar, flash, &to_block))
        }
        Ok(None) if address.is_some() => Ok(flash::redirect(
            jar,
            Flash::success("This address is confirmed already: reminders go to it."),
            &to_block,
        )),
        Ok(None) => Ok(flash::redirect(
            jar,
            Flash::success("E-mail address removed: no reminders go to it any more."),
            &to_block,
        )),
        Err(DbError::Validation(errors)) => {
            let mut shown = RemindersPage::load(&state, &page).await?;
            shown.email_errors = FieldErrors::from_validation(&errors, &[("email", "E-mail")]);
            shown.email_input = form.email;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &shown))
        }
        Err(e) => Err(e.into()),
    }
}

/// The page saying that e-mail is not configured, with a 409: nothing was changed.
async fn refused_without_smtp(state: &AppState, page: &Page) -> Result<Response, AppError> {
    let mut shown = RemindersPage::load(state, page).await?;
    shown.layout.flash = Some(Flash::error(NOT_CONFIGURED));
    Ok(render(StatusCode::CONFLICT, &shown))
}

/// Sends the confirmation mail for `email` with its link's `token`; the flash says how it went.
async fn send_confirmation(
    state: &AppState,
    page: &Page,
    email: &str,
    token: &str,
) -> Result<Flash, AppError> {
    let outcome = super::engine::send_confirmation(state, page.user_id(), email, token).await?;
    Ok(if outcome.is_sent() {
        Flash::success(format!(
            "We sent a link to {email}: open it to confirm the address. Nothing else is sent to it until then."
        ))
    } else {
        Flash::error(format!(
            "Could not send the confirmation link to {email}: {}",
            outcome.response()
        ))
    })
}

/// `POST /settings/reminders/email/resend`: a new confirmation link for the address waiting
/// for one (the old link stops working).
pub async fn resend_confirmation(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
) -> Result<Response, AppError> {
    if !super::routes::email_configured(&state) {
        return refused_without_smtp(&state, &page).await;
    }
    let user = page.user_id();
    let saved = state.db.reminders().get(user).await?;
    let email = match (saved.email, saved.email_confirmed) {
        (Some(email), false) => email,
        (Some(_), true) => {
            return Ok(flash::redirect(
                jar,
                Flash::success("This address is confirmed already."),
                &format!("{PAGE}#email"),
            ))
        }
        (None, _) => {
            return Ok(flash::redirect(
                jar,
                Flash::error("There is no address to confirm: enter one first."),
                &format!("{PAGE}#email"),
            ))
        }
    };
    let token = state
        .db
        .reminders()
        .set_email(user, Some(&email), Utc::now())
        .await?
        .ok_or_else(|| AppError::Internal("no confirmation token for an address".into()))?;
    let flash = send_confirmation(&state, &page, &email, &token).await?;
    Ok(flash::redirect(jar, flash, &format!("{PAGE}#email")))
}

/// `POST /settings/reminders/email/switch`: e-mail reminders on (`on=1`, say after the
/// unsubscribe link switched them off) or off, the address kept.
pub async fn switch_email(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    FormOrEmpty(form): FormOrEmpty<SwitchForm>,
) -> Result<Response, AppError> {
    if !super::routes::email_configured(&state) {
        return refused_without_smtp(&state, &page).await;
    }
    let user = page.user_id();
    let on = form.on.trim() == "1";
    let saved = state.db.reminders().get(user).await?;
    if saved.email.is_none() {
        return Ok(flash::redirect(
            jar,
            Flash::error("There is no address to send to: enter one first."),
            &format!("{PAGE}#email"),
        ));
    }
    let input = ReminderInput {
        email_on: on,
        ..input_of(&saved)
    };
    state
        .db
        .reminders()
        .save(user, &input, page.settings.time_zone(), Utc::now())
        .await?;
    let message = if on {
        "E-mail reminders are on again."
    } else {
        "E-mail reminders are off: nothing more goes to this address until you switch them on."
    };
    Ok(flash::redirect(
        jar,
        Flash::success(message),
        &format!("{PAGE}#email"),
    ))
}

/// What is saved, as the form would send it back unchanged.
fn input_of(saved: &ReminderSettings) -> ReminderInput {
    ReminderInput {
        frequency: saved.frequency,
        hour: saved.hour,
        weekday: saved.weekday,
        includes: saved.includes,
        follow_up_push: saved.follow_up_push,
        email_on: saved.email_on,
        webhook_url: saved.webhook_url.clone(),
        ntfy_url: saved.ntfy_url.clone(),
    }
}

/// `POST /settings/reminders/webhook/secret`: a new signing secret (the old one stops
/// verifying at once).
pub async fn new_webhook_secret(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let user = page.user_id();
    let saved = state.db.reminders().get(user).await?;
    if saved.webhook_url.is_none() {
        return Ok(flash::redirect(
            jar,
            Flash::error("Set a webhook URL first: its secret comes with it."),
            &format!("{PAGE}#webhook"),
        ));
    }
    state
        .db
        .reminders()
        .regenerate_webhook_secret(user, Utc::now())
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success(
            "New webhook secret made: signatures made with the old one no longer verify.",
        ),
        &format!("{PAGE}#webhook"),
    ))
}

/// `POST /settings/reminders/test/{channel}`: a test reminder now on one of the user's active
/// channels; the flash says what the server answered. Any other channel is not found.
pub async fn send_test(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(channel): Path<String>,
) -> Result<Response, AppError> {
    let channel = Channel::parse(&channel).ok_or(AppError::NotFound)?;
    let saved = state.db.reminders().get(page.user_id()).await?;
    let active = saved.channels().contains(&channel)
        && (channel != Channel::Email || super::routes::email_configured(&state));
    if !active {
        return Err(AppError::NotFound);
    }
    let target = match channel {
        Channel::Email => saved.email,
        Channel::Webhook => saved.webhook_url,
        Channel::Ntfy => saved.ntfy_url,
    }
    .unwrap_or_default();
    let outcome = super::engine::send_test(&state, page.user_id(), channel).await?;
    let flash = if outcome.is_sent() {
        Flash::success(format!("Sent a test reminder to {target}."))
    } else {
        Flash::error(format!(
            "Could not send the test reminder to {target}: {}",
            outcome.response()
        ))
    };
    Ok(flash::redirect(jar, flash, &format!("{PAGE}#deliveries")))
}
