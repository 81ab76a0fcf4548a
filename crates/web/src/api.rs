//! `/api/…`: JSON answers, errors as `application/problem+json`. Requests without
//! credentials get 401 before anything else, so the API does not reveal what exists.

use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;

use crate::error::problem;
use crate::state::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .nest("/api", Router::new().fallback(|| async { not_found() }))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::auth::require_user,
        ))
}

fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        Some("There is no such API endpoint."),
    )
}
