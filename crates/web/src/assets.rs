//! The stylesheet and script, embedded in the binary and served under a content hash
//! (`/static/app.3f9c2b1a.css`) with a year-long cache lifetime.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// One stylesheet, written in one file per area and served as one.
const CSS: &str = concat!(
    include_str!("../static/css/base.css"),
    include_str!("../static/css/components.css"),
    include_str!("../static/css/contacts.css"),
    include_str!("../static/css/interactions.css"),
    include_str!("../static/css/dashboard.css"),
    include_str!("../static/css/follow_ups.css"),
);
const JS: &str = include_str!("../static/app.js");

struct Asset {
    path: String,
    body: &'static str,
    content_type: &'static str,
}

fn hashed(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Asset {
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    Asset {
        path: format!("/static/{stem}.{}.{ext}", &digest[..10]),
        body,
        content_type,
    }
}

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        hashed("app", "css", CSS, "text/css; charset=utf-8"),
        hashed("app", "js", JS, "text/javascript; charset=utf-8"),
    ]
});

pub fn css_path() -> &'static str {
    &ASSETS[0].path
}

pub fn js_path() -> &'static str {
    &ASSETS[1].path
}

pub fn router() -> Router<AppState> {
    Router::new().route("/static/{file}", get(serve))
}

async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    match ASSETS.iter().find(|a| a.path == wanted) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => crate::error::error_page(StatusCode::NOT_FOUND),
    }
}
