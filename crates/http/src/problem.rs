//! RFC 9457 problem documents: how JSON clients are told what went wrong
//! (`application/problem+json`, DESIGN.md §5).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Always `about:blank`: the status and title say what went wrong.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// A short summary of the kind of problem.
    pub title: String,
    /// What exactly went wrong with this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For invalid input: every field that was refused, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One refused field of a request body.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    /// The field's name as in the request body.
    pub field: String,
    /// Why it was refused ("is required", "must be a date like 2024-05-31").
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Problem {
            type_: "about:blank",
            status: status.as_u16(),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| {
            format!(
                r#"{{"type":"about:blank","status":{},"title":"Error"}}"#,
                self.status
            )
        });
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_its_status_with_a_json_body_of_that_media_type() {
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input")
            .detail("name is required");
        problem.errors.push(FieldProblem {
            field: "name".into(),
            message: "is required".into(),
        });
        let body = serde_json::to_value(&problem).unwrap_or_default();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "about:blank",
                "status": 422,
                "title": "Invalid input",
                "detail": "name is required",
                "errors": [{ "field": "name", "message": "is required" }],
            })
        );
        let response = problem.into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static(PROBLEM_JSON))
        );
        let bare = serde_json::to_value(Problem::new(StatusCode::NOT_FOUND, "Not found"));
        assert_eq!(
            bare.unwrap_or_default(),
            serde_json::json!({ "type": "about:blank", "status": 404, "title": "Not found" })
        );
    }
}
