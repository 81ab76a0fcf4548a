//! Bearer-token authentication of `/api/v1`: a personal access token from the settings page
//! in `Authorization: Bearer …`. The session cookie is ignored here, so no page of another
//! site can make a browser call the API with the user's credentials.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use devhub_db::sha256_hex;
use devhub_http::Problem;

use super::error::ApiError;
use super::extract::ApiUser;
use crate::state::AppState;

/// `last_used_at` is written at most this often per token, not on every request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && devhub_db::secret::plausible_token(token))
        .then_some(token)
}

fn unauthorized(detail: &str, invalid_token: bool) -> Response {
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, "Authentication required")
        .detail(detail)
        .into_response();
    let challenge = if invalid_token {
        "Bearer error=\"invalid_token\""
    } else {
        "Bearer"
    };
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

/// Middleware of every `/api/v1` route: 401 without a valid, unexpired token; otherwise the
/// token's owner becomes the request's [`ApiUser`].
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let arrived = std::time::Instant::now();
    let Some(token) = bearer(request.headers()) else {
        return unauthorized(
            "Send a personal access token (made in Settings) as `Authorization: Bearer <token>`.",
            false,
        );
    };
    // An embedded replica first pulls what the primary had when the request arrived (shared
    // with the requests waiting at the same time): a token revoked on another instance stops
    // working at once.
    if let Err(e) = state.db.caught_up_since(arrived).await {
        return ApiError::from(e).into_response();
    }
    let tokens = state.db.api_tokens();
    let found = match tokens.find_by_hash(&sha256_hex(token)).await {
        Ok(found) => found,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let now = devhub_db::row::now();
    let Some(found) = found.filter(|t| !t.is_expired(now)) else {
        return unauthorized("The token is unknown, revoked or expired.", true);
    };
    if found.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
        match tokens.touch(&found.id, now).await {
            Ok(()) => {}
            // Revoked between the lookup and now.
            Err(devhub_db::Error::NotFound) => {
                return unauthorized("The token is unknown, revoked or expired.", true)
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    request.extensions_mut().insert(ApiUser {
        user_id: found.user_id,
        token_id: found.id,
    });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_credentials_are_read() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        for (value, expected) in [
            ("Bearer dh_abc", Some("dh_abc")),
            ("bearer   dh_abc ", Some("dh_abc")),
            ("Basic dh_abc", None),
            ("Bearer", None),
            ("Bearer ", None),
        ] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer(&headers), expected, "{value}");
        }
    }
}
