//! The layers every request passes: request logs, panic and error pages, body limit,
//! timeout, security headers and the same-origin rule for state-changing requests.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::error_page;
use crate::state::AppState;

/// Scripts and styles only from this site (no inline script), no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The default request body limit, for every route but the import upload (which sets its own).
pub fn body_limit(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limit = state.settings.body_limit;
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
}

pub fn wrap(router: Router<AppState>, state: AppState) -> Router {
    let settings = state.settings.clone();
    router
        .fallback(|| async { error_page(StatusCode::NOT_FOUND) })
        .layer(from_fn(crate::page::clear_flash))
        .layer(from_fn(same_origin))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        // Outside the body limit and the timeout, so that their answers get rewritten too.
        .layer(from_fn(error_pages))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            error_page(StatusCode::INTERNAL_SERVER_ERROR)
        }))
        .layer(from_fn(security_headers))
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
/// a problem document.
async fn error_pages(request: Request, next: Next) -> Response {
    let is_api = is_api_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let is_html = content_type.starts_with("text/html")
        || content_type.starts_with("application/problem+json");
    if is_api {
        if (status.is_client_error() || status.is_server_error())
            && !content_type.starts_with("application/problem+json")
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
        )
    {
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            // A form that could not even be decoded: say so plainly.
            return error_page(StatusCode::BAD_REQUEST);
        }
        return error_page(status);
    }
    response
}

fn status_message(status: StatusCode) -> String {
    match status {
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

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages hold private data: never store them in shared caches.
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Refuses state-changing requests from other sites (except to the token-authenticated API):
/// the `Origin` must be this host; without `Origin`, `Sec-Fetch-Site` must say same-origin. Requests with neither header come from
/// non-browser clients, which cannot be tricked into sending ambient cookies.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let changes_state = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    // The API authenticates by bearer token only, never by cookie: a page of another site
    // cannot make a browser send the token, so there is nothing to forge.
    let is_api = is_api_path(request.uri().path());
    if changes_state && !is_api && !is_same_origin(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
        return error_page(StatusCode::FORBIDDEN);
    }
    next.run(request).await
}

pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        return match (origin_host, host) {
            (Some(o), Some(h)) => o.eq_ignore_ascii_case(h),
            _ => false,
        };
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
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
