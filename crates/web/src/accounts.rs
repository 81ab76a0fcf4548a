//! Registration, log-in and log-out (`/register`, `/login`, `/logout`), and the one-time
//! password-reset links an admin makes (`/reset-password/{token}`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use devhub_db::validate::Username;
use devhub_db::{
    Error as DbError, InvitationProblem, NewUser, Refusal, RegistrationMode, SecurityEventKind,
};
use serde::Deserialize;

use crate::auth::password;
use crate::auth::rate_limit::{self, ClientIp};
use crate::auth::session::{
    create_session_recording, ignore_not_found, removal_cookie, session_cookie, COOKIE_NAME,
};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{safe_next, Form, Query};
use crate::middleware::retry_after;
use crate::page::{render, Layout};
use crate::security::{self, RequestInfo};
use crate::state::AppState;

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/register", get(register_page).post(register))
        .route("/logout", post(logout))
        .route(
            "/reset-password/{token}",
            get(reset_password_page).post(reset_password),
        )
}

/// The same message for an unknown username and a wrong password.
const BAD_CREDENTIALS: &str = "Incorrect username or password.";

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts/register.html")]
struct RegisterPage {
    layout: Layout,
    /// The registration mode that applies (`open`, `invite`, `closed`).
    mode: RegistrationMode,
    /// Show the form: registration is open, or by invitation with a valid link.
    form: bool,
    /// The invitation link's token, sent again with the form.
    invite: String,
    username: String,
    username_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

impl RegisterPage {
    fn new(layout: Layout, mode: RegistrationMode) -> Self {
        RegisterPage {
            layout,
            mode,
            form: mode == RegistrationMode::Open,
            invite: String::new(),
            username: String::new(),
            username_error: None,
            password_error: None,
            error: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteQuery {
    invite: Option<String>,
}

/// The registration mode now: the admin's choice, or the server's starting value. From the
/// primary, so that a change made on another instance counts at once.
async fn registration_mode(state: &AppState) -> Result<RegistrationMode, AppError> {
    Ok(state
        .db
        .primary()
        .instance_settings()
        .registration(state.settings.registration)
        .await?)
}

/// The status that a refused registration answers with.
fn refusal_status(refusal: Refusal) -> StatusCode {
    match refusal {
        Refusal::Closed | Refusal::InvitationRequired => StatusCode::FORBIDDEN,
        Refusal::Invitation(InvitationProblem::Unknown) => StatusCode::NOT_FOUND,
        Refusal::Invitation(_) => StatusCode::GONE,
    }
}

/// Whether registration in `mode` with the invitation `invite` may go ahead (checked again
/// in the registration's own transaction).
async fn admission(
    state: &AppState,
    mode: RegistrationMode,
    invite: Option<&str>,
) -> Result<Result<(), Refusal>, AppError> {
    Ok(match mode {
        RegistrationMode::Open => Ok(()),
        RegistrationMode::Closed => Err(Refusal::Closed),
        RegistrationMode::Invite => match invite {
            None => Err(Refusal::InvitationRequired),
            Some(token) => {
                match state
                    .db
                    .primary()
                    .invitations()
                    .find_by_token(token)
                    .await?
                {
                    None => Err(Refusal::Invitation(InvitationProblem::Unknown)),
                    Some(found) => found
                        .usable(devhub_db::row::now())
                        .map_err(Refusal::Invitation),
                }
            }
        },
    })
}

async fn login_page(Query(query): Query<NextQuery>, jar: CookieJar) -> (CookieJar, Response) {
    let (jar, flash) = flash::take(jar);
    let page = LoginPage {
        layout: Layout::new("Log in")
            .described(LOGIN_DESCRIPTION)
            .flash(flash)
            .theme_from(&jar)
            .nav("login"),
        username: String::new(),
        next: safe_next(query.next.as_deref()).unwrap_or_default(),
        error: None,
    };
    (jar, render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

const LOGIN_DESCRIPTION: &str = "Log in to Developer Hub CRM, your self-hosted personal CRM: \
    contacts, interactions and follow-ups in one place.";
const REGISTER_DESCRIPTION: &str = "Create an account on this Developer Hub CRM: keep track of \
    the people you meet, what you talked about, and when to get back in touch.";

const DISABLED: &str =
    "This account is disabled. Ask the administrator of this instance to enable it.";

const TOO_MANY: &str = "Too many attempts. Please wait a minute and try again.";

/// An account whose password hash devhub cannot verify (adopted from the original app with
/// `devhub db adopt`): no password can log in until it is reset.
const NEEDS_RESET: &str = "This account needs a new password: its password was set in another \
    app and cannot be checked here. Ask the administrator of this instance for a password-reset \
    link.";

async fn login(
    State(state): State<AppState>,
    client: ClientIp,
    info: RequestInfo,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim().to_ascii_lowercase();
    let next = safe_next(form.next.as_deref()).unwrap_or_default();
    let page = |status: StatusCode, error: &str| {
        render(
            status,
            &LoginPage {
                layout: Layout::new("Log in")
                    .described(LOGIN_DESCRIPTION)
                    .theme_from(&jar)
                    .nav("login"),
                username: username.clone(),
                next: next.clone(),
                error: Some(error.to_string()),
            },
        )
    };
    // From the primary: an account made or a password changed on another instance a moment
    // ago counts here at once (an embedded replica may not have pulled it yet).
    let user = state
        .db
        .primary()
        .users()
        .find_by_username(&username)
        .await?;
    // The owner's own browser is never held back by anyone else's attempts (the rate limit's
    // policy, `auth::rate_limit`).
    let known_browser = match &user {
        Some(user) => known_browser(&state, &jar, &user.id).await?,
        None => None,
    };
    let attempt = match state
        .limiter
        .log_in(&state.db, client, &username, known_browser.as_deref())
        .await?
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            let message = if wait.as_secs() < 60 {
                format!(
                    "Too many attempts. Please wait {} and try again.",
                    seconds(wait)
                )
            } else {
                TOO_MANY.to_string()
            };
            return Ok(retry_after(
                page(StatusCode::TOO_MANY_REQUESTS, &message),
                wait,
            ));
        }
    };
    if user
        .as_ref()
        .is_some_and(|u| !password::is_supported_hash(&u.password_hash))
    {
        return Ok(page(StatusCode::FORBIDDEN, NEEDS_RESET));
    }
    let verified = match &user {
        Some(user) => password::verify_password(form.password, user.password_hash.clone()).await?,
        None => password::dummy_verify(form.password).await?,
    };
    let user = match user {
        Some(user) if verified => user,
        other => {
            // The owner's security log shows failed attempts on their account (a burst of
            // them as one entry).
            if let Some(user) = other {
                let failed = info.event(&user.id, SecurityEventKind::LoginFailed);
                security::record(&state.db, &failed).await?;
            }
            return Ok(page(StatusCode::UNAUTHORIZED, BAD_CREDENTIALS));
        }
    };
    // Said only to whoever knows the password: a guesser learns nothing of the account.
    if user.is_disabled() {
        return Ok(page(StatusCode::FORBIDDEN, DISABLED));
    }
    attempt.succeeded(&state.db).await?;
    let jar = rate_limit::remember_device(&state.db, jar, &user.id, state.settings.secure_cookies)
        .await?;
    // With two-factor log-in on (and this browser not remembered for it), the password is
    // half of it: the code comes next, on a page of its own.
    let jar = match crate::two_factor::login::challenge_if_needed(&state, jar, &user, &next).await?
    {
        Ok(jar) => jar,
        Err(challenge) => return Ok(challenge),
    };
    let jar = start_session(&state, jar, &user, &info).await?;
    Ok((jar, Redirect::to(&after_login(&next))).into_response())
}

/// What every log-in ends with, with a password alone or after its second factor: a new
/// session, whose cookie the returned jar carries, recorded in the user's security log with
/// this browser and address. The session the browser held before ends (a session planted
/// before log-in is worth nothing).
pub(crate) async fn start_session(
    state: &AppState,
    jar: CookieJar,
    user: &devhub_db::User,
    info: &RequestInfo,
) -> Result<CookieJar, AppError> {
    let jar = end_cookie_session(state, jar).await?;
    let (token, session) = create_session_recording(
        &state.db,
        user,
        &info.client(),
        &[info.event(&user.id, SecurityEventKind::Login)],
    )
    .await?;
    Ok(jar.add(session_cookie(
        token,
        session.expires_at,
        state.settings.secure_cookies,
    )))
}

/// Where a log-in goes: `next` (a local path, [`safe_next`]) or home.
pub(crate) fn after_login(next: &str) -> String {
    if next.is_empty() {
        "/".to_string()
    } else {
        next.to_string()
    }
}

/// "a second", "12 seconds": a wait, rounded up.
pub(crate) fn seconds(wait: std::time::Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if secs <= 1 {
        "a second".into()
    } else {
        format!("{secs} seconds")
    }
}

/// This browser's token when it logged in as `user` before (its device cookie) or holds a
/// live session of theirs: the key of its own rate limit.
async fn known_browser(
    state: &AppState,
    jar: &CookieJar,
    user: &devhub_db::UserId,
) -> Result<Option<String>, AppError> {
    if rate_limit::is_known_device(&state.db, jar, user).await? {
        return Ok(jar
            .get(rate_limit::DEVICE_COOKIE)
            .map(|c| c.value().to_string()));
    }
    let Some(token) = jar.get(COOKIE_NAME).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let session = crate::auth::session::validate_token(&state.db, &token).await?;
    Ok(session.filter(|s| &s.user.id == user).map(|_| token))
}

/// Deletes the session that the request's cookie opens, if any.
async fn end_cookie_session(state: &AppState, jar: CookieJar) -> Result<CookieJar, AppError> {
    if let Some(cookie) = jar.get(COOKIE_NAME) {
        let id = devhub_db::repo::session::SessionId::from_token(cookie.value());
        state
            .db
            .sessions()
            .delete(&id)
            .await
            .or_else(ignore_not_found)?;
    }
    Ok(jar)
}

async fn register_page(
    State(state): State<AppState>,
    Query(query): Query<InviteQuery>,
    jar: CookieJar,
) -> Result<(CookieJar, Response), AppError> {
    let (jar, flash) = flash::take(jar);
    let mode = registration_mode(&state).await?;
    let layout = Layout::new("Create an account")
        .described(REGISTER_DESCRIPTION)
        .flash(flash)
        .theme_from(&jar)
        .nav("register");
    let mut page = RegisterPage::new(layout, mode);
    let invite = query
        .invite
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut status = StatusCode::OK;
    if mode == RegistrationMode::Invite {
        match admission(&state, mode, invite).await? {
            Ok(()) => {
                page.form = true;
                page.invite = invite.unwrap_or_default().to_string();
            }
            // Without a link the page only says how registration works here.
            Err(Refusal::InvitationRequired) => {}
            Err(refusal) => {
                status = refusal_status(refusal);
                page.error = Some(refusal.message().into());
            }
        }
    }
    Ok((jar, render(status, &page)))
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    invite: String,
}

/// The password rules: 8–128 characters, not the username.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_PASSWORD {
        Err(format!("must be at least {MIN_PASSWORD} characters"))
    } else if len > MAX_PASSWORD {
        Err(format!("must be at most {MAX_PASSWORD} characters"))
    } else if password.trim().eq_ignore_ascii_case(username.trim()) {
        Err("must not be your username".into())
    } else {
        Ok(())
    }
}

async fn register(
    State(state): State<AppState>,
    client: ClientIp,
    info: RequestInfo,
    jar: CookieJar,
    Form(form): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let mode = registration_mode(&state).await?;
    let layout = Layout::new("Create an account")
        .described(REGISTER_DESCRIPTION)
        .theme_from(&jar)
        .nav("register");
    let mut page = RegisterPage::new(layout, mode);
    let invite = Some(form.invite.trim()).filter(|t| !t.is_empty());
    page.username = form.username.trim().to_string();
    let refused = |mut page: RegisterPage, refusal: Refusal| {
        page.form = false;
        page.error = Some(refusal.message().into());
        render(refusal_status(refusal), &page)
    };
    if let Err(refusal) = admission(&state, mode, invite).await? {
        return Ok(refused(page, refusal));
    }
    page.form = true;
    page.invite = invite.unwrap_or_default().to_string();
    let username = page.username.to_ascii_lowercase();
    if let Err(wait) = state.limiter.register(&state.db, client, &username).await? {
        page.error = Some(TOO_MANY.into());
        return Ok(retry_after(
            render(StatusCode::TOO_MANY_REQUESTS, &page),
            wait,
        ));
    }
    let username = Username::parse(&form.username);
    page.username_error = username.as_ref().err().cloned();
    page.password_error = check_password(&form.password, &form.username).err();
    let Ok(username) = username else {
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    if page.password_error.is_some() {
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let password_hash = password::hash_password(form.password).await?;
    // The mode and the invitation are checked again in the insert's transaction, which also
    // makes the instance's first account its admin and marks the invitation used.
    let registered = state
        .db
        .users()
        .register(
            &NewUser::new(username.clone(), password_hash)?,
            state.settings.registration,
            invite,
        )
        .await;
    let user = match registered {
        Ok(Ok(user)) => user,
        Ok(Err(refusal)) => return Ok(refused(page, refusal)),
        Err(DbError::Conflict { message, .. }) => {
            page.username = username.to_string();
            page.username_error = Some(message);
            return Ok(render(StatusCode::CONFLICT, &page));
        }
        Err(e) => return Err(e.into()),
    };
    let jar = end_cookie_session(&state, jar).await?;
    let jar = rate_limit::remember_device(&state.db, jar, &user.id, state.settings.secure_cookies)
        .await?;
    // The account's first log entry, and the instance's (the admin page lists registrations).
    let how = match (user.is_admin(), invite.is_some()) {
        (true, _) => "signed up, the instance's first account: admin",
        (false, true) => "signed up with an invitation",
        (false, false) => "signed up",
    };
    let mut registered = vec![
        info.event(&user.id, SecurityEventKind::Registered),
        info.instance_event(
            SecurityEventKind::Registered,
            format!("{} ({how})", user.username),
        ),
    ];
    if invite.is_some() {
        registered.push(info.instance_event(
            SecurityEventKind::InvitationUsed,
            format!("by {}", user.username),
        ));
    }
    let (token, session) =
        create_session_recording(&state.db, &user, &info.client(), &registered).await?;
    let jar = jar.add(session_cookie(
        token,
        session.expires_at,
        state.settings.secure_cookies,
    ));
    let welcome = if user.is_admin() {
        format!(
            "Welcome, {}! Your account is ready. As the first account here, you are this \
             instance's admin: see the Admin page.",
            user.username
        )
    } else {
        format!("Welcome, {}! Your account is ready.", user.username)
    };
    Ok(flash::redirect(jar, Flash::success(welcome), "/"))
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> Result<Response, AppError> {
    let jar = end_cookie_session(&state, jar).await?;
    let jar = jar.add(removal_cookie(state.settings.secure_cookies));
    Ok(flash::redirect(
        jar,
        Flash::success("You have been logged out."),
        "/login",
    ))
}

#[derive(Template)]
#[template(path = "accounts/reset_password.html")]
struct ResetPasswordPage {
    layout: Layout,
    /// The link's token, for the form's address; empty when the link cannot be used.
    token: String,
    /// Whose password the link sets.
    username: String,
    password_error: Option<String>,
    confirm_error: Option<String>,
    /// Why the link cannot be used (no form then).
    error: Option<String>,
}

fn reset_layout(jar: &CookieJar) -> Layout {
    Layout::new("Choose a new password").theme_from(jar)
}

/// The page of a link that cannot be used, and its status: 404 for one that never existed,
/// 410 for one that did.
fn unusable_link(jar: &CookieJar, problem: devhub_db::ResetProblem) -> Response {
    let status = match problem {
        devhub_db::ResetProblem::Unknown => StatusCode::NOT_FOUND,
        devhub_db::ResetProblem::Disabled => StatusCode::FORBIDDEN,
        _ => StatusCode::GONE,
    };
    render(
        status,
        &ResetPasswordPage {
            layout: reset_layout(jar),
            token: String::new(),
            username: String::new(),
            password_error: None,
            confirm_error: None,
            error: Some(problem.message().into()),
        },
    )
}

/// `GET /reset-password/{token}`: the form for a new password, when the link works.
async fn reset_password_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let found = state.db.primary().password_resets().find(&token).await?;
    let Some((reset, user)) = found else {
        return Ok(unusable_link(&jar, devhub_db::ResetProblem::Unknown));
    };
    if let Err(problem) = reset.usable(&user, devhub_db::row::now()) {
        return Ok(unusable_link(&jar, problem));
    }
    let page = ResetPasswordPage {
        layout: reset_layout(&jar),
        token,
        username: user.username,
        password_error: None,
        confirm_error: None,
        error: None,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /reset-password/{token}`: sets the new password, ends every session of the user,
/// and logs them in here with a fresh one.
async fn reset_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
    info: RequestInfo,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let found = state.db.primary().password_resets().find(&token).await?;
    let Some((reset, user)) = found else {
        return Ok(unusable_link(&jar, devhub_db::ResetProblem::Unknown));
    };
    if let Err(problem) = reset.usable(&user, devhub_db::row::now()) {
        return Ok(unusable_link(&jar, problem));
    }
    let mut page = ResetPasswordPage {
        layout: reset_layout(&jar),
        token: token.clone(),
        username: user.username.clone(),
        password_error: check_password(&form.password, &user.username).err(),
        confirm_error: None,
        error: None,
    };
    if page.password_error.is_none() && form.password != form.confirm {
        page.confirm_error = Some("does not match the new password".into());
    }
    if page.password_error.is_some() || page.confirm_error.is_some() {
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let hash = password::hash_password(form.password).await?;
    // One transaction: the link is used, the password set, every session of the user ended.
    let user = match state.db.password_resets().redeem(&token, &hash).await? {
        Ok(user) => user,
        Err(problem) => return Ok(unusable_link(&jar, problem)),
    };
    security::record(
        &state.db,
        &info.event(&user.id, SecurityEventKind::PasswordReset),
    )
    .await?;
    let jar = rate_limit::remember_device(&state.db, jar, &user.id, state.settings.secure_cookies)
        .await?;
    // A second factor still asks for its code: the link stands in for the password only.
    let jar = match crate::two_factor::login::challenge_if_needed(&state, jar, &user, "").await? {
        Ok(jar) => jar,
        Err(challenge) => return Ok(challenge),
    };
    let jar = start_session(&state, jar, &user, &info).await?;
    Ok(flash::redirect(
        jar,
        Flash::success(
            "Your password has been changed, and every other session of yours signed out.",
        ),
        "/",
    ))
}
