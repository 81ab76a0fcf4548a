//! The access token: given once as `?token=…` (the URL printed at start), exchanged for an
//! HttpOnly session cookie, which is then required on every request (401 without). The token
//! is spent by the exchange, and is only good for a minute after the start: the printed
//! address, left in a terminal's scroll-back or a shell history, cannot be replayed.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};

use crate::error::StudioError;
use crate::layout::{parse_query, with_query};
use crate::state::{Redeemed, SessionId, StudioState};

pub const COOKIE: &str = "devhub_studio";

pub async fn require_token(
    State(state): State<StudioState>,
    mut request: Request,
    next: Next,
) -> Response {
    let pairs = parse_query(request.uri().query());
    if let Some((_, given)) = pairs.iter().find(|(k, _)| k == "token") {
        let rest: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "token")
            .cloned()
            .collect();
        let target = with_query(request.uri().path(), &rest);
        // The browser that opened the address already has its session (the address reloaded):
        // only the token leaves the address bar.
        if session_of(&request, &state).is_some() {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
        }
        match state.redeem(given) {
            Redeemed::Accepted => {}
            Redeemed::Wrong => return StudioError::Unauthorized.into_response(),
            Redeemed::AlreadyUsed => return StudioError::AccessLinkUsed.into_response(),
            Redeemed::Expired => return StudioError::AccessLinkExpired.into_response(),
        }
        // Swap the token for a session cookie, and take the token out of the address bar.
        let session = state.new_session();
        let cookie = Cookie::build((COOKIE, session))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/")
            .build();
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    match session_of(&request, &state) {
        Some(id) => {
            request.extensions_mut().insert(SessionId(id));
            next.run(request).await
        }
        None => StudioError::Unauthorized.into_response(),
    }
}

fn session_of(request: &Request, state: &StudioState) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE && state.has_session(c.value()))
        .map(|c| c.value().to_string())
}
