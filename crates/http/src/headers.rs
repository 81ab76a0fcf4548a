//! The security headers of every response of both servers.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Scripts and styles only from this site (no inline script), no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Middleware (`axum::middleware::from_fn(security_headers)`): the content security policy,
/// no sniffing, no framing, no Referer to other sites, a browsing context of our own, and
/// `Cache-Control: no-store` unless the handler chose otherwise.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    set_security_headers(response.headers_mut());
    response
}

/// The headers [`security_headers`] sets.
pub fn set_security_headers(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // No Referer to other sites (the studio's first address carries its token). Not
    // `no-referrer`: with it, browsers send `Origin: null` on form posts, which the origin
    // rule refuses.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_is_set_and_a_chosen_cache_policy_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        set_security_headers(&mut headers);
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(
            get("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY)
        );
        assert_eq!(get("x-content-type-options"), Some("nosniff"));
        assert_eq!(get("referrer-policy"), Some("same-origin"));
        assert_eq!(get("x-frame-options"), Some("DENY"));
        assert_eq!(get("cross-origin-opener-policy"), Some("same-origin"));
        assert_eq!(get("cache-control"), Some("public, max-age=60"));

        let mut bare = HeaderMap::new();
        set_security_headers(&mut bare);
        assert_eq!(
            bare.get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
    }
}
