//! `/settings`: reminders (time zone, default reconnect cadences), the private calendar feed
//! (create, regenerate, revoke), personal access tokens for the API (create, list, revoke),
//! recently deleted contacts (restore, delete for good: `crate::undo`), change password, sign
//! out everywhere, delete the account.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::accounts::check_password;
use crate::auth::password;
use crate::auth::rate_limit::{Attempt, ClientIp};
use crate::auth::session::{generate_token, removal_cookie};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{FieldErrors, Form, FormOrEmpty};
use crate::middleware::retry_after;
use crate::page::{ok, render, Layout, Page};
use crate::security::RequestInfo;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use devhub_db::{
    sha256_hex, validate, ApiToken, ApiTokenId, Error as DbError, PreferencesInput,
    SecurityEventKind, TimeZone, ValidationErrors,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_page))
        // The forms that answer with this page (messages, a token or feed address shown
        // once) leave their address in the address bar: opened again, it leads back here.
        .route(
            "/settings/password",
            post(change_password).get(to_section("/settings#password")),
        )
        .route("/settings/sessions/revoke", post(sign_out_everywhere))
        .route(
            "/settings/delete",
            post(delete_account).get(to_section("/settings#delete-account")),
        )
        // Time zone and cadences; Settings → Reminders itself is `/settings/reminders`
        // (`crate::reminders`).
        .route(
            "/settings/preferences",
            post(save_reminders).get(to_section("/settings#reminders")),
        )
        .route(
            "/settings/calendar",
            post(new_calendar_feed).get(to_section("/settings#calendar")),
        )
        .route("/settings/calendar/revoke", post(revoke_calendar_feed))
        .route(
            "/settings/tokens",
            post(create_token).get(to_section("/settings#tokens")),
        )
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

/// A handler that answers with a 303 to `target`.
fn to_section(
    target: &'static str,
) -> impl FnOnce() -> std::future::Ready<Redirect> + Clone + Send + Sync + 'static {
    move || std::future::ready(Redirect::to(target))
}

/// The expiry choices of a new token, in days (`None`: never).
const TOKEN_EXPIRY_CHOICES: [(&str, Option<u32>); 5] = [
    ("", None),
    ("7", Some(7)),
    ("30", Some(30)),
    ("90", Some(90)),
    ("365", Some(365)),
];

/// A personal access token as the settings page lists it.
struct TokenRow {
    id: String,
    name: String,
    created: String,
    /// "never" or a date.
    last_used: String,
    /// "never", "expires …" or "expired …".
    expires: String,
    expired: bool,
}

impl TokenRow {
    fn new(token: &ApiToken, now: DateTime<Utc>) -> Self {
        let day = |at: DateTime<Utc>| crate::format::long_date(at.date_naive());
        TokenRow {
            id: token.id.to_string(),
            name: token.name.clone(),
            created: day(token.created_at),
            last_used: token.last_used_at.map_or_else(
                || "never".to_string(),
                |at| at.format("%B %-d, %Y %H:%M UTC").to_string(),
            ),
            expires: match token.expires_at {
                None => "never".to_string(),
                Some(at) if token.is_expired(now) => format!("expired {}", day(at)),
                Some(at) => day(at),
            },
            expired: token.is_expired(now),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenForm {
    name: String,
    expires_in: String,
}

#[derive(Template, Default)]
#[template(path = "settings/index.html")]
struct SettingsPage {
    layout: Layout,
    username: String,
    member_since: String,
    current_password_error: Option<String>,
    new_password_error: Option<String>,
    delete_password_error: Option<String>,
    reminders: PreferencesInput,
    reminder_errors: FieldErrors,
    /// Every zone name, for the time zone field's suggestions.
    time_zones: Vec<&'static str>,
    /// "December 1, 2026" when a calendar feed exists.
    feed_since: Option<String>,
    /// The feed's URL, shown once right after it was made.
    feed_url: Option<String>,
    /// The same as a `webcal://` link, which calendar apps open as a subscription.
    feed_webcal: Option<String>,
    /// The user's API tokens, newest first.
    tokens: Vec<TokenRow>,
    /// A token just made, shown on this response only.
    new_token: Option<String>,
    /// The new-token form's values and errors, when it came back.
    token_name: String,
    token_expires_in: String,
    token_errors: FieldErrors,
    token_expiry_choices: [(&'static str, &'static str); 5],
    /// Contacts deleted in the last 30 days, the latest first.
    deleted: Vec<crate::undo::DeletedRow>,
}

impl SettingsPage {
    fn new(page: &Page) -> Self {
        let user = &page.current.user;
        let preferences = page.settings.preferences;
        SettingsPage {
            layout: page.layout("Settings", "settings"),
            username: user.username.clone(),
            member_since: crate::format::long_date(user.created_at.date_naive()),
            reminders: PreferencesInput {
                time_zone: preferences.time_zone.name().to_string(),
                cadence_days: preferences.cadence_days.get().to_string(),
                vip_cadence_days: preferences.vip_cadence_days.get().to_string(),
            },
            time_zones: TimeZone::all_names().collect(),
            feed_since: page
                .settings
                .calendar_feed_since
                .map(|at| crate::format::long_date(at.date_naive())),
            token_expiry_choices: [
                ("", "Never"),
                ("7", "In 7 days"),
                ("30", "In 30 days"),
                ("90", "In 90 days"),
                ("365", "In a year"),
            ],
            ..SettingsPage::default()
        }
    }

    /// The page with the user's tokens listed.
    async fn load(state: &AppState, page: &Page) -> Result<Self, AppError> {
        let mut settings = SettingsPage::new(page);
        let now = devhub_db::row::now();
        settings.tokens = state
            .db
            .api_tokens()
            .list(page.user_id())
            .await?
            .iter()
            .map(|t| TokenRow::new(t, now))
            .collect();
        settings.deleted = crate::undo::recently_deleted(state, page).await?;
        Ok(settings)
    }
}

/// `POST /settings/tokens`: a new personal access token, shown on this response only (the
/// database keeps its hash).
async fn create_token(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    FormOrEmpty(form): FormOrEmpty<TokenForm>,
) -> Result<Response, AppError> {
    let issued = match TOKEN_EXPIRY_CHOICES
        .iter()
        .find(|(value, _)| *value == form.expires_in.trim())
    {
        Some((_, days)) => {
            state
                .db
                .write(async |tx| {
                    let issued = tx
                        .api_tokens()
                        .issue(page.user_id(), &form.name, *days)
                        .await?;
                    let created = info
                        .event(page.user_id(), SecurityEventKind::TokenCreated)
                        .detail(issued.token.name.clone());
                    tx.security_events().record(&created).await?;
                    Ok(issued)
                })
                .await
        }
        None => {
            // Report the name's error too, not only the expiry's.
            let mut errors = ValidationErrors::new();
            errors.take(
                "name",
                validate::required_text(&form.name, devhub_db::repo::api_token::MAX_TOKEN_NAME),
            );
            errors.add("expires_in", "must be one of the choices");
            Err(DbError::Validation(errors))
        }
    };
    match issued {
        Ok(issued) => {
            let mut settings = SettingsPage::load(&state, &page).await?;
            settings.new_token = Some(issued.secret.expose().to_string());
            settings.layout.flash = Some(Flash::success(format!(
                "Token “{}” created. Copy it now: it is shown only once.",
                issued.token.name
            )));
            Ok(ok(&settings))
        }
        Err(DbError::Validation(errors)) => {
            let mut settings = SettingsPage::load(&state, &page).await?;
            settings.token_errors = FieldErrors::from_validation(
                &errors,
                &[("name", "Name"), ("expires_in", "Expiry")],
            );
            settings.token_name = form.name;
            settings.token_expires_in = form.expires_in;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &settings))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/tokens/{id}/revoke`: the token answers 401 from now on.
async fn revoke_token(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = ApiTokenId::from(id);
    let user = page.user_id();
    state
        .db
        .write(async |tx| {
            let tokens = tx.api_tokens().list(user).await?;
            let name = tokens
                .into_iter()
                .find(|t| t.id == id)
                .map(|t| t.name)
                .ok_or(DbError::NotFound)?;
            tx.api_tokens().delete(user, &id).await?;
            let revoked = info
                .event(user, SecurityEventKind::TokenRevoked)
                .detail(name);
            tx.security_events().record(&revoked).await
        })
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success("Token revoked: it no longer works."),
        "/settings#tokens",
    ))
}

/// `POST /settings/preferences`: time zone and default cadences. A new time zone moves the
/// next digest to the chosen hour in it.
async fn save_reminders(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    FormOrEmpty(form): FormOrEmpty<PreferencesInput>,
) -> Result<Response, AppError> {
    let input = form;
    let saved = match input.parse() {
        Ok(preferences) => {
            let user = page.user_id();
            let moved = preferences.time_zone != page.settings.time_zone();
            state
                .db
                .write(async |tx| {
                    tx.user_settings()
                        .save_preferences(user, &preferences)
                        .await?;
                    if moved {
                        tx.reminders()
                            .reschedule(user, preferences.time_zone, Utc::now())
                            .await?;
                    }
                    Ok(())
                })
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(flash::redirect(
            jar,
            Flash::success("Reminder settings saved."),
            "/settings#reminders",
        )),
        Err(DbError::Validation(errors)) => {
            let mut settings = SettingsPage::load(&state, &page).await?;
            settings.reminder_errors = FieldErrors::from_validation(
                &errors,
                &[
                    ("time_zone", "Time zone"),
                    ("cadence_days", "Default cadence"),
                    ("vip_cadence_days", "VIP cadence"),
                ],
            );
            settings.reminders = input;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &settings))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/calendar`: a new feed URL (the old one, if any, stops working). The URL
/// is shown on this response only: the database keeps its hash.
async fn new_calendar_feed(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = generate_token();
    let replaced = page.settings.calendar_feed_since.is_some();
    state
        .db
        .write(async |tx| {
            tx.user_settings()
                .set_calendar_token(page.user_id(), &sha256_hex(&token))
                .await?;
            let mut created = info.event(page.user_id(), SecurityEventKind::CalendarFeedCreated);
            if replaced {
                created = created.detail("the previous address stopped working");
            }
            tx.security_events().record(&created).await
        })
        .await?;
    let base = crate::calendar::base_url(&state, &headers);
    let path = crate::calendar::feed_path(&token);
    let mut settings = SettingsPage::load(&state, &page).await?;
    settings.feed_since = Some(crate::format::long_date(page.today()));
    settings.feed_webcal = base
        .split_once("://")
        .map(|(_, rest)| format!("webcal://{rest}{path}"));
    settings.feed_url = Some(format!("{base}{path}"));
    settings.layout.flash = Some(Flash::success(
        "Your calendar feed is ready. Copy its address now: it is shown only once.",
    ));
    Ok(ok(&settings))
}

/// `POST /settings/calendar/revoke`: the feed URL answers 404 from now on.
async fn revoke_calendar_feed(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let had_feed = page.settings.calendar_feed_since.is_some();
    state
        .db
        .write(async |tx| {
            tx.user_settings()
                .revoke_calendar_token(page.user_id())
                .await?;
            if had_feed {
                let revoked = info.event(page.user_id(), SecurityEventKind::CalendarFeedRevoked);
                tx.security_events().record(&revoked).await?;
            }
            Ok(())
        })
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success("Calendar feed revoked: its address no longer works."),
        "/settings#calendar",
    ))
}

async fn settings_page(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    Ok(ok(&SettingsPage::load(&state, &page).await?))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// A password re-check's attempt, or the page that says to wait (limited like log-in:
/// `auth::rate_limit`).
async fn recheck(
    state: &AppState,
    client: ClientIp,
    page: &Page,
    error: fn(&mut SettingsPage, String),
) -> Result<Result<Attempt, Response>, AppError> {
    match state
        .limiter
        .recheck(&state.db, client, &page.current.user.id)
        .await?
    {
        Ok(attempt) => Ok(Ok(attempt)),
        Err(wait) => {
            let mut settings = SettingsPage::load(state, page).await?;
            error(
                &mut settings,
                "could not be checked: too many wrong passwords; please wait a minute".into(),
            );
            let page = render(StatusCode::TOO_MANY_REQUESTS, &settings);
            Ok(Err(retry_after(page, wait)))
        }
    }
}

async fn change_password(
    State(state): State<AppState>,
    client: ClientIp,
    info: RequestInfo,
    page: Page,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let attempt = match recheck(&state, client, &page, |p, e| {
        p.current_password_error = Some(e);
    })
    .await?
    {
        Ok(attempt) => attempt,
        Err(refused) => return Ok(refused),
    };
    let current = page.current.clone();
    let mut page = SettingsPage::load(&state, &page).await?;
    let verified =
        password::verify_password(form.current_password, current.user.password_hash.clone())
            .await?;
    if verified {
        attempt.succeeded(&state.db).await?;
    } else {
        page.current_password_error = Some("is not your current password".into());
    }
    page.new_password_error = check_password(&form.new_password, &current.user.username).err();
    if page.current_password_error.is_some() || page.new_password_error.is_some() {
        let status = if verified {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::UNAUTHORIZED
        };
        return Ok(render(status, &page));
    }
    let hash = password::hash_password(form.new_password).await?;
    state
        .db
        .write(async |tx| {
            tx.users()
                .update_password_hash(&current.user.id, &hash)
                .await?;
            // Whoever else held a session (a stolen cookie, another device) must log in again.
            let ended = tx
                .sessions()
                .delete_all_for_user(&current.user.id, Some(&current.session_id))
                .await?;
            let mut changed = info.event(&current.user.id, SecurityEventKind::PasswordChanged);
            if ended > 0 {
                changed = changed.detail(format!(
                    "{} other {} signed out",
                    ended,
                    crate::format::plural(ended, "session", "sessions")
                ));
            }
            tx.security_events().record(&changed).await
        })
        .await?;
    Ok(flash::redirect(
        jar,
        Flash::success("Password changed. Your other sessions have been signed out."),
        "/settings",
    ))
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    current: CurrentUser,
    info: RequestInfo,
    jar: CookieJar,
) -> Result<Response, AppError> {
    state
        .db
        .write(async |tx| {
            let ended = tx
                .sessions()
                .delete_all_for_user(&current.user.id, None)
                .await?;
            let everywhere = info
                .event(&current.user.id, SecurityEventKind::SignedOutEverywhere)
                .detail(format!(
                    "{} {} ended",
                    ended,
                    crate::format::plural(ended, "session", "sessions")
                ));
            tx.security_events().record(&everywhere).await
        })
        .await?;
    let jar = jar.add(removal_cookie(state.settings.secure_cookies));
    Ok(flash::redirect(
        jar,
        Flash::success("You have been signed out of every session."),
        "/login",
    ))
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    password: String,
}

async fn delete_account(
    State(state): State<AppState>,
    client: ClientIp,
    info: RequestInfo,
    page: Page,
    jar: CookieJar,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let attempt = match recheck(&state, client, &page, |p, e| {
        p.delete_password_error = Some(e);
    })
    .await?
    {
        Ok(attempt) => attempt,
        Err(refused) => return Ok(refused),
    };
    let current = page.current.clone();
    if !password::verify_password(form.password, current.user.password_hash.clone()).await? {
        let mut page = SettingsPage::load(&state, &page).await?;
        page.delete_password_error = Some("is not your password".into());
        return Ok(render(StatusCode::UNAUTHORIZED, &page));
    }
    attempt.succeeded(&state.db).await?;
    // One transaction; the schema's cascades remove every row of the user, and the instance's
    // log keeps a line naming the account. The instance's last admin stays while other
    // accounts exist.
    let deleted = state
        .db
        .write(async |tx| {
            tx.users().delete_account(&current.user.id).await?;
            let deleted = info.instance_event(
                SecurityEventKind::AccountDeleted,
                format!("{} (deleted their own account)", current.user.username),
            );
            tx.security_events().record(&deleted).await
        })
        .await;
    match deleted {
        Ok(()) => {}
        Err(DbError::Conflict { .. }) => {
            let mut page = SettingsPage::load(&state, &page).await?;
            page.delete_password_error = Some(
                "is your password, but you are this instance's last admin: make another account an \
                 admin on the Admin page first"
                    .into(),
            );
            return Ok(render(StatusCode::CONFLICT, &page));
        }
        Err(e) => return Err(e.into()),
    }
    let jar = jar.add(removal_cookie(state.settings.secure_cookies));
    Ok(flash::redirect(
        jar,
        Flash::success("Your account and all its data have been deleted."),
        "/login",
    ))
}
