//! The studio's one error type, rendered in one place: a clear message with a 4xx status for
//! anything the request got wrong, a logged 500 that leaks nothing otherwise.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::layout::{render, Layout};

#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// The request names something that does not exist (a table, a row).
    #[error("{0}")]
    NotFound(String),
    /// The request itself is wrong (a bad filter value, a bad page cursor …).
    #[error("{0}")]
    BadRequest(String),
    #[error("unauthorized")]
    Unauthorized,
    /// The printed token, given again after it was exchanged for a session.
    #[error("the access address was used already")]
    AccessLinkUsed,
    /// The printed token, given too long after the start.
    #[error("the access address has expired")]
    AccessLinkExpired,
    #[error("cross-origin request refused")]
    Forbidden,
    #[error("database: {0}")]
    Database(#[from] libsql::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<devhub_db::Error> for StudioError {
    fn from(e: devhub_db::Error) -> Self {
        match e {
            devhub_db::Error::Database(e) => StudioError::Database(e),
            other => StudioError::Internal(other.to_string()),
        }
    }
}

impl StudioError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        StudioError::BadRequest(message.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
}

/// The HTML page for an error.
pub fn error_page(status: StatusCode, heading: &'static str, message: String) -> Response {
    let page = ErrorPage {
        layout: Layout::new(heading, ""),
        status: status.as_u16(),
        heading,
        message,
    };
    render(status, &page)
}

impl IntoResponse for StudioError {
    fn into_response(self) -> Response {
        match self {
            StudioError::NotFound(m) => error_page(StatusCode::NOT_FOUND, "Not found", m),
            StudioError::BadRequest(m) => error_page(StatusCode::BAD_REQUEST, "Bad request", m),
            StudioError::Unauthorized => error_page(
                StatusCode::UNAUTHORIZED,
                "Access token needed",
                "Open the address that `devhub studio` printed when it started: it carries the \
                 access token."
                    .into(),
            ),
            StudioError::AccessLinkUsed => error_page(
                StatusCode::UNAUTHORIZED,
                "Access address already used",
                "The address that `devhub studio` printed signs in one browser, once, and it has \
                 been used already: it cannot be opened again. To open the studio in another \
                 browser, restart `devhub studio` and open the new address it prints."
                    .into(),
            ),
            StudioError::AccessLinkExpired => error_page(
                StatusCode::UNAUTHORIZED,
                "Access address expired",
                "The address that `devhub studio` printed must be opened within a minute of the \
                 start, and this one is older. Restart `devhub studio` and open the new address \
                 it prints."
                    .into(),
            ),
            StudioError::Forbidden => error_page(
                StatusCode::FORBIDDEN,
                "Request refused",
                "This request came from another site and was refused.".into(),
            ),
            StudioError::Database(e) => {
                tracing::error!(error = %e, "studio query failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Database error",
                    crate::sql::db_message(&e),
                )
            }
            other => {
                tracing::error!(error = %other, "studio request failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "An unexpected error occurred; it has been logged.".into(),
                )
            }
        }
    }
}
