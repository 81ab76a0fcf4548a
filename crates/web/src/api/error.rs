//! The API's errors: every one an RFC 9457 `application/problem+json` document with the
//! status, a title and, for invalid input, every field's error.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use devhub_http::{FieldProblem, Problem};

/// What an API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0}")]
    Validation(devhub_db::ValidationErrors),
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// A request that could not be read: the status (4xx) and what was wrong.
    #[error("{1}")]
    BadRequest(StatusCode, String),
    /// Query parameters that take one value were given several.
    #[error("repeated parameters: {0:?}")]
    Repeated(Vec<String>),
    #[error("database: {0}")]
    Database(devhub_db::Error),
    #[error("{0}")]
    Internal(&'static str),
}

impl From<devhub_db::Error> for ApiError {
    fn from(e: devhub_db::Error) -> Self {
        match e {
            devhub_db::Error::NotFound => ApiError::NotFound,
            devhub_db::Error::Validation(errors) => ApiError::Validation(errors),
            devhub_db::Error::Conflict { field, message } => ApiError::Conflict { field, message },
            other => ApiError::Database(other),
        }
    }
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(StatusCode::BAD_REQUEST, message.into())
    }
}

/// The title of a status, for problem documents.
pub fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "Bad request",
        StatusCode::UNAUTHORIZED => "Authentication required",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        StatusCode::REQUEST_TIMEOUT => "Request timed out",
        StatusCode::CONFLICT => "Conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "Request body too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
        StatusCode::UNPROCESSABLE_ENTITY => "Invalid input",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        s if s.is_server_error() => "Internal server error",
        _ => "Error",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => Problem::new(StatusCode::NOT_FOUND, "Not found")
                .detail("There is no such resource.")
                .into_response(),
            ApiError::Validation(errors) => {
                let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input")
                    .detail(errors.to_string());
                problem.errors = errors
                    .iter()
                    .map(|e| FieldProblem {
                        field: e.field.to_string(),
                        message: e.message.clone(),
                    })
                    .collect();
                problem.into_response()
            }
            ApiError::Conflict { field, message } => {
                let mut problem = Problem::new(StatusCode::CONFLICT, "Conflict")
                    .detail(format!("{field} {message}"));
                problem.errors.push(FieldProblem {
                    field: field.to_string(),
                    message,
                });
                problem.into_response()
            }
            ApiError::Repeated(fields) => {
                let mut problem = Problem::new(StatusCode::BAD_REQUEST, "Bad request")
                    .detail(crate::forms::Undecodable::Repeated(fields.clone()).to_string());
                problem.errors = fields
                    .into_iter()
                    .map(|field| FieldProblem {
                        field,
                        message: "is given more than once".to_string(),
                    })
                    .collect();
                problem.into_response()
            }
            ApiError::BadRequest(status, message) => Problem::new(status, title(status))
                .detail(message)
                .into_response(),
            ApiError::Database(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unreachable");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Database unreachable")
                    .detail("The database is unreachable right now. Please try again shortly.")
                    .into_response()
            }
            ApiError::Database(e) => {
                tracing::error!(error = %e, "API request failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
                    .detail("An unexpected error occurred. It has been logged.")
                    .into_response()
            }
            ApiError::Internal(what) => {
                tracing::error!(error = what, "API request failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
                    .detail("An unexpected error occurred. It has been logged.")
                    .into_response()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
