//! The web crate's one error type, turned into a response in one place: the 404 page and a 500
//! page that leaks nothing (the cause is logged). The API answers with problem documents
//! (`api::error`, `devhub_http::Problem`).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::page::{render, Layout};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("database: {0}")]
    Database(devhub_db::Error),
    #[error("password hashing: {0}")]
    Password(#[from] crate::auth::password::PasswordError),
    #[error("{0}")]
    Internal(String),
}

impl From<devhub_db::Error> for AppError {
    fn from(e: devhub_db::Error) -> Self {
        match e {
            devhub_db::Error::NotFound => AppError::NotFound,
            other => AppError::Database(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
}

/// What an error page says, kept on its response: the handler that fails knows nothing of the
/// visitor, so the layer that does (`middleware::error_pages`) renders the page again with
/// their header and theme.
#[derive(Debug, Clone)]
pub struct ErrorShown {
    pub heading: &'static str,
    pub message: String,
}

impl ErrorShown {
    /// The page for `status` with `layout` (the visitor's).
    pub fn render(self, status: StatusCode, mut layout: Layout) -> Response {
        layout.title = self.heading.to_string();
        let page = ErrorPage {
            layout,
            status: status.as_u16(),
            heading: self.heading,
            message: self.message.clone(),
        };
        let mut response = render(status, &page);
        response.extensions_mut().insert(self);
        response
    }
}

/// The HTML error page of a request that could not be read, saying what was wrong with it
/// (a repeated form field, a value of the wrong type).
pub fn error_page_saying(status: StatusCode, message: String) -> Response {
    let heading = "Request not understood";
    ErrorShown { heading, message }.render(status, Layout::default())
}

/// The HTML page for an error status.
pub fn error_page(status: StatusCode) -> Response {
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing here. It may have been deleted, or the link is mistyped.",
        ),
        StatusCode::FORBIDDEN => (
            "Request refused",
            "This request came from another site and was refused to protect your account.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Not allowed here",
            "This address does not accept that kind of request. Use the page's buttons and forms.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Request too large",
            "What you sent is larger than this server accepts.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "Request timed out",
            "The server took too long to answer. Please try again.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many attempts",
            "Please wait a minute before trying again.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Database unreachable",
            "The database is unreachable right now. Please try again shortly.",
        ),
        _ => (
            "Something went wrong",
            "An unexpected error occurred. It has been logged; please try again.",
        ),
    };
    let message = message.to_string();
    ErrorShown { heading, message }.render(status, Layout::default())
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => error_page(StatusCode::NOT_FOUND),
            AppError::Database(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unreachable");
                error_page(StatusCode::SERVICE_UNAVAILABLE)
            }
            other => {
                tracing::error!(error = %other, "request failed");
                error_page(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}
