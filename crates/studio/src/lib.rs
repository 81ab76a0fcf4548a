//! devhub-studio: the database browser behind `devhub studio`. Browse every table of whichever
//! database `DATABASE_URL` names, follow relationships, edit rows, run SQL and export, in the
//! browser, behind a random access token.
//!
//! The studio never migrates and never creates a database: it opens what exists.

pub mod auth;
pub mod cells;
pub mod console;
pub mod edit;
pub mod error;
pub mod export;
pub mod home;
pub mod layout;
pub mod query;
pub mod row;
pub mod schema;
pub mod schema_page;
pub mod server;
pub mod sql;
pub mod state;
pub mod table;

use std::time::Instant;

use axum::extract::{Path, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use devhub_http::SameOrigin;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;

pub use error::StudioError;
pub use server::{serve, ServeError, StudioConfig};
pub use state::{AccessToken, StudioSettings, StudioState};

/// Form posts larger than this are refused (413).
const BODY_LIMIT: usize = 1024 * 1024;

/// The whole studio: every page, behind the access check and the shared layers.
pub fn app(state: StudioState) -> Router {
    Router::new()
        .route("/", get(home::home))
        .route("/schema", get(schema_page::schema))
        .route("/sql", get(console::page).post(console::run))
        .route("/sql/export.csv", get(export::query_csv))
        .route("/sql/export.json", get(export::query_json))
        .route("/t/{table}", get(table::table))
        .route("/t/{table}/export.csv", get(export::table_csv))
        .route("/t/{table}/export.json", get(export::table_json))
        .route("/t/{table}/row", get(row::row))
        .route("/t/{table}/ref", get(row::follow_reference))
        .route("/t/{table}/new", get(edit::new_form).post(edit::insert))
        .route("/t/{table}/edit", get(edit::edit_form).post(edit::update))
        .route(
            "/t/{table}/delete",
            get(edit::confirm_delete).post(edit::delete),
        )
        .route("/static/{file}", get(stylesheet))
        .fallback(|| async { StudioError::NotFound("There is nothing at this address.".into()) })
        .layer(from_fn_with_state(state.clone(), auth::require_token))
        .layer(from_fn_with_state(
            SameOrigin::new(|| StudioError::Forbidden.into_response()),
            devhub_http::same_origin,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a studio handler panicked");
            error::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "An unexpected error occurred; it has been logged.".into(),
            )
        }))
        .layer(from_fn(devhub_http::security_headers))
        .layer(from_fn(server_timing))
        .with_state(state)
}

async fn stylesheet(Path(file): Path<String>) -> Result<Response, StudioError> {
    layout::stylesheet(&format!("/static/{file}"))
        .ok_or_else(|| StudioError::NotFound("No such file.".into()))
}

/// `Server-Timing: app;dur=…` (milliseconds until the response head), which the benchmark and
/// the browser's network panel read.
async fn server_timing(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={ms:.2}")) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("server-timing"), value);
    }
    response
}
