//! Account security in Settings: the user's sessions (`/settings/sessions`: every active one
//! with its device, address and last use; end any one) and their security log
//! (`/settings/security`: log-ins, failed log-in bursts, password, tokens, calendar feed and
//! session changes of the last 90 days). Also what handlers elsewhere use to record an event
//! ([`RequestInfo`]: the request's address and browser) and the admin page's list of the
//! instance's own events ([`instance_events`], `templates/security/instance_events.html`).

pub mod browser;

use std::net::IpAddr;

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use devhub_db::repo::security_event::MAX_USER_AGENT;
use devhub_db::{
    ActiveSession, ClientInfo, Db, NewSecurityEvent, SecurityEvent, SecurityEventKind, UserId,
};

use crate::auth::rate_limit::ClientIp;
use crate::auth::session::removal_cookie;
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::page::{ok, Layout, Page};
use crate::state::AppState;
use crate::today::Today;

/// How many entries the security log page shows at most (90 days of them).
pub const LOG_LIMIT: u32 = 500;
/// Last use is written when it is older than this (not on every request).
pub const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/sessions", get(sessions_page))
        .route("/settings/sessions/{id}/end", post(end_session))
        .route("/settings/security", get(log_page))
}

/// Where a request comes from: the client's address (behind `--trusted-proxies`, the one the
/// proxy saw) and its browser's `User-Agent` (capped). Take it as a handler argument to
/// record a security event:
///
/// ```ignore
/// tx.security_events().record(&info.event(&user.id, SecurityEventKind::TwoFactorEnabled)).await?;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for RequestInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| cap(ua.trim(), MAX_USER_AGENT))
            .filter(|ua| !ua.is_empty());
        Ok(RequestInfo { ip, user_agent })
    }
}

fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_string(),
        None => text.to_string(),
    }
}

impl RequestInfo {
    /// The address and browser as a session's meta row stores them.
    pub fn client(&self) -> ClientInfo {
        ClientInfo {
            ip: self.ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent.clone(),
        }
    }

    /// An event of `user`'s account, from this request's address and browser.
    pub fn event(&self, user: &UserId, kind: SecurityEventKind) -> NewSecurityEvent {
        let client = self.client();
        NewSecurityEvent::of_user(user, kind).from_client(client.ip, client.user_agent)
    }

    /// An event of the instance (the admin page's list); `detail` names the account concerned
    /// and who acted ("ada, by admin root").
    pub fn instance_event(
        &self,
        kind: SecurityEventKind,
        detail: impl Into<String>,
    ) -> NewSecurityEvent {
        let client = self.client();
        NewSecurityEvent::of_instance(kind, detail).from_client(client.ip, client.user_agent)
    }
}

/// Records `event` in its own unit of work (use `tx.security_events().record(…)` to record it
/// with the change it logs).
pub async fn record(db: &Db, event: &NewSecurityEvent) -> Result<(), AppError> {
    db.security_events().record(event).await?;
    Ok(())
}

/// A moment as the pages show it, in the user's time zone: "today, 14:05", "yesterday,
/// 09:12", "December 1, 2026, 18:30", with the exact UTC time for hovering.
#[derive(Debug, Clone)]
pub struct Moment {
    pub text: String,
    /// ISO 8601 in UTC, for `<time datetime>`.
    pub iso: String,
    pub utc: String,
}

impl Moment {
    pub fn at(today: &Today, at: DateTime<Utc>) -> Self {
        let local = today.zone.local_time(at);
        let day = local.date();
        let clock = local.format("%H:%M");
        let text = match (today.date - day).num_days() {
            0 => format!("today, {clock}"),
            1 => format!("yesterday, {clock}"),
            _ => format!("{}, {clock}", crate::format::long_date(day)),
        };
        Moment {
            text,
            iso: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            utc: at.format("%B %-d, %Y %H:%M UTC").to_string(),
        }
    }
}

/// One entry of a security log (a user's, or the instance's on the admin page).
#[derive(Debug, Clone)]
pub struct EventRow {
    pub when: Moment,
    /// The event in words.
    pub what: String,
    /// A warning sign (a failed log-in, a second factor turned off…).
    pub alert: bool,
    /// "4 attempts" for a burst of failed log-ins; empty otherwise.
    pub times: String,
    /// The last failure of a burst, when it differs from the first.
    pub until: Option<Moment>,
    /// What the event concerns (a token's name, the account of an instance event).
    pub detail: String,
    pub address: String,
    /// The browser in words, and the raw `User-Agent` for hovering.
    pub browser: String,
    pub user_agent: String,
}

impl EventRow {
    pub fn new(today: &Today, event: &SecurityEvent) -> Self {
        let what = match event.kind {
            Some(kind) => kind.label().to_string(),
            None => event.raw_kind.replace('_', " "),
        };
        EventRow {
            when: Moment::at(today, event.created_at),
            what,
            alert: event.kind.is_some_and(SecurityEventKind::is_alert),
            times: if event.count > 1 {
                format!("{} attempts", event.count)
            } else {
                String::new()
            },
            until: (event.updated_at > event.created_at && event.count > 1)
                .then(|| Moment::at(today, event.updated_at)),
            detail: event.detail.clone().unwrap_or_default(),
            address: event.ip.clone().unwrap_or_default(),
            browser: match &event.user_agent {
                Some(ua) => browser::describe(Some(ua)),
                None => String::new(),
            },
            user_agent: event.user_agent.clone().unwrap_or_default(),
        }
    }
}

/// The instance's own events (registrations, accounts disabled or deleted, invitations…), the
/// latest first, for the admin page: give them to a template as a field named
/// `instance_events` and `{% include "security/instance_events.html" %}`.
pub async fn instance_events(
    db: &Db,
    today: &Today,
    limit: u32,
) -> Result<Vec<EventRow>, AppError> {
    Ok(db
        .security_events()
        .list_instance(limit)
        .await?
        .iter()
        .map(|e| EventRow::new(today, e))
        .collect())
}

/// A session as the Sessions page lists it.
pub struct SessionRow {
    pub public_id: String,
    pub device: String,
    pub user_agent: String,
    pub address: String,
    pub signed_in: Option<Moment>,
    pub last_used: Option<Moment>,
    pub expires: String,
    /// The session of the browser looking at the page.
    pub current: bool,
}

impl SessionRow {
    fn new(today: &Today, session: &ActiveSession, current: bool) -> Self {
        SessionRow {
            public_id: session.public_id.clone(),
            device: browser::describe(session.user_agent.as_deref()),
            user_agent: session.user_agent.clone().unwrap_or_default(),
            address: session.ip.clone().unwrap_or_default(),
            signed_in: session.created_at.map(|at| Moment::at(today, at)),
            last_used: session.last_used_at.map(|at| Moment::at(today, at)),
            expires: crate::format::long_date(today.date_of(session.expires_at)),
            current,
        }
    }
}

#[derive(Template)]
#[template(path = "security/sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionRow>,
    time_zone: &'static str,
}

async fn sessions_page(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    let sessions = state
        .db
        .session_meta()
        .list_for_user(page.user_id(), page.today.now)
        .await?;
    let current = &page.current.session_id;
    let mut rows: Vec<SessionRow> = sessions
        .iter()
        .map(|s| SessionRow::new(&page.today, s, &s.session_id == current))
        .collect();
    // This browser first, then by last use.
    rows.sort_by_key(|r| !r.current);
    Ok(ok(&SessionsPage {
        layout: page.layout("Sessions", "settings"),
        sessions: rows,
        time_zone: page.today.zone.name(),
    }))
}

/// `POST /settings/sessions/{id}/end`: ends one of the user's sessions (404 for anyone
/// else's). Ending the session of this browser logs it out.
async fn end_session(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(public_id): Path<String>,
) -> Result<Response, AppError> {
    let user = page.user_id().clone();
    let ended = state
        .db
        .write(async |tx| {
            let ended = tx.session_meta().end(&user, &public_id).await?;
            let device = browser::describe(ended.user_agent.as_deref());
            let detail = match &ended.ip {
                Some(ip) => format!("{device}, {ip}"),
                None => device,
            };
            tx.security_events()
                .record(
                    &info
                        .event(&user, SecurityEventKind::SessionEnded)
                        .detail(detail),
                )
                .await?;
            Ok(ended)
        })
        .await?;
    if ended.session_id == page.current.session_id {
        let jar = jar.add(removal_cookie(state.settings.secure_cookies));
        return Ok(flash::redirect(
            jar,
            Flash::success("You ended this browser's session and have been logged out."),
            "/login",
        ));
    }
    Ok(flash::redirect(
        jar,
        Flash::success(format!(
            "Session ended: {} is signed out.",
            browser::describe(ended.user_agent.as_deref())
        )),
        "/settings/sessions",
    ))
}

#[derive(Template)]
#[template(path = "security/log.html")]
struct LogPage {
    layout: Layout,
    events: Vec<EventRow>,
    time_zone: &'static str,
    kept_days: i64,
}

async fn log_page(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    let events = state
        .db
        .security_events()
        .list_for_user(page.user_id(), LOG_LIMIT)
        .await?;
    Ok(ok(&LogPage {
        layout: page.layout("Security log", "settings"),
        events: events
            .iter()
            .map(|e| EventRow::new(&page.today, e))
            .collect(),
        time_zone: page.today.zone.name(),
        kept_days: devhub_db::repo::security_event::KEPT_DAYS,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn moments_read_in_the_users_time_zone() {
        let zone = devhub_db::TimeZone::parse("Europe/Berlin").unwrap_or_default();
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let today = Today::at(now, zone);
        assert_eq!(Moment::at(&today, now).text, "today, 13:00");
        let late = Utc.with_ymd_and_hms(2026, 12, 5, 23, 30, 0).unwrap();
        // 00:30 on the 6th in Berlin: today there, though yesterday in UTC.
        assert_eq!(Moment::at(&today, late).text, "today, 00:30");
        let earlier = Utc.with_ymd_and_hms(2026, 12, 1, 8, 5, 0).unwrap();
        assert_eq!(Moment::at(&today, earlier).text, "December 1, 2026, 09:05");
        assert_eq!(Moment::at(&today, earlier).iso, "2026-12-01T08:05:00Z");
    }

    /// What the admin page does with the partial.
    #[derive(Template)]
    #[template(
        source = "<section>{% include \"security/instance_events.html\" %}</section>",
        ext = "html"
    )]
    struct Including {
        instance_events: Vec<EventRow>,
    }

    #[test]
    fn the_instance_events_partial_lists_each_event_with_its_account() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let today = Today::at(now, devhub_db::TimeZone::default());
        let event = SecurityEvent {
            id: devhub_db::SecurityEventId::from("e1"),
            user_id: None,
            kind: Some(SecurityEventKind::AccountDeleted),
            raw_kind: "account_deleted".into(),
            ip: Some("192.0.2.1".into()),
            user_agent: Some("curl/8.5.0".into()),
            detail: Some("<ada> (deleted their own account)".into()),
            count: 1,
            created_at: now,
            updated_at: now,
        };
        let html = Including {
            instance_events: vec![EventRow::new(&today, &event)],
        }
        .render()
        .unwrap();
        assert!(html.contains("Account deleted"), "{html}");
        assert!(
            html.contains("&#60;ada&#62; (deleted their own account)")
                || html.contains("&lt;ada&gt;"),
            "{html}"
        );
        assert!(html.contains("today, 12:00"));
        let empty = Including {
            instance_events: Vec::new(),
        }
        .render()
        .unwrap();
        assert!(empty.contains("instance-events-empty"));
    }

    #[test]
    fn user_agents_are_capped() {
        let long = "x".repeat(1000);
        assert_eq!(cap(&long, MAX_USER_AGENT).len(), MAX_USER_AGENT);
    }
}
