//! The rate limits of log-in, registration and the password re-checks of Settings, counted in
//! the database (`auth_attempt`) so that they hold across every instance of the app that
//! shares it. The policy (README, "Security"):
//!
//! - **per address**: at most `limit` failed log-ins a minute from one client address, over
//!   every username it tries (a wall; `AUTH_ATTEMPTS_PER_MINUTE`, 10 by default);
//! - **per username**, from every address together: `limit` failures in 15 minutes, then each
//!   further attempt only after a wait that doubles (1 s, 2 s, 4 s, … up to 5 minutes). An
//!   attacker with many addresses is slowed to a dozen guesses an hour; the owner is never
//!   walled out;
//! - a browser that logged in as that user before (a `devhub-device` cookie) or holds their
//!   session counts in a bucket of its own (`limit` failures a minute): nobody else's attempts,
//!   from its address or on its username, hold it back;
//! - only failures count: a successful attempt is taken back;
//! - registration: `limit` attempts a minute per address and per username;
//! - the password re-checks (changing the password, deleting the account): `limit` failures a
//!   minute per account and per address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use devhub_db::{Db, Recorded, Rule, UserId};

use crate::error::AppError;
use crate::state::AppState;

/// The per-address window.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);
/// The per-username window and the longest wait of its back-off.
pub const BACKOFF_WINDOW: Duration = Duration::from_secs(15 * 60);
pub const BACKOFF_CAP: Duration = Duration::from_secs(5 * 60);
/// Attempts older than this count for nothing (the sweep deletes them).
pub const LONGEST_WINDOW: Duration = BACKOFF_WINDOW;

/// The cookie that marks a browser its user logged in from.
pub const DEVICE_COOKIE: &str = "devhub-device";

/// The client's address: the peer, or behind a trusted proxy (`--trusted-proxies`) the address
/// the proxy saw. `None` in in-process tests that give no peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    fn key(&self) -> String {
        self.0.map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        Ok(ClientIp(
            state
                .settings
                .trusted_proxies
                .read(peer, &parts.headers)
                .client,
        ))
    }
}

pub struct RateLimiter {
    limit: u32,
}

/// An attempt that was let through: [`Attempt::succeeded`] takes it back.
#[must_use]
pub struct Attempt(Recorded);

impl Attempt {
    /// Only failures count against the limits.
    pub async fn succeeded(self, db: &Db) -> Result<(), AppError> {
        db.primary().auth_attempts().forget(&self.0).await?;
        Ok(())
    }
}

impl RateLimiter {
    pub fn new(limit: u32) -> Self {
        RateLimiter {
            limit: limit.max(1),
        }
    }

    fn window(&self) -> Rule {
        Rule::Window {
            limit: self.limit,
            window: RATE_WINDOW,
        }
    }

    /// A log-in for `username` from `client`. `known_browser` is the device cookie (or the
    /// session) of a browser that logged in as `username` before: such a browser counts in a
    /// bucket of its own, so nobody else's attempts — from its address or on its username —
    /// hold it back.
    pub async fn log_in(
        &self,
        db: &Db,
        client: ClientIp,
        username: &str,
        known_browser: Option<&str>,
    ) -> Result<Result<Attempt, Duration>, AppError> {
        let keys = match known_browser {
            Some(browser) => vec![(format!("login-browser:{browser}"), self.window())],
            None => vec![
                (format!("login-ip:{}", client.key()), self.window()),
                (
                    format!("login-user:{username}"),
                    Rule::Backoff {
                        free: self.limit,
                        window: BACKOFF_WINDOW,
                        cap: BACKOFF_CAP,
                    },
                ),
            ],
        };
        self.hit(db, &keys).await
    }

    /// A registration of `username` from `client`.
    pub async fn register(
        &self,
        db: &Db,
        client: ClientIp,
        username: &str,
    ) -> Result<Result<Attempt, Duration>, AppError> {
        let keys = [
            (format!("register-ip:{}", client.key()), self.window()),
            (format!("register-user:{username}"), self.window()),
        ];
        self.hit(db, &keys).await
    }

    /// A signed-in user's password re-check (Settings).
    pub async fn recheck(
        &self,
        db: &Db,
        client: ClientIp,
        user: &UserId,
    ) -> Result<Result<Attempt, Duration>, AppError> {
        let keys = [
            (format!("recheck-ip:{}", client.key()), self.window()),
            (format!("recheck-user:{user}"), self.window()),
        ];
        self.hit(db, &keys).await
    }

    /// Counted on the primary, where every instance's attempts are.
    async fn hit(
        &self,
        db: &Db,
        keys: &[(String, Rule)],
    ) -> Result<Result<Attempt, Duration>, AppError> {
        // Milliseconds, not the rows' whole seconds: a back-off of one second measured in
        // whole seconds lets an attempt through early when the second turns over between two.
        let now = chrono::Utc::now();
        Ok(db
            .primary()
            .auth_attempts()
            .hit(keys, now)
            .await?
            .map(Attempt))
    }
}

/// Whether the browser's device cookie says `user` logged in from it before.
pub async fn is_known_device(db: &Db, jar: &CookieJar, user: &UserId) -> Result<bool, AppError> {
    let Some(token) = jar.get(DEVICE_COOKIE).map(Cookie::value) else {
        return Ok(false);
    };
    if !devhub_db::secret::plausible_token(token) {
        return Ok(false);
    }
    let now = devhub_db::row::now();
    Ok(db
        .primary()
        .auth_attempts()
        .is_known_device(user, token, now)
        .await?)
}

/// Remembers this browser as one `user` logged in from: the cookie it already has, or a new
/// one (a year long, sent only to this site).
pub async fn remember_device(
    db: &Db,
    jar: CookieJar,
    user: &UserId,
    secure: bool,
) -> Result<CookieJar, AppError> {
    let token = jar
        .get(DEVICE_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| devhub_db::secret::plausible_token(t))
        .unwrap_or_else(devhub_db::secret::random_token);
    let now = devhub_db::row::now();
    db.primary()
        .auth_attempts()
        .remember_device(user, &token, now)
        .await?;
    let cookie = Cookie::build((DEVICE_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::days(365))
        .build();
    Ok(jar.add(cookie))
}
