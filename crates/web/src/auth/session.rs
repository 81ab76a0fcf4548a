//! Sessions, Lucia style and compatible with it: the cookie carries a random token, the
//! database keeps only `hex(sha256(token))` as `session.id`; 30 days of life, renewed to 30
//! when fewer than 15 remain.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;

use devhub_db::repo::session::{Session, SessionId};
use devhub_db::{
    ClientInfo, Db, FollowUpCountsNear, NewSecurityEvent, Query, SessionCheck, Tx, User, UserId,
    UserSettings,
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

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(current) = parts.extensions.get::<CurrentUser>() {
            return Ok(current.clone());
        }
        let Some(pending) = parts.extensions.get::<PendingSession>().cloned() else {
            return Err(AppError::Internal(
                "CurrentUser used on a route without require_user".into(),
            ));
        };
        // A handler that does not read with the check: the session is checked first, alone.
        match pending.verify(state).await? {
            Some((current, _)) => {
                parts.extensions.insert(current.clone());
                Ok(current)
            }
            // Not shown: `require_user` answers with the way to sign in instead.
            None => Err(AppError::NotFound),
        }
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

/// What checking a session reads, in one statement: the session with its user, the user's
/// settings, its "last used", and the navigation's counts (keyed by the session, which the
/// check proves before they are used).
type Checked = Option<SessionCheck>;

fn check_query<'e>(db: &'e Db, id: &SessionId) -> Query<'e, Checked> {
    db.sessions().check(id, Utc::now().date_naive())
}

/// Looks up the session that `token` opens: expired sessions are deleted and rejected;
/// sessions with fewer than 15 days left are extended to 30.
pub async fn validate_token(db: &Db, token: &str) -> Result<Option<Validated>, AppError> {
    if !devhub_db::secret::plausible_token(token) {
        return Ok(None);
    }
    let arrived = std::time::Instant::now();
    let id = SessionId::from_token(token);
    // An embedded replica first pulls what the primary had when this check began, so that a
    // session made or ended on another instance counts here at once; checks waiting at the
    // same time share one pull. Then the session and what every page shows, in one batch: one
    // request on a server without a replica.
    db.caught_up_since(arrived).await?;
    let checked = check_query(db, &id).await?;
    conclude(db, &id, checked).await
}

/// The outcome of a session check's reads: expired sessions are deleted and rejected,
/// sessions with fewer than 15 days left are extended to 30, and "last used" is recorded
/// every few minutes.
async fn conclude(db: &Db, id: &SessionId, found: Checked) -> Result<Option<Validated>, AppError> {
    let Some(SessionCheck {
        mut session,
        user,
        settings,
        last_used,
        follow_ups,
    }) = found
    else {
        return Ok(None);
    };
    let settings = settings.unwrap_or_else(|| UserSettings::defaults(&user.id));
    let now = devhub_db::row::now();
    if session.is_expired(now) {
        db.sessions().delete(id).await.or_else(ignore_not_found)?;
        return Ok(None);
    }
    let renewed = session.expires_at - now < Duration::days(RENEW_BELOW_DAYS);
    if renewed {
        session.expires_at = now + Duration::days(SESSION_DAYS);
        db.sessions().set_expires_at(id, session.expires_at).await?;
    }
    // The Sessions page's "last used", written once every few minutes rather than on every
    // request (never for a session without a meta row: another tool made it). Not worth
    // failing the request over.
    if last_used.is_some_and(|at| now - at >= crate::security::TOUCH_EVERY) {
        let touched = db
            .primary()
            .session_meta()
            .touch(id, now, now - crate::security::TOUCH_EVERY)
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

/// The sessions this instance has seen valid, with their user. A GET of a page that only
/// reads ([`crate::page::View`]) with one of them checks the session in the same batch as the
/// page's reads instead of before them: one request to a server instead of two. Knowing a
/// session proves nothing: the check still runs, in the same snapshot as the page's reads
/// (so a session ended on any instance a moment before is refused), and the page is shown
/// only if it passes. What is kept never goes stale: a session's user does not change, and
/// an ended session is forgotten at its first failed check.
#[derive(Default)]
pub struct KnownSessions {
    users: std::sync::Mutex<HashMap<SessionId, UserId>>,
}

/// Sessions kept in [`KnownSessions`] at most; past that it starts again empty.
const KNOWN_SESSIONS: usize = 10_000;

impl KnownSessions {
    fn user_of(&self, id: &SessionId) -> Option<UserId> {
        self.lock().get(id).cloned()
    }

    fn remember(&self, id: &SessionId, user: &UserId) {
        let mut users = self.lock();
        if users.len() >= KNOWN_SESSIONS && !users.contains_key(id) {
            users.clear();
        }
        users.insert(id.clone(), user.clone());
    }

    fn forget(&self, id: &SessionId) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, UserId>> {
        self.users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The session of a GET whose check waits for the page's reads (see [`KnownSessions`]): the
/// page reads with [`PendingSession::read`]; any other handler's [`CurrentUser`] checks it
/// first, on its own; and [`require_user`] checks it after the handler if nothing did, and
/// answers in place of the handler when the check fails.
#[derive(Clone)]
pub struct PendingSession(Arc<Pending>);

struct Pending {
    id: SessionId,
    token: String,
    user_id: UserId,
    arrived: std::time::Instant,
    /// The check's outcome once it has run: the user, and the cookie to send again when the
    /// session was renewed; `None` when the session is not valid.
    outcome: tokio::sync::Mutex<Option<SignedIn>>,
}

type SignedIn = Option<(CurrentUser, Option<Cookie<'static>>)>;

impl PendingSession {
    /// The pending session of a GET or HEAD whose cookie opens a session this instance knows.
    fn of(state: &AppState, jar: &CookieJar, request: &Request) -> Option<Self> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let token = jar.get(COOKIE_NAME)?.value();
        if !devhub_db::secret::plausible_token(token) {
            return None;
        }
        let id = SessionId::from_token(token);
        let user_id = state.sessions.user_of(&id)?;
        Some(PendingSession(Arc::new(Pending {
            id,
            token: token.to_string(),
            user_id,
            arrived: std::time::Instant::now(),
            outcome: tokio::sync::Mutex::new(None),
        })))
    }

    /// The user the session belongs to if it is valid, which is all a page may use before
    /// [`PendingSession::read`].
    pub fn user_id(&self) -> &UserId {
        &self.0.user_id
    }

    /// Runs the page's reads `q` in one batch after the session check (one request on a
    /// server, one snapshot): the signed-in user and the reads' result when the session is
    /// valid; otherwise an error, and `require_user` answers as for a visitor without one.
    pub async fn read<'e, T: Send + 'e>(
        &self,
        state: &'e AppState,
        q: Query<'e, T>,
    ) -> Result<(CurrentUser, T), AppError> {
        let mut outcome = self.0.outcome.lock().await;
        let current = match &*outcome {
            Some(done) => (done.clone(), q.await.map_err(AppError::from)),
            None => {
                state.db.caught_up_since(self.0.arrived).await?;
                let (checked, result) = check_query(&state.db, &self.0.id).and(q.attempt()).await?;
                let done = self.settle(state, checked).await?;
                *outcome = Some(done.clone());
                (done, result.map_err(AppError::from))
            }
        };
        match current {
            (Some((current, _)), result) => Ok((current, result?)),
            // Not shown: `require_user` answers with the way to sign in instead.
            (None, _) => Err(AppError::NotFound),
        }
    }

    /// The check's outcome, running it on its own if nothing ran it yet.
    async fn verify(&self, state: &AppState) -> Result<SignedIn, AppError> {
        let mut outcome = self.0.outcome.lock().await;
        if let Some(done) = &*outcome {
            return Ok(done.clone());
        }
        state.db.caught_up_since(self.0.arrived).await?;
        let checked = check_query(&state.db, &self.0.id).await?;
        let done = self.settle(state, checked).await?;
        *outcome = Some(done.clone());
        Ok(done)
    }

    async fn settle(&self, state: &AppState, checked: Checked) -> Result<SignedIn, AppError> {
        let validated = conclude(&state.db, &self.0.id, checked)
            .await?
            .filter(|v| v.user.id == self.0.user_id);
        let Some(validated) = validated else {
            state.sessions.forget(&self.0.id);
            return Ok(None);
        };
        Ok(Some(signed_in_as(state, self.0.token.clone(), validated)))
    }
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
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    if let Some(pending) = PendingSession::of(&state, &jar, &request) {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        request.extensions_mut().insert(pending.clone());
        let response = next.run(request).await;
        return Ok(match pending.verify(&state).await? {
            Some((current, renewed)) => finish_as(current, renewed, response),
            None => unauthenticated(&method, &uri, true, state.settings.secure_cookies),
        });
    }
    let Some((current, renewed)) = signed_in(&state, &jar).await? else {
        let had_cookie = jar.get(COOKIE_NAME).is_some();
        return Ok(unauthenticated(
            request.method(),
            request.uri(),
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
    Ok(Some(signed_in_as(state, token, validated)))
}

/// The user of a valid session, and the cookie to send again when it was renewed; the
/// instance knows the session from now on (see [`KnownSessions`]).
fn signed_in_as(
    state: &AppState,
    token: String,
    validated: Validated,
) -> (CurrentUser, Option<Cookie<'static>>) {
    state
        .sessions
        .remember(&validated.session.id, &validated.user.id);
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
    (current, renewed)
}

/// Runs the rest of the request as `current`.
async fn run_as(
    current: CurrentUser,
    renewed: Option<Cookie<'static>>,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(current.clone());
    let response = next.run(request).await;
    finish_as(current, renewed, response)
}

/// A response made for `current`, with the renewed session cookie.
fn finish_as(
    current: CurrentUser,
    renewed: Option<Cookie<'static>>,
    mut response: Response,
) -> Response {
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

fn unauthenticated(method: &Method, uri: &Uri, had_cookie: bool, secure: bool) -> Response {
    // A stale cookie is dropped from the browser too.
    let forget = if had_cookie {
        CookieJar::new().add(removal_cookie(secure))
    } else {
        CookieJar::new()
    };
    let target = if method == Method::GET || method == Method::HEAD {
        let wanted = uri.path_and_query().map_or("/", |pq| pq.as_str());
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
