//! `POST /theme`: remember light, dark or the system's theme in a cookie (works without
//! JavaScript; the script applies it at once when it can).

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use crate::forms::{safe_next, Form};
use crate::page::THEME_COOKIE;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/theme", post(set_theme))
}

#[derive(Deserialize)]
struct ThemeForm {
    #[serde(default)]
    theme: String,
    #[serde(default)]
    back: Option<String>,
}

async fn set_theme(headers: HeaderMap, jar: CookieJar, Form(form): Form<ThemeForm>) -> Response {
    let value = match form.theme.as_str() {
        "light" | "dark" => form.theme.clone(),
        _ => String::new(),
    };
    let mut cookie = Cookie::build((THEME_COOKIE, value.clone()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::days(365))
        .build();
    if value.is_empty() {
        cookie.make_removal();
    }
    // Back to the page the toggle was on (a local path only).
    let referer_path = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(url_path);
    let back = safe_next(form.back.as_deref())
        .or_else(|| safe_next(referer_path.as_deref()))
        .unwrap_or_else(|| "/".into());
    (jar.add(cookie), Redirect::to(&back)).into_response()
}

fn url_path(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map(|i| rest[i..].to_string())
}
