//! The same-origin rule (DESIGN.md §4): state-changing requests from another site are refused,
//! so that a page elsewhere cannot make a signed-in browser post to us.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::proxy::{Forwarded, TrustedProxies};

/// How an app applies the rule: what a refused request gets (each app has its own error
/// page), which paths the rule skips, the address users reach it at, and the proxies whose
/// forwarding headers say what the client addressed.
#[derive(Clone)]
pub struct SameOrigin {
    refusal: fn() -> Response,
    exempt: fn(&str) -> bool,
    public_origin: Option<String>,
    proxies: Arc<TrustedProxies>,
}

impl SameOrigin {
    /// The rule for every path, answering a refused request with `refusal()`.
    pub fn new(refusal: fn() -> Response) -> Self {
        SameOrigin {
            refusal,
            exempt: |_| false,
            public_origin: None,
            proxies: Arc::default(),
        }
    }

    /// Skips the paths for which `exempt` is true.
    pub fn except(self, exempt: fn(&str) -> bool) -> Self {
        SameOrigin { exempt, ..self }
    }

    /// Also accepts the origin of the public address (`https://crm.example.com/…`): behind a
    /// proxy that does not say what it forwards, the browser's origin is that one.
    pub fn public_url(self, url: Option<&str>) -> Self {
        SameOrigin {
            public_origin: url.and_then(origin_of),
            ..self
        }
    }

    /// Believes `X-Forwarded-Proto` and `X-Forwarded-Host` from these peers.
    pub fn trusted_proxies(self, proxies: Arc<TrustedProxies>) -> Self {
        SameOrigin { proxies, ..self }
    }

    /// Whether a state-changing request may go on:
    /// - with `Authorization: Bearer …` (an API client: a browser never adds it on its own);
    /// - with an `Origin`, when it is this server's origin — scheme, host and port — as the
    ///   client addressed it, or the public address's;
    /// - without `Origin`, when `Sec-Fetch-Site` says `same-origin`;
    /// - with neither, only when the request carries no cookie and no foreign `Referer`: a
    ///   plain client (curl, a script) has no ambient credentials to abuse.
    pub fn allows(&self, request: &Request) -> bool {
        let headers = request.headers();
        if is_bearer(headers) {
            return true;
        }
        let forwarded = self.proxies.read_request(request);
        if let Some(origin) = headers.get(header::ORIGIN) {
            return origin
                .to_str()
                .ok()
                .and_then(origin_of)
                .is_some_and(|o| self.is_ours(&o, &forwarded));
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            return site.as_bytes() == b"same-origin";
        }
        if let Some(referer) = headers.get(header::REFERER) {
            let ours = referer
                .to_str()
                .ok()
                .and_then(origin_of)
                .is_some_and(|o| self.is_ours(&o, &forwarded));
            if !ours {
                return false;
            }
        }
        !headers.contains_key(header::COOKIE)
    }

    fn is_ours(&self, origin: &str, forwarded: &Forwarded) -> bool {
        if self.public_origin.as_deref() == Some(origin) {
            return true;
        }
        let addressed = forwarded
            .host
            .as_deref()
            .and_then(|host| origin_of(&format!("{}://{host}", forwarded.scheme)));
        addressed.as_deref() == Some(origin)
    }
}

fn is_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(..7))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "))
}

/// The origin of a URL, normalised for comparison: `scheme://host:port`, lower case, with
/// the scheme's default port written out. `None` for anything but an http(s) URL with a host
/// (`null`, a bare word).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    // `[::1]:3000`, `host:3000`, `host`
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host.to_string(), port.parse().ok()?),
        _ => (authority.clone(), default_port),
    };
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{host}:{port}"))
}

/// Middleware (`axum::middleware::from_fn_with_state(rule, same_origin)`): refuses POST, PUT,
/// PATCH and DELETE requests that [`SameOrigin::allows`] does not allow.
pub async fn same_origin(State(rule): State<SameOrigin>, request: Request, next: Next) -> Response {
    let changes_state = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if changes_state && !(rule.exempt)(request.uri().path()) && !rule.allows(&request) {
        tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
        return (rule.refusal)();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::StatusCode;
    use axum::middleware::from_fn_with_state;
    use axum::response::IntoResponse;
    use axum::routing::post;
    use axum::Router;
    use std::net::SocketAddr;
    use tower::ServiceExt;

    fn request(peer: &str, pairs: &[(&'static str, &'static str)]) -> Request {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/form")
            .body(Body::empty())
            .unwrap();
        for (name, value) in pairs {
            request.headers_mut().append(*name, value.parse().unwrap());
        }
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }

    const HOST: (&str, &str) = ("host", "localhost:3000");
    const CLIENT: &str = "192.0.2.1:5000";

    #[test]
    fn origins_normalise_scheme_host_and_default_port() {
        assert_eq!(
            origin_of("HTTP://LocalHost:3000/x?y").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            origin_of("https://crm.example.test").as_deref(),
            Some("https://crm.example.test:443")
        );
        assert_eq!(
            origin_of("http://[::1]:8080").as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(
            origin_of("http://[::1]").as_deref(),
            Some("http://[::1]:80")
        );
        for bad in [
            "null",
            "localhost:3000",
            "ftp://x",
            "http://",
            "http://u@evil",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_origin_must_be_this_scheme_host_and_port() {
        let rule = SameOrigin::new(|| StatusCode::FORBIDDEN.into_response());
        let allows = |pairs: &[(&'static str, &'static str)]| rule.allows(&request(CLIENT, pairs));
        assert!(allows(&[HOST, ("origin", "http://localhost:3000")]));
        assert!(allows(&[HOST, ("origin", "http://LOCALHOST:3000")]));
        // This server speaks plain HTTP: an https origin is another origin.
        assert!(!allows(&[HOST, ("origin", "https://localhost:3000")]));
        assert!(!allows(&[HOST, ("origin", "http://localhost:3001")]));
        assert!(!allows(&[HOST, ("origin", "http://evil.example")]));
        assert!(!allows(&[HOST, ("origin", "null")]));
        assert!(!allows(&[("origin", "http://localhost:3000")]));
        // The default port may be written or not.
        assert!(allows(&[
            ("host", "crm.test"),
            ("origin", "http://crm.test:80")
        ]));
    }

    #[test]
    fn without_an_origin_only_same_origin_fetch_metadata_or_a_cookieless_client_passes() {
        let rule = SameOrigin::new(|| StatusCode::FORBIDDEN.into_response());
        let allows = |pairs: &[(&'static str, &'static str)]| rule.allows(&request(CLIENT, pairs));
        assert!(allows(&[HOST, ("sec-fetch-site", "same-origin")]));
        assert!(!allows(&[HOST, ("sec-fetch-site", "none")]));
        assert!(!allows(&[HOST, ("sec-fetch-site", "cross-site")]));
        assert!(!allows(&[HOST, ("sec-fetch-site", "same-site")]));
        // A plain client: nothing ambient to abuse.
        assert!(allows(&[HOST]));
        // ... but not with a cookie, nor with another site's Referer.
        assert!(!allows(&[HOST, ("cookie", "auth-session=abc")]));
        assert!(!allows(&[HOST, ("referer", "http://evil.example/page")]));
        assert!(allows(&[
            HOST,
            ("referer", "http://localhost:3000/contacts")
        ]));
        // An API client with a bearer token, from anywhere.
        assert!(allows(&[
            HOST,
            ("origin", "http://evil.example"),
            ("authorization", "Bearer dh_abc"),
            ("cookie", "auth-session=abc"),
        ]));
    }

    #[test]
    fn behind_a_trusted_proxy_its_forwarded_origin_and_the_public_url_count() {
        let proxied = [
            ("host", "127.0.0.1:3000"),
            ("origin", "https://crm.example.test"),
        ];
        let plain = SameOrigin::new(|| StatusCode::FORBIDDEN.into_response());
        assert!(!plain.allows(&request("10.0.0.1:4000", &proxied)));
        // The public address is an accepted origin, whoever the peer.
        let public = plain.clone().public_url(Some("https://crm.example.test/"));
        assert!(public.allows(&request("10.0.0.1:4000", &proxied)));
        // A trusted proxy's X-Forwarded-Proto / -Host say what the browser addressed.
        let trusted = plain.trusted_proxies(Arc::new("10.0.0.0/8".parse().unwrap()));
        let forwarded = [
            ("host", "127.0.0.1:3000"),
            ("origin", "https://other.example.test"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "other.example.test"),
        ];
        assert!(trusted.allows(&request("10.0.0.1:4000", &forwarded)));
        // The same headers from an untrusted peer prove nothing.
        assert!(!trusted.allows(&request(CLIENT, &forwarded)));
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
            .except(|path| path.starts_with("/hooks/"));
        let router = Router::new()
            .route("/form", post(|| async { "saved" }))
            .route("/hooks/thing", post(|| async { "saved" }))
            .layer(from_fn_with_state(rule, same_origin));
        let evil = "http://evil.example";
        assert_eq!(
            status(&router, "/form", evil).await,
            StatusCode::IM_A_TEAPOT
        );
        assert_eq!(status(&router, "/hooks/thing", evil).await, StatusCode::OK);
        let home = "http://localhost:3000";
        assert_eq!(status(&router, "/form", home).await, StatusCode::OK);
    }
}
