//! What every form shares: the messages shown beside the fields of a form that came back
//! (DESIGN.md §5: "the same form comes back with the values kept and a message beside each
//! field"), where a form goes back to (only ever a path on this site), and the extractors of
//! URL-encoded forms and query strings whose refusals name what was wrong.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use devhub_db::ValidationErrors;
use serde::de::DeserializeOwned;

/// Why a URL-encoded form or query string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecodable {
    /// Fields that take one value were given several (`name=a&name=b`).
    Repeated(Vec<String>),
    /// Anything else: serde's message (a value of the wrong type, a missing field …).
    Invalid(String),
}

impl std::fmt::Display for Undecodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undecodable::Repeated(fields) => {
                let names: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
                let (noun, verb) = if fields.len() == 1 {
                    ("parameter", "was")
                } else {
                    ("parameters", "were")
                };
                write!(
                    f,
                    "The {noun} {} {verb} given more than once; send each once.",
                    names.join(", ")
                )
            }
            Undecodable::Invalid(message) => write!(f, "{message}."),
        }
    }
}

/// At most this many distinct repeated keys are examined to name the culprits.
const MAX_REPEATED_EXAMINED: usize = 32;

/// How URL-encoded input becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// As browsers send forms: a repeated key fills a list field (`ids=1&ids=2`), and an empty
    /// value is an absent optional one.
    Forms,
    /// Strictly, as the API documents its parameters: an empty value is a value (`limit=` is
    /// not a number), and no key may be repeated.
    Strict,
}

impl Decoding {
    fn decode<T: DeserializeOwned>(self, input: &[u8]) -> Result<T, String> {
        match self {
            Decoding::Forms => serde_html_form::from_bytes(input).map_err(|e| e.to_string()),
            Decoding::Strict => serde_urlencoded::from_bytes(input).map_err(|e| e.to_string()),
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` input (a body or a query string) into `T`.
/// A key repeated where `T` takes one value is refused naming it, rather than with serde's
/// "unsupported value" or "duplicate field".
pub fn decode_urlencoded<T: DeserializeOwned>(
    decoding: Decoding,
    input: &[u8],
) -> Result<T, Undecodable> {
    let error = match decoding.decode::<T>(input) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (key, _) in form_urlencoded::parse(input) {
        match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => *count += 1,
            None => seen.push((key.into_owned(), 1)),
        }
    }
    let repeated: Vec<&str> = seen
        .iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k.as_str())
        .take(MAX_REPEATED_EXAMINED)
        .collect();
    // A repeated key is a culprit when the input with every other repeated key given once
    // still does not decode.
    let culprits: Vec<String> = repeated
        .iter()
        .filter(|&&culprit| {
            let mut given: Vec<String> = Vec::new();
            let mut kept = form_urlencoded::Serializer::new(String::new());
            for (key, value) in form_urlencoded::parse(input) {
                if key != culprit && repeated.contains(&key.as_ref()) {
                    if given.iter().any(|g| *g == key) {
                        continue;
                    }
                    given.push(key.to_string());
                }
                kept.append_pair(&key, &value);
            }
            decoding.decode::<T>(kept.finish().as_bytes()).is_err()
        })
        .map(|k| k.to_string())
        .collect();
    if culprits.is_empty() {
        Err(Undecodable::Invalid(error))
    } else {
        Err(Undecodable::Repeated(culprits))
    }
}

/// A page's form or query string that could not be read: the HTML error page saying why.
#[derive(Debug)]
pub struct FormRejection {
    status: StatusCode,
    message: String,
}

impl FormRejection {
    fn undecodable(what: Undecodable) -> Self {
        FormRejection {
            status: StatusCode::BAD_REQUEST,
            message: what.to_string(),
        }
    }
}

impl IntoResponse for FormRejection {
    fn into_response(self) -> Response {
        crate::error::error_page_saying(self.status, self.message)
    }
}

/// A page's URL-encoded form body (`T` may have list fields for repeated keys).
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let urlencoded = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !urlencoded {
            return Err(FormRejection {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "This address takes a submitted form.".to_string(),
            }
            .into_response());
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        decode_urlencoded(Decoding::Forms, &body)
            .map(Form)
            .map_err(|e| FormRejection::undecodable(e).into_response())
    }
}

/// A page's form body that comes back with messages beside its fields when it cannot be read
/// (an empty `T`, whose validation says what is missing), except for a field given more than
/// once: that is refused naming it, as [`Form`] does.
pub struct FormOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for FormOrEmpty<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(body) = Bytes::from_request(request, state).await else {
            return Ok(FormOrEmpty(T::default()));
        };
        match decode_urlencoded(Decoding::Forms, &body) {
            Ok(value) => Ok(FormOrEmpty(value)),
            Err(repeated @ Undecodable::Repeated(_)) => {
                Err(FormRejection::undecodable(repeated).into_response())
            }
            Err(Undecodable::Invalid(_)) => Ok(FormOrEmpty(T::default())),
        }
    }
}

/// A page's query string (`T` may have list fields for repeated keys).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = FormRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        decode_urlencoded(Decoding::Forms, query.as_bytes())
            .map(Query)
            .map_err(FormRejection::undecodable)
    }
}

/// The messages shown beside the fields of a form that came back, each a sentence naming
/// its field ("Name is required.").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The repository's errors, each prefixed with its field's label from `labels`
    /// (`(field, label)` pairs); fields without a label use the field name.
    pub fn from_validation(errors: &ValidationErrors, labels: &[(&str, &str)]) -> Self {
        let mut out = FieldErrors::default();
        for e in errors.iter() {
            let label = labels
                .iter()
                .find(|(field, _)| *field == e.field)
                .map_or(e.field, |(_, label)| *label);
            out.add(e.field, label, &e.message);
        }
        out
    }

    /// Adds "`label` `message`." for `field`, unless the field already has a message.
    pub fn add(&mut self, field: &str, label: &str, message: &str) {
        if self.get(field).is_none() {
            self.0
                .push((field.to_string(), format!("{label} {message}.")));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages of fields other than `shown` (which the form has no place for).
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// `next` is honoured only when it is a path on this site: `/…`, never `//host` or `/\host`.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 2048;
    local.then(|| next.to_string())
}

/// Where a successful write goes: the local path the form carried, or `fallback`.
pub fn return_to(back: &str, fallback: String) -> String {
    if back.trim().is_empty() {
        return fallback;
    }
    safe_next(Some(back)).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_sentences_naming_the_field() {
        let mut v = ValidationErrors::new();
        v.add("name", "is required");
        v.add("birthday", "cannot be in the future");
        v.add("name", "must be at most 200 characters");
        let errors = FieldErrors::from_validation(&v, &[("name", "Name")]);
        assert_eq!(errors.get("name"), Some("Name is required."));
        assert_eq!(
            errors.get("birthday"),
            Some("birthday cannot be in the future.")
        );
        assert_eq!(
            errors.others(&["name"]),
            ["birthday cannot be in the future."]
        );
        assert!(!errors.has("status"));
    }

    #[test]
    fn writes_return_only_to_local_paths() {
        let fallback = || "/contacts/1".to_string();
        assert_eq!(return_to("", fallback()), "/contacts/1");
        assert_eq!(
            return_to("/interactions?type=call", fallback()),
            "/interactions?type=call"
        );
        assert_eq!(return_to("//evil.example", fallback()), "/contacts/1");
        assert_eq!(return_to("https://evil.example", fallback()), "/contacts/1");
    }

    #[test]
    fn only_local_paths_are_safe_next_targets() {
        assert_eq!(
            safe_next(Some("/contacts?q=a")).as_deref(),
            Some("/contacts?q=a")
        );
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "evil",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}
