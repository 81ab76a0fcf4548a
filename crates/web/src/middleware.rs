//! The layers every request passes: request logs, compression, panic and error pages, body
//! limit, timeout, and the security headers and same-origin rule it shares with the studio
//! (`devhub-http`).

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use devhub_http::SameOrigin;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::session;
use crate::auth::CurrentUser;
use crate::error::{error_page, ErrorShown};
use crate::page::Layout;
use crate::state::AppState;

/// The default request body limit, for every route but the import upload (which sets its own).
pub fn body_limit(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limit = state.settings.body_limit;
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
}

pub fn wrap(router: Router<AppState>, state: AppState) -> Router {
    let settings = state.settings.clone();
    // A state-changing request needs this origin (as the client addressed it, through the
    // trusted proxies, or the public address) unless it carries an API token: see
    // `SameOrigin::allows`. An unsubscribe link is the one exception: a mail provider's
    // RFC 8058 one-click POST comes from elsewhere, and the token in its path is all it uses.
    let same_origin = SameOrigin::new(|| error_page(StatusCode::FORBIDDEN))
        .except(crate::reminders::links::is_one_click_target)
        .public_url(settings.public_url.as_deref())
        .trusted_proxies(settings.trusted_proxies.clone());
    let hsts = settings
        .public_url
        .as_deref()
        .is_some_and(|url| url.starts_with("https://"));
    router
        .fallback(|| async { error_page(StatusCode::NOT_FOUND) })
        .layer(from_fn(crate::page::clear_flash))
        .layer(from_fn_with_state(same_origin, devhub_http::same_origin))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        // Outside the body limit and the timeout, so that their answers get rewritten too.
        .layer(from_fn_with_state(state.clone(), error_pages))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            error_page(StatusCode::INTERNAL_SERVER_ERROR)
        }))
        .layer(from_fn(devhub_http::security_headers))
        // Outside the security headers: it lets the content security policy allow the
        // stylesheet inline (by its hash) on every page, error pages included.
        .layer(from_fn(crate::page::remember_stylesheet))
        .layer(from_fn_with_state(hsts, strict_transport_security))
        // Outside everything that writes a body (error pages included): HTML, CSS, JavaScript
        // and JSON go out with brotli or gzip when the client accepts it (not images, which are
        // compressed already, nor bodies too small to gain).
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(
            TraceLayer::new_for_http()
                // The path only: query strings and headers (cookies, tokens) stay out of logs.
                .make_span_with(|req: &Request| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

/// Error statuses produced by layers (413 from the body limit, 408 from the timeout) or by
/// the router (405) come back as plain text: pages get the HTML error page instead, the API
/// a problem document. Every error page then gets the visitor's header and theme (see
/// [`visitor_of`]).
async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_api = is_api_path(request.uri().path());
    // Only read when an error page is shown.
    let cookies = request.headers().get(header::COOKIE).cloned();
    let mut response = next.run(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let is_html = content_type.starts_with("text/html")
        || content_type.starts_with(devhub_http::PROBLEM_JSON);
    if is_api {
        if (status.is_client_error() || status.is_server_error())
            && !content_type.starts_with(devhub_http::PROBLEM_JSON)
        {
            return crate::api::error::ApiError::BadRequest(status, status_message(status))
                .into_response();
        }
        return response;
    }
    if !is_html
        && matches!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::REQUEST_TIMEOUT
                | StatusCode::UNPROCESSABLE_ENTITY
                | StatusCode::METHOD_NOT_ALLOWED
        )
    {
        let page = if status == StatusCode::UNPROCESSABLE_ENTITY {
            // A form that could not even be decoded: say so plainly.
            error_page(StatusCode::BAD_REQUEST)
        } else {
            error_page(status)
        };
        // The router's `Allow` (405) stays.
        let (mut parts, body) = page.into_parts();
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                parts.headers.insert(name.clone(), value.clone());
            }
        }
        response = Response::from_parts(parts, body);
    }
    let Some(shown) = response.extensions().get::<ErrorShown>().cloned() else {
        return response;
    };
    let jar = CookieJar::from_headers(&cookies.into_iter().map(|v| (header::COOKIE, v)).collect());
    let status = response.status();
    let found = response.extensions().get::<CurrentUser>().cloned();
    let (current, renewed) = visitor_of(&state, found, status, &jar).await;
    let (mut parts, _) = response.into_parts();
    let page = shown.render(status, Layout::for_visitor(current.as_ref(), &jar));
    let (page_parts, body) = page.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        page_parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8")),
    );
    if let Some(cookie) = renewed.and_then(|c| HeaderValue::from_str(&c.to_string()).ok()) {
        parts.headers.append(header::SET_COOKIE, cookie);
    }
    Response::from_parts(parts, body)
}

/// Who sees an error page: the user a signed-in route found (`auth::require_user` leaves them
/// on the response), or, for what no route matched (an unknown address, a method the address
/// does not answer, a refused request), whoever the session cookie opens — read only then,
/// once. A server error's page is shown without: the database may be what failed.
async fn visitor_of(
    state: &AppState,
    found: Option<CurrentUser>,
    status: StatusCode,
    jar: &CookieJar,
) -> (Option<CurrentUser>, Option<Cookie<'static>>) {
    if found.is_some() {
        return (found, None);
    }
    let Some(token) = jar.get(session::COOKIE_NAME).map(|c| c.value().to_string()) else {
        return (None, None);
    };
    if !status.is_client_error() || status == StatusCode::REQUEST_TIMEOUT {
        return (None, None);
    }
    match session::validate_token(&state.db, &token).await {
        Ok(Some(validated)) => {
            let renewed = validated.renewed.then(|| {
                session::session_cookie(
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
            (Some(current), renewed)
        }
        Ok(None) => (None, None),
        Err(e) => {
            tracing::warn!(error = %e, "the session of an error page could not be read");
            (None, None)
        }
    }
}

/// Served over https (an https public URL): browsers are told to use nothing else for a year.
async fn strict_transport_security(
    State(on): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if on {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

fn status_message(status: StatusCode) -> String {
    match status {
        StatusCode::FORBIDDEN => {
            "A request that changes data needs an API token or this site's Origin."
        }
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than this server accepts.",
        StatusCode::REQUEST_TIMEOUT => "The server took too long to answer. Please try again.",
        StatusCode::METHOD_NOT_ALLOWED => "This endpoint does not accept that method.",
        _ => "The request could not be handled.",
    }
    .to_string()
}

/// `/api` and everything under it.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A response carrying `Retry-After`, for rate limits.
pub fn retry_after(mut response: Response, wait: Duration) -> Response {
    let secs = wait.as_secs().max(1).to_string();
    if let Ok(value) = HeaderValue::from_str(&secs) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
}
