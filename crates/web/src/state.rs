//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use devhub_db::Db;

use devhub_http::TrustedProxies;

use crate::auth::rate_limit::RateLimiter;

/// Server settings that handlers need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Add `Secure` to cookies (behind https).
    pub secure_cookies: bool,
    /// The address users reach the app at (`https://crm.example.com`), for links that leave
    /// the browser, such as the calendar feed's; the request's `Host` otherwise.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// A request that takes longer is answered 408.
    pub request_timeout: Duration,
    /// Failed log-ins allowed per client address per minute, and before the per-username
    /// back-off starts (see [`crate::auth::rate_limit`]).
    pub auth_attempts_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-*` headers are believed (`--trusted-proxies`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// How long a rendered calendar feed is served again before it is rendered anew (see
    /// [`crate::calendar::FeedCache`]).
    pub feed_fresh: Duration,
    /// Who may register while no admin has chosen on the admin page (`DEVHUB_REGISTRATION`):
    /// the starting value of the instance setting.
    pub registration: devhub_db::RegistrationMode,
    /// `GET /metrics` (`--metrics`, `--metrics-token`).
    pub metrics: crate::metrics::MetricsSettings,
    /// The operator's SMTP server for reminder e-mails (`SMTP_URL`, `SMTP_FROM`), if any.
    pub mailer: Option<crate::reminders::Mailer>,
    /// How often `serve` sends the reminders due; `None`: never (`--no-reminders`, for
    /// those who run `devhub reminders run-once` from cron instead).
    pub reminders_every: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            public_url: None,
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            auth_attempts_per_minute: 10,
            trusted_proxies: Arc::default(),
            feed_fresh: Duration::from_secs(300),
            registration: devhub_db::RegistrationMode::Open,
            metrics: crate::metrics::MetricsSettings::default(),
            mailer: None,
            reminders_every: Some(crate::reminders::engine::DEFAULT_EVERY),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub limiter: Arc<RateLimiter>,
    /// Calendar feeds rendered in the last few minutes ([`crate::calendar::FeedCache`]).
    pub feeds: Arc<crate::calendar::FeedCache>,
    /// The metrics of `/metrics`, when they are on.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    /// Reminders: their channels and the engine that sends them.
    pub reminders: Arc<crate::reminders::Engine>,
    /// The sessions this instance has seen valid ([`crate::auth::session::KnownSessions`]).
    pub sessions: Arc<crate::auth::session::KnownSessions>,
}

impl AppState {
    /// The state of an app whose links leave the browser at `PUBLIC_URL`, or at
    /// `http://localhost:3000` when none is set (see [`AppState::with_base`]).
    pub fn new(db: Db, settings: Settings) -> Self {
        let base = settings
            .public_url
            .clone()
            .unwrap_or_else(|| "http://localhost:3000".into());
        Self::with_base(db, settings, &base)
    }

    /// The state of an app whose reminders link to `base`.
    pub fn with_base(db: Db, settings: Settings, base: &str) -> Self {
        let limiter = RateLimiter::new(settings.auth_attempts_per_minute);
        let metrics = settings
            .metrics
            .enabled
            .then(|| Arc::new(crate::metrics::Metrics::new(&db)));
        let reminders = Arc::new(crate::reminders::Engine::new(
            settings.mailer.clone(),
            base,
            metrics.clone(),
        ));
        AppState {
            reminders,
            metrics,
            db,
            settings: Arc::new(settings),
            limiter: Arc::new(limiter),
            feeds: Arc::default(),
            sessions: Arc::default(),
        }
    }
}
