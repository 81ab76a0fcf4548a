//! Sessions, Lucia style and compatible with it: the cookie carries a random token, the
//! database keeps only `hex(sha256(token))` as `session.id`; 30 days of life, renewed to 30
//! when fewer than 15 remain.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};
use devhub_db::repo::session::{Session, SessionId};
use devhub_db::{
    ClientInfo, Db, FollowUpCountsNear, NewSecurityEvent, Owner, Tx, User, UserSettings,
};

use crate::error::{AppError, ErrorShown};
use crate::state::AppState;

pub const COOKIE_NAME: &str = "auth-session";
pub const SESSION_DAYS: i64 = 30;
pub const RENEW_BELOW_DAYS: i64 = 15;

/// A session cookie's token: 160 random bits in lowercase base32.
pub use devhub_db::secret::random_token as generate_token;

/// Stores a new session for `user`, made from `client` (the Sessions page shows its address
/// and browser), and returns its cookie token.
pub async fn create_session(
    db: &Db,
    user: &User,
    client: &ClientInfo,
) -> Result<(String, Session), AppError> {
    create_session_recording(db, user, client, &[]).await
}

/// [`create_session`], recording `events` in the same unit of work (a log-in, a
/// registration).
pub async fn create_session_recording(
    db: &Db,
    user: &User,
    client: &ClientInfo,
    events: &[NewSecurityEvent],
) -> Result<(String, Session), AppError> {
    Ok(db
        .write(async |tx| {
            let made = start_session(tx, user, client).await?;
            for event in events {
                tx.security_events().record(event).await?;
            }
            Ok(made)
        })
        .await?)
}

/// Stores a new session for `user` and its meta row inside the unit of work `tx`; returns its
/// cookie token.
pub async fn start_session(
    tx: &Tx,
    user: &User,
    client: &ClientInfo,
) -> Result<(String, Session), devhub_db::Error> {
    let token = generate_token();
    let session = Session {
        id: SessionId::from_token(&token),
        user_id: user.id.clone(),
        expires_at: devhub_db::row::now() + Duration::days(SESSION_DAYS),
    };
    tx.sessions().create(&session).await?;
    tx.session_meta().create(&session, client).await?;
    Ok((token, session))
}

/// The session cookie for `token`, expiring with the session.
pub fn session_cookie(token: String, expires_at: DateTime<Utc>, secure: bool) -> Cookie<'static> {
    let max_age = (expires_at - Utc::now()).num_seconds().max(0);
    Cookie::build((COOKIE_NAME, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build()
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), Utc::now(), secure);
    c.make_removal();
    c
}

/// The signed-in user of a request that passed [`require_user`], with what every page shows
/// of them, read in the same request to the database as the session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub session_id: SessionId,
    pub settings: UserSettings,
    /// The navigation's follow-up counts, for whichever day is the user's today.
    pub follow_ups: FollowUpCountsNear,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| {
                AppError::Internal("CurrentUser used on a route without require_user".into())
            })
    }
}

/// The outcome of checking a cookie token.
pub struct Validated {
    pub session: Session,
    pub user: User,
    pub settings: UserSettings,
    pub follow_ups: FollowUpCountsNear,
    /// The expiry moved forward: the cookie must be sent again.
    pub renewed: bool,
}

/// Looks up the session that `token` opens: expired sessions are deleted and rejected;
/// sessions with fewer than 15 days left are extended to 30.
pub async fn validate_token(db: &Db, token: &str) -> Result<Option<Validated>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let arrived = std::time::Instant::now();
    let id = SessionId::from_token(token);
    let today = Utc::now().date_naive();
    let page_data = |owner| {
        db.user_settings()
            .saved(owner)
            .and(db.follow_ups().counts_near(owner, today))
    };
    // An embedded replica first pulls what the primary had when this check began, so that a
    // session made or ended on another instance counts here at once; checks waiting at the
    // same time share one pull. Then the session, with its user's settings and the
    // navigation's counts (keyed by the session, which this checks before using them), in one
    // batch: one request on a server without a replica.
    db.caught_up_since(arrived).await?;
    let session = Owner::Session(&id);
    let (found, (settings, follow_ups), last_used) = db
        .batch((
            db.sessions().find(&id),
            page_data(session),
            db.session_meta().last_used(&id),
        ))
        .await?;
    let Some((mut session, user)) = found else {
        return Ok(None);
    };
    let settings = settings.unwrap_or_else(|| UserSettings::defaults(&user.id));
    let now = devhub_db::row::now();
    if session.is_expired(now) {
        db.sessions().delete(&id).await.or_else(ignore_not_found)?;
        return Ok(None);
    }
    let renewed = session.expires_at - now < Duration::days(RENEW_BELOW_DAYS);
    if renewed {
        session.expires_at = now + Duration::days(SESSION_DAYS);
        db.sessions()
            .set_expires_at(&id, session.expires_at)
            .await?;
    }
    // The Sessions page's "last used", written once every few minutes rather than on every
    // request (never for a session without a meta row: another tool made it). Not worth
    // failing the request over.
    if last_used.is_some_and(|at| now - at >= crate::security::TOUCH_EVERY) {
        let touched = db
            .primary()
            .session_meta()
            .touch(&id, now, now - crate::security::TOUCH_EVERY)
            .await;
        if let Err(e) = touched {
            tracing::warn!(error = %e, "could not record a session's last use");
        }
    }
    Ok(Some(Validated {
        session,
        user,
        settings,
        follow_ups,
        renewed,
    }))
}

pub fn ignore_not_found(e: devhub_db::Error) -> Result<(), devhub_db::Error> {
    match e {
        devhub_db::Error::NotFound => Ok(()),
        other => Err(other),
    }
}

/// Middleware of every page that needs a signed-in user. Without a valid session a page
/// redirects to `/login?next=…` (the API has its own bearer-token check, `api::auth`).
pub async fn require_user(
    State(state): State<AppState>,
    jar: CookieJar,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let Some((current, renewed)) = signed_in(&state, &jar).await? else {
        let had_cookie = jar.get(COOKIE_NAME).is_some();
        return Ok(unauthenticated(
            &request,
            had_cookie,
            state.settings.secure_cookies,
        ));
    };
    Ok(run_as(current, renewed, request, next).await)
}

/// Middleware of the admin pages: only an admin reaches them. Anyone else, signed in or not,
/// gets the 404 page, as for an address that does not exist (no hint that it does).
pub async fn require_admin(
    State(state): State<AppState>,
    jar: CookieJar,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    match signed_in(&state, &jar).await? {
        Some((current, renewed)) if current.user.is_admin() => {
            Ok(run_as(current, renewed, request, next).await)
        }
        Some((current, _)) => {
            let mut response = AppError::NotFound.into_response();
            response.extensions_mut().insert(current);
            Ok(response)
        }
        None => Err(AppError::NotFound),
    }
}

/// The user the request's session cookie opens, and the cookie to send again when the
/// session was renewed.
async fn signed_in(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<(CurrentUser, Option<Cookie<'static>>)>, AppError> {
    let Some(token) = jar.get(COOKIE_NAME).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let Some(validated) = validate_token(&state.db, &token).await? else {
        return Ok(None);
    };
    let renewed = validated.renewed.then(|| {
        session_cookie(
            token,
            validated.session.expires_at,
            state.settings.secure_cookies,
        )
    });
    let current = CurrentUser {
        user: validated.user,
        session_id: validated.session.id,
        settings: validated.settings,
        follow_ups: validated.follow_ups,
    };
    Ok(Some((current, renewed)))
}

/// Runs the rest of the request as `current`.
async fn run_as(
    current: CurrentUser,
    renewed: Option<Cookie<'static>>,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(current.clone());
    let mut response = next.run(request).await;
    // An error page goes out with the signed-in header: `middleware::error_pages` renders it
    // again with the user it finds here.
    if response.extensions().get::<ErrorShown>().is_some() {
        response.extensions_mut().insert(current);
    }
    match renewed {
        Some(cookie) => (CookieJar::new().add(cookie), response).into_response(),
        None => response,
    }
}

fn unauthenticated(request: &Request, had_cookie: bool, secure: bool) -> Response {
    // A stale cookie is dropped from the browser too.
    let forget = if had_cookie {
        CookieJar::new().add(removal_cookie(secure))
    } else {
        CookieJar::new()
    };
    let target = if request.method() == Method::GET || request.method() == Method::HEAD {
        let wanted = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if wanted == "/" {
            "/login".to_string()
        } else {
            format!("/login?next={}", crate::page::encode_query(wanted))
        }
    } else {
        "/login".to_string()
    };
    (forget, Redirect::to(&target)).into_response()
}
