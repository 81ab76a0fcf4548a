//! The same-origin rule (DESIGN.md §4): state-changing requests from another site are refused,
//! so that a page elsewhere cannot make a signed-in browser post to us.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

/// How an app applies the rule: what a refused request gets (each app has its own error
/// page), and which paths the rule skips.
#[derive(Clone, Copy)]
pub struct SameOrigin {
    refusal: fn() -> Response,
    exempt: fn(&str) -> bool,
}

impl SameOrigin {
    /// The rule for every path, answering a refused request with `refusal()`.
    pub fn new(refusal: fn() -> Response) -> Self {
        SameOrigin {
            refusal,
            exempt: |_| false,
        }
    }

    /// Skips the paths for which `exempt` is true: endpoints that authenticate by a token a
    /// browser never sends on its own (no ambient cookie, nothing to forge).
    pub fn except(self, exempt: fn(&str) -> bool) -> Self {
        SameOrigin { exempt, ..self }
    }
}

/// Middleware (`axum::middleware::from_fn_with_state(rule, same_origin)`): refuses POST, PUT,
/// PATCH and DELETE requests that do not come from this origin (see [`is_same_origin`]).
pub async fn same_origin(State(rule): State<SameOrigin>, request: Request, next: Next) -> Response {
    let changes_state = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if changes_state && !(rule.exempt)(request.uri().path()) && !is_same_origin(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
        return (rule.refusal)();
    }
    next.run(request).await
}

/// The `Origin` must be this host; without `Origin`, `Sec-Fetch-Site` must say same-origin
/// (or `none`: typed into the address bar). Requests with neither header come from
/// non-browser clients, which cannot be tricked into sending ambient cookies.
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::middleware::from_fn_with_state;
    use axum::response::IntoResponse;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_origin_must_name_this_host() {
        let host = ("host", "localhost:3000");
        assert!(is_same_origin(&headers(&[
            host,
            ("origin", "http://localhost:3000")
        ])));
        assert!(is_same_origin(&headers(&[
            host,
            ("origin", "https://LOCALHOST:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!is_same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!is_same_origin(&headers(&[(
            "origin",
            "http://localhost:3000"
        )])));
    }

    #[test]
    fn without_an_origin_fetch_metadata_decides_and_plain_clients_pass() {
        let host = ("host", "localhost:3000");
        assert!(is_same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(is_same_origin(&headers(&[
            host,
            ("sec-fetch-site", "none")
        ])));
        assert!(!is_same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(is_same_origin(&headers(&[host])));
    }

    async fn status(router: &Router, path: &str, origin: &str) -> StatusCode {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "localhost:3000")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap();
        router.clone().oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn cross_origin_writes_get_the_apps_refusal_except_on_exempt_paths() {
        let rule = SameOrigin::new(|| StatusCode::IM_A_TEAPOT.into_response())
            .except(|path| path.starts_with("/api/"));
        let router = Router::new()
            .route("/form", post(|| async { "saved" }))
            .route("/api/thing", post(|| async { "saved" }))
            .layer(from_fn_with_state(rule, same_origin));
        let evil = "http://evil.example";
        assert_eq!(
            status(&router, "/form", evil).await,
            StatusCode::IM_A_TEAPOT
        );
        assert_eq!(status(&router, "/api/thing", evil).await, StatusCode::OK);
        let home = "http://localhost:3000";
        assert_eq!(status(&router, "/form", home).await, StatusCode::OK);
    }
}
