//! The second half of a log-in with two-factor on (`/login/two-factor`): after the password,
//! a code from the authenticator app or a recovery code, with "remember this device for 30
//! days".
//!
//! The log-in in between is a challenge row (`two_factor_challenge`) named by the sha256 of a
//! random token in a short-lived cookie: five minutes, five wrong codes. Wrong codes also
//! count per account across challenges (ten free in 15 minutes, then a doubling wait), so a
//! password thief cannot try codes by starting log-in after log-in.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Duration as Days;
use devhub_db::repo::two_factor::recovery_code_hash;
use devhub_db::{sha256_hex, Challenge, ChallengeId, Rule, User};
use serde::Deserialize;

use super::totp::{normalize_code, unix_now, Totp};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::Form;
use crate::middleware::retry_after;
use crate::page::{render, Layout};
use crate::security::RequestInfo;
use crate::state::AppState;
use devhub_db::SecurityEventKind;

/// The cookie naming the log-in that waits for its code.
pub const CHALLENGE_COOKIE: &str = "devhub-2fa-challenge";
/// The cookie of a browser remembered for 30 days.
pub const DEVICE_COOKIE: &str = "devhub-2fa-device";
/// How long the code page waits for a code.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Wrong codes a challenge takes before the log-in starts over.
pub const MAX_ATTEMPTS: u32 = 5;
/// How long a remembered browser skips the code.
pub const REMEMBER_DAYS: i64 = 30;
/// Wrong codes per account, over every challenge: this many free in the window, then each
/// further one after a wait that doubles, up to the cap.
const FREE_FAILURES: u32 = 10;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
const FAILURE_CAP: Duration = Duration::from_secs(5 * 60);

const PATH: &str = "/login/two-factor";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(code_page).post(submit_code))
}

/// Called by the log-in once the password is right: `Ok(jar)` when the log-in may go on (no
/// second factor, or a browser remembered for this user), `Err(redirect)` to the code page
/// with a new challenge otherwise.
pub(crate) async fn challenge_if_needed(
    state: &AppState,
    jar: CookieJar,
    user: &User,
    next: &str,
) -> Result<Result<CookieJar, Response>, AppError> {
    // From the primary, like the password: a factor turned on a moment ago on another
    // instance counts at once.
    let db = state.db.primary();
    if !db.two_factor().is_enabled(&user.id).await? {
        return Ok(Ok(jar));
    }
    if let Some(token) = jar.get(DEVICE_COOKIE).map(Cookie::value) {
        if devhub_db::secret::plausible_token(token)
            && db
                .two_factor()
                .is_remembered(&user.id, &sha256_hex(token), devhub_db::row::now())
                .await?
        {
            return Ok(Ok(jar));
        }
    }
    let token = devhub_db::secret::random_token();
    let expires_at = devhub_db::row::now() + Days::minutes(CHALLENGE_MINUTES);
    let next = (!next.is_empty()).then_some(next);
    db.two_factor()
        .create_challenge(&user.id, &ChallengeId::from_token(&token), next, expires_at)
        .await?;
    let cookie = challenge_cookie(token, state.settings.secure_cookies);
    Ok(Err((jar.add(cookie), Redirect::to(PATH)).into_response()))
}

fn challenge_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((CHALLENGE_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path(PATH)
        .secure(secure)
        .max_age(cookie::time::Duration::minutes(CHALLENGE_MINUTES))
        .build()
}

fn forget_challenge(jar: CookieJar, secure: bool) -> CookieJar {
    let mut cookie = challenge_cookie(String::new(), secure);
    cookie.make_removal();
    jar.add(cookie)
}

#[derive(Template)]
#[template(path = "two_factor/login.html")]
struct CodePage {
    layout: Layout,
    error: Option<String>,
    /// The recovery code form is open (it was the one sent).
    recovery: bool,
    remember: bool,
    remember_days: i64,
}

fn code_page_layout(jar: &CookieJar) -> Layout {
    Layout::new("Two-factor log-in")
        .theme_from(jar)
        .nav("login")
}

/// The challenge the browser's cookie names, while it lasts.
async fn current_challenge(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<Challenge>, AppError> {
    let Some(token) = jar.get(CHALLENGE_COOKIE).map(Cookie::value) else {
        return Ok(None);
    };
    if !devhub_db::secret::plausible_token(token) {
        return Ok(None);
    }
    let db = state.db.primary();
    let found = db
        .two_factor()
        .find_challenge(&ChallengeId::from_token(token))
        .await?;
    match found {
        Some(c) if c.is_expired(devhub_db::row::now()) => {
            db.two_factor().delete_challenge(&c.id).await?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Back to the log-in page, the challenge forgotten, saying why.
fn start_over(state: &AppState, jar: CookieJar, message: &str) -> Response {
    let jar = forget_challenge(jar, state.settings.secure_cookies);
    flash::redirect(jar, Flash::error(message), "/login")
}

const EXPIRED: &str = "Your log-in took too long or was already used. Please log in again.";

async fn code_page(State(state): State<AppState>, jar: CookieJar) -> Result<Response, AppError> {
    if current_challenge(&state, &jar).await?.is_none() {
        return Ok(start_over(&state, jar, EXPIRED));
    }
    let (jar, flash) = flash::take(jar);
    let page = CodePage {
        layout: code_page_layout(&jar).flash(flash),
        error: None,
        recovery: false,
        remember: false,
        remember_days: REMEMBER_DAYS,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
    recovery_code: String,
    /// The checkbox: present ("on") when ticked.
    remember: Option<String>,
}

async fn submit_code(
    State(state): State<AppState>,
    jar: CookieJar,
    info: RequestInfo,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(challenge) = current_challenge(&state, &jar).await? else {
        return Ok(start_over(&state, jar, EXPIRED));
    };
    let recovery = !form.recovery_code.trim().is_empty();
    let remember = form.remember.is_some();
    let page = |status: StatusCode, error: String| {
        render(
            status,
            &CodePage {
                layout: code_page_layout(&jar),
                error: Some(error),
                recovery,
                remember,
                remember_days: REMEMBER_DAYS,
            },
        )
    };
    let code = if recovery {
        None
    } else {
        match normalize_code(&form.code) {
            Some(code) => Some(code),
            None => {
                return Ok(page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Enter the 6-digit code from your authenticator app.".into(),
                ))
            }
        }
    };
    let db = state.db.primary();
    let user = db.users().get(&challenge.user_id).await?;
    // Wrong codes of this account, over every log-in: counted before the check.
    let rule = Rule::Backoff {
        free: FREE_FAILURES,
        window: FAILURE_WINDOW,
        cap: FAILURE_CAP,
    };
    let keys = [(format!("two-factor-user:{}", user.id), rule)];
    let recorded = match db.auth_attempts().hit(&keys, chrono::Utc::now()).await? {
        Ok(recorded) => recorded,
        Err(wait) => {
            let message = format!(
                "Too many wrong codes. Please wait {} and try again.",
                crate::accounts::seconds(wait)
            );
            return Ok(retry_after(
                page(StatusCode::TOO_MANY_REQUESTS, message),
                wait,
            ));
        }
    };
    let outcome = match code {
        Some(code) => match Totp::new(
            db.two_factor()
                .find(&user.id)
                .await?
                .filter(|t| t.is_enabled())
                .ok_or(AppError::NotFound)?
                .secret
                .expose(),
            &user.username,
        ) {
            Some(totp) => match totp.verify(&code, unix_now()) {
                Some(step) if db.two_factor().use_step(&user.id, step).await? => Ok(Passed::Code),
                Some(_) => Err("That code was used already. Wait for the next one and enter it."),
                None => Err("That code is not right. Check your app and try again."),
            },
            None => {
                return Err(AppError::Internal(
                    "a stored TOTP secret is not base32".into(),
                ))
            }
        },
        None => {
            let hash = recovery_code_hash(&form.recovery_code);
            match db.two_factor().use_recovery_code(&user.id, &hash).await? {
                Some(left) => {
                    let mut used = info.event(&user.id, SecurityEventKind::RecoveryCodeUsed);
                    used.detail = Some(format!("{left} left"));
                    db.security_events().record(&used).await?;
                    Ok(Passed::RecoveryCode { left })
                }
                None => Err("That recovery code is not valid or was used already."),
            }
        }
    };
    let passed = match outcome {
        Ok(passed) => passed,
        Err(message) => {
            let attempts = db
                .two_factor()
                .count_failed_attempt(&challenge.id)
                .await?
                .unwrap_or(MAX_ATTEMPTS);
            if attempts >= MAX_ATTEMPTS {
                db.two_factor().delete_challenge(&challenge.id).await?;
                return Ok(start_over(
                    &state,
                    jar,
                    "Too many wrong codes. Please log in again.",
                ));
            }
            let left = MAX_ATTEMPTS - attempts;
            let tries = if left == 1 {
                "1 try left".to_string()
            } else {
                format!("{left} tries left")
            };
            return Ok(page(
                StatusCode::UNAUTHORIZED,
                format!("{message} ({tries})"),
            ));
        }
    };
    db.auth_attempts().forget(&recorded).await?;
    db.two_factor().delete_challenge(&challenge.id).await?;
    let mut jar = forget_challenge(jar, state.settings.secure_cookies);
    if remember {
        let token = devhub_db::secret::random_token();
        let expires_at = devhub_db::row::now() + Days::days(REMEMBER_DAYS);
        db.two_factor()
            .remember_device(&user.id, &sha256_hex(&token), expires_at)
            .await?;
        jar = jar.add(
            Cookie::build((DEVICE_COOKIE, token))
                .http_only(true)
                .same_site(SameSite::Lax)
                .path("/")
                .secure(state.settings.secure_cookies)
                .max_age(cookie::time::Duration::days(REMEMBER_DAYS))
                .build(),
        );
    }
    let jar = crate::accounts::start_session(&state, jar, &user, &info).await?;
    let target = crate::accounts::after_login(challenge.next.as_deref().unwrap_or_default());
    Ok(match passed {
        Passed::Code => (jar, Redirect::to(&target)).into_response(),
        Passed::RecoveryCode { left } => {
            let message = match left {
                0 => "Recovery code used. You have no recovery codes left: make new ones in \
                      Settings → Two-factor log-in now."
                    .to_string(),
                1 => "Recovery code used: 1 code left. Make new ones in Settings → Two-factor \
                      log-in."
                    .to_string(),
                n if n <= 3 => format!(
                    "Recovery code used: {n} codes left. Make new ones in Settings → Two-factor \
                     log-in."
                ),
                n => format!("Recovery code used: {n} codes left."),
            };
            flash::redirect(jar, Flash::success(message), &target)
        }
    })
}

enum Passed {
    Code,
    RecoveryCode { left: u64 },
}
