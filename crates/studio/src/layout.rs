//! What every page shares: the layout data, rendering, the stylesheet under a content hash,
//! and URL helpers.

use std::sync::LazyLock;

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../static/studio.css");

static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
    format!("/static/studio.{}.css", &digest[..10])
});

pub fn css_path() -> &'static str {
    &CSS_PATH
}

/// The stylesheet, when `path` is its current hashed path.
pub fn stylesheet(path: &str) -> Option<Response> {
    (path == css_path()).then(|| {
        (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (
                    header::CACHE_CONTROL,
                    "private, max-age=31536000, immutable",
                ),
            ],
            CSS,
        )
            .into_response()
    })
}

/// The data of `templates/base.html`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    /// The current navigation entry: `tables`, `schema`, `sql`, or empty.
    pub nav: &'static str,
}

impl Layout {
    pub fn new(title: impl Into<String>, nav: &'static str) -> Self {
        Layout {
            title: title.into(),
            nav,
        }
    }

    pub fn css(&self) -> &'static str {
        css_path()
    }
}

/// Renders a template with `status`; a template error becomes a logged, plain 500.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Characters kept as they are in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `/t/<table>` with the name percent-encoded, plus `suffix` (`""`, `/row`, `/new` …).
pub fn table_path(table: &str, suffix: &str) -> String {
    format!("/t/{}{suffix}", utf8_percent_encode(table, SEGMENT))
}

/// `path?query` from pairs (none: just `path`).
pub fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return path.to_string();
    }
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{}", s.finish())
}

/// The pairs of a raw query string.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// The first value of `key` among `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
