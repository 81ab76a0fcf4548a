//! Registration, log-in and log-out (`/register`, `/login`, `/logout`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use devhub_db::validate::Username;
use devhub_db::{Error as DbError, NewUser, SecurityEventKind};
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
    username: String,
    username_error: Option<String>,
    password_error: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
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

const TOO_MANY: &str = "Too many attempts. Please wait a minute and try again.";

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

async fn register_page(jar: CookieJar) -> (CookieJar, Response) {
    let (jar, flash) = flash::take(jar);
    let page = RegisterPage {
        layout: Layout::new("Create an account")
            .described(REGISTER_DESCRIPTION)
            .flash(flash)
            .theme_from(&jar)
            .nav("register"),
        username: String::new(),
        username_error: None,
        password_error: None,
        error: None,
    };
    (jar, render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
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
    let mut page = RegisterPage {
        layout: Layout::new("Create an account")
            .described(REGISTER_DESCRIPTION)
            .theme_from(&jar)
            .nav("register"),
        username: form.username.trim().to_string(),
        username_error: None,
        password_error: None,
        error: None,
    };
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
    let user = match state
        .db
        .users()
        .create(&NewUser::new(username.clone(), password_hash)?)
        .await
    {
        Ok(user) => user,
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
    let registered = [
        info.event(&user.id, SecurityEventKind::Registered),
        info.instance_event(
            SecurityEventKind::Registered,
            format!("{} (signed up)", user.username),
        ),
    ];
    let (token, session) =
        create_session_recording(&state.db, &user, &info.client(), &registered).await?;
    let jar = jar.add(session_cookie(
        token,
        session.expires_at,
        state.settings.secure_cookies,
    ));
    Ok(flash::redirect(
        jar,
        Flash::success(format!(
            "Welcome, {}! Your account is ready.",
            user.username
        )),
        "/",
    ))
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
