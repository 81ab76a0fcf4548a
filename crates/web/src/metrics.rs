//! `GET /metrics`: the instance's figures in the Prometheus text format, for a scraper.
//!
//! Off unless `devhub serve --metrics` (`DEVHUB_METRICS=true`); then only a client on
//! loopback (the address as the trusted proxies give it, [`ClientIp`]) or one that sends
//! `Authorization: Bearer <DEVHUB_METRICS_TOKEN>` gets it. Anyone else gets the 404 page, as
//! when metrics are off; a bearer token that is wrong gets 401.
//!
//! Nothing personal is in it: requests are counted by route *template* (axum's
//! [`MatchedPath`], `/contacts/{id}`, never the path with its id), method and status; the
//! accounts and sessions are counts.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::auth::rate_limit::ClientIp;
use crate::error::{error_page, error_page_saying};
use crate::state::AppState;

/// `--metrics-token`: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// `None` for an empty value (no token: loopback only).
    pub fn new(token: &str) -> Option<MetricsToken> {
        let token = token.trim();
        (!token.is_empty()).then(|| MetricsToken(token.to_string()))
    }

    /// Compares in constant time (both sides hashed first, so the length leaks nothing
    /// either).
    fn matches(&self, given: &str) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(given.as_bytes());
        expected
            .iter()
            .zip(given.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken([redacted])")
    }
}

/// Whether `/metrics` is served, and to whom besides loopback.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub token: Option<MetricsToken>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// The route label of a request no route matched (a 404): one value for all of them, so that
/// made-up paths neither show up nor multiply the series.
pub const UNMATCHED: &str = "unmatched";

/// Seconds; from a cached page (a millisecond) to the request timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Seconds a checkout waited for a pooled connection: zero when one is free.
const POOL_WAIT_BUCKETS: [f64; 11] = [
    0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The registry and its metrics, shared by the recording layer and the scrape.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_in_use: Gauge,
    accounts: Gauge,
    sessions: Gauge,
    database_up: Gauge,
    uptime: Gauge<f64, AtomicU64>,
    reminder_attempts: Family<ReminderLabels, Counter>,
    reminders_pending: Gauge,
    started: Instant,
}

/// A reminder's channel and how an attempt went.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReminderLabels {
    channel: &'static str,
    outcome: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The metrics of one server, with the database pool's waits observed from now on.
    pub fn new(db: &devhub_db::Db) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "devhub_http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "devhub_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            latency.clone(),
        );
        let pool_wait = Histogram::new(POOL_WAIT_BUCKETS);
        registry.register(
            "devhub_db_pool_wait_seconds",
            "Time a unit of work waited to check out a database connection",
            pool_wait.clone(),
        );
        let observed = pool_wait.clone();
        db.observe_pool_waits(Arc::new(move |waited: Duration| {
            observed.observe(waited.as_secs_f64());
        }));
        let pool_in_use = Gauge::default();
        registry.register(
            "devhub_db_connections_in_use",
            "Database connections checked out of the pool",
            pool_in_use.clone(),
        );
        let accounts = Gauge::default();
        registry.register("devhub_accounts", "User accounts", accounts.clone());
        let sessions = Gauge::default();
        registry.register(
            "devhub_active_sessions",
            "Log-in sessions that have not expired",
            sessions.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "devhub_database_up",
            "1 when the database answered the scrape's count, 0 otherwise",
            database_up.clone(),
        );
        let start_time = Gauge::<f64, AtomicU64>::default();
        start_time.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
        );
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds",
            start_time,
        );
        let uptime = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "devhub_uptime_seconds",
            "Seconds since the server started",
            uptime.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(
            "devhub_build_info",
            "The running devhub's version (always 1)",
            build,
        );
        let reminder_attempts = Family::<ReminderLabels, Counter>::default();
        registry.register(
            "devhub_reminder_attempts",
            "Attempts to send a reminder, by channel (email, webhook, ntfy) and outcome \
             (sent, temporary, permanent)",
            reminder_attempts.clone(),
        );
        let reminders_pending = Gauge::default();
        registry.register(
            "devhub_reminders_pending",
            "Reminders waiting to be sent or retried, over every instance",
            reminders_pending.clone(),
        );
        Metrics {
            reminder_attempts,
            reminders_pending,
            registry,
            requests,
            latency,
            pool_in_use,
            accounts,
            sessions,
            database_up,
            uptime,
            started: Instant::now(),
        }
    }

    /// Counts one attempt to send a reminder.
    pub fn reminder_attempt(&self, channel: &'static str, outcome: &'static str) {
        self.reminder_attempts
            .get_or_create(&ReminderLabels { channel, outcome })
            .inc();
    }

    fn record(&self, method: &Method, route: String, status: StatusCode, took: Duration) {
        let method = method_label(method);
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: status.as_u16(),
            })
            .inc();
    }

    /// The text a scrape answers, with the figures read now.
    async fn render(&self, db: &devhub_db::Db) -> String {
        match devhub_db::stats::instance_counts(db).await {
            Ok(counts) => {
                self.accounts.set(counts.accounts);
                self.sessions.set(counts.active_sessions);
                self.database_up.set(1);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the database did not answer the counts");
                self.database_up.set(0);
            }
        }
        match db.reminders().pending_count().await {
            Ok(n) => {
                self.reminders_pending
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            Err(e) => tracing::warn!(error = %e, "metrics: the pending reminders were not counted"),
        }
        self.pool_in_use
            .set(i64::try_from(db.connections_in_use()).unwrap_or(i64::MAX));
        self.uptime.set(self.started.elapsed().as_secs_f64());
        let mut text = String::new();
        if let Err(e) = prometheus_text::encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "metrics: encoding failed");
        }
        text
    }
}

/// The methods a browser or a client of the API sends; anything else is one value, `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The layer that counts and times every request by its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_string(), |m| m.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(&method, route, response.status(), started.elapsed());
    response
}

/// `/metrics`, routed only when metrics are on (off, it is the 404 page of any unknown
/// address).
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>, client: ClientIp, headers: HeaderMap) -> Response {
    let Some(metrics) = &state.metrics else {
        return error_page(StatusCode::NOT_FOUND);
    };
    let loopback = client.0.is_some_and(|ip| ip.is_loopback());
    if !loopback {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match (bearer, &state.settings.metrics.token) {
            (Some(given), Some(token)) if token.matches(given) => {}
            (Some(_), Some(_)) => {
                let mut refused = error_page_saying(
                    StatusCode::UNAUTHORIZED,
                    "This is not the metrics token of this server.".into(),
                );
                refused
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return refused;
            }
            _ => return error_page(StatusCode::NOT_FOUND),
        }
    }
    let text = metrics.render(&state.db).await;
    (
        [
            (header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}
