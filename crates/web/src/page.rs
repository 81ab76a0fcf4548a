//! What every page shares: the layout's data and rendering.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::assets;
use crate::flash::Flash;

/// The data of the shared layout (`templates/base.html`).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    /// The signed-in user's name; `None` on public pages.
    pub username: Option<String>,
    pub flash: Option<Flash>,
    /// `light`, `dark`, or empty for the system's choice.
    pub theme: String,
    /// Which navigation entry is current.
    pub nav: &'static str,
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            ..Layout::default()
        }
    }

    pub fn user(mut self, username: &str) -> Self {
        self.username = Some(username.to_string());
        self
    }

    pub fn flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash;
        self
    }

    pub fn nav(mut self, nav: &'static str) -> Self {
        self.nav = nav;
        self
    }

    pub fn css(&self) -> &'static str {
        assets::css_path()
    }

    pub fn js(&self) -> &'static str {
        assets::js_path()
    }
}

/// Renders a template with `status`; a template error becomes a logged, plain 500.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response()
        }
    }
}

/// Percent-encodes a value for a query string.
pub fn encode_query(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}
