//! Two-factor log-in (issue 16): `/settings/two-factor` to set it up (a QR code and the key
//! as text, then a code from the app to confirm; ten recovery codes shown once), turn it off
//! and make new recovery codes (both after the password again); the code page of the log-in
//! (`login`); and the admin's "clear second factor" ([`admin_clear`]).

pub mod login;
pub mod totp;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use devhub_db::repo::two_factor::{new_recovery_codes, recovery_code_hash};
use devhub_db::{Error as DbError, UserId};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::auth::password;
use crate::auth::rate_limit::{Attempt, ClientIp};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{Form, FormOrEmpty};
use crate::middleware::retry_after;
use crate::page::{ok, render, Layout, Page};
use crate::security::{self, RequestInfo};
use crate::state::AppState;
use devhub_db::SecurityEventKind;
use totp::{grouped, normalize_code, unix_now, Totp};

const PAGE: &str = "/settings/two-factor";

/// The settings pages (behind the log-in, merged with the other signed-in pages).
pub fn router() -> Router<AppState> {
    // The forms that answer with the page itself (a code was wrong, recovery codes shown
    // once) leave their address in the address bar: opened again, it leads back to the page.
    Router::new()
        .route(PAGE, get(settings_page))
        .route("/settings/two-factor/setup", post(begin_setup).get(back))
        .route("/settings/two-factor/enable", post(enable).get(back))
        .route("/settings/two-factor/cancel", post(cancel_setup).get(back))
        .route("/settings/two-factor/disable", post(disable).get(back))
        .route(
            "/settings/two-factor/recovery-codes",
            post(regenerate_codes).get(back),
        )
}

/// The code page of the log-in (public: the user is not signed in yet).
pub fn public_router() -> Router<AppState> {
    login::router()
}

async fn back() -> Redirect {
    Redirect::to(PAGE)
}

/// A set-up waiting for its confirmation code.
struct Setup {
    qr_svg: String,
    /// The key in groups of four, for typing.
    secret: String,
    url: String,
}

#[derive(Template, Default)]
#[template(path = "two_factor/settings.html")]
struct SettingsPage {
    layout: Layout,
    username: String,
    /// "on since December 1, 2026" when on.
    enabled_since: Option<String>,
    codes_left: u64,
    setup: Option<Setup>,
    code: String,
    code_error: Option<String>,
    /// Recovery codes just made: shown on this response only.
    new_codes: Vec<String>,
    disable_password_error: Option<String>,
    codes_password_error: Option<String>,
}

impl SettingsPage {
    async fn load(state: &AppState, page: &Page) -> Result<Self, AppError> {
        let user = &page.current.user;
        let mut out = SettingsPage {
            layout: page.layout("Two-factor log-in", "settings"),
            username: user.username.clone(),
            ..SettingsPage::default()
        };
        let db = state.db.primary();
        match db.two_factor().find(&user.id).await? {
            Some(t) if t.is_enabled() => {
                out.enabled_since = t
                    .enabled_at
                    .map(|at| crate::format::long_date(at.date_naive()));
                out.codes_left = db.two_factor().recovery_codes_left(&user.id).await?;
            }
            Some(t) => {
                let totp = Totp::new(t.secret.expose(), &user.username).ok_or_else(|| {
                    AppError::Internal("a stored TOTP secret is not base32".into())
                })?;
                out.setup = Some(Setup {
                    qr_svg: totp.qr_svg().unwrap_or_default(),
                    secret: grouped(&totp.secret_base32()),
                    url: totp.url(),
                });
            }
            None => {}
        }
        Ok(out)
    }

    /// The recovery codes as a text file, for the download link (a `data:` address: it
    /// works without script and never reaches the server again).
    fn codes_download(&self) -> String {
        let mut text = format!(
            "Developer Hub recovery codes for {}\nEach code works once.\n\n",
            self.username
        );
        for code in &self.new_codes {
            text.push_str(code);
            text.push('\n');
        }
        format!(
            "data:text/plain;charset=utf-8,{}",
            utf8_percent_encode(&text, NON_ALPHANUMERIC)
        )
    }
}

async fn settings_page(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    Ok(ok(&SettingsPage::load(&state, &page).await?))
}

/// `POST /settings/two-factor/setup`: a new secret, waiting for its confirmation code.
async fn begin_setup(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
) -> Result<Response, AppError> {
    match state
        .db
        .two_factor()
        .begin_setup(page.user_id(), &Totp::generate_secret())
        .await
    {
        Ok(_) => Ok(Redirect::to(PAGE).into_response()),
        Err(DbError::Conflict { .. }) => Ok(flash::redirect(
            jar,
            Flash::error("Two-factor log-in is already on."),
            PAGE,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

/// `POST /settings/two-factor/enable`: only a right code from the app turns it on; then the
/// recovery codes, shown this once.
async fn enable(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    info: RequestInfo,
    FormOrEmpty(form): FormOrEmpty<CodeForm>,
) -> Result<Response, AppError> {
    let user = &page.current.user;
    let db = state.db.primary();
    let pending = db
        .two_factor()
        .find(&user.id)
        .await?
        .filter(|t| !t.is_enabled());
    let Some(pending) = pending else {
        return Ok(flash::redirect(
            jar,
            Flash::error("There is no set-up waiting for a code: start it again."),
            PAGE,
        ));
    };
    let totp = Totp::new(pending.secret.expose(), &user.username)
        .ok_or_else(|| AppError::Internal("a stored TOTP secret is not base32".into()))?;
    let Some(code) = normalize_code(&form.code) else {
        let message = "Enter the 6-digit code your app shows.";
        return refuse_code(&state, &page, form.code, message).await;
    };
    let Some(step) = totp.verify(&code, unix_now()) else {
        let message = "That code is not right. Check that the app shows “Developer Hub” and \
            try the code it shows now.";
        return refuse_code(&state, &page, form.code, message).await;
    };
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| recovery_code_hash(c.expose()))
        .collect();
    match db.two_factor().enable(&user.id, step, &hashes).await {
        Ok(()) => {}
        // Confirmed meanwhile in another tab.
        Err(DbError::NotFound) => return Ok(Redirect::to(PAGE).into_response()),
        Err(e) => return Err(e.into()),
    }
    security::record(
        &state.db,
        &info.event(&user.id, SecurityEventKind::TwoFactorEnabled),
    )
    .await?;
    let mut settings = SettingsPage::load(&state, &page).await?;
    settings.new_codes = codes.iter().map(|c| c.expose().to_string()).collect();
    settings.layout.flash = Some(Flash::success(
        "Two-factor log-in is on. Save your recovery codes now: they are shown only once.",
    ));
    Ok(ok(&settings))
}

/// The set-up again, with the code as typed and why it was refused.
async fn refuse_code(
    state: &AppState,
    page: &Page,
    code: String,
    message: &str,
) -> Result<Response, AppError> {
    let mut settings = SettingsPage::load(state, page).await?;
    settings.code = code;
    settings.code_error = Some(message.to_string());
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &settings))
}

/// `POST /settings/two-factor/cancel`: drops a set-up that was never confirmed.
async fn cancel_setup(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
) -> Result<Response, AppError> {
    state.db.two_factor().cancel_setup(page.user_id()).await?;
    Ok(flash::redirect(
        jar,
        Flash::success("Set-up cancelled. Two-factor log-in is off."),
        PAGE,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

/// The password checked again, limited like Settings' re-checks (`auth::rate_limit`): `Ok`
/// when right, `Err(page)` with the message beside the field otherwise.
async fn recheck_password(
    state: &AppState,
    client: ClientIp,
    page: &Page,
    password: String,
    field: fn(&mut SettingsPage) -> &mut Option<String>,
) -> Result<Result<(), Response>, AppError> {
    let user = &page.current.user;
    let attempt: Attempt = match state.limiter.recheck(&state.db, client, &user.id).await? {
        Ok(attempt) => attempt,
        Err(wait) => {
            let mut settings = SettingsPage::load(state, page).await?;
            *field(&mut settings) =
                Some("could not be checked: too many wrong passwords; please wait a minute".into());
            return Ok(Err(retry_after(
                render(StatusCode::TOO_MANY_REQUESTS, &settings),
                wait,
            )));
        }
    };
    if !password::verify_password(password, user.password_hash.clone()).await? {
        let mut settings = SettingsPage::load(state, page).await?;
        *field(&mut settings) = Some("is not your password".into());
        return Ok(Err(render(StatusCode::UNAUTHORIZED, &settings)));
    }
    attempt.succeeded(&state.db).await?;
    Ok(Ok(()))
}

/// `POST /settings/two-factor/disable`: off, after the password; the recovery codes and the
/// remembered browsers go with it.
async fn disable(
    State(state): State<AppState>,
    client: ClientIp,
    page: Page,
    jar: CookieJar,
    info: RequestInfo,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if let Err(refused) = recheck_password(&state, client, &page, form.password, |p| {
        &mut p.disable_password_error
    })
    .await?
    {
        return Ok(refused);
    }
    if state.db.two_factor().clear(page.user_id()).await? {
        let off = info.event(page.user_id(), SecurityEventKind::TwoFactorDisabled);
        security::record(&state.db, &off).await?;
    }
    Ok(flash::redirect(
        jar,
        Flash::success("Two-factor log-in is off. Your recovery codes no longer work."),
        PAGE,
    ))
}

/// `POST /settings/two-factor/recovery-codes`: ten new codes, after the password; the old
/// ones stop working.
async fn regenerate_codes(
    State(state): State<AppState>,
    client: ClientIp,
    page: Page,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if let Err(refused) = recheck_password(&state, client, &page, form.password, |p| {
        &mut p.codes_password_error
    })
    .await?
    {
        return Ok(refused);
    }
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| recovery_code_hash(c.expose()))
        .collect();
    match state
        .db
        .two_factor()
        .replace_recovery_codes(page.user_id(), &hashes)
        .await
    {
        Ok(()) => {}
        Err(DbError::NotFound) => {
            return Ok(flash::redirect(
                jar,
                Flash::error("Two-factor log-in is off: there are no recovery codes to renew."),
                PAGE,
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let mut settings = SettingsPage::load(&state, &page).await?;
    settings.new_codes = codes.iter().map(|c| c.expose().to_string()).collect();
    settings.layout.flash = Some(Flash::success(
        "New recovery codes made; the old ones no longer work. Save these now: they are shown \
         only once.",
    ));
    Ok(ok(&settings))
}

/// `POST /admin/users/{id}/two-factor/clear`, for an admin (mounted behind the admin guard):
/// removes the user's second factor, recovery codes and remembered browsers, for a user who
/// lost both their phone and their recovery codes. They log in with their password alone and
/// can set it up again. 404 for an unknown user.
pub async fn admin_clear(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: crate::auth::session::CurrentUser,
    info: RequestInfo,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user_id = UserId::from(id);
    let user = state.db.primary().users().get(&user_id).await?;
    let was_on = state.db.two_factor().clear(&user.id).await?;
    let message = if was_on {
        let account = Some((&user.id, user.username.as_str()));
        let kind = SecurityEventKind::TwoFactorCleared;
        crate::admin::log_action(&state, &info, &admin.user.username, kind, account, "").await?;
        format!(
            "Second factor of {} cleared: they log in with their password alone until they \
             set it up again.",
            user.username
        )
    } else {
        format!("{} had no second factor.", user.username)
    };
    Ok(flash::redirect(jar, Flash::success(message), "/admin"))
}
